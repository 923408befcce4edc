// Signing in and out. A client_id (UUID) is made on the first login of a user on this
// install and kept until logout; the outbox belongs to it and survives token expiry.
import { META, deleteDb, getMeta, setMeta } from './db.js';
import { PROBLEM_TABLES } from './entities.js';
import { whereProblem } from './record-state.js';

export function uuid() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** How many things on the phone have not reached the server (outbox, photos, unresolved records). */
export async function unsentCount(db) {
  let count = await db.outbox.count();
  count += await db.photos.where('state').anyOf('pending', 'failed').count();
  for (const name of PROBLEM_TABLES) {
    count += await whereProblem(db.table(name)).count();
  }
  return count;
}

/**
 * Logs in. The same user again (e.g. after the refresh token expired) keeps the
 * client_id and the outbox. Another user is refused while this phone still holds
 * unsent records of the first one.
 */
export async function signIn(db, api, session, { username, password }) {
  const res = await api.login(username, password);
  if (!res.ok) return res;
  return startUsing(db, api, session, res.data, uuid());
}

/**
 * Signs in with the one-time code of a printed enrollment slip (its QR code opens
 * #/enroll/<code>). The server binds the slip to the first phone that uses it, by the
 * client_id sent: the phone's own, or a new one kept until the answer comes (a lost
 * answer is retried with the same id, which the server accepts again). Then exactly
 * as a password login.
 */
export async function enrollIn(db, api, session, code) {
  const client = await getMeta(db, META.client);
  const pending = await getMeta(db, META.enrollClient);
  const clientId = client?.client_id || pending?.client_id || uuid();
  if (!client && !pending) await setMeta(db, META.enrollClient, { client_id: clientId });
  const res = await api.enroll(code, clientId);
  if (!res.ok) return res;
  // A phone of another user's (its client belongs to them) starts a client of its own.
  const result = await startUsing(db, api, session, res.data, client ? uuid() : clientId);
  if (result.ok) await setMeta(db, META.enrollClient, null);
  return result;
}

/** After a login answer: the phone's client (new for a new user) and the session. */
async function startUsing(db, api, session, data, newClientId) {
  const { access_token: accessToken, refresh_token: refreshToken, user } = data;
  const previous = await getMeta(db, META.session);
  if (previous?.user && previous.user.id !== user.id) {
    if (await unsentCount(db)) {
      await api.logout(accessToken);
      return { ok: false, status: 409, error: { code: 'other_user', username: previous.user.username } };
    }
    await db.transaction('rw', db.tables, async () => { for (const table of db.tables) await table.clear(); });
  }
  const client = await getMeta(db, META.client);
  if (!client || client.user_id !== user.id) {
    await setMeta(db, META.client, { client_id: newClientId, user_id: user.id, created_at: new Date().toISOString() });
    await setMeta(db, META.nextMutationId, 1);
    await setMeta(db, META.cursor, null);
  }
  await session.save({ access_token: accessToken, refresh_token: refreshToken, user, needs_login: false });
  return { ok: true, user };
}

/** True when the latest outbox entry has been exported to a file. */
export async function exportCovers(db) {
  const last = await db.outbox.orderBy('id').last();
  const exported = await getMeta(db, META.exported, null);
  if (!last) return (await unsentCount(db)) === 0 || Boolean(exported);
  return Boolean(exported && exported.through >= last.id);
}

export async function markExported(db) {
  const last = await db.outbox.orderBy('id').last();
  await setMeta(db, META.exported, { through: last?.id ?? 0, at: new Date().toISOString() });
}

/**
 * Logs out: refused while unsent records exist and have not been exported.
 * Otherwise ends the server session (best effort) and deletes the database.
 */
export async function signOut(db, api, session) {
  const unsent = await unsentCount(db);
  if (unsent && !(await exportCovers(db))) return { ok: false, needsExport: true, count: unsent };
  // Ends the server session too (refreshing an expired access token first); offline, the
  // tokens simply go with the database.
  const current = await session.load();
  if (current?.access_token) await session.call('logout');
  await session.clear();
  await deleteDb(db);
  return { ok: true };
}
