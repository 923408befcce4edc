import { describe, expect, it } from 'vitest';
import Dexie from 'dexie';
import { LianxinDB, META, getMeta, setMeta } from '../src/db.js';
import { ENTITIES, PROBLEM_TABLES } from '../src/entities.js';
import { freshName } from './helpers.js';

describe('LianxinDB', () => {
  it('has the record tables, outbox, meta, drafts and photos', async () => {
    const db = new LianxinDB(freshName());
    await db.open();
    const names = db.tables.map((t) => t.name).sort();
    for (const name of ['beneficiaries', 'visits', 'health_files', 'health_events', 'mediation_cases', 'mediation_sessions',
      'contact_cards', 'contact_logs', 'visit_tasks', 'regions', 'notifications', 'policies', 'outbox', 'meta', 'drafts', 'photos']) {
      expect(names).toContain(name);
    }
  });

  it('keeps every entity the server declares in a table of its own', async () => {
    // a new entity in entity-fields.json without a table here would fail every pull
    const db = new LianxinDB(freshName());
    await db.open();
    const names = new Set(db.tables.map((t) => t.name));
    for (const [entity, { table }] of Object.entries(ENTITIES)) {
      expect(table, entity).toBeTruthy();
      expect(names.has(table), entity).toBe(true);
    }
    for (const table of PROBLEM_TABLES) {
      expect(db.table(table).schema.idxByName._state, table).toBeTruthy();
    }
  });

  it('lists beneficiaries of a village by name and visits of a person by date', async () => {
    const db = new LianxinDB(freshName());
    await db.beneficiaries.bulkPut([
      { id: 'a', village_id: 'v1', name: '张三', _state: 'synced' },
      { id: 'b', village_id: 'v2', name: '李四', _state: 'synced' },
      { id: 'c', village_id: 'v1', name: '王五', _state: 'synced' },
    ]);
    const village = await db.beneficiaries.where('[village_id+name]').between(['v1', ''], ['v1', '\uffff']).toArray();
    expect(village.map((b) => b.id).sort()).toEqual(['a', 'c']);
    await db.visits.bulkPut([
      { id: 'x', beneficiary_id: 'a', visited_on: '2026-10-18' },
      { id: 'y', beneficiary_id: 'a', visited_on: '2026-11-18' },
      { id: 'z', beneficiary_id: 'c', visited_on: '2026-11-19' },
    ]);
    const november = await db.visits.where('visited_on').between('2026-11-01', '2026-12-01').toArray();
    expect(november.map((v) => v.id).sort()).toEqual(['y', 'z']);
    const history = await db.visits.where('[beneficiary_id+visited_on]').between(['a', ''], ['a', '\uffff']).reverse().toArray();
    expect(history.map((v) => v.id)).toEqual(['y', 'x']);
  });

  it('keeps meta values across a reopen', async () => {
    const name = freshName();
    const db = new LianxinDB(name);
    await setMeta(db, META.cursor, 'abc');
    db.close();
    const again = new LianxinDB(name);
    expect(await getMeta(again, META.cursor)).toBe('abc');
    expect(await getMeta(again, 'missing', 7)).toBe(7);
  });
});

describe('LianxinDB version 2', () => {
  it('masks again the old masks a phone holds, and leaves a number not yet sent', async () => {
    const name = freshName();
    const old = new Dexie(name);
    old.version(1).stores({ beneficiaries: 'id, [village_id+name], name, _state' });
    await old.beneficiaries.bulkPut([
      { id: 'a', name: '张三', id_number: '5108**********1234', _state: 'synced' },
      { id: 'b', name: '李四', id_number: '510822196005040011', _state: 'queued',
        _server: { id_number: '5108**********0011' } },
    ]);
    old.close();
    const db = new LianxinDB(name);
    const [a, b] = await Promise.all([db.beneficiaries.get('a'), db.beneficiaries.get('b')]);
    expect(a.id_number).toBe('5108**************');
    expect(b.id_number).toBe('510822196005040011');
    expect(b._server.id_number).toBe('5108**************');
  });
});
