/* The service worker (built by vite-plugin-pwa, injectManifest): the wiring only.
 *   what it caches  sw/what-to-cache.js decides at build time; the build writes the
 *                   list in place of self.__WB_MANIFEST below
 *   how it answers  sw/strategies.js: precached app files, the shell for navigations,
 *                   never /api/ — personal data lives in IndexedDB only
 *   its caches      sw/caches.js: versioned names; old ones removed here, on activate
 * Updates: a new worker waits until the page asks it to take over (the liaison tapped
 * 更新, after any sync finished). */
import { cacheNames, clientsClaim, setCacheNameDetails } from 'workbox-core';
import { CACHE_NAME_DETAILS, staleCaches } from './sw/caches.js';
import { servePrecached, serveShellForNavigations } from './sw/strategies.js';

setCacheNameDetails(CACHE_NAME_DETAILS);

servePrecached(self.__WB_MANIFEST);
serveShellForNavigations();

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') self.skipWaiting();
});

// The one place caches are removed (Workbox's cleanupOutdatedCaches is not used: staleCaches covers it).
self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(
    staleCaches(keys, { current: cacheNames.precache, scope: self.registration.scope }).map((key) => caches.delete(key)),
  )));
});

clientsClaim();
