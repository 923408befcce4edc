// Conflicts: the server refused a change because a field was changed differently there.
// The liaison sees both values per field and keeps theirs (a new mutation on the
// server's version) or takes the server's (their change is dropped).
import { EDITABLE_ENTITIES, tableName } from '../entities.js';
import { recordChange } from './outbox.js';

/** [{entity, table, row}] of every record in conflict or rejected. */
export async function listProblems(db) {
  const out = [];
  for (const entity of EDITABLE_ENTITIES) {
    const table = tableName(entity);
    const rows = await db.table(table).where('_state').anyOf('conflict', 'rejected').toArray();
    for (const row of rows) out.push({ entity, table, row });
  }
  return out;
}

/** The fields to show side by side: [{field, mine, server}]. */
export function conflictFields(row) {
  const conflict = row._conflict;
  if (!conflict) return [];
  return conflict.fields.map((field) => ({
    field,
    mine: conflict.mine?.[field],
    server: conflict.server?.[field],
  }));
}

/** Keep the phone's values: a new mutation based on the server's current version. */
export async function keepMine(db, entity, recordId) {
  const row = await db.table(tableName(entity)).get(recordId);
  if (!row?._conflict) return null;
  // recordChange folds _conflict.mine into the data and uses _conflict.version as base_version.
  return recordChange(db, { entity, recordId, values: { ...row._conflict.mine } });
}

/** Take the server's values: the phone's conflicting change is dropped. */
export async function takeServer(db, entity, recordId) {
  const table = db.table(tableName(entity));
  return db.transaction('rw', table, db.outbox, async () => {
    const row = await table.get(recordId);
    if (!row?._conflict) return;
    const server = { ...row._conflict.server, id: recordId, version: row._conflict.version };
    const pending = await db.outbox.where('record_id').equals(recordId).sortBy('id');
    if (!pending.length) {
      await table.put({ ...server, _state: 'synced' });
      return;
    }
    const next = { ...server, _server: server, _state: 'queued' };
    for (const entry of pending) Object.assign(next, entry.data);
    await table.put(next);
  });
}

/**
 * Give up a rejected change: back to the server's copy (or, for a record the server
 * never accepted, remove it from the phone). Later queued changes stay queued.
 */
export async function discardRejected(db, entity, recordId) {
  const table = db.table(tableName(entity));
  return db.transaction('rw', table, db.outbox, async () => {
    const row = await table.get(recordId);
    if (!row || row._state !== 'rejected') return;
    const pending = await db.outbox.where('record_id').equals(recordId).sortBy('id');
    if (!row._server && row.version == null) {
      if (!pending.length) await table.delete(recordId);
      return;
    }
    const server = row._server ? { ...row._server } : { ...row, _held: undefined, _errors: undefined };
    const next = { ...server, id: recordId, version: server.version ?? row.version, _state: pending.length ? 'queued' : 'synced' };
    if (pending.length) {
      next._server = server;
      for (const entry of pending) Object.assign(next, entry.data);
    }
    for (const key of Object.keys(next)) if (key.startsWith('_') && next[key] === undefined) delete next[key];
    await table.put(next);
  });
}

/** Dismiss an entry about a record that is no longer on this phone. */
export function dismissProblem(db, id) {
  return db.problems.delete(id);
}

