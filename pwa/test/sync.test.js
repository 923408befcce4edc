import { describe, expect, it } from 'vitest';
import { signIn } from '../src/auth.js';
import { t } from '../src/i18n.js';
import { META, getMeta, setMeta } from '../src/db.js';
import { keepMine, takeServer } from '../src/sync/conflicts.js';
import { backoffDelay } from '../src/sync/engine.js';
import { recordChange } from '../src/sync/outbox.js';
import { queuePhoto } from '../src/sync/photos.js';
import { applyPullPage, pull } from '../src/sync/pull.js';
import { push } from '../src/sync/push.js';
import { recordState } from '../src/views/common.js';
import { createFakeServer } from './fake-server.js';
import { PERSON, makePhone } from './helpers.js';

const id = (n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const visit = (summary, extra = {}) => ({
  beneficiary_id: PERSON, visit_type: 'monthly', visited_on: '2026-11-18', summary, ...extra,
});
const pushes = (server) => server.requests.filter((r) => r.path === '/sync/push');

describe('sync', () => {
  it('pushes the outbox, then pulls: records become 已同步 and the outbox empties', async () => {
    const server = createFakeServer();
    server.put('beneficiary', PERSON, { name: '张三', village_id: 'v1' });
    const { db, engine } = await makePhone(server);
    await recordChange(db, { entity: 'visit', recordId: id(1), values: visit('身体好') });
    await recordChange(db, { entity: 'visit', recordId: id(2), values: visit('缺柴火', { beneficiary_id: PERSON }) });

    const result = await engine.sync('manual');
    expect(result.ok).toBe(true);
    expect(result.push).toMatchObject({ applied: 2 });
    expect(result.changed).toBe(true);
    expect(await db.outbox.count()).toBe(0);
    expect(await db.visits.get(id(1))).toMatchObject({ _state: 'synced', version: 1, summary: '身体好' });
    expect(await db.beneficiaries.get(PERSON)).toMatchObject({ name: '张三', _state: 'synced' });
    expect(server.get('visit', id(1)).data.summary).toBe('身体好');
    const [first] = pushes(server);
    expect(first.body).toMatchObject({ client_id: expect.any(String), schema_version: 1, outbox_size: 2 });
    expect(first.body.mutations.map((m) => m.id)).toEqual([1, 2]);
    expect(await getMeta(db, META.lastSyncAt)).toBeTruthy();
  });

  it('resends the same mutation ids after a lost response, and takes the replayed answers', async () => {
    const server = createFakeServer();
    const { db, engine } = await makePhone(server);
    await recordChange(db, { entity: 'visit', recordId: id(1), values: visit('一') });
    await recordChange(db, { entity: 'visit', recordId: id(2), values: visit('二') });
    server.dropNextResponse = 'push';

    const failed = await engine.sync('manual');
    expect(failed.ok).toBe(false);
    expect(failed.status).toBe(0);
    expect(engine.status().failures).toBe(1);
    expect(engine.status().nextRetryAt).toBeTruthy();
    expect(await db.outbox.count()).toBe(2); // kept: the phone does not know what happened

    const retried = await engine.sync('retry');
    expect(retried.ok).toBe(true);
    expect(retried.push.replayed).toBe(2);
    const [lost, again] = pushes(server);
    expect(again.body.mutations.map((m) => m.id)).toEqual(lost.body.mutations.map((m) => m.id));
    expect(server.get('visit', id(1)).version).toBe(1); // applied once
    expect(await db.outbox.count()).toBe(0);
    expect((await db.visits.get(id(2)))._state).toBe('synced');
  });

  it('marks a conflict with both values, then keeps mine with the new base_version', async () => {
    const server = createFakeServer();
    server.put('visit', id(5), visit('原来'));
    const { db, engine } = await makePhone(server);
    await engine.sync('manual');
    await recordChange(db, { entity: 'visit', recordId: id(5), values: { summary: '我的' } });
    server.put('visit', id(5), { summary: '干部改的' }); // version 2 on the server

    await engine.sync('manual');
    const row = await db.visits.get(id(5));
    expect(row._state).toBe('conflict');
    expect(row._conflict.fields).toEqual(['summary']);
    expect(row._conflict.mine.summary).toBe('我的');
    expect(row._conflict.server.summary).toBe('干部改的');
    expect(row.summary).toBe('我的'); // the pull keeps the unresolved value on top
    expect(await db.outbox.count()).toBe(0);

    const entry = await keepMine(db, 'visit', id(5));
    expect(entry).toMatchObject({ base_version: 2, data: { summary: '我的' } });
    await engine.sync('manual');
    expect(server.get('visit', id(5)).data.summary).toBe('我的');
    expect(await db.visits.get(id(5))).toMatchObject({ _state: 'synced', summary: '我的', version: 3 });
  });

  it("takes the server's value and drops mine", async () => {
    const server = createFakeServer();
    server.put('visit', id(6), visit('原来'));
    const { db, engine } = await makePhone(server);
    await engine.sync('manual');
    await recordChange(db, { entity: 'visit', recordId: id(6), values: { summary: '我的' } });
    server.put('visit', id(6), { summary: '干部改的' });
    await engine.sync('manual');
    await takeServer(db, 'visit', id(6));
    expect(await db.visits.get(id(6))).toMatchObject({ _state: 'synced', summary: '干部改的', version: 2 });
    await engine.sync('manual');
    expect(pushes(server).at(-1).body.mutations).toHaveLength(1); // nothing new was pushed
  });

  it('keeps the errors of a rejection on the record, and the queue goes on', async () => {
    const server = createFakeServer();
    const { db, engine } = await makePhone(server);
    await recordChange(db, { entity: 'visit', recordId: id(1), values: visit('将来', { visited_on: '2026-12-01' }) });
    await recordChange(db, { entity: 'visit', recordId: id(2), values: visit('正常') });
    const result = await engine.sync('manual');
    expect(result.ok).toBe(true);
    expect(result.push).toMatchObject({ rejected: 1, applied: 1 });
    const bad = await db.visits.get(id(1));
    expect(bad._state).toBe('rejected');
    expect(bad._errors).toEqual({ visited_on: ['不能晚于今天'] });
    expect((await db.visits.get(id(2)))._state).toBe('synced');
    expect(await db.outbox.count()).toBe(0);

    // fixed and saved again: a whole new record (it never reached the server)
    const fix = await recordChange(db, { entity: 'visit', recordId: id(1), values: { visited_on: '2026-11-17' } });
    expect(fix.base_version).toBeNull();
    expect(fix.data).toMatchObject({ summary: '将来', visited_on: '2026-11-17' });
    expect((await db.visits.get(id(1)))._errors).toBeUndefined();
    await engine.sync('manual');
    expect(await db.visits.get(id(1))).toMatchObject({ _state: 'synced', version: 1 });
  });

  it('a change the server cannot store is 有误 on the phone; the rest of the batch and later pushes go on', async () => {
    const server = createFakeServer();
    server.put('visit', id(21), visit('原来'));
    const { db, engine } = await makePhone(server);
    await engine.sync('manual');
    await recordChange(db, { entity: 'visit', recordId: id(22), values: visit('之前') });
    await recordChange(db, { entity: 'visit', recordId: id(21), values: { summary: '坏字\ud83d' } }); // a lone surrogate
    await recordChange(db, { entity: 'visit', recordId: id(23), values: visit('空\u0000字') });
    await recordChange(db, { entity: 'visit', recordId: id(24), values: visit('之后 \u202e 👍') });

    const result = await engine.sync('manual');
    expect(result.ok).toBe(true);
    expect(pushes(server)).toHaveLength(1); // one batch, the bad ones in its middle
    expect(result.push).toMatchObject({ applied: 2, rejected: 2 });
    for (const bad of [id(21), id(23)]) {
      const row = await db.visits.get(bad);
      expect(recordState(row)).toBe('rejected');
      expect(t(`state.${recordState(row)}`)).toBe('有误');
      expect(row._errors).toEqual({ summary: ['含有无法保存的字符，请删除后再提交'] });
    }
    expect((await db.visits.get(id(21))).summary).toBe('坏字\ud83d'); // kept for the liaison to fix
    expect(server.get('visit', id(21)).data.summary).toBe('原来');
    expect(server.get('visit', id(23))).toBeUndefined();
    expect(server.get('visit', id(24)).data.summary).toBe('之后 \u202e 👍');
    expect(await db.visits.get(id(24))).toMatchObject({ _state: 'synced' });
    expect(await db.outbox.count()).toBe(0); // nothing is resent before the liaison fixes it

    await recordChange(db, { entity: 'visit', recordId: id(25), values: visit('下一次') });
    const next = await engine.sync('manual');
    expect(next.push).toMatchObject({ applied: 1, rejected: 0 });
    expect(pushes(server).at(-1).body.mutations.map((m) => m.record_id)).toEqual([id(25)]);
    expect(server.get('visit', id(25)).version).toBe(1);

    await recordChange(db, { entity: 'visit', recordId: id(21), values: { summary: '修好了' } });
    await engine.sync('manual');
    expect(server.get('visit', id(21)).data.summary).toBe('修好了');
    expect(recordState(await db.visits.get(id(21)))).toBe('synced');
  });

  it('refreshes an expired access token and retries once', async () => {
    const server = createFakeServer();
    const { db, engine, session } = await makePhone(server);
    await recordChange(db, { entity: 'visit', recordId: id(1), values: visit('一') });
    const before = (await session.load()).refresh_token;
    server.expireAccess();
    const result = await engine.sync('manual');
    expect(result.ok).toBe(true);
    const paths = server.requests.map((r) => r.path);
    expect(paths.slice(0, 3)).toEqual(['/auth/login', '/sync/push', '/auth/refresh']);
    expect(paths[3]).toBe('/sync/push');
    expect((await session.load()).refresh_token).not.toBe(before); // rotated
    expect(await db.outbox.count()).toBe(0);
  });

  it('asks for login again when the refresh token has expired, keeps the outbox, and pushes it after login', async () => {
    const server = createFakeServer();
    const { db, engine, session, api } = await makePhone(server);
    await recordChange(db, { entity: 'visit', recordId: id(1), values: visit('一') });
    await recordChange(db, { entity: 'visit', recordId: id(2), values: visit('二') });
    const clientBefore = (await getMeta(db, META.client)).client_id;
    server.expireAll();

    const result = await engine.sync('manual');
    expect(result.needsLogin).toBe(true);
    expect(engine.status().needsLogin).toBe(true);
    expect(engine.status().nextRetryAt).toBeNull(); // no retry loop against a dead login
    expect(await db.outbox.count()).toBe(2);
    expect((await session.load()).needs_login).toBe(true);

    const login = await signIn(db, api, session, { username: 'liaison1', password: 'x' });
    expect(login.ok).toBe(true);
    expect((await getMeta(db, META.client)).client_id).toBe(clientBefore);
    const after = await engine.loggedIn();
    expect(after.ok).toBe(true);
    expect(await db.outbox.count()).toBe(0);
    expect(pushes(server).at(-1).body.mutations.map((m) => m.id)).toEqual([1, 2]);
    expect(server.get('visit', id(2))).toBeTruthy();
  });

  it('replaces synced data on reset but keeps the outbox and its records', async () => {
    const server = createFakeServer();
    server.put('beneficiary', PERSON, { name: '张三', village_id: 'v1' });
    const { db, engine } = await makePhone(server);
    await engine.sync('manual');
    await db.beneficiaries.put({ id: 'stale', name: '旧数据', _state: 'synced', version: 1 });
    await recordChange(db, { entity: 'visit', recordId: id(9), values: visit('未上传') });

    const counts = await applyPullPage(db, {
      changes: [{ entity: 'beneficiary', record_id: PERSON, op: 'upsert', version: 3, data: { id: PERSON, name: '张三丰', village_id: 'v1' } }],
      cursor: 'fresh', has_more: false, reset: true, last_mutation_id: 0,
    });
    expect(counts.upserts).toBe(1);
    expect(await db.beneficiaries.get('stale')).toBeUndefined();
    expect((await db.beneficiaries.get(PERSON)).name).toBe('张三丰');
    expect(await db.visits.get(id(9))).toMatchObject({ _state: 'queued', summary: '未上传' });
    expect(await db.outbox.count()).toBe(1);
    expect(await getMeta(db, META.cursor)).toBe('fresh');
  });

  it('drops a record that left the scope but never its unsent outbox entries', async () => {
    const server = createFakeServer();
    server.put('visit', id(3), visit('原来'));
    server.put('beneficiary', PERSON, { name: '张三' });
    const { db, engine } = await makePhone(server);
    await engine.sync('manual');
    await recordChange(db, { entity: 'visit', recordId: id(3), values: { summary: '我改的' } });
    await applyPullPage(db, {
      changes: [{ entity: 'visit', record_id: id(3), op: 'delete', version: 2, reason: 'out_of_scope' }],
      cursor: 'c2', has_more: false, reset: false, last_mutation_id: 0,
    });
    expect(await db.visits.get(id(3))).toBeUndefined();
    expect(await db.outbox.count()).toBe(1);

    // the server then rejects it; the phone keeps a note to show
    server.moveOutOfScope('visit', id(3));
    await engine.sync('manual');
    expect(await db.outbox.count()).toBe(0);
    const problems = await db.problems.toArray();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ record_id: id(3), status: 'rejected' });
  });

  it('follows has_more through every page and saves the cursor per page', async () => {
    const server = createFakeServer();
    for (let i = 1; i <= 7; i++) server.put('beneficiary', id(100 + i), { name: `人${i}` });
    const { db, session } = await makePhone(server);
    const client = (await getMeta(db, META.client)).client_id;
    const result = await pull(db, session.call, { clientId: client, limit: 3 });
    expect(result.ok).toBe(true);
    expect(result.totals.pages).toBe(3);
    expect(await db.beneficiaries.count()).toBe(7);
    const pulls = server.requests.filter((r) => r.path === '/sync/pull');
    expect(pulls).toHaveLength(3);
    expect(await getMeta(db, META.cursor)).toBe(String(server.seq));
  });

  it('drops outbox entries acknowledged by a pull (last_mutation_id)', async () => {
    const server = createFakeServer();
    const { db } = await makePhone(server);
    await recordChange(db, { entity: 'visit', recordId: id(1), values: visit('一') });
    await recordChange(db, { entity: 'visit', recordId: id(2), values: visit('二') });
    await applyPullPage(db, {
      changes: [{ entity: 'visit', record_id: id(1), op: 'upsert', version: 1, data: { ...visit('一'), id: id(1) } }],
      cursor: 'c', has_more: false, reset: false, last_mutation_id: 1,
    });
    expect((await db.outbox.toArray()).map((e) => e.id)).toEqual([2]);
    expect((await db.visits.get(id(1)))._state).toBe('synced');
    expect((await db.visits.get(id(2)))._state).toBe('queued');
  });

  it('resends from last_mutation_id + 1 after a 409', async () => {
    const server = createFakeServer();
    const { db, engine } = await makePhone(server);
    await recordChange(db, { entity: 'visit', recordId: id(1), values: visit('一') });
    await recordChange(db, { entity: 'visit', recordId: id(2), values: visit('二') });
    // as if the phone's counter ran ahead of the server (e.g. entries lost locally)
    const entries = await db.outbox.toArray();
    await db.outbox.clear();
    await db.outbox.bulkAdd(entries.map((e) => ({ ...e, id: e.id + 5 })));
    await setMeta(db, META.nextMutationId, 8);

    const result = await engine.sync('manual');
    expect(result.ok).toBe(true);
    const [gap, resent] = pushes(server);
    expect(gap.body.mutations.map((m) => m.id)).toEqual([6, 7]);
    expect(resent.body.mutations.map((m) => m.id)).toEqual([1, 2]);
    expect(await getMeta(db, META.nextMutationId)).toBe(3);
    expect(server.get('visit', id(2))).toBeTruthy();
  });

  it('splits batches on 413', async () => {
    const server = createFakeServer({ maxMutations: 2 });
    const { db, session } = await makePhone(server);
    for (let i = 1; i <= 5; i++) await recordChange(db, { entity: 'visit', recordId: id(i), values: visit(`第${i}`) });
    const client = (await getMeta(db, META.client)).client_id;
    const result = await push(db, session.call, { clientId: client, batchSize: 100 });
    expect(result.ok).toBe(true);
    expect(result.summary.applied).toBe(5);
    const sizes = pushes(server).map((r) => r.body.mutations.length);
    expect(sizes[0]).toBe(5);
    expect(Math.max(...sizes.slice(1))).toBeLessThanOrEqual(2);
  });

  it('holds a second change of the same record until the first is answered, then bases it on the new version', async () => {
    const server = createFakeServer();
    server.put('visit', id(4), visit('原来'));
    const { db, engine } = await makePhone(server);
    await engine.sync('manual');
    await recordChange(db, { entity: 'visit', recordId: id(4), values: { summary: '第一次改' } });
    await recordChange(db, { entity: 'visit', recordId: id(4), values: { summary: '第二次改' } });
    await recordChange(db, { entity: 'visit', recordId: id(7), values: visit('新的') });
    const result = await engine.sync('manual');
    expect(result.ok).toBe(true);
    expect(result.push.conflict).toBe(0);
    const batches = pushes(server).map((r) => r.body.mutations.map((m) => [m.id, m.base_version]));
    expect(batches).toEqual([[[1, 1]], [[2, 2], [3, null]]]);
    expect(server.get('visit', id(4)).data.summary).toBe('第二次改');
    expect(await db.visits.get(id(4))).toMatchObject({ _state: 'synced', version: 3 });
  });

  it('keeps the version it last saw after a merge, so a staff change it never saw is a conflict', async () => {
    const server = createFakeServer();
    server.put('visit', id(5), visit('原来', { needs: '无' }));
    const { db, engine } = await makePhone(server);
    await engine.sync('manual');
    server.put('visit', id(5), { summary: '干部改的' }); // version 2, not yet seen by the phone
    await recordChange(db, { entity: 'visit', recordId: id(5), values: { needs: '修房' } });
    await recordChange(db, { entity: 'visit', recordId: id(5), values: { summary: '联络员改的' } });
    const result = await engine.sync('manual');
    expect(result.push).toMatchObject({ merged: 1, conflict: 1 });
    const batches = pushes(server).map((r) => r.body.mutations.map((m) => [m.id, m.base_version]));
    expect(batches).toEqual([[[1, 1]], [[2, 1]]]);
    expect(server.get('visit', id(5)).data).toMatchObject({ summary: '干部改的', needs: '修房' });
    expect(await db.visits.get(id(5))).toMatchObject({ _state: 'conflict' });
  });

  it('edits the same field twice offline without clashing with itself', async () => {
    const server = createFakeServer();
    server.put('visit', id(6), visit('原来'));
    const { db, engine } = await makePhone(server);
    await engine.sync('manual');
    server.put('visit', id(6), { needs: '干部补充' }); // another field, unseen
    await recordChange(db, { entity: 'visit', recordId: id(6), values: { summary: '第一次' } });
    await recordChange(db, { entity: 'visit', recordId: id(6), values: { summary: '第二次' } });
    const result = await engine.sync('manual');
    expect(result.push.conflict).toBe(0);
    expect(server.get('visit', id(6)).data).toMatchObject({ summary: '第二次', needs: '干部补充' });
  });

  it('uploads queued photos with their SHA-256', async () => {
    const server = createFakeServer();
    const { db, engine } = await makePhone(server);
    const blob = new Blob([new Uint8Array([255, 216, 255, 1, 2, 3])], { type: 'image/jpeg' });
    await queuePhoto(db, { id: id(50), visitId: id(1), blob });
    await recordChange(db, { entity: 'visit', recordId: id(1), values: visit('有照片', { photo_ids: [id(50)] }) });
    await engine.sync('manual');
    const put = server.requests.find((r) => r.path === `/attachments/${id(50)}`);
    expect(put.method).toBe('PUT');
    const photo = await db.photos.get(id(50));
    expect(photo.state).toBe('uploaded');
    expect(photo.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(photo.blob).toBeNull();
  });

  it('keeps the photos of a visit the server refused on the phone until the visit is fixed', async () => {
    const server = createFakeServer();
    const { db, engine } = await makePhone(server);
    const blob = new Blob([new Uint8Array([255, 216, 255, 9, 9, 9])], { type: 'image/jpeg' });
    await queuePhoto(db, { id: id(51), visitId: id(3), blob });
    await recordChange(db, { entity: 'visit', recordId: id(3), values: visit('坏\u0000字', { photo_ids: [id(51)] }) });
    await engine.sync('manual');
    expect((await db.visits.get(id(3)))._state).toBe('rejected');
    expect(server.requests.some((r) => r.path === `/attachments/${id(51)}`)).toBe(false);
    const held = await db.photos.get(id(51));
    expect(held.state).toBe('pending');
    expect(held.blob).not.toBeNull();

    await recordChange(db, { entity: 'visit', recordId: id(3), values: { summary: '改好了' } });
    await engine.sync('manual');
    expect(server.requests.some((r) => r.path === `/attachments/${id(51)}`)).toBe(true);
    expect((await db.photos.get(id(51))).state).toBe('uploaded');
  });

  it('runs one sync at a time (single flight)', async () => {
    const server = createFakeServer();
    const { db, engine } = await makePhone(server);
    await recordChange(db, { entity: 'visit', recordId: id(1), values: visit('一') });
    const [a, b] = [engine.sync('manual'), engine.sync('save')];
    expect(a).toBe(b);
    await a;
    expect(pushes(server)).toHaveLength(1);
  });

  it('backs off exponentially with jitter, capped', () => {
    expect(backoffDelay(1, () => 1)).toBe(5000);
    expect(backoffDelay(2, () => 1)).toBe(10000);
    expect(backoffDelay(3, () => 0)).toBe(10000);
    expect(backoffDelay(30, () => 1)).toBe(600000);
  });

  it('pushes entries written by an older app version unchanged', async () => {
    const server = createFakeServer();
    const { db, engine } = await makePhone(server);
    await recordChange(db, { entity: 'visit', recordId: id(1), values: visit('旧版本'), appVersion: '0.9.0' });
    await engine.sync('manual');
    const mutation = pushes(server)[0].body.mutations[0];
    expect(Object.keys(mutation).sort()).toEqual(['base_version', 'client_time', 'data', 'entity', 'id', 'op', 'record_id']);
    expect(server.get('visit', id(1))).toBeTruthy();
  });
});

describe('fixing what the server refused', () => {
  it('discards a rejected change and returns to the server copy', async () => {
    const { discardRejected } = await import('../src/sync/conflicts.js');
    const server = createFakeServer();
    server.put('visit', id(8), visit('原来'));
    const { db, engine } = await makePhone(server);
    await engine.sync('manual');
    await recordChange(db, { entity: 'visit', recordId: id(8), values: { summary: '' } });
    // the server refuses a blank summary
    await engine.sync('manual');
    expect((await db.visits.get(id(8)))._state).toBe('rejected');
    await discardRejected(db, 'visit', id(8));
    expect(await db.visits.get(id(8))).toMatchObject({ _state: 'synced', summary: '原来', version: 1 });
  });
});

describe('engine triggers', () => {
  it('does not count a failure while the phone is offline', async () => {
    const { LianxinDB } = await import('../src/db.js');
    const { createSyncEngine } = await import('../src/sync/engine.js');
    const server = createFakeServer();
    const phone = await makePhone(server);
    const timers = { setTimeout: () => 0, clearTimeout: () => {}, setInterval: () => 0, clearInterval: () => {} };
    const engine = createSyncEngine({ db: phone.db, session: phone.session, timers, isOnline: () => false });
    const result = await engine.sync('manual');
    expect(result).toMatchObject({ ok: false, offline: true });
    expect(engine.status().failures).toBe(0);
    expect(server.requests.filter((r) => r.path.startsWith('/sync'))).toHaveLength(0);
    expect(LianxinDB).toBeTruthy();
  });
});
