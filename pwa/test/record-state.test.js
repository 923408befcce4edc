import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LianxinDB } from '../src/db.js';
import {
  LOCAL_FIELDS, conflicted, conflictOf, deletedLocally, errorsOf, hasProblem, isDeleted, isPending, isSynced,
  pushed, recordCopies, recordState, rejected, rejectionDiscarded, savedLocally, serverTaken, serverUpdate,
  serverValue, settled, stateLabel, store, whereProblem,
} from '../src/record-state.js';
import { freshName } from './helpers.js';

const NOW = new Date('2026-11-18T01:30:00Z');
const synced = (extra = {}) => ({ id: 'r1', summary: '原来', needs: '柴火', version: 4, _state: 'synced', ...extra });
const upsert = (id, data, base = 4) => ({ id, op: 'upsert', record_id: 'r1', base_version: base, data });
const bookkeeping = (row) => Object.keys(row).filter((key) => key.startsWith('_') && row[key] !== undefined);

describe('record state: saved on the phone', () => {
  it('shows the change at once, queued, with the server copy kept aside', () => {
    const next = savedLocally(synced(), { id: 'r1', values: { summary: '新的' }, isCreate: false, now: NOW });
    expect(next).toMatchObject({ id: 'r1', summary: '新的', needs: '柴火', version: 4, _state: 'queued' });
    expect(next._server).toEqual({ id: 'r1', summary: '原来', needs: '柴火', version: 4 });
    expect(next._changed_at).toBe('2026-11-18T01:30:00.000Z');
    expect(isPending(next)).toBe(true);
  });

  it('keeps the first server copy when saved again, not the phone’s own earlier edit', () => {
    const once = savedLocally(synced(), { id: 'r1', values: { summary: '一' }, isCreate: false, now: NOW });
    const twice = savedLocally(once, { id: 'r1', values: { summary: '二' }, isCreate: false, now: NOW });
    expect(twice.summary).toBe('二');
    expect(twice._server.summary).toBe('原来');
  });

  it('answers the problems the record had: errors, held data and a conflict go', () => {
    const problem = synced({
      _state: 'rejected', _server: synced(), _errors: { summary: ['太长'] }, _held: { summary: 'x' }, _conflict: { mine: {} },
    });
    const next = savedLocally(problem, { id: 'r1', values: { summary: '短' }, isCreate: false, now: NOW });
    expect(bookkeeping(next).sort()).toEqual(['_changed_at', '_server', '_state']);
    expect(next._server).toBe(problem._server);
    expect(recordState(next)).toBe('queued');
  });

  it('a new record takes the server-set local fields; it has no server copy and no version', () => {
    const next = savedLocally(undefined, { id: 'n1', values: { summary: '新' }, local: { village_id: 'v1' }, isCreate: true, now: NOW });
    expect(next).toMatchObject({ id: 'n1', summary: '新', village_id: 'v1', version: null, _state: 'queued' });
    expect(next._server).toBeUndefined();
  });

  it('a delete hides the record, queued, and keeps its data until the server confirms', () => {
    const next = deletedLocally(synced({ _state: 'rejected', _errors: { x: ['y'] } }));
    expect(next).toMatchObject({ summary: '原来', _deleted: true, _state: 'queued' });
    expect(next._errors).toBeUndefined();
    expect(isDeleted(next)).toBe(true);
  });
});

describe('record state: push results', () => {
  it('applied with nothing left: synced at the new version, the server copy dropped', () => {
    const row = savedLocally(synced(), { id: 'r1', values: { summary: '新的' }, isCreate: false, now: NOW });
    const next = pushed(row, { entry: upsert(7, { summary: '新的' }), result: { status: 'applied', version: 5 }, later: 0 });
    expect(next).toMatchObject({ summary: '新的', version: 5, _state: 'synced' });
    expect(next._server).toBeUndefined();
  });

  it('applied with later changes queued: still queued, the server copy moves forward', () => {
    const row = { ...synced({ summary: '二' }), _state: 'queued', _server: { id: 'r1', summary: '原来', version: 4 } };
    const next = pushed(row, { entry: upsert(7, { summary: '一' }), result: { status: 'applied', version: 5 }, later: 1 });
    expect(next).toMatchObject({ summary: '二', version: 5, _state: 'queued' });
    expect(next._server).toEqual({ id: 'r1', summary: '一', version: 5 });
  });

  it('merged past versions the phone has not seen: the version waits for the pull', () => {
    const row = { ...synced(), _state: 'queued' };
    const next = pushed(row, { entry: upsert(7, { summary: '新' }), result: { status: 'merged', version: 9 }, later: 0 });
    expect(next.version).toBe(4);
    expect(next._state).toBe('synced');
  });

  it('a resent change covering the refused data clears the rejection', () => {
    const row = { ...synced(), _state: 'queued', _held: { summary: '太长' }, _errors: { summary: ['太长'] } };
    const next = pushed(row, { entry: upsert(7, { summary: '短' }), result: { status: 'applied', version: 5 }, later: 0 });
    expect(next._state).toBe('synced');
    expect(next._held).toBeUndefined();
    expect(next._errors).toBeUndefined();
  });

  it('another change applied does not clear a rejection it did not resend', () => {
    const row = { ...synced(), _state: 'queued', _held: { summary: '太长' }, _errors: { summary: ['太长'] } };
    const next = pushed(row, { entry: upsert(7, { needs: '米' }), result: { status: 'applied', version: 5 }, later: 0 });
    expect(next._state).toBe('rejected');
    expect(next._held).toEqual({ summary: '太长' });
  });

  it('an applied delete removes the row, unless changes of it are still queued', () => {
    const row = deletedLocally(synced());
    const entry = { id: 7, op: 'delete', record_id: 'r1', base_version: 4, data: {} };
    expect(pushed(row, { entry, result: { status: 'applied', version: 5 }, later: 0 })).toBeNull();
    expect(pushed(row, { entry, result: { status: 'applied', version: 5 }, later: 1 })).toBeUndefined();
    expect(pushed(undefined, { entry, result: { status: 'applied' }, later: 0 })).toBeUndefined();
  });

  it('a conflict keeps both copies: mine on the record, the server’s beside it', () => {
    const row = savedLocally(synced(), { id: 'r1', values: { summary: '我的' }, isCreate: false, now: NOW });
    const next = conflicted(row, {
      entry: upsert(7, { summary: '我的' }),
      result: { status: 'conflict', version: 6, server: { summary: '干部改的', needs: '柴火' }, fields: ['summary'] },
    });
    expect(next).toMatchObject({ summary: '我的', _state: 'conflict' });
    expect(next._server).toEqual({ summary: '干部改的', needs: '柴火', version: 6 });
    expect(conflictOf(next)).toEqual({
      fields: ['summary'], server: { summary: '干部改的', needs: '柴火' }, version: 6,
      mine: { summary: '我的' }, base_version: 4, mutation_id: 7,
    });
    expect(hasProblem(next)).toBe(true);
  });

  it('a rejected record keeps the liaison’s data, holds it for the next save and shows why', () => {
    const row = savedLocally(synced(), { id: 'r1', values: { summary: '将来的', needs: '米' }, isCreate: false, now: NOW });
    const once = rejected(row, { entry: upsert(7, { summary: '将来的' }), errors: { summary: ['不对'] } });
    const twice = rejected(once, { entry: upsert(8, { needs: '米' }), errors: { needs: ['也不对'] } });
    expect(twice).toMatchObject({ summary: '将来的', needs: '米', _state: 'rejected' });
    expect(twice._held).toEqual({ summary: '将来的', needs: '米' });
    expect(errorsOf(twice)).toEqual({ needs: ['也不对'] });
    expect(twice._server.summary).toBe('原来');
  });

  it('a refused delete brings the record back, in trouble', () => {
    const next = rejected(deletedLocally(synced()), { entry: { id: 7, op: 'delete', data: {} }, errors: { _schema: ['已锁定'] } });
    expect(isDeleted(next)).toBe(false);
    expect(recordState(next)).toBe('rejected');
  });
});

describe('record state: acknowledged by a pull', () => {
  it('a queued record with nothing left is synced; a queued delete leaves the phone', () => {
    const row = savedLocally(synced(), { id: 'r1', values: { summary: '新' }, isCreate: false, now: NOW });
    const next = settled(row, { left: 0 });
    expect(next._state).toBe('synced');
    expect('_server' in next).toBe(false);
    expect(settled(deletedLocally(synced()), { left: 0 })).toBeNull();
  });

  it('is no transition while changes remain, nor for a record in conflict, rejected or synced', () => {
    const queued = savedLocally(synced(), { id: 'r1', values: { summary: '新' }, isCreate: false, now: NOW });
    expect(settled(queued, { left: 1 })).toBeUndefined();
    expect(settled(synced({ _state: 'conflict', _conflict: { mine: {} } }), { left: 0 })).toBeUndefined();
    expect(settled(synced({ _state: 'rejected', _errors: {} }), { left: 0 })).toBeUndefined();
    expect(settled(synced(), { left: 0 })).toBeUndefined();
    expect(settled(undefined, { left: 0 })).toBeUndefined();
  });
});

describe('record state: the server’s new copy (pull)', () => {
  const incoming = { id: 'r1', summary: '干部改的', needs: '药', version: 6 };

  it('replaces a synced record', () => {
    expect(serverUpdate(synced(), incoming, [])).toEqual({ ...incoming, _state: 'synced' });
    expect(serverUpdate(undefined, incoming, [])).toEqual({ ...incoming, _state: 'synced' });
  });

  it('never overwrites a pending local edit: the edit stays on top, the new copy goes underneath', () => {
    const row = savedLocally(synced(), { id: 'r1', values: { summary: '我的' }, isCreate: false, now: NOW });
    const next = serverUpdate(row, incoming, [upsert(7, { summary: '我的' })]);
    expect(next).toMatchObject({ summary: '我的', needs: '药', version: 6, _state: 'queued' });
    expect(next._server).toEqual(incoming);
    expect(next._changed_at).toBe(row._changed_at);
  });

  it('keeps a rejected record’s held data and errors, and a conflict’s side, on top', () => {
    const bad = rejected(synced(), { entry: upsert(7, { summary: '将来的' }), errors: { summary: ['不对'] } });
    const afterBad = serverUpdate(bad, incoming, []);
    expect(afterBad).toMatchObject({ summary: '将来的', _state: 'rejected', _errors: { summary: ['不对'] } });

    const clash = conflicted(synced({ summary: '我的' }), {
      entry: upsert(7, { summary: '我的' }), result: { version: 5, server: { summary: '别人的' }, fields: ['summary'] },
    });
    const afterClash = serverUpdate(clash, incoming, []);
    expect(afterClash).toMatchObject({ summary: '我的', needs: '药', _state: 'conflict' });
    expect(afterClash._conflict).toEqual(clash._conflict);
  });

  it('keeps a queued delete hidden', () => {
    const gone = deletedLocally(synced());
    const next = serverUpdate(gone, incoming, [{ id: 7, op: 'delete', data: {} }]);
    expect(next).toMatchObject({ summary: '干部改的', _deleted: true, _state: 'queued' });
  });
});

describe('record state: the liaison resolves', () => {
  const clash = () => conflicted(synced({ summary: '我的', _state: 'queued' }), {
    entry: upsert(7, { summary: '我的' }), result: { version: 6, server: { summary: '干部改的', needs: '柴火' }, fields: ['summary'] },
  });

  it('taking the server’s values drops mine and leaves a clean synced record', () => {
    const next = serverTaken(clash(), []);
    expect(next).toEqual({ id: 'r1', summary: '干部改的', needs: '柴火', version: 6, _state: 'synced' });
  });

  it('taking the server’s values keeps later queued changes on top', () => {
    const next = serverTaken(clash(), [upsert(8, { needs: '米' }, 6)]);
    expect(next).toMatchObject({ summary: '干部改的', needs: '米', _state: 'queued' });
    expect(next._server).toMatchObject({ summary: '干部改的', needs: '柴火', version: 6 });
  });

  it('there is nothing to take without a conflict', () => {
    expect(serverTaken(synced(), [])).toBeUndefined();
    expect(serverTaken(undefined, [])).toBeUndefined();
  });

  it('giving up a rejection goes back to the server’s copy, with no bookkeeping left', () => {
    const row = savedLocally(synced(), { id: 'r1', values: { summary: '将来的' }, isCreate: false, now: NOW });
    const bad = rejected(row, { entry: upsert(7, { summary: '将来的' }), errors: { summary: ['不对'] } });
    const next = rejectionDiscarded(bad, []);
    expect(next).toEqual({ id: 'r1', summary: '原来', needs: '柴火', version: 4, _state: 'synced' });
  });

  it('giving up a rejection keeps later queued changes on top', () => {
    const row = savedLocally(synced(), { id: 'r1', values: { summary: '将来的' }, isCreate: false, now: NOW });
    const bad = rejected(row, { entry: upsert(7, { summary: '将来的' }), errors: { summary: ['不对'] } });
    const next = rejectionDiscarded(bad, [upsert(8, { needs: '米' })]);
    expect(next).toMatchObject({ summary: '原来', needs: '米', _state: 'queued' });
    expect(next._server.summary).toBe('原来');
    expect(next._held).toBeUndefined();
  });

  it('a record the server never accepted leaves the phone, unless changes of it are queued', () => {
    const fresh = savedLocally(undefined, { id: 'n1', values: { summary: '新' }, isCreate: true, now: NOW });
    const bad = rejected(fresh, { entry: { id: 1, op: 'upsert', base_version: null, data: { summary: '新' } }, errors: {} });
    expect(rejectionDiscarded(bad, [])).toBeNull();
    expect(rejectionDiscarded(bad, [upsert(2, { summary: '改' }, null)])).toBeUndefined();
  });

  it('only a rejected record can be given up', () => {
    expect(rejectionDiscarded(synced(), [])).toBeUndefined();
    expect(rejectionDiscarded(clash(), [])).toBeUndefined();
    expect(rejectionDiscarded(undefined, [])).toBeUndefined();
  });
});

describe('record state: what the screens read', () => {
  it('shows one state per record; the phone’s problems come before the reviewer’s 退回', () => {
    expect(recordState(undefined)).toBe('synced');
    expect(recordState({ _state: 'synced', review_status: 'returned' })).toBe('returned');
    expect(recordState({ _state: 'queued', review_status: 'returned' })).toBe('queued');
    expect(recordState({ _state: 'conflict', review_status: 'returned' })).toBe('conflict');
    expect(recordState({ _state: 'rejected' })).toBe('rejected');
    expect(['queued', 'synced', 'conflict', 'returned', 'rejected'].map((s) => stateLabel(s === 'returned'
      ? { _state: 'synced', review_status: 'returned' } : { _state: s })))
      .toEqual(['待同步', '已同步', '冲突', '退回', '有误']);
  });

  it('answers the questions the screens and the sync steps ask', () => {
    expect(isSynced({})).toBe(true);
    expect(isSynced({ _state: 'queued' })).toBe(false);
    expect(hasProblem({ _state: 'queued' })).toBe(false);
    expect(hasProblem({ _state: 'rejected' })).toBe(true);
    expect(isDeleted(undefined)).toBe(false);
    expect(serverValue({ status: 'resolved', _server: { status: 'open' } }, 'status')).toBe('open');
    expect(serverValue({ status: 'open' }, 'status')).toBe('open');
    const row = { id_number: 'a', _server: { id_number: 'b' }, _conflict: { server: { id_number: 'c' } } };
    expect(recordCopies(row).map((copy) => copy.id_number)).toEqual(['a', 'b', 'c']);
  });

  it('stores a transition: a row, a removal, or nothing; and finds the records in trouble', async () => {
    const db = new LianxinDB(freshName());
    await db.visits.bulkPut([synced(), { id: 'r2', _state: 'rejected' }, { id: 'r3', _state: 'conflict' }, { id: 'r4', _state: 'queued' }]);
    await store(db.visits, 'r1', undefined);
    expect(await db.visits.get('r1')).toEqual(synced());
    await store(db.visits, 'r1', { ...synced(), summary: '新' });
    expect((await db.visits.get('r1')).summary).toBe('新');
    expect((await whereProblem(db.visits).primaryKeys()).sort()).toEqual(['r2', 'r3']);
    await store(db.visits, 'r1', null);
    expect(await db.visits.get('r1')).toBeUndefined();
  });
});

// --- ownership: record-state.js is the only module that writes the bookkeeping fields ----

const SRC = new URL('../src/', import.meta.url).pathname;
const OWNER = 'record-state.js';
const names = LOCAL_FIELDS.join('|');
const WRITES = [
  ['assigns', new RegExp(`\\.(?:${names})\\s*(?:[+|&?]{0,2}=)(?!=)`)],
  ['assigns by key', new RegExp(`\\[\\s*['"\`](?:${names})['"\`]\\s*\\]\\s*=(?!=)`)],
  ['sets in an object', new RegExp(`(?:^|[{,])\\s*['"]?(?:${names})['"]?\\s*:`, 'm')],
  ['sets in an object (shorthand)', new RegExp(`[{,]\\s*(?:${names})\\s*(?=[,}])`)],
  ['deletes', new RegExp(`\\bdelete\\s+[^;\\n]*\\.(?:${names})\\b`)],
  ['queries the _state index', /\.where\(\s*['"`]_state['"`]\s*\)/],
];
const READS = new RegExp(`\\.(?:${names})\\b`);

function sources(dir = SRC) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.js') ? [path] : [];
  });
}

function offences(text, patterns) {
  return text.split('\n').flatMap((line, index) => patterns
    .filter(([, pattern]) => pattern.test(line))
    .map(([what]) => `${index + 1}: ${what}: ${line.trim()}`));
}

describe('record state: one owner', () => {
  it('the scan finds every way of writing a field, and leaves reads and look-alikes alone', () => {
    const bad = ["row._state = 'synced';", "next._held ??= {};", "row['_conflict'] = x;", "put({ ...row, _state: 'queued' })",
      '  _deleted: true,', 'put({ ...rest, _server })', 'delete next._errors;', "db.visits.where('_state').equals('queued')"];
    for (const line of bad) expect(offences(line, WRITES), line).toHaveLength(1);
    const fine = ["if (row._state === 'queued') x();", 'const copy = row._server;', "visits: 'id, beneficiary_id, _state',",
      "{ _schema: ['无法同步'] }", "row?._conflict?.version !== 2"];
    for (const line of fine) expect(offences(line, WRITES), line).toEqual([]);
  });

  it(`no module but ${OWNER} writes ${LOCAL_FIELDS.join(', ')}`, () => {
    const files = sources().filter((path) => relative(SRC, path) !== OWNER);
    expect(files.length).toBeGreaterThan(20);
    const found = files.flatMap((path) => offences(readFileSync(path, 'utf8'), WRITES).map((o) => `${relative(SRC, path)}:${o}`));
    expect(found).toEqual([]);
  });

  it('the screens read a record’s state only through record-state.js', () => {
    const views = sources(join(SRC, 'views'));
    const found = views.flatMap((path) => offences(readFileSync(path, 'utf8'), [['reads', READS]]).map((o) => `${relative(SRC, path)}:${o}`));
    expect(found).toEqual([]);
  });
});
