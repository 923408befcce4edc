// Pull: fetch the changes of the liaison's scope page by page; apply each page in one transaction.
import { PULL_LIMIT } from '../config.js';
import { META, getMeta, setMeta } from '../db.js';
import { RECORD_TABLES, tableName } from '../entities.js';
import { isSynced, serverUpdate } from '../record-state.js';
import { dropAcknowledged } from './outbox.js';

async function applyUpsert(db, table, change) {
  const incoming = { ...change.data, id: change.record_id, version: change.version };
  const row = await table.get(change.record_id);
  const pending = await db.outbox.where('record_id').equals(change.record_id).sortBy('id');
  await table.put(serverUpdate(row, incoming, pending));
}

/** Replace synced data on a reset: keep every record that still has unsent or unresolved changes. */
async function clearSynced(db) {
  const pendingIds = new Set(await db.outbox.orderBy('record_id').uniqueKeys());
  for (const name of RECORD_TABLES) {
    const table = db.table(name);
    const drop = await table
      .filter((row) => isSynced(row) && !pendingIds.has(row.id))
      .primaryKeys();
    await table.bulkDelete(drop);
  }
}

/** Applies one pull page; the cursor is saved in the same transaction, so a crash resumes cleanly. */
export async function applyPullPage(db, page) {
  const tables = [...RECORD_TABLES.map((name) => db.table(name)), db.outbox, db.meta];
  const counts = { upserts: 0, deletes: 0, acknowledged: 0, skipped: 0 };
  await db.transaction('rw', tables, async () => {
    if (typeof page.last_mutation_id === 'number') {
      counts.acknowledged = await dropAcknowledged(db, page.last_mutation_id);
      const next = await getMeta(db, META.nextMutationId, 1);
      if (page.last_mutation_id >= next) await setMeta(db, META.nextMutationId, page.last_mutation_id + 1);
    }
    if (page.reset) await clearSynced(db);
    for (const change of page.changes || []) {
      const name = tableName(change.entity);
      if (!name) { counts.skipped++; continue; }
      const table = db.table(name);
      if (change.op === 'delete') {
        // Deleted, or left the liaison's scope: drop the record; its outbox entries stay
        // (the server will answer them with "rejected").
        await table.delete(change.record_id);
        counts.deletes++;
      } else {
        await applyUpsert(db, table, change);
        counts.upserts++;
      }
    }
    await setMeta(db, META.cursor, page.cursor ?? null);
  });
  return counts;
}

/** Pulls until has_more is false. `call(name, ...args)` is the signed-in API caller. */
export async function pull(db, call, { clientId, limit = PULL_LIMIT, maxPages = 1000 } = {}) {
  const totals = { pages: 0, upserts: 0, deletes: 0, acknowledged: 0, reset: false };
  for (let i = 0; i < maxPages; i++) {
    const cursor = await getMeta(db, META.cursor, null);
    const res = await call('pull', { cursor, limit, clientId });
    if (!res.ok) return { ok: false, status: res.status, error: res.error, needsLogin: res.needsLogin, totals };
    const page = res.data || {};
    const counts = await applyPullPage(db, page);
    totals.pages++;
    totals.upserts += counts.upserts;
    totals.deletes += counts.deletes;
    totals.acknowledged += counts.acknowledged;
    totals.reset ||= Boolean(page.reset);
    if (!page.has_more) return { ok: true, totals };
  }
  return { ok: true, totals };
}
