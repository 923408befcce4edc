// Prints what a first load fetches (index.html's module script, its static imports,
// its CSS and the service-worker registration main.js loads at boot), as the server
// sends it: the .br and .gz copies `make pwa` writes with WhiteNoise's compressor
// (python -m whitenoise.compress) and server/web.py serves. Fails over budget, or when
// the copies are missing (they are what the budget counts). bench/pwa_bench.py
// measures the same on the wire, from the running server.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const BUDGET = 80 * 1024;
const dist = new URL('../dist/', import.meta.url).pathname;
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const entries = [...html.matchAll(/<script[^>]+src="\/?([^"]+\.js)"/g)].map((m) => m[1]);
const preloads = [...html.matchAll(/<link rel="modulepreload"[^>]+href="\/?([^"]+\.js)"/g)].map((m) => m[1]);
const styles = [...html.matchAll(/<link rel="stylesheet"[^>]+href="\/?([^"]+\.css)"/g)].map((m) => m[1]);
const seen = new Set(styles);
// main.js imports the service-worker registration right after boot: count it too.
const atBoot = readdirSync(join(dist, 'assets')).filter((f) => /^(virtual_pwa-register|workbox-window)/.test(f)).map((f) => `assets/${f}`);
const queue = [...entries, ...preloads, ...atBoot];
while (queue.length) {
  const file = queue.shift();
  if (seen.has(file)) continue;
  seen.add(file);
  const code = readFileSync(join(dist, file), 'utf8');
  // static imports only: import{…}from"./x.js" / import "./x.js"
  for (const m of code.matchAll(/(?:^|[;}\s])import\s*(?:[\w${},*\s]+from\s*)?["'](\.{1,2}\/[^"']+\.js)["']/g)) {
    queue.push(join(file, '..', m[1]).replace(/^\/+/, ''));
  }
}
// WhiteNoise keeps a compressed copy only when it saves enough; else it sends the file.
const sent = (file, ext) => (existsSync(join(dist, file + ext)) ? join(dist, file + ext) : join(dist, file));
const size = (file, ext) => statSync(sent(file, ext)).size;
if (![...seen].some((file) => existsSync(join(dist, `${file}.br`)))) {
  console.error('pwa/dist has no .br/.gz copies: run `make pwa` (python -m whitenoise.compress pwa/dist)');
  process.exit(1);
}
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const total = { br: 0, gz: 0 };
console.log('\nJavaScript and CSS as the server sends them (brotli / gzip); * = first load:');
for (const file of readdirSync(join(dist, 'assets')).filter((f) => /\.(js|css)$/.test(f)).map((f) => `assets/${f}`)) {
  const first = seen.has(file);
  if (first) { total.br += size(file, '.br'); total.gz += size(file, '.gz'); }
  console.log(`  ${first ? '*' : ' '} ${file}  ${kb(size(file, '.br'))} / ${kb(size(file, '.gz'))}`);
}
console.log(`First load (*): ${kb(total.br)} brotli, ${kb(total.gz)} gzip of ${BUDGET / 1024} KB budget`);
if (Math.max(total.br, total.gz) > BUDGET) {
  console.error('Over the first-load JavaScript + CSS budget');
  process.exit(1);
}
