/* The service worker (built by vite-plugin-pwa, injectManifest).
 * What it caches: the app shell only (HTML, JS, CSS, icons, manifest), precached
 * with revisions; navigations fall back to index.html so the app opens offline.
 * What it never caches: /api/ — personal data lives in IndexedDB only.
 * Updates: a new worker waits until the page asks it to take over (the liaison
 * tapped 更新, after any sync finished); old caches are removed on activate. */
import { clientsClaim, setCacheNameDetails } from 'workbox-core';
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';

const CACHE_PREFIX = 'lianxin';
const CACHE_VERSION = 'v1';
setCacheNameDetails({ prefix: CACHE_PREFIX, suffix: CACHE_VERSION, precache: 'shell', runtime: 'runtime' });

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();

registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html'), {
  denylist: [/^\/api\//, /^\/f(\/|$)/, /^\/admin(\/|$)/],
}));

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  const current = `${CACHE_PREFIX}-shell-${CACHE_VERSION}`;
  event.waitUntil(caches.keys().then((keys) => Promise.all(
    keys.filter((key) => key.startsWith(`${CACHE_PREFIX}-`) && key !== current).map((key) => caches.delete(key)),
  )));
});

clientsClaim();
