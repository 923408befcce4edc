import { describe, expect, it } from 'vitest';
import { LianxinDB, META, getMeta } from '../src/db.js';
import { exportOutbox, recordChange, recordDelete } from '../src/sync/outbox.js';
import { createFakeServer } from './fake-server.js';
import { PERSON, makePhone } from './helpers.js';

const visit = (summary, extra = {}) => ({
  beneficiary_id: PERSON, visit_type: 'monthly', visited_on: '2026-11-18', summary, ...extra,
});

describe('outbox', () => {
  it('numbers mutations 1, 2, 3 … and writes the record in the same transaction', async () => {
    const { db } = await makePhone(createFakeServer());
    const a = await recordChange(db, { entity: 'visit', recordId: 'a0000000-0000-4000-8000-000000000001', values: visit('一') });
    const b = await recordChange(db, { entity: 'visit', recordId: 'a0000000-0000-4000-8000-000000000002', values: visit('二') });
    const c = await recordChange(db, { entity: 'visit', recordId: 'a0000000-0000-4000-8000-000000000001', values: { summary: '一（改）' } });
    expect([a.id, b.id, c.id]).toEqual([1, 2, 3]);
    expect(a).toMatchObject({ op: 'upsert', base_version: null, entity: 'visit', state: 'queued' });
    expect(a.data).toEqual(visit('一'));
    expect(a.app_version).toBeTruthy();
    expect(a.client_time).toMatch(/^2\d{3}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
    // a change of a record whose creation is still queued: only the changed field, on version 1
    expect(c.base_version).toBe(1);
    expect(c.data).toEqual({ summary: '一（改）' });
    const row = await db.visits.get('a0000000-0000-4000-8000-000000000001');
    expect(row).toMatchObject({ summary: '一（改）', _state: 'queued', version: null });
  });

  it('survives a reload (a new Dexie instance) and goes on counting', async () => {
    const { db, name } = await makePhone(createFakeServer());
    await recordChange(db, { entity: 'visit', recordId: 'b0000000-0000-4000-8000-000000000001', values: visit('一') });
    await recordChange(db, { entity: 'visit', recordId: 'b0000000-0000-4000-8000-000000000002', values: visit('二') });
    db.close();
    const reopened = new LianxinDB(name);
    expect((await reopened.outbox.toArray()).map((e) => e.id)).toEqual([1, 2]);
    const next = await recordChange(reopened, { entity: 'visit', recordId: 'b0000000-0000-4000-8000-000000000003', values: visit('三') });
    expect(next.id).toBe(3);
    expect(await getMeta(reopened, META.nextMutationId)).toBe(4);
  });

  it('rolls back the record when the outbox write fails (one transaction)', async () => {
    const { db } = await makePhone(createFakeServer());
    await db.outbox.add({ id: 1, entity: 'visit', op: 'upsert', record_id: 'x', data: {} }); // id 1 taken
    await expect(recordChange(db, { entity: 'visit', recordId: 'c0000000-0000-4000-8000-000000000001', values: visit('一') })).rejects.toThrow();
    expect(await db.visits.get('c0000000-0000-4000-8000-000000000001')).toBeUndefined();
    expect(await getMeta(db, META.nextMutationId)).toBe(1);
  });

  it('sends only changed fields of a synced record, based on the version it saw', async () => {
    const { db } = await makePhone(createFakeServer());
    await db.visits.put({ id: 'd1', ...visit('原来'), needs: null, version: 4, _state: 'synced' });
    expect(await recordChange(db, { entity: 'visit', recordId: 'd1', values: { summary: '原来' } })).toBeNull();
    const entry = await recordChange(db, { entity: 'visit', recordId: 'd1', values: { summary: '新的', needs: '修房' } });
    expect(entry).toMatchObject({ base_version: 4, data: { summary: '新的', needs: '修房' } });
    const row = await db.visits.get('d1');
    expect(row._server.summary).toBe('原来');
    expect(row._state).toBe('queued');
  });

  it('queues a delete and hides the row until confirmed', async () => {
    const { db } = await makePhone(createFakeServer());
    await db.visits.put({ id: 'e1', ...visit('x'), version: 2, _state: 'synced' });
    const entry = await recordDelete(db, { entity: 'visit', recordId: 'e1' });
    expect(entry).toMatchObject({ op: 'delete', base_version: 2 });
    expect((await db.visits.get('e1'))._deleted).toBe(true);
  });

  it('exports the outbox as a file body', async () => {
    const { db } = await makePhone(createFakeServer());
    await recordChange(db, { entity: 'visit', recordId: 'f0000000-0000-4000-8000-000000000001', values: visit('一') });
    const file = await exportOutbox(db);
    expect(file.format).toBe('lianxin-outbox');
    expect(file.client_id).toBeTruthy();
    expect(file.mutations).toHaveLength(1);
    expect(file.mutations[0]).toMatchObject({ id: 1, entity: 'visit', base_version: null });
  });
});
