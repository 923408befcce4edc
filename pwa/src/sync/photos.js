// Photos wait in IndexedDB (as blobs) until they are uploaded with
// PUT /attachments/<uuid> + X-Content-SHA256. A visit may arrive before its photos.
import { hasProblem } from '../record-state.js';

// A visit the server refused (有误) or holds in conflict is not on the server: its photos
// wait on the phone with their bytes until it is, since the server purges photos no
// visit lists and the phone frees a photo's bytes once it is uploaded.

/** Uploads every waiting photo whose visit is not held back. Stops on a network failure
 *  (retried with the next sync). */
export async function uploadPhotos(db, call) {
  const waiting = await db.photos.where('state').equals('pending').toArray();
  let uploaded = 0;
  for (const photo of waiting) {
    const visit = photo.visit_id ? await db.visits.get(photo.visit_id) : null;
    if (visit && hasProblem(visit)) continue;
    const res = await call('putAttachment', { id: photo.id, blob: photo.blob, type: photo.type, sha256: photo.sha256 });
    if (res.ok) {
      // The bytes are on the server now; free the phone's storage.
      await db.photos.update(photo.id, { state: 'uploaded', blob: null, uploaded_at: new Date().toISOString() });
      uploaded++;
    } else if (res.status === 0 || res.status >= 500 || res.status === 429 || res.status === 401) {
      return { ok: false, status: res.status, error: res.error, needsLogin: res.needsLogin, uploaded };
    } else {
      await db.photos.update(photo.id, { state: 'failed', error: res.error?.detail || `HTTP ${res.status}` });
    }
  }
  return { ok: true, uploaded };
}

export async function sha256Hex(blob) {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Stores a shrunk photo for a visit; returns its id (goes into the visit's photo_ids). */
export async function queuePhoto(db, { id, visitId, blob }) {
  const sha256 = await sha256Hex(blob);
  await db.photos.put({
    id, visit_id: visitId, blob, type: blob.type || 'image/jpeg', size: blob.size, sha256,
    state: 'pending', created_at: new Date().toISOString(),
  });
  return id;
}
