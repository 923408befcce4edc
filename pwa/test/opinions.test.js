// @vitest-environment jsdom
// 意见收集 (#19 point 3): an opinion recorded offline goes up as the declared fields only;
// the reply comes back with a pull; 已转告 only once there is a reply.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { LianxinDB } from '../src/db.js';
import { ENTITIES } from '../src/entities.js';
import { recordChange } from '../src/sync/outbox.js';
import { render as renderPerson } from '../src/views/beneficiary.js';
import { routeOf } from '../src/views/notifications.js';
import { TEXT_MAX, render as renderForm } from '../src/views/opinion-form.js';
import {
  canRelay, firstLine, loadOpinions, namesOf, relayOpinion, render as renderOpinionsPage, renderOpinion, renderOpinions,
} from '../src/views/opinions.js';
import { loadVisitList, renderList } from '../src/views/visit-list.js';
import { createFakeServer } from './fake-server.js';
import { PERSON, VILLAGE, freshName, makePhone } from './helpers.js';

const id = (n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const USER = { id: 4, username: 'liaison1', role: 'liaison', region: { id: VILLAGE, name: '龙光村', level: 'village' } };
const ZHANG = { id: PERSON, name: '张国强', village_id: VILLAGE, status: 'active', category: 'retired_soldier', version: 1, _state: 'synced' };
// a synced opinion as the server sends it, answered
const ANSWERED = {
  id: id(7), beneficiary_id: PERSON, anonymous: false, category: 'policy', text: '残疾等级怎么评？\n第二行',
  collected_on: '2026-11-10', relayed_on: null, village_id: VILLAGE, liaison_id: 4, feedback_id: id(70),
  receipt_number: 'YJ20261110001', status: 'replied', reply: '请带残疾证到县民政局优抚股办理。',
  replied_at: '2026-11-19T02:00:00+00:00', deadline: '2026-11-25', version: 3, _state: 'synced',
};

async function phone() {
  const db = new LianxinDB(freshName());
  await db.open();
  await db.beneficiaries.put(ZHANG);
  return db;
}

function fakeApp(db) {
  const app = { db, user: USER, went: [], saves: 0, toasts: [] };
  app.navigate = (hash) => app.went.push(hash);
  app.saved = () => { app.saves += 1; };
  app.toast = (message) => app.toasts.push(message);
  app.refresh = () => {};
  return app;
}

const $ = (root, testid) => root.querySelector(`[data-testid="${testid}"]`);

function type(input, value) {
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

function submit(page) {
  $(page, 'opinion-form').dispatchEvent(new Event('submit', { cancelable: true }));
}

describe('recording an opinion offline', () => {
  it('from a person’s screen: the person is named, and only the declared fields are queued', async () => {
    const db = await phone();
    const app = fakeApp(db);
    const person = await renderPerson(app, { id: PERSON });
    expect($(person, 'record-opinion').getAttribute('href')).toBe(`#/b/${PERSON}/opinion/new`);

    const page = await renderForm(app, { id: PERSON });
    expect($(page, 'page-title').textContent).toBe('记录 张国强 的意见');
    expect($(page, 'field-anonymous')).toBeNull(); // a named person's opinion is not anonymous
    expect(page.querySelectorAll('[data-testid="input-category"] input[type=radio]')).toHaveLength(5);
    expect($(page, 'input-collected_on').value).toMatch(/^\d{4}-\d{2}-\d{2}$/); // today by default
    $(page, 'input-category-rights').querySelector('input').click();
    type($(page, 'input-text'), '工资被拖欠三个月  ');
    type($(page, 'input-collected_on'), '2026-11-18');
    submit(page);
    await vi.waitFor(() => expect(app.went).toEqual([`#/b/${PERSON}`]));

    const [entry] = await db.outbox.toArray();
    expect(entry).toMatchObject({ entity: 'opinion', op: 'upsert', base_version: null });
    expect(entry.data).toEqual({
      beneficiary_id: PERSON, anonymous: false, category: 'rights', text: '工资被拖欠三个月', collected_on: '2026-11-18',
    });
    for (const name of Object.keys(entry.data)) expect(ENTITIES.opinion.fields).toContain(name);
    const row = await db.opinions.get(entry.record_id);
    // shown on the phone at once, with the village the server will set, 待同步
    expect(row).toMatchObject({ _state: 'queued', village_id: VILLAGE, liaison_id: 4, category: 'rights' });
    expect(app.saves).toBe(1);

    const again = await renderPerson(app, { id: PERSON });
    const item = $(again, 'person-opinion-row');
    expect(item.dataset.state).toBe('queued');
    expect($(item, 'state-badge').textContent).toBe('待同步');
  });

  it('from the home list: nobody named, 匿名 when ticked', async () => {
    const db = await phone();
    const app = fakeApp(db);
    const home = renderList(await loadVisitList(db, { villageId: VILLAGE }));
    expect($(home, 'home-new-opinion').getAttribute('href')).toBe('#/opinions/new');
    expect($(home, 'home-meetings').getAttribute('href')).toBe('#/meetings');

    const page = await renderForm(app, {});
    expect($(page, 'page-title').textContent).toBe('记录群众意见');
    $(page, 'input-category-suggestion').querySelector('input').click();
    type($(page, 'input-text'), '希望村里修一条机耕道');
    $(page, 'input-anonymous').click();
    submit(page);
    await vi.waitFor(() => expect(app.went).toEqual(['#/opinions']));
    const [entry] = await db.outbox.toArray();
    expect(Object.keys(entry.data).sort()).toEqual(['anonymous', 'category', 'collected_on', 'text']);
    expect(entry.data.anonymous).toBe(true);
    const rows = await loadOpinions(db);
    const list = renderOpinions(rows, await namesOf(db, rows), app);
    expect($(list, 'opinion-person').textContent).toBe('匿名');
    expect($(list, 'opinion-first-line').textContent).toBe('希望村里修一条机耕道');
    expect($(list, 'opinion-status')).toBeNull(); // the server has not answered anything yet
  });

  it('asks for a category and the text, and keeps the server’s length limit', async () => {
    const db = await phone();
    const app = fakeApp(db);
    const page = await renderForm(app, { id: PERSON });
    submit(page);
    await vi.waitFor(() => expect($(page, 'error-category').hidden).toBe(false));
    expect($(page, 'error-category').textContent).toBe('此项必填');
    expect($(page, 'error-text').textContent).toBe('此项必填');
    $(page, 'input-category-other').querySelector('input').click();
    type($(page, 'input-text'), '长'.repeat(TEXT_MAX + 1));
    submit(page);
    await vi.waitFor(() => expect($(page, 'error-text').textContent).toBe(`最多 ${TEXT_MAX} 个字`));
    expect($(page, 'error-category').hidden).toBe(true);
    expect(await db.outbox.count()).toBe(0);
    expect(app.went).toEqual([]);
  });
});

describe('已转告', () => {
  it('only once the opinion is answered, not before the reply’s day, and once', async () => {
    const now = new Date('2026-11-20T03:00:00Z'); // 11-20 in the county
    expect(canRelay(ANSWERED, '2026-11-20')).toBe(true);
    expect(canRelay({ ...ANSWERED, reply: null, replied_at: null, status: 'assigned' }, '2026-11-20')).toBe(false);
    expect(canRelay({ ...ANSWERED, replied_at: '2026-11-20T17:00:00Z' }, '2026-11-20')).toBe(false); // 11-21 in the county
    expect(canRelay({ ...ANSWERED, relayed_on: '2026-11-19' }, '2026-11-20')).toBe(false);
    expect(canRelay({ ...ANSWERED, version: null, _state: 'queued' }, '2026-11-20')).toBe(false);

    const db = await phone();
    const waiting = { ...ANSWERED, id: id(8), status: 'assigned', reply: null, replied_at: null };
    await db.opinions.bulkPut([ANSWERED, waiting]);
    expect(await relayOpinion(db, waiting, { now })).toBeNull();
    expect(await db.outbox.count()).toBe(0);

    const entry = await relayOpinion(db, ANSWERED, { now });
    expect(entry).toMatchObject({ entity: 'opinion', record_id: ANSWERED.id, base_version: 3, data: { relayed_on: '2026-11-20' } });
    const row = await db.opinions.get(ANSWERED.id);
    expect(row).toMatchObject({ relayed_on: '2026-11-20', _state: 'queued' });
    expect(await relayOpinion(db, row, { now })).toBeNull();
    expect(await db.outbox.count()).toBe(1);

    const app = fakeApp(db);
    const rows = await loadOpinions(db);
    const list = renderOpinions(rows, await namesOf(db, rows), app);
    const [relayed, unanswered] = [...list.querySelectorAll('[data-testid="opinion-row"]')];
    expect($(relayed, 'opinion-relayed').textContent).toContain('已转告 11月20日');
    expect($(relayed, 'opinion-relay')).toBeNull();
    expect($(unanswered, 'opinion-reply-box')).toBeNull();
    expect($(unanswered, 'opinion-relay')).toBeNull();
    expect($(unanswered, 'opinion-status').textContent).toBe('办理中');
  });

  it('a pulled reply shows in the list; 已转告 goes up with the next sync', async () => {
    const server = createFakeServer();
    const { db, engine } = await makePhone(server);
    await db.beneficiaries.put(ZHANG);
    await recordChange(db, { entity: 'opinion', recordId: id(1), values: { beneficiary_id: PERSON, anonymous: false, category: 'policy', text: '残疾等级怎么评？', collected_on: '2026-11-18' }, local: { village_id: VILLAGE } });
    expect((await engine.sync('manual')).ok).toBe(true);
    expect(await db.opinions.get(id(1))).toMatchObject({ _state: 'synced', version: 1 });

    // staff answer it: the server mirrors the feedback's reply onto the opinion
    server.put('opinion', id(1), { status: 'replied', reply: '请带残疾证到县民政局办理。', replied_at: '2026-11-19T02:00:00+00:00', receipt_number: 'YJ20261118001' });
    await engine.sync('manual');
    const app = fakeApp(db);
    const page = await renderOpinionsPage(app, {});
    const row = $(page, 'opinion-row');
    expect($(row, 'opinion-status').textContent).toBe('已答复');
    expect($(row, 'opinion-reply').textContent).toBe('请带残疾证到县民政局办理。');
    expect($(row, 'opinion-person').textContent).toBe('张国强');
    expect($(row, 'opinion-relay')).not.toBeNull();

    $(row, 'opinion-relay').click();
    await vi.waitFor(() => expect(app.saves).toBe(1));
    const [entry] = await db.outbox.toArray();
    expect(Object.keys(entry.data)).toEqual(['relayed_on']);
    await engine.sync('manual');
    expect(server.get('opinion', id(1)).data.relayed_on).toBe(entry.data.relayed_on);
    const detail = await renderOpinionsPage(app, { opinionId: id(1) });
    expect($(detail, 'opinion-receipt').textContent).toContain('YJ20261118001');
    expect($(detail, 'opinion-relayed')).not.toBeNull();
    expect($(detail, 'state-badge').textContent).toBe('已同步');
  });

  it('a refused opinion shows 有误 with the server’s message, and can be fixed', async () => {
    const server = createFakeServer();
    const { db, engine } = await makePhone(server);
    await recordChange(db, { entity: 'opinion', recordId: id(2), values: { anonymous: true, category: 'other', text: '坏\u0001字', collected_on: '2026-11-18' } });
    await engine.sync('manual');
    const app = fakeApp(db);
    const list = await renderOpinionsPage(app, {});
    const row = $(list, 'opinion-row');
    expect(row.dataset.state).toBe('rejected');
    expect($(row, 'state-badge').textContent).toBe('有误');
    expect($(row, 'record-errors').textContent).toBe('含有无法保存的字符，请删除后再提交');
    const detail = renderOpinion(await db.opinions.get(id(2)), {}, app);
    expect($(detail, 'opinion-fix').getAttribute('href')).toBe(`#/opinions/${id(2)}/edit`);
    const form = await renderForm(app, { opinionId: id(2) });
    expect($(form, 'server-errors')).not.toBeNull();
    expect($(form, 'input-text').value).toBe('坏\u0001字');
    // a sent opinion is not edited: its form sends the liaison to its page
    await db.opinions.put(ANSWERED);
    await renderForm(app, { opinionId: ANSWERED.id });
    expect(app.went).toEqual([`#/opinions/${ANSWERED.id}`]);
  });
});

describe('the reply’s notice and the home list', () => {
  it('the server’s link opens the opinion on the phone', () => {
    const source = readFileSync(join(__dirname, '../../server/feedback/operations.py'), 'utf8');
    const link = /f"(#\/opinions\/)\{opinion\.id\}"/.exec(source);
    expect(link).not.toBeNull();
    expect(routeOf(`${link[1]}${id(7)}`)).toBe(`#/opinions/${id(7)}`);
    expect(routeOf('#/opinions/x/../../sync')).toBeNull();
  });

  it('counts the replies still to carry back', async () => {
    const db = await phone();
    await db.opinions.bulkPut([ANSWERED, { ...ANSWERED, id: id(9), relayed_on: '2026-11-20' }]);
    const link = $(renderList(await loadVisitList(db, { villageId: VILLAGE })), 'home-opinions');
    expect(link.dataset.toRelay).toBe('1');
    expect(link.textContent).toBe('意见收集（1条待转告）');
    expect(firstLine('\n  第一行 \n第二行')).toBe('第一行');
  });
});
