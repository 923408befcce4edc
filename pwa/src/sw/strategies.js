// How the service worker answers a request.
//   app files     precached with their revisions and served from the cache (cache first);
//                 a new worker downloads only the files whose revision changed
//   liaison screens  downloaded after install (sw/offline-bundle.js) into a cache of their
//                own, served from it (cache first; a file not there yet from the network)
//   navigations   the precached index.html, so the app opens offline; the hash router
//                 picks the screen. Server pages (the API, the public feedback form /f/,
//                 the admin) are not the app and go to the network.
//   the API       no route at all: requests go to the network as without a worker, and
//                 their answers (personal data) never enter the Cache API.
import { createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';

export const SHELL_URL = 'index.html';
export const NOT_THE_APP = [/^\/api\//, /^\/f(\/|$)/, /^\/admin(\/|$)/];

/** Whether a navigation to `pathname` is answered with the app shell. */
export function isAppNavigation(pathname) {
  return !NOT_THE_APP.some((pattern) => pattern.test(pathname));
}

/** Precaches `manifest` ([{url, revision}]) on install and serves those files from the cache. */
export function servePrecached(manifest) {
  precacheAndRoute(manifest);
}

/** Answers navigations with the precached shell (call after servePrecached: the shell must be in it). */
export function serveShellForNavigations() {
  registerRoute(new NavigationRoute(createHandlerBoundToURL(SHELL_URL), { denylist: NOT_THE_APP }));
}

/** Answers the absolute `urls` from `cacheName` (cache first, the network for one not there yet). */
export function serveCached(urls, cacheName) {
  const known = new Set(urls);
  registerRoute(({ url }) => known.has(url.href),
    async ({ request }) => (await caches.open(cacheName).then((cache) => cache.match(request))) || fetch(request));
}
