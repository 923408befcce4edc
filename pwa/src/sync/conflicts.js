// Conflicts: the server refused a change because a field was changed differently there.
// The liaison sees both values per field and keeps theirs (a new mutation on the
// server's version) or takes the server's (their change is dropped).
import { EDITABLE_ENTITIES, tableName } from '../entities.js';
import { conflictOf, rejectionDiscarded, serverTaken, store, whereProblem } from '../record-state.js';
import { recordChange } from './outbox.js';

/** [{entity, table, row}] of every record in conflict or rejected. */
export async function listProblems(db) {
  const out = [];
  for (const entity of EDITABLE_ENTITIES) {
    const table = tableName(entity);
    const rows = await whereProblem(db.table(table)).toArray();
    for (const row of rows) out.push({ entity, table, row });
  }
  return out;
}

/** The fields to show side by side: [{field, mine, server}]. */
export function conflictFields(row) {
  const conflict = conflictOf(row);
  if (!conflict) return [];
  return conflict.fields.map((field) => ({
    field,
    mine: conflict.mine?.[field],
    server: conflict.server?.[field],
  }));
}

/** Keep the phone's values: a new mutation based on the server's current version. */
export async function keepMine(db, entity, recordId) {
  const conflict = conflictOf(await db.table(tableName(entity)).get(recordId));
  if (!conflict) return null;
  // recordChange folds the conflict's side into the data and uses its version as base_version.
  return recordChange(db, { entity, recordId, values: { ...conflict.mine } });
}

/** Take the server's values: the phone's conflicting change is dropped. */
export async function takeServer(db, entity, recordId) {
  const table = db.table(tableName(entity));
  return db.transaction('rw', table, db.outbox, async () => {
    const row = await table.get(recordId);
    const pending = await db.outbox.where('record_id').equals(recordId).sortBy('id');
    await store(table, recordId, serverTaken(row, pending));
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
    const pending = await db.outbox.where('record_id').equals(recordId).sortBy('id');
    await store(table, recordId, rejectionDiscarded(row, pending));
  });
}

/** Dismiss an entry about a record that is no longer on this phone. */
export function dismissProblem(db, id) {
  return db.problems.delete(id);
}

