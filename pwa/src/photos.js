// Shrinks a camera photo on the phone before it is queued: long side ≤ 1280 px, JPEG (or WebP), ≤ 2 MB.
import { PHOTO_MAX_BYTES, PHOTO_MAX_SIDE } from './config.js';

async function decode(file) {
  if (typeof createImageBitmap === 'function') {
    try { return await createImageBitmap(file, { imageOrientation: 'from-image' }); } catch { /* fall back */ }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

function toBlob(canvas, type, quality) {
  if (canvas.convertToBlob) return canvas.convertToBlob({ type, quality });
  return new Promise((resolve) => canvas.toBlob(resolve, type, quality));
}

export async function shrinkPhoto(file, { maxSide = PHOTO_MAX_SIDE, maxBytes = PHOTO_MAX_BYTES } = {}) {
  const image = await decode(file);
  const width = image.width, height = image.height;
  const scale = Math.min(1, maxSide / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale)), h = Math.max(1, Math.round(height * scale));
  const canvas = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(w, h) : Object.assign(document.createElement('canvas'), { width: w, height: h });
  canvas.getContext('2d').drawImage(image, 0, 0, w, h);
  image.close?.();
  let blob = null;
  for (const quality of [0.8, 0.65, 0.5, 0.35]) {
    blob = await toBlob(canvas, 'image/jpeg', quality);
    if (blob && blob.type !== 'image/jpeg') blob = await toBlob(canvas, 'image/webp', quality);
    if (blob && blob.size <= maxBytes) break;
  }
  return blob;
}
