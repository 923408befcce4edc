// Persistent storage (so the browser does not evict the outbox) and low-space warnings.
import { LOW_STORAGE_BYTES } from './config.js';

export async function requestPersist() {
  try {
    if (!navigator.storage?.persist) return null;
    if (await navigator.storage.persisted?.()) return true;
    return await navigator.storage.persist();
  } catch {
    return null;
  }
}

export async function storageStatus() {
  const out = { usage: null, quota: null, free: null, low: false, persisted: null };
  try {
    if (typeof navigator === 'undefined' || !navigator.storage) return out;
    if (navigator.storage.estimate) {
      const { usage = 0, quota = 0 } = await navigator.storage.estimate();
      out.usage = usage;
      out.quota = quota;
      out.free = Math.max(0, quota - usage);
      out.low = quota > 0 && (out.free < LOW_STORAGE_BYTES || usage / quota > 0.9);
    }
    if (navigator.storage.persisted) out.persisted = await navigator.storage.persisted();
  } catch { /* not available: nothing to warn about */ }
  return out;
}
