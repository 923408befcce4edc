// The sync state of a local record: the one place that writes its bookkeeping fields.
//
// Record tables hold each synced entity by id, as the server last sent it, with the
// phone's unsent changes laid over it and these fields beside the data:
//   _state       'synced' (已同步) | 'queued' (待同步) | 'conflict' (冲突) | 'rejected' (有误)
//   _server      the server's copy while local changes are pending or unresolved
//   _errors      {field: [messages]} of a rejected change
//   _held        the data of rejected changes, kept until the liaison resubmits them
//   _conflict    {fields, server, version, mine, base_version, mutation_id}
//   _deleted     a delete waiting to be pushed
//   _changed_at  when the liaison last saved the record on this phone
// ("退回" is a synced visit whose review_status is "returned": the server's state, not ours.)
//
// Each transition below is a pure function of the row as it stands (and what it needs
// to know: the outbox entries still queued for it, the server's answer …). It returns
// the row to store, `null` when the row leaves the phone, or `undefined` when the
// transition does not apply and the row stays as it is. `store` writes that outcome.
//
//   saved / deleted on the phone  → queued       savedLocally, deletedLocally
//   push: applied, merged         → synced, or queued while later changes wait   pushed
//   push: conflict                → conflict (both copies kept)                  conflicted
//   push: rejected                → rejected (data kept, errors shown)           rejected
//   acknowledged by a pull        → synced, or gone if it was a delete          settled
//   pull: the server's new copy   → synced, or kept under unsent changes        serverUpdate
//   conflict: take the server's   → synced, or queued for later changes          serverTaken
//   rejection given up            → the server's copy, or gone if never created  rejectionDiscarded
// (Keeping mine after a conflict, or fixing a rejected record, is a new save.)
// A pull's delete (deleted on the server, or out of the liaison's scope) removes the row
// whatever its state; its outbox entries stay and the server answers them.
import { serverCopy } from './entities.js';
import { t } from './i18n.js';

export const LOCAL_FIELDS = ['_state', '_server', '_errors', '_held', '_conflict', '_deleted', '_changed_at'];

/** The states the liaison must act on (shown on the sync page, kept at logout). */
export const PROBLEM_STATES = ['conflict', 'rejected'];

// --- what the screens and the sync steps read ------------------------------------------

function stateOf(row) {
  return row?._state ?? 'synced';
}

/** Confirmed by the server, nothing of the phone's on top. */
export function isSynced(row) {
  return stateOf(row) === 'synced';
}

/** Has changes waiting in the outbox (待同步). */
export function isPending(row) {
  return row?._state === 'queued';
}

/** In conflict or rejected: waits for the liaison, not for the network. */
export function hasProblem(row) {
  return PROBLEM_STATES.includes(row?._state);
}

/** Deleted on the phone, the delete not yet confirmed: hidden from every list. */
export function isDeleted(row) {
  return Boolean(row?._deleted);
}

/** The server's per-field errors of a rejected change. */
export function errorsOf(row) {
  return row?._errors;
}

/** {fields, server, version, mine, base_version, mutation_id} of a conflict, or null. */
export function conflictOf(row) {
  return row?._conflict ?? null;
}

/** A field as the server last had it (before the phone's unsent changes). */
export function serverValue(row, field) {
  return row?._server?.[field] ?? row?.[field];
}

/** The data of a record and each copy of it the row keeps (the server's, the conflicting one). */
export function recordCopies(row) {
  return [row, row._server, row._conflict?.server].filter(Boolean);
}

/** The data of the record's refused changes, kept for the next save ({} if none). */
export function heldOf(row) {
  return row?._held || {};
}

/** What the liaison still means to send besides a new change: a conflict's side and refused data. */
export function unsentValues(row) {
  return { ...(row?._conflict?.mine || {}), ...(row?._held || {}) };
}

/** A record in trouble, as the outbox export lists it. */
export function problemOf(row) {
  return { state: row._state, errors: row._errors, held: row._held, conflict: row._conflict };
}

/** The rows of a record table in conflict or rejected (a Dexie collection, by the _state index). */
export function whereProblem(table) {
  return table.where('_state').anyOf(...PROBLEM_STATES);
}

/** 待同步 / 已同步 / 冲突 / 退回 / 有误: the state shown on every record. */
export function recordState(row) {
  if (!row) return 'synced';
  if (row._state === 'conflict') return 'conflict';
  if (row._state === 'rejected') return 'rejected';
  if (row._state === 'queued') return 'queued';
  if (row.review_status === 'returned') return 'returned';
  return 'synced';
}

export function stateLabel(row) {
  return t(`state.${recordState(row)}`);
}

// --- transitions -------------------------------------------------------------------------

/** Writes a transition's outcome: a row to put, null to delete, undefined for no change. */
export async function store(table, id, next) {
  if (next === undefined) return;
  if (next === null) await table.delete(id);
  else await table.put(next);
}

/**
 * The liaison saved a change: the row shows it at once, queued, with the server's copy
 * kept aside; the problems it had are answered by this change. `local` holds fields the
 * server sets (kept on the row only); `isCreate` says the server has no copy yet.
 */
export function savedLocally(row, { id, values, local = {}, isCreate, now }) {
  const server = row && !row._server && row.version != null && isSynced(row) ? serverCopy(row) : row?._server;
  const next = {
    ...(row || {}), ...(isCreate && !row ? local : {}), ...values,
    id, version: row?.version ?? null, _state: 'queued', _server: server,
    _errors: undefined, _held: undefined, _conflict: undefined, _changed_at: now.toISOString(),
  };
  if (!isCreate) Object.assign(next, local);
  return next;
}

/** The liaison deleted a record the server has: hidden and queued until the server confirms. */
export function deletedLocally(row) {
  return { ...row, _deleted: true, _state: 'queued', _errors: undefined, _held: undefined, _conflict: undefined };
}

/**
 * The server answered "applied" or "merged" to `entry`; `later` more changes of the
 * record are still in the outbox. Refused data the entry resent is cleared; with
 * nothing left the record is synced — or back to the problem another change has.
 */
export function pushed(row, { entry, result, later }) {
  if (!row) return undefined;
  if (entry.op === 'delete') return later ? undefined : null;
  const { version } = result;
  const next = { ...row };
  // After "merged" others changed the record too: the phone has only seen their version
  // when it is the next one after its own.
  if (typeof version === 'number' && (result.status === 'applied' || (row.version ?? 0) === version - 1)) {
    next.version = Math.max(row.version ?? 0, version);
  }
  const heldCovered = !row._held || Object.keys(row._held).every((k) => k in (entry.data || {}));
  if (heldCovered && (entry.base_version == null || row._held)) {
    next._held = undefined;
    next._errors = undefined;
  }
  if (later) {
    next._server = { ...(row._server || {}), ...entry.data, version: next.version };
  } else {
    next._server = undefined;
    next._state = next._conflict ? 'conflict' : next._errors ? 'rejected' : 'synced';
  }
  return next;
}

/** The server applied nothing: a field changed there too. Both copies stay, side by side. */
export function conflicted(row, { entry, result }) {
  return {
    ...row,
    _state: 'conflict', _deleted: undefined,
    _server: result.server ? { ...result.server, version: result.version } : row._server,
    _conflict: {
      fields: result.fields || Object.keys(entry.data || {}), server: result.server || {},
      version: result.version ?? entry.base_version, mine: { ...(entry.data || {}) },
      base_version: entry.base_version, mutation_id: entry.id,
    },
  };
}

/** The server refused `entry`: the record keeps the liaison's data, holds it, shows `errors`. */
export function rejected(row, { entry, errors }) {
  return {
    ...row,
    _state: 'rejected', _deleted: undefined, _errors: errors,
    _held: { ...(row._held || {}), ...(entry.data || {}) },
  };
}

/** The server acknowledged the record's changes; `left` entries of it remain in the outbox. */
export function settled(row, { left }) {
  if (!isPending(row) || left) return undefined;
  if (row._deleted) return null;
  const { _server, ...rest } = row;
  return { ...rest, _state: 'synced' };
}

function overlay(data, pending, row) {
  const out = { ...data };
  for (const entry of pending) if (entry.op !== 'delete') Object.assign(out, entry.data);
  if (row._held) Object.assign(out, row._held);
  if (row._conflict) Object.assign(out, row._conflict.mine);
  return out;
}

/**
 * A pull brought the server's copy `incoming` ({…data, id, version}). A record with
 * unsent or unresolved changes keeps them on top and the new copy underneath; the pull
 * never overwrites the liaison's work. `pending`: the record's outbox entries, in order.
 */
export function serverUpdate(row, incoming, pending) {
  const local = row && (pending.length || row._held || row._conflict || row._deleted);
  if (!local) return { ...incoming, _state: 'synced' };
  return {
    ...overlay(incoming, pending, row), id: incoming.id, version: incoming.version,
    _state: row._state === 'synced' ? 'queued' : row._state, _server: incoming,
    _errors: row._errors, _held: row._held, _conflict: row._conflict, _deleted: row._deleted,
    _changed_at: row._changed_at,
  };
}

/** The liaison took the server's values in a conflict: theirs are dropped, later changes stay queued. */
export function serverTaken(row, pending) {
  if (!row?._conflict) return undefined;
  const server = { ...row._conflict.server, id: row.id, version: row._conflict.version };
  if (!pending.length) return { ...server, _state: 'synced' };
  const next = { ...server, _server: server, _state: 'queued' };
  for (const entry of pending) Object.assign(next, entry.data);
  return next;
}

/**
 * The liaison gave up a rejected change: back to the server's copy, or — for a record
 * the server never accepted — off the phone (unless later changes of it are queued).
 */
export function rejectionDiscarded(row, pending) {
  if (!row || row._state !== 'rejected') return undefined;
  if (!row._server && row.version == null) return pending.length ? undefined : null;
  const server = row._server ? { ...row._server } : { ...row, _held: undefined, _errors: undefined };
  const next = { ...server, id: row.id, version: server.version ?? row.version, _state: pending.length ? 'queued' : 'synced' };
  if (pending.length) {
    next._server = server;
    for (const entry of pending) Object.assign(next, entry.data);
  }
  for (const key of Object.keys(next)) if (key.startsWith('_') && next[key] === undefined) delete next[key];
  return next;
}
