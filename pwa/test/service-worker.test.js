// @vitest-environment jsdom
// (Workbox, which the worker modules import, expects a global `self`.)
import { describe, expect, it } from 'vitest';
import { cacheNames, setCacheNameDetails } from 'workbox-core';
import { CACHE_NAME_DETAILS, SHELL_CACHE, staleCaches } from '../src/sw/caches.js';
import { isAppNavigation } from '../src/sw/strategies.js';
import { CODE_CACHE, fillCache, splitManifest } from '../src/sw/offline-bundle.js';
import { CACHED_GROUPS, PRECACHE_GROUPS, chunkGraph, groupChunks, groupManifest, precacheTransform } from '../src/sw/what-to-cache.js';

const SCOPE = 'https://lianxin.example/';

describe('service worker: caches', () => {
  it('names the precache lianxin-shell-v1, as Workbox builds the name (main.js clears lianxin-shell* offline)', () => {
    setCacheNameDetails(CACHE_NAME_DETAILS);
    expect(cacheNames.precache).toBe(SHELL_CACHE);
    expect(SHELL_CACHE).toBe('lianxin-shell-v1');
  });

  it('an activating worker removes the app’s other caches and a default-named Workbox precache of its scope', () => {
    const keys = ['lianxin-shell-v1', 'lianxin-shell-v0', 'lianxin-runtime-v1', `workbox-precache-v2-${SCOPE}`,
      'workbox-precache-v2-https://other.example/', 'another-app-cache', 'lianxinish'];
    expect(staleCaches(keys, { current: 'lianxin-shell-v1', scope: SCOPE }))
      .toEqual(['lianxin-shell-v0', 'lianxin-runtime-v1', `workbox-precache-v2-${SCOPE}`]);
  });

  it('keeps the liaison screens’ cache of this version beside the precache', () => {
    expect(CODE_CACHE).toBe('lianxin-code-v1');
    expect(staleCaches([SHELL_CACHE, CODE_CACHE, 'lianxin-code-v0'], { current: [SHELL_CACHE, CODE_CACHE] })).toEqual(['lianxin-code-v0']);
  });

  it('never removes the current precache, nor another scope’s caches when it does not know its own', () => {
    expect(staleCaches([SHELL_CACHE])).toEqual([]);
    expect(staleCaches([SHELL_CACHE, 'workbox-precache-v2-https://x/', 'lianxin-shell-v0'])).toEqual(['lianxin-shell-v0']);
  });
});

describe('service worker: strategies', () => {
  it('answers navigations with the shell, except the API, the feedback form and the admin', () => {
    for (const path of ['/', '/index.html', '/b/123', '/favicon', '/feedback', '/administrator']) expect(isAppNavigation(path), path).toBe(true);
    for (const path of ['/api/v1/sync/pull', '/f', '/f/', '/f/abc', '/admin', '/admin/users']) expect(isAppNavigation(path), path).toBe(false);
  });
});

// The shape of the real build (vite build, Rolldown): an entry, chunks it imports,
// lazy liaison screens, the staff app, a chunk both share, the boot-time SW registration.
const ROOT = '/app/pwa';
const chunk = (facade, { isEntry = false, imports = [], dynamicImports = [], css = [] } = {}) => ({
  type: 'chunk', facadeModuleId: facade && (facade.startsWith('/') ? facade : `${ROOT}/${facade}`), isEntry,
  imports, dynamicImports, viteMetadata: { importedCss: new Set(css) },
});
const BUNDLE = {
  'assets/index-A.js': chunk('index.html', {
    isEntry: true, imports: ['assets/dom-B.js', 'assets/db-C.js'], css: ['assets/index-D.css'],
    dynamicImports: ['assets/visit-form-E.js', 'assets/conflict-F.js', 'assets/password-form-G.js', 'assets/staff-H.js',
      'assets/virtual_pwa-register-I.js', 'assets/index-A.js'],
  }),
  'assets/dom-B.js': chunk(null),
  'assets/db-C.js': chunk(null, { imports: ['assets/dom-B.js'] }),
  'assets/visit-form-E.js': chunk('src/views/visit-form.js', { imports: ['assets/index-A.js', 'assets/record-form-J.js'] }),
  'assets/record-form-J.js': chunk(null, { imports: ['assets/index-A.js'] }),
  'assets/conflict-F.js': chunk('src/views/conflict.js', { imports: ['assets/index-A.js'] }),
  'assets/password-form-G.js': chunk('src/views/password-form.js', { imports: ['assets/dom-B.js'] }),
  'assets/staff-H.js': chunk('src/views/staff.js', {
    imports: ['assets/index-A.js'], css: ['assets/staff-K.css'],
    dynamicImports: ['assets/staff-sync-L.js', 'assets/password-form-G.js', 'assets/staff-dashboard-M.js'],
  }),
  'assets/staff-sync-L.js': chunk('src/views/staff-sync.js', { imports: ['assets/conflict-F.js', 'assets/staff-common-N.js'] }),
  'assets/staff-dashboard-M.js': chunk('src/views/staff-dashboard.js', { imports: ['assets/staff-common-N.js'], dynamicImports: ['assets/staff-chart-O.js'] }),
  'assets/staff-common-N.js': chunk(null),
  'assets/staff-chart-O.js': chunk('src/views/staff-chart.js'),
  'assets/virtual_pwa-register-I.js': chunk('/@vite-plugin-pwa/virtual:pwa-register', {
    imports: ['assets/index-A.js'], dynamicImports: ['assets/workbox-window-P.js'],
  }),
  'assets/workbox-window-P.js': chunk(`${ROOT}/node_modules/workbox-window/build/workbox-window.prod.es5.mjs`),
  'assets/index-D.css': { type: 'asset' },
  'assets/staff-K.css': { type: 'asset' },
};
const EXPECTED = {
  shell: ['index.html', 'assets/index-A.js', 'assets/dom-B.js', 'assets/db-C.js', 'assets/index-D.css',
    'assets/virtual_pwa-register-I.js', 'assets/workbox-window-P.js'],
  liaison: ['assets/visit-form-E.js', 'assets/record-form-J.js', 'assets/conflict-F.js', 'assets/password-form-G.js'],
  staff: ['assets/staff-H.js', 'assets/staff-K.css', 'assets/staff-sync-L.js', 'assets/staff-dashboard-M.js',
    'assets/staff-common-N.js', 'assets/staff-chart-O.js'],
  icons: ['icons/icon-192.png', 'icons/maskable-512.png'],
};
const found = (urls) => urls.map((url) => ({ url, revision: url.endsWith('.html') || url.endsWith('.png') ? 'r1' : null, size: 10 }));
const allFiles = Object.values(EXPECTED).flat().sort();

describe('service worker: what to cache', () => {
  it('reads the chunk graph of a build: what each chunk stands for, what it imports, its CSS', () => {
    const graph = chunkGraph(BUNDLE, ROOT);
    expect(Object.keys(graph)).toHaveLength(14); // CSS assets are reached through the chunks
    expect(graph['assets/staff-H.js']).toEqual({
      src: 'src/views/staff.js', isEntry: false, imports: ['assets/index-A.js'], css: ['assets/staff-K.css'],
      dynamicImports: ['assets/staff-sync-L.js', 'assets/password-form-G.js', 'assets/staff-dashboard-M.js'],
    });
    expect(graph['assets/dom-B.js'].src).toBeNull();
    expect(graph['assets/virtual_pwa-register-I.js'].src).toBe('/@vite-plugin-pwa/virtual:pwa-register');
  });

  it('groups by the graph: the shell is what the first screen needs, staff what only the staff app loads', () => {
    const groups = groupChunks(chunkGraph(BUNDLE, ROOT));
    const by = (name) => Object.keys(groups).filter((file) => groups[file] === name).sort();
    expect(by('shell')).toEqual(EXPECTED.shell.filter((f) => f !== 'index.html').sort());
    expect(by('liaison')).toEqual([...EXPECTED.liaison].sort()); // a screen staff also open stays the liaison's
    expect(by('staff')).toEqual([...EXPECTED.staff].sort());
  });

  it('puts every file the build found in one group, in the order shell, liaison, staff, icons', () => {
    const { groups, ungrouped } = groupManifest(found([...allFiles].reverse()), chunkGraph(BUNDLE, ROOT));
    expect(ungrouped).toEqual([]);
    expect(Object.keys(groups)).toEqual(PRECACHE_GROUPS);
    for (const name of PRECACHE_GROUPS) expect(groups[name].map((e) => e.url).sort(), name).toEqual([...EXPECTED[name]].sort());
  });

  it('the build transform keeps every entry but the staff app’s, group after group, each marked with its group', async () => {
    const entries = found([...allFiles].reverse());
    const logged = [];
    const { manifest } = await precacheTransform(() => chunkGraph(BUNDLE, ROOT), (line) => logged.push(line))(entries);
    const byUrl = (a, b) => a.url.localeCompare(b.url);
    const cached = entries.filter((e) => !EXPECTED.staff.includes(e.url));
    expect(manifest.map(({ group, ...entry }) => entry).sort(byUrl)).toEqual(cached.sort(byUrl));
    for (const entry of manifest) expect(EXPECTED[entry.group], entry.url).toContain(entry.url);
    expect(manifest.some((e) => e.url.includes('staff'))).toBe(false); // a liaison's phone never downloads them
    const order = manifest.map((e) => CACHED_GROUPS.indexOf(e.group));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(manifest[0].url).toBe('index.html');
    expect(logged).toEqual(['shell 7 · liaison 4 · staff 6 (not cached) · icons 2']);
  });

  it('the worker precaches the shell and icons on install, the liaison screens after', async () => {
    const { manifest } = await precacheTransform(() => chunkGraph(BUNDLE, ROOT))(found(allFiles));
    const { install, later } = splitManifest([...manifest, { url: 'manifest.webmanifest', revision: 'r2' }]);
    expect(install.map((e) => e.url).sort()).toEqual([...EXPECTED.shell, ...EXPECTED.icons, 'manifest.webmanifest'].sort());
    expect(later.map((e) => e.url).sort()).toEqual([...EXPECTED.liaison].sort());
  });

  it('fails the build for a liaison file without a hash (the worker caches those by URL)', async () => {
    const entries = found(allFiles).map((e) => (e.url === 'assets/conflict-F.js' ? { ...e, revision: 'r9' } : e));
    await expect(precacheTransform(() => chunkGraph(BUNDLE, ROOT))(entries)).rejects.toThrow('hashed names: assets/conflict-F.js');
  });

  it('fails the build for a file in no group, rather than cache it (or leave it out) unnoticed', async () => {
    const transform = precacheTransform(() => chunkGraph(BUNDLE, ROOT));
    await expect(transform(found([...allFiles, 'assets/stray-Q.js', 'robots.txt'])))
      .rejects.toThrow('no precache group for assets/stray-Q.js, robots.txt');
    // without the app's chunk graph (the graph plugin did not run) nothing but the page and icons has a group
    await expect(precacheTransform(() => ({}))(found(allFiles))).rejects.toThrow('assets/index-A.js');
  });
});

// A Cache API cache in memory (the real one exists only in a browser).
function memoryCache(urls = []) {
  const store = new Map(urls.map((url) => [url, 'old']));
  return {
    store,
    async keys() { return [...store.keys()].map((url) => ({ url })); },
    async delete(request) { return store.delete(request.url); },
    async put(url, response) { store.set(url, response); },
  };
}

describe('service worker: the liaison screens after install', () => {
  const urls = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((name) => `${SCOPE}assets/${name}.js`);

  it('downloads the missing files several at a time, reports each, and drops what the list no longer names', async () => {
    const cache = memoryCache([urls[0], `${SCOPE}assets/old.js`]);
    const reports = [];
    let running = 0;
    let most = 0;
    const fetchFile = async (url) => {
      running += 1; most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
      return { ok: true, url };
    };
    const last = await fillCache(cache, urls, { fetchFile, report: (state) => reports.push(state) });
    expect(last).toEqual({ done: 8, total: 8, failed: 0 });
    expect([...cache.store.keys()].sort()).toEqual([...urls].sort());
    expect(cache.store.get(urls[0])).toBe('old'); // already there: not downloaded again
    expect(reports[0]).toEqual({ done: 1, total: 8, failed: 0 });
    expect(reports.map((r) => r.done)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(6);
  });

  it('counts what failed (offline, a server error) and gets it on the next call', async () => {
    const cache = memoryCache();
    const down = async (url) => { if (url.endsWith('c.js')) throw new TypeError('Failed to fetch'); return url.endsWith('d.js') ? { ok: false, status: 503 } : { ok: true }; };
    expect(await fillCache(cache, urls, { fetchFile: down })).toEqual({ done: 6, total: 8, failed: 2 });
    expect(await fillCache(cache, urls, { fetchFile: async () => ({ ok: true }) })).toEqual({ done: 8, total: 8, failed: 0 });
  });
});
