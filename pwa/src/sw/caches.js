// The service worker's caches: versioned names, and which caches a new worker removes.
// Only the app's own files are cached; the API's answers never are (they live in IndexedDB).

export const CACHE_PREFIX = 'lianxin';
// Bump to drop every cache an older worker left (the precache then fills again on install).
export const CACHE_VERSION = 'v1';

/** For workbox-core's setCacheNameDetails: the precache is `lianxin-shell-v1`. */
export const CACHE_NAME_DETAILS = { prefix: CACHE_PREFIX, suffix: CACHE_VERSION, precache: 'shell', runtime: 'runtime' };
export const SHELL_CACHE = `${CACHE_PREFIX}-shell-${CACHE_VERSION}`;

/**
 * The caches an activating worker deletes: every cache of this app but the current
 * ones (`current`: a name or a list — the precache and the liaison's screens of
 * sw/offline-bundle.js; not an older version, nor the unused runtime cache), and a
 * precache a Workbox worker with default names left on this scope
 * (`workbox-precache-v2-<scope>`). Other origins' or other apps' caches are not ours to touch.
 */
export function staleCaches(keys, { current = SHELL_CACHE, scope = '' } = {}) {
  const kept = new Set([current].flat());
  return keys.filter((key) => !kept.has(key)
    && (key.startsWith(`${CACHE_PREFIX}-`) || (scope !== '' && key.includes('-precache-') && key.includes(scope))));
}
