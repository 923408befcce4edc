// Prints the gzipped size of the JavaScript a first load fetches (index.html's
// module script and its static imports) and of every other chunk; fails over budget.
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

const BUDGET = 80 * 1024;
const dist = new URL('../dist/', import.meta.url).pathname;
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const entries = [...html.matchAll(/<script[^>]+src="\/?([^"]+\.js)"/g)].map((m) => m[1]);
const preloads = [...html.matchAll(/<link rel="modulepreload"[^>]+href="\/?([^"]+\.js)"/g)].map((m) => m[1]);
const seen = new Set();
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
const gz = (file) => gzipSync(readFileSync(join(dist, file))).length;
let first = 0;
for (const file of seen) first += gz(file);
const all = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.js'));
console.log('\nJavaScript, gzipped:');
for (const file of all) console.log(`  ${seen.has(`assets/${file}`) ? '*' : ' '} assets/${file}  ${(gz(`assets/${file}`) / 1024).toFixed(1)} KB`);
console.log(`  sw.js  ${(gz('sw.js') / 1024).toFixed(1)} KB (service worker)`);
console.log(`First load (*): ${(first / 1024).toFixed(1)} KB of ${BUDGET / 1024} KB budget`);
if (first > BUDGET) {
  console.error('Over the first-load JavaScript budget');
  process.exit(1);
}
