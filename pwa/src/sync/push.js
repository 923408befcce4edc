// Push: send the outbox in order, in batches, and settle each record by its result.
import { APP_VERSION, PUSH_BATCH, PUSH_MAX_BYTES, SCHEMA_VERSION } from '../config.js';
import { META, getMeta, setMeta } from '../db.js';
import { RECORD_TABLES, tableName, wireFields } from '../entities.js';
import { t } from '../i18n.js';
import { conflicted, pushed, rejected, store } from '../record-state.js';
import { dropAcknowledged, renumberFrom, toWire } from './outbox.js';

/**
 * The next batch: consecutive entries from the head, at most `maxCount` and about
 * `maxBytes`, stopping before a second change of the same record — that one waits
 * for the first one's result, so its base_version can move to the new version.
 */
export function buildBatch(entries, { maxCount = PUSH_BATCH, maxBytes = PUSH_MAX_BYTES } = {}) {
  const batch = [];
  const records = new Set();
  let bytes = 0;
  for (const entry of entries) {
    if (batch.length >= maxCount || records.has(entry.record_id)) break;
    const size = JSON.stringify(toWire(entry)).length;
    if (batch.length && bytes + size > maxBytes) break;
    batch.push(entry);
    records.add(entry.record_id);
    bytes += size;
  }
  return batch;
}

function tablesOf(db) {
  return [...RECORD_TABLES.map((name) => db.table(name)), db.outbox, db.meta, db.problems];
}

/** Applies a push answer: each result settles its entry and record, in one transaction. */
export async function applyPushResults(db, batch, body) {
  const byId = new Map(batch.map((entry) => [entry.id, entry]));
  const summary = { applied: 0, merged: 0, conflict: 0, rejected: 0, replayed: 0 };
  await db.transaction('rw', tablesOf(db), async () => {
    for (const result of body.results || []) {
      const entry = byId.get(result.id) || (await db.outbox.get(result.id));
      if (!entry) continue;
      await db.outbox.delete(entry.id);
      if (result.replayed) summary.replayed++;
      if (result.status in summary) summary[result.status]++;
      await settleByResult(db, entry, result);
    }
    if (typeof body.last_mutation_id === 'number') await dropAcknowledged(db, body.last_mutation_id);
    await setMeta(db, 'last_push_at', new Date().toISOString());
  });
  return summary;
}

async function settleByResult(db, entry, result) {
  const name = tableName(entry.entity);
  const table = name ? db.table(name) : null;
  const row = table ? await table.get(entry.record_id) : undefined;
  const later = (await db.outbox.where('record_id').equals(entry.record_id).sortBy('id'))
    .filter((e) => e.id > entry.id);
  const unsent = later.filter((e) => e.state !== 'sent');

  if (result.status === 'applied' || result.status === 'merged') {
    const version = result.version;
    // "applied" means nobody else changed the record in between, so the phone has now seen
    // every version up to this one: its next changes may build on it. After "merged" others
    // changed it too, and the phone has not seen those changes until it pulls.
    if (result.status === 'applied') {
      for (const e of unsent) {
        if (typeof version === 'number' && e.base_version != null && e.base_version < version) {
          await db.outbox.update(e.id, { base_version: version });
        }
      }
    }
    await store(table, entry.record_id, pushed(row, { entry, result, later: later.length }));
    return;
  }

  if (result.status === 'conflict') {
    for (const e of unsent) {
      if (e.base_version != null && entry.base_version != null && e.base_version > entry.base_version) {
        await db.outbox.update(e.id, { base_version: entry.base_version });
      }
    }
    if (!row) return orphan(db, entry, result);
    await table.put(conflicted(row, { entry, result }));
    return;
  }

  // rejected (or anything unknown, which the server treats as final too)
  if (entry.base_version == null && unsent.length && row) {
    // the record was never created: its next queued change becomes the whole record again
    const [first] = unsent;
    await db.outbox.update(first.id, { base_version: null, data: wireFields(entry.entity, { ...row }) });
  } else {
    for (const e of unsent) {
      if (e.base_version != null && entry.base_version != null && e.base_version > entry.base_version) {
        await db.outbox.update(e.id, { base_version: entry.base_version });
      }
    }
  }
  if (!row) return orphan(db, entry, result);
  await table.put(rejected(row, { entry, errors: result.errors || { _schema: [t('sync.rejected_unknown')] } }));
}

function orphan(db, entry, result) {
  return db.problems.add({
    entity: entry.entity, record_id: entry.record_id, status: result.status,
    errors: result.errors || null, data: entry.data, at: new Date().toISOString(),
  });
}

/** A 409: the server has processed up to lastMutationId; resend from lastMutationId + 1. */
export async function handleGap(db, lastMutationId) {
  await db.transaction('rw', tablesOf(db), async () => {
    await dropAcknowledged(db, lastMutationId);
    const head = await db.outbox.orderBy('id').first();
    if (!head || head.id !== lastMutationId + 1) await renumberFrom(db, lastMutationId + 1);
  });
}

/** A single change too large to send even alone: it cannot ever go, so it becomes a rejection. */
async function rejectTooLarge(db, entry) {
  await db.transaction('rw', tablesOf(db), async () => {
    await db.outbox.delete(entry.id);
    await settleByResult(db, entry, { id: entry.id, status: 'rejected', errors: { _schema: [t('sync.too_large')] } });
    await renumberFrom(db, entry.id);
  });
}

/**
 * Pushes the whole outbox. `call(name, ...args)` is the signed-in API caller.
 * Resolves {ok: true, summary} or {ok: false, status, error, needsLogin?}.
 */
export async function push(db, call, { clientId, appVersion = APP_VERSION, batchSize = PUSH_BATCH, maxBytes = PUSH_MAX_BYTES } = {}) {
  const summary = { applied: 0, merged: 0, conflict: 0, rejected: 0, replayed: 0, batches: 0 };
  let size = batchSize;
  let gaps = 0;
  for (;;) {
    const head = await db.outbox.orderBy('id').limit(size).toArray();
    if (!head.length) return { ok: true, summary };
    const batch = buildBatch(head, { maxCount: size, maxBytes });
    await db.outbox.bulkUpdate(batch.map((e) => ({ key: e.id, changes: { state: 'sent', sent_at: new Date().toISOString() } })));
    const envelope = {
      client_id: clientId, schema_version: SCHEMA_VERSION, app_version: appVersion,
      outbox_size: await db.outbox.count(), mutations: batch.map(toWire),
    };
    const res = await call('push', envelope);
    if (res.ok) {
      const counts = await applyPushResults(db, batch, res.data || {});
      for (const key of Object.keys(counts)) summary[key] += counts[key];
      summary.batches++;
      gaps = 0;
      continue;
    }
    if (res.status === 409 && typeof res.error?.last_mutation_id === 'number' && gaps < 3) {
      gaps++;
      await handleGap(db, res.error.last_mutation_id);
      continue;
    }
    if (res.status === 413) {
      if (batch.length > 1) {
        size = Math.max(1, Math.floor(batch.length / 2));
      } else {
        await rejectTooLarge(db, batch[0]);
      }
      continue;
    }
    return { ok: false, status: res.status, error: res.error, needsLogin: res.needsLogin, summary };
  }
}

export async function nextMutationIdOf(db) {
  return getMeta(db, META.nextMutationId, 1);
}
