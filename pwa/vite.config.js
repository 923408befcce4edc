import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { PRECACHE_GLOBS, chunkGraph, precacheTransform } from './src/sw/what-to-cache.js';

const root = fileURLToPath(new URL('.', import.meta.url)).replace(/\/$/, '');
const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
// The Flask dev server the `npm run dev` proxy talks to.
const apiTarget = process.env.LIANXIN_API || 'http://127.0.0.1:5055';

// The chunk graph of the app's build, kept for the service worker's precache list
// (vite-plugin-pwa builds the worker after the app, from the files the app build wrote).
let appGraph = {};
const keepChunkGraph = {
  name: 'lianxin:chunk-graph',
  apply: 'build',
  generateBundle(_, bundle) { appGraph = chunkGraph(bundle, root); },
};

export default defineConfig({
  base: '/',
  define: { __APP_VERSION__: JSON.stringify(version) },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
    assetsInlineLimit: 0,
  },
  server: {
    port: 5173,
    proxy: { '/api': { target: apiTarget, changeOrigin: false }, '/f': { target: apiTarget } },
  },
  plugins: [
    keepChunkGraph,
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.js',
      registerType: 'prompt',
      injectRegister: false,
      manifestFilename: 'manifest.webmanifest',
      // The icons are precached by src/sw/what-to-cache.js (PRECACHE_GLOBS), not by the plugin.
      includeAssets: [],
      includeManifestIcons: false,
      injectManifest: {
        globPatterns: PRECACHE_GLOBS,
        // Hashed names need no revision: the worker then takes them from the HTTP cache
        // (immutable, server/web.py) when the page has just loaded them.
        dontCacheBustURLsMatching: /^assets\//,
        manifestTransforms: [precacheTransform(() => appGraph, (groups) => console.log(`precache groups: ${groups}`))],
        maximumFileSizeToCacheInBytes: 1024 * 1024,
      },
      manifest: {
        id: '/',
        name: '连心 · 优抚走访',
        short_name: '连心',
        description: '民政信息联络员走访记录（可离线使用）',
        lang: 'zh-CN',
        dir: 'ltr',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        orientation: 'portrait',
        background_color: '#ffffff',
        theme_color: '#c8102e',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      devOptions: { enabled: false },
    }),
  ],
  test: {
    environment: 'node',
    include: ['test/**/*.test.js', 'src/**/*.test.js'],
    setupFiles: ['test/setup.js'],
  },
});
