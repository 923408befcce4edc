// What the service worker precaches, in named groups, decided when the app is built.
//
// The build looks in PRECACHE_GLOBS (the page, the hashed assets, the icons); each file
// found there must fall into one of the groups below, or the build fails — nothing is
// cached by accident, and nothing the app needs offline is left out. Which group a
// JavaScript or CSS file falls into comes from the build's chunk graph (which chunk
// imports which), not from file names, which the bundler picks.
//
//   shell    index.html, the entry chunk and everything it imports before the first
//            screen, its CSS, and the service-worker registration main.js loads at boot
//   liaison  the liaison's screens, loaded on demand (visit form, person, sync page …),
//            and the chunks they share
//   staff    what only the staff app loads (src/views/staff.js and its screens,
//            staff.css): NOT cached — staff work online, and a liaison's phone must not
//            spend its link on them; the staff app fetches them when it opens
//   icons    the home-screen icons (public/icons); there are no web fonts, the app
//            uses the phone's own
// When they are downloaded (each entry carries its `group`; src/sw/offline-bundle.js):
//   on install   shell and icons (INSTALL_GROUPS): small, mostly already in the HTTP
//                cache from the page's own load, so the app opens offline early
//   after        liaison (LATER_GROUPS), in parallel once the worker is active, with
//                progress shown to the liaison ("正在准备离线使用…（已下载 5/12）")
// manifest.webmanifest is added after these by vite-plugin-pwa, which writes it (install).
// Nothing is left out unnoticed: these are all the files the build writes besides sw.js.
// This module runs in Node (vite.config.js) and in the tests; the worker never loads it.

export const PRECACHE_GLOBS = ['index.html', 'assets/*.{js,css}', 'icons/*.png'];

export const STAFF_ENTRY = 'src/views/staff.js';
// Loaded by main.js right after the first screen, on every start (report-size.mjs counts it).
const AT_BOOT = /virtual:pwa-register/;

export const PRECACHE_GROUPS = ['shell', 'liaison', 'staff', 'icons'];
/** The groups on the phone (in this order); staff is grouped but never cached. */
export const CACHED_GROUPS = ['shell', 'icons', 'liaison'];

/**
 * The chunk graph of a Rollup/Rolldown bundle (Vite's generateBundle):
 * {file: {src, isEntry, imports, dynamicImports, css}} for every JavaScript chunk;
 * `src` is the module the chunk stands for, relative to `root` (null for a shared chunk).
 */
export function chunkGraph(bundle, root) {
  const graph = {};
  for (const [file, out] of Object.entries(bundle)) {
    if (out.type !== 'chunk') continue;
    const facade = out.facadeModuleId || null;
    graph[file] = {
      src: facade && facade.startsWith(`${root}/`) ? facade.slice(root.length + 1) : facade,
      isEntry: Boolean(out.isEntry),
      imports: [...(out.imports || [])],
      dynamicImports: [...(out.dynamicImports || [])],
      css: [...(out.viteMetadata?.importedCss || [])],
    };
  }
  return graph;
}

function reach(graph, starts, { dynamic, stop = () => false }) {
  const seen = new Set();
  const queue = [...starts];
  while (queue.length) {
    const file = queue.shift();
    if (seen.has(file) || !graph[file] || stop(file)) continue;
    seen.add(file);
    queue.push(...graph[file].imports, ...(dynamic ? graph[file].dynamicImports : []));
  }
  return seen;
}

/** {file: group} for the chunks of `graph` and the CSS they import (the earlier group wins). */
export function groupChunks(graph) {
  const files = Object.keys(graph);
  const entries = files.filter((file) => graph[file].isEntry);
  const boot = files.filter((file) => AT_BOOT.test(graph[file].src || ''));
  const isStaffEntry = (file) => graph[file].src === STAFF_ENTRY;
  // The boot chunks import the entry back; the walk stops there, or every screen would be "boot".
  const atBoot = reach(graph, boot, { dynamic: true, stop: (file) => graph[file].isEntry });
  const shell = new Set([...reach(graph, entries, { dynamic: false }), ...atBoot]);
  const liaison = reach(graph, entries, { dynamic: true, stop: isStaffEntry });
  const staff = reach(graph, files.filter(isStaffEntry), { dynamic: true });
  const group = {};
  for (const [name, chunks] of [['shell', shell], ['liaison', liaison], ['staff', staff]]) {
    for (const file of chunks) {
      group[file] ??= name;
      for (const css of graph[file].css) group[css] ??= name;
    }
  }
  return group;
}

/** The group of one file the build found, or null if it belongs to none. */
export function groupOf(url, chunkGroups) {
  if (url === 'index.html') return 'shell';
  if (/^icons\/[^/]+\.png$/.test(url)) return 'icons';
  return chunkGroups[url] ?? null;
}

/** The manifest entries ([{url, revision, size}]) by group, and those in none. */
export function groupManifest(entries, graph) {
  const chunkGroups = groupChunks(graph);
  const groups = Object.fromEntries(PRECACHE_GROUPS.map((name) => [name, []]));
  const ungrouped = [];
  for (const entry of entries) {
    const name = groupOf(entry.url, chunkGroups);
    if (name) groups[name].push(entry);
    else ungrouped.push(entry.url);
  }
  return { groups, ungrouped };
}

/**
 * A Workbox manifestTransform: the cached entries, group after group (CACHED_GROUPS),
 * each with its `group`; staff is left out. A file in no group fails the build, and so
 * does a liaison file without a hash in its name (the worker caches those by URL).
 * `graph()` gives the chunk graph of the build just made.
 */
export function precacheTransform(graph, log = () => {}) {
  return async (entries) => {
    const { groups, ungrouped } = groupManifest(entries, graph());
    if (ungrouped.length) {
      throw new Error(`src/sw/what-to-cache.js: no precache group for ${ungrouped.join(', ')}`);
    }
    const unhashed = groups.liaison.filter((entry) => entry.revision);
    if (unhashed.length) {
      throw new Error(`src/sw/what-to-cache.js: liaison files must have hashed names: ${unhashed.map((e) => e.url).join(', ')}`);
    }
    log(PRECACHE_GROUPS.map((name) => `${name} ${groups[name].length}${CACHED_GROUPS.includes(name) ? '' : ' (not cached)'}`).join(' · '));
    return {
      manifest: CACHED_GROUPS.flatMap((name) => groups[name].map((entry) => ({ ...entry, group: name }))),
      warnings: [],
    };
  };
}
