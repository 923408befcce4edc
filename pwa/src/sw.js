/* The service worker (built by vite-plugin-pwa, injectManifest): the wiring only.
 *   what it caches  sw/what-to-cache.js decides at build time; the build writes the
 *                   list in place of self.__WB_MANIFEST below: the shell is precached
 *                   on install, the liaison's screens right after (sw/offline-bundle.js),
 *                   staff screens never
 *   how it answers  sw/strategies.js: precached app files, the shell for navigations,
 *                   never /api/ — personal data lives in IndexedDB only
 *   its caches      sw/caches.js: versioned names; old ones removed here, on activate
 * Updates: a new worker waits until the page asks it to take over (the liaison tapped
 * 更新, after any sync finished). */
import { cacheNames, clientsClaim, setCacheNameDetails } from 'workbox-core';
import { CACHE_NAME_DETAILS, staleCaches } from './sw/caches.js';
import { CODE_CACHE, MESSAGE, fillCache, splitManifest } from './sw/offline-bundle.js';
import { serveCached, servePrecached, serveShellForNavigations } from './sw/strategies.js';

setCacheNameDetails(CACHE_NAME_DETAILS);

const { install, later } = splitManifest(self.__WB_MANIFEST);
const laterUrls = later.map((entry) => new URL(entry.url, self.registration.scope).href);

servePrecached(install);
serveShellForNavigations();
serveCached(laterUrls, CODE_CACHE);

// The liaison's screens: one download at a time for every page that asks; every page
// hears the progress. The installed shell counts as downloaded.
let filling = null;
let progress = null;
async function tell(state) {
  progress = { type: MESSAGE.progress, done: install.length + state.done, total: install.length + state.total, failed: state.failed };
  for (const client of await self.clients.matchAll({ type: 'window', includeUncontrolled: true })) client.postMessage(progress);
}
function prepareOffline() {
  filling ??= caches.open(CODE_CACHE)
    .then((cache) => fillCache(cache, laterUrls, { report: tell }))
    .finally(() => { filling = null; });
  return filling;
}

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') self.skipWaiting();
  if (event.data && event.data.type === MESSAGE.prepare) {
    if (progress) event.source?.postMessage(progress);
    event.waitUntil(prepareOffline());
  }
});

// The one place caches are removed (Workbox's cleanupOutdatedCaches is not used: staleCaches covers it).
self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(
    staleCaches(keys, { current: [cacheNames.precache, CODE_CACHE], scope: self.registration.scope }).map((key) => caches.delete(key)),
  )).then(() => { prepareOffline(); }));
});

clientsClaim();
