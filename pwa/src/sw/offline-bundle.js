// What the service worker downloads after it is active: the liaison's screens (the
// `liaison` group of sw/what-to-cache.js), so that every screen opens offline. The
// shell (page, entry chunk, CSS, icons) is precached on install by Workbox and opens
// offline first; these follow in parallel — a sequential download pays a round trip
// per file, 12 s on a 3G link — and each finished file is reported to the page
// ("正在准备离线使用…（已下载 5/12）", src/offline.js).
// Their names carry a hash (the build checks it), so they are cached by URL and kept
// until a newer worker's list no longer names them.
import { CACHE_PREFIX, CACHE_VERSION } from './caches.js';

export const CODE_CACHE = `${CACHE_PREFIX}-code-${CACHE_VERSION}`;
export const LATER_GROUPS = ['liaison'];
export const MESSAGE = { prepare: 'PREPARE_OFFLINE', progress: 'OFFLINE_PROGRESS' };
const PARALLEL = 6; // a browser's connections per server

/** The build's manifest split into what Workbox precaches on install and what follows. */
export function splitManifest(manifest) {
  const later = (entry) => LATER_GROUPS.includes(entry.group);
  return { install: manifest.filter((entry) => !later(entry)), later: manifest.filter(later) };
}

/**
 * Puts every URL of `urls` (absolute) into `cache`, `PARALLEL` at a time, and removes
 * what the list no longer names. `report({done, total, failed})` after each file;
 * returns the last report. A file that fails (offline) is counted in `failed`; the
 * next call tries it again.
 */
export async function fillCache(cache, urls, { fetchFile = (url) => fetch(url), report = () => {} } = {}) {
  const wanted = new Set(urls);
  const have = new Set();
  for (const request of await cache.keys()) {
    if (wanted.has(request.url)) have.add(request.url);
    else await cache.delete(request);
  }
  const missing = urls.filter((url) => !have.has(url));
  const state = { done: urls.length - missing.length, total: urls.length, failed: 0 };
  report({ ...state });
  async function worker() {
    while (missing.length) {
      const url = missing.shift();
      try {
        const response = await fetchFile(url);
        if (!response.ok) throw new Error(`${response.status} ${url}`);
        await cache.put(url, response);
        state.done += 1;
      } catch {
        state.failed += 1;
      }
      report({ ...state });
    }
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL, missing.length) }, worker));
  return { ...state };
}
