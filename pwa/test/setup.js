// IndexedDB for Node: each test opens its own uniquely named database (see helpers.js).
import 'fake-indexeddb/auto';
