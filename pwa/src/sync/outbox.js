// The outbox: every local change becomes a mutation, written in the same
// transaction as the record it changes, numbered by the per-client counter
// (1, 2, 3 … with no gaps). An entry is never edited once it has been sent,
// except its number after a 409 gap (see renumberFrom) — and unsent entries'
// base_version, which push.js moves forward when an earlier change is applied.
import { APP_VERSION } from '../config.js';
import { META, getMeta, setMeta } from '../db.js';
import { PROBLEM_TABLES, sameValue, tableName, wireFields } from '../entities.js';
import {
  conflictOf, deletedLocally, heldOf, isPending, problemOf, savedLocally, settled, store, unsentValues, whereProblem,
} from '../record-state.js';
import { countyTimestamp } from '../time.js';

export function pendingFor(db, recordId) {
  return db.outbox.where('record_id').equals(recordId).sortBy('id');
}

async function nextMutationId(db) {
  const id = await getMeta(db, META.nextMutationId, 1);
  await setMeta(db, META.nextMutationId, id + 1);
  return id;
}

/**
 * The base_version of a new change: the version of the server's record the phone last saw.
 * Queued changes of one record share it; the server knows a field this phone changed last
 * is its own change, not a clash. Projecting "+1 per queued change" would claim to have
 * seen changes others may have made meanwhile and silently overwrite them.
 */
function baseVersionFor(row, pending) {
  const conflict = conflictOf(row);
  if (conflict) return conflict.version;
  if (pending.length) {
    const last = pending[pending.length - 1];
    // a record this phone created and has not pushed yet starts at version 1
    return last.base_version == null ? 1 : last.base_version;
  }
  return row.version;
}

/**
 * Saves a local change of one record and queues its mutation, atomically.
 *
 * values: the fields the liaison set (wire names). local: fields shown on the
 * phone but set by the server (e.g. a new visit's village_id), stored on the row only.
 * Returns the outbox entry, or null when nothing changed.
 */
export async function recordChange(db, { entity, recordId, values, local = {}, now = new Date(), appVersion = APP_VERSION }) {
  const table = db.table(tableName(entity));
  return db.transaction('rw', table, db.outbox, db.meta, async () => {
    const row = await table.get(recordId);
    const pending = await pendingFor(db, recordId);
    const isCreate = !row || (row.version == null && pending.length === 0);
    let data;
    let baseVersion;
    if (isCreate) {
      data = wireFields(entity, { ...(row || {}), ...heldOf(row), ...values });
      baseVersion = null;
    } else {
      const changed = {};
      for (const [name, value] of Object.entries(values)) {
        if (!sameValue(value, row[name])) changed[name] = value;
      }
      data = { ...unsentValues(row), ...changed };
      baseVersion = baseVersionFor(row, pending);
    }
    if (!isCreate && Object.keys(data).length === 0) return null;

    await table.put(savedLocally(row, { id: recordId, values, local, isCreate, now }));
    const entry = {
      id: await nextMutationId(db), entity, op: 'upsert', record_id: recordId,
      base_version: baseVersion, data, client_time: countyTimestamp(now), app_version: appVersion, state: 'queued',
    };
    await db.outbox.add(entry);
    return entry;
  });
}

/** Queues the deletion of a record; the row stays hidden until the server confirms. */
export async function recordDelete(db, { entity, recordId, now = new Date(), appVersion = APP_VERSION }) {
  const table = db.table(tableName(entity));
  return db.transaction('rw', table, db.outbox, db.meta, async () => {
    const row = await table.get(recordId);
    if (!row) return null;
    const pending = await pendingFor(db, recordId);
    if (row.version == null && pending.length === 0) {
      // never reached the server and nothing queued: forget it here
      await table.delete(recordId);
      return null;
    }
    await table.put(deletedLocally(row));
    const entry = {
      id: await nextMutationId(db), entity, op: 'delete', record_id: recordId,
      base_version: baseVersionFor(row, pending), data: {}, client_time: countyTimestamp(now),
      app_version: appVersion, state: 'queued',
    };
    await db.outbox.add(entry);
    return entry;
  });
}

/** The mutation as it goes on the wire (the format is fixed: older entries push unchanged). */
export function toWire(entry) {
  return {
    id: entry.id, entity: entry.entity, op: entry.op, record_id: entry.record_id,
    base_version: entry.base_version ?? null, data: entry.data ?? {}, client_time: entry.client_time ?? null,
  };
}

/**
 * Drops the entries the server has acknowledged (id ≤ lastMutationId) whose results
 * the phone never saw, and settles their records. Runs inside the caller's transaction.
 */
export async function dropAcknowledged(db, lastMutationId) {
  const acked = await db.outbox.where('id').belowOrEqual(lastMutationId).toArray();
  if (!acked.length) return 0;
  await db.outbox.bulkDelete(acked.map((e) => e.id));
  for (const entry of acked) await settleRecord(db, entry.entity, entry.record_id);
  return acked.length;
}

/** A record with nothing left queued, and no problem to show, is synced. */
export async function settleRecord(db, entity, recordId) {
  const name = tableName(entity);
  if (!name) return;
  const table = db.table(name);
  const row = await table.get(recordId);
  if (!isPending(row)) return;
  const left = await db.outbox.where('record_id').equals(recordId).count();
  await store(table, recordId, settled(row, { left }));
}

/**
 * After a 409 (the server's last_mutation_id is below our first entry - 1) or after
 * an entry was taken out: number the remaining entries again from `firstId`, so the
 * queue stays gapless. Safe because the server has seen none of these ids.
 */
export async function renumberFrom(db, firstId) {
  const entries = await db.outbox.orderBy('id').toArray();
  const moved = entries.map((entry, index) => ({ ...entry, id: firstId + index }));
  if (entries.some((entry, index) => entry.id !== moved[index].id)) {
    await db.outbox.clear();
    await db.outbox.bulkAdd(moved);
  }
  await setMeta(db, META.nextMutationId, firstId + entries.length);
}

export function outboxCount(db) {
  return db.outbox.count();
}

/** Everything unsent, as a file the liaison can keep (before a forced logout). */
export async function exportOutbox(db, { now = new Date() } = {}) {
  const entries = await db.outbox.orderBy('id').toArray();
  const client = await getMeta(db, META.client);
  const session = await getMeta(db, META.session);
  const problems = [];
  for (const name of PROBLEM_TABLES) {
    const rows = await whereProblem(db.table(name)).toArray();
    for (const row of rows) problems.push({ table: name, id: row.id, ...problemOf(row) });
  }
  const photos = (await db.photos.where('state').anyOf('pending', 'failed').toArray())
    .map(async ({ blob, ...rest }) => ({ ...rest, bytes: blob ? await blobToBase64(blob) : null }));
  return {
    format: 'lianxin-outbox', format_version: 1, exported_at: now.toISOString(), app_version: APP_VERSION,
    client_id: client?.client_id ?? null, user: session?.user ? { id: session.user.id, username: session.user.username } : null,
    mutations: entries.map((e) => ({ ...toWire(e), app_version: e.app_version })), unresolved: problems, photos: await Promise.all(photos),
  };
}

async function blobToBase64(blob) {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
