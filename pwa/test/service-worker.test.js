// @vitest-environment jsdom
// (Workbox, which the worker modules import, expects a global `self`.)
import { describe, expect, it } from 'vitest';
import { cacheNames, setCacheNameDetails } from 'workbox-core';
import { CACHE_NAME_DETAILS, SHELL_CACHE, staleCaches } from '../src/sw/caches.js';
import { isAppNavigation } from '../src/sw/strategies.js';
import { PRECACHE_GROUPS, chunkGraph, groupChunks, groupManifest, precacheTransform } from '../src/sw/what-to-cache.js';

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

  it('the build transform keeps every entry as it was, group after group', async () => {
    const entries = found([...allFiles].reverse());
    const logged = [];
    const { manifest } = await precacheTransform(() => chunkGraph(BUNDLE, ROOT), (line) => logged.push(line))(entries);
    expect([...manifest].sort((a, b) => a.url.localeCompare(b.url))).toEqual([...entries].sort((a, b) => a.url.localeCompare(b.url)));
    const order = manifest.map((e) => PRECACHE_GROUPS.findIndex((name) => EXPECTED[name].includes(e.url)));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(manifest[0].url).toBe('index.html');
    expect(logged).toEqual(['shell 7 · liaison 4 · staff 6 · icons 2']);
  });

  it('fails the build for a file in no group, rather than cache it (or leave it out) unnoticed', async () => {
    const transform = precacheTransform(() => chunkGraph(BUNDLE, ROOT));
    await expect(transform(found([...allFiles, 'assets/stray-Q.js', 'robots.txt'])))
      .rejects.toThrow('no precache group for assets/stray-Q.js, robots.txt');
    // without the app's chunk graph (the graph plugin did not run) nothing but the page and icons has a group
    await expect(precacheTransform(() => ({}))(found(allFiles))).rejects.toThrow('assets/index-A.js');
  });
});
