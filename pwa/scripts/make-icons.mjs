// Draws the app icons (a red square with 连心 in white) and writes them as PNGs.
// No image library: strokes are polylines rasterised by distance, 4x supersampled,
// and the PNG is encoded with node's zlib. Run with `npm run icons`; the PNGs are committed.
import { writeFileSync, mkdirSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const RED = [200, 16, 46];
const WHITE = [255, 255, 255];

// Glyphs in a 100 x 100 box, each stroke a polyline.
const LIAN = [
  [[8, 12], [17, 22]],
  [[4, 36], [20, 36], [10, 54], [19, 60], [19, 80]],
  [[19, 80], [30, 90], [97, 92]],
  [[34, 20], [94, 20]],
  [[60, 6], [45, 45], [90, 45]],
  [[34, 66], [96, 66]],
  [[67, 32], [67, 84]],
];
const XIN = [
  [[12, 50], [5, 70]],
  [[28, 30], [28, 78], [36, 88], [80, 88], [88, 72]],
  [[44, 16], [57, 33]],
  [[76, 36], [94, 60]],
];

function segmentDistance(px, py, [ax, ay], [bx, by]) {
  const dx = bx - ax, dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

function inGlyph(glyph, x, y, halfWidth) {
  for (const stroke of glyph) {
    for (let i = 1; i < stroke.length; i++) {
      if (segmentDistance(x, y, stroke[i - 1], stroke[i]) <= halfWidth) return true;
    }
  }
  return false;
}

function draw(size, padding) {
  const pixels = Buffer.alloc(size * size * 3);
  const inner = size * (1 - 2 * padding);
  const glyphSize = inner / 2.1;
  const top = (size - glyphSize) / 2;
  const left = (size - glyphSize * 2.1) / 2;
  const boxes = [[LIAN, left], [XIN, left + glyphSize * 1.1]];
  const samples = 4;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let hits = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const px = x + (sx + 0.5) / samples, py = y + (sy + 0.5) / samples;
          for (const [glyph, gx] of boxes) {
            const u = ((px - gx) / glyphSize) * 100, v = ((py - top) / glyphSize) * 100;
            if (u >= -8 && u <= 108 && v >= -8 && v <= 108 && inGlyph(glyph, u, v, 6)) { hits++; break; }
          }
        }
      }
      const a = hits / (samples * samples);
      for (let c = 0; c < 3; c++) pixels[(y * size + x) * 3 + c] = Math.round(RED[c] * (1 - a) + WHITE[c] * a);
    }
  }
  return pixels;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buffer) {
  let c = 0xffffffff;
  for (const byte of buffer) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const length = Buffer.alloc(4); length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
function encodePng(size, rgb) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0); header.writeUInt32BE(size, 4);
  header[8] = 8; header[9] = 2; // 8-bit RGB
  const raw = Buffer.alloc(size * (size * 3 + 1));
  for (let y = 0; y < size; y++) rgb.copy(raw, y * (size * 3 + 1) + 1, y * size * 3, (y + 1) * size * 3);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0)),
  ]);
}

const out = new URL('../public/icons/', import.meta.url);
mkdirSync(out, { recursive: true });
for (const [name, size, padding] of [
  ['icon-192.png', 192, 0.1], ['icon-512.png', 512, 0.1],
  ['maskable-512.png', 512, 0.2], ['apple-touch-icon.png', 180, 0.1],
]) {
  writeFileSync(new URL(name, out), encodePng(size, draw(size, padding)));
  console.log('wrote', name);
}
