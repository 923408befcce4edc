// @vitest-environment jsdom
// 宣讲会 (#19 point 2): a village meeting recorded offline — policies picked from the
// phone's library (1 to 20), the village's people ticked, a headcount of at least them.
import { describe, expect, it, vi } from 'vitest';
import { LianxinDB } from '../src/db.js';
import { ENTITIES } from '../src/entities.js';
import { recordChange } from '../src/sync/outbox.js';
import {
  MAX_POLICIES, headcountOf, meetingRules, policyMatches, render as renderForm,
} from '../src/views/meeting-form.js';
import { render as renderConflict } from '../src/views/conflict.js';
import { loadMeetings, render as renderList, renderMeetings } from '../src/views/meetings.js';
import { createFakeServer } from './fake-server.js';
import { VILLAGE, freshName, makePhone } from './helpers.js';

const id = (n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const USER = { id: 4, username: 'liaison1', role: 'liaison', region: { id: VILLAGE, name: '龙光村', level: 'village' } };
const person = (n, name, extra = {}) => ({ id: id(n), name, name_initials: extra.initials, village_id: VILLAGE, status: 'active', address: extra.address, version: 1, _state: 'synced', ...extra });
const PEOPLE = [
  person(1, '张国强', { initials: 'zgq', address: '三组' }),
  person(2, '李桂兰', { initials: 'lgl', address: '一组' }),
  person(3, '王德福', { initials: 'wdf', address: '三组' }),
  person(4, '赵老汉', { status: 'deceased' }),
  person(5, '别村人', { village_id: 'v2' }),
];
const POLICIES = [
  { id: id(11), title: '优抚对象抚恤补助标准', title_initials: 'yfdxfxbzbz', category: 'preferential', summary: '…', version: 1 },
  { id: id(12), title: '退役军人医疗保障办法', title_initials: 'tyjrylbzbf', category: 'medical', summary: '…', version: 1 },
  { id: id(13), title: '农村危房改造补助', title_initials: 'ncwfgzbz', category: 'housing', summary: '…', version: 1 },
];

// (a detached checkbox sends no change event in jsdom: the form is put on the page)
async function shown(pagePromise) {
  const page = await pagePromise;
  document.body.replaceChildren(page);
  return page;
}

async function phone() {
  const db = new LianxinDB(freshName());
  await db.open();
  await db.beneficiaries.bulkPut(PEOPLE);
  await db.policies.bulkPut(POLICIES);
  return db;
}

function fakeApp(db) {
  const app = { db, user: USER, went: [], saves: 0 };
  app.navigate = (hash) => app.went.push(hash);
  app.saved = () => { app.saves += 1; };
  app.toast = () => {};
  return app;
}

const $ = (root, testid) => root.querySelector(`[data-testid="${testid}"]`);
const $$ = (root, testid) => [...root.querySelectorAll(`[data-testid="${testid}"]`)];

function type(input, value) {
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
}
const tick = (page, n) => page.querySelector(`[data-testid="attendee-tick"][data-id="${id(n)}"]`).click();
const submit = (page) => $(page, 'meeting-form').dispatchEvent(new Event('submit', { cancelable: true }));

describe('the meeting’s rules', () => {
  const one = [{ id: id(11), title: '优抚' }];
  it('asks for 1 to 20 policies', () => {
    expect(meetingRules({ policies_explained: [], headcount: '3' }).policies_explained).toEqual(['请选择讲解的政策（1 至 20 条）']);
    const many = Array.from({ length: MAX_POLICIES + 1 }, (_, i) => ({ id: id(100 + i), title: `政策${i}` }));
    expect(meetingRules({ policies_explained: many, headcount: '3' }).policies_explained).toHaveLength(1);
    expect(meetingRules({ policies_explained: one, headcount: '3' })).toEqual({});
  });

  it('a headcount of at least 1 and at least the people ticked', () => {
    const three = [id(1), id(2), id(3)];
    expect(meetingRules({ policies_explained: one, attendee_ids: three, headcount: '2' }).headcount).toEqual(['到场人数不能少于勾选的人数']);
    expect(meetingRules({ policies_explained: one, attendee_ids: three, headcount: '3' })).toEqual({});
    expect(meetingRules({ policies_explained: one, headcount: '0' }).headcount).toEqual(['到场人数须在 1 至 5000 之间']);
    expect(meetingRules({ policies_explained: one, headcount: '2.5' }).headcount).toEqual(['到场人数须在 1 至 5000 之间']);
    expect(meetingRules({ policies_explained: one, headcount: '5001' }).headcount).toHaveLength(1);
    expect(headcountOf('１２')).toBe(12); // a Chinese keyboard's full-width digits
    expect(headcountOf('')).toBeNull();
  });

  it('finds a policy by title or pinyin initials', () => {
    expect(policyMatches(POLICIES[0], '抚恤')).toBe(true);
    expect(policyMatches(POLICIES[0], 'YFDX')).toBe(true);
    expect(policyMatches(POLICIES[0], 'fx')).toBe(true); // the library's search: initials anywhere
    expect(policyMatches(POLICIES[0], 'tyjr')).toBe(false);
    expect(policyMatches(POLICIES[1], '')).toBe(true);
  });
});

describe('recording a meeting offline', () => {
  it('picks policies and people; the headcount follows the ticks until typed; only the declared fields go up', async () => {
    const db = await phone();
    const app = fakeApp(db);
    const page = await shown(renderForm(app, {}));
    // the village's people on its list (not the dead, not another village's)
    expect($$(page, 'attendee-row').map((row) => row.dataset.id)).toEqual([id(1), id(2), id(3)].sort((a, b) => {
      const name = (x) => PEOPLE.find((p) => p.id === x).name;
      return new Intl.Collator('zh-CN').compare(name(a), name(b));
    }));
    type($(page, 'attendee-search'), '三组');
    expect($$(page, 'attendee-row').filter((row) => !row.hidden).map((row) => row.dataset.id).sort()).toEqual([id(1), id(3)]);

    type($(page, 'meeting-policy-search'), 'tyjr');
    expect($$(page, 'meeting-policy-option').map((b) => b.dataset.id)).toEqual([id(12)]);
    $(page, 'meeting-policy-option').click();
    type($(page, 'meeting-policy-search'), '');
    expect($$(page, 'meeting-policy-option').map((b) => b.dataset.id)).not.toContain(id(12)); // picked once
    page.querySelector(`[data-testid="meeting-policy-option"][data-id="${id(11)}"]`).click();
    expect($$(page, 'meeting-policy-picked').map((li) => li.dataset.id)).toEqual([id(12), id(11)]);

    const headcount = $(page, 'input-headcount');
    tick(page, 1);
    tick(page, 3);
    expect(headcount.value).toBe('2');
    expect($(page, 'attendee-count').textContent).toBe('已勾选 2 人');
    tick(page, 3);
    expect(headcount.value).toBe('1');
    tick(page, 3);
    type(headcount, '25'); // villagers not on the list came too
    tick(page, 2);
    expect(headcount.value).toBe('25');

    type($(page, 'input-place'), '村委会院坝');
    type($(page, 'input-held_on'), '2026-11-18');
    submit(page);
    await vi.waitFor(() => expect(app.went).toEqual(['#/meetings']));
    const [entry] = await db.outbox.toArray();
    expect(entry).toMatchObject({ entity: 'outreach_meeting', op: 'upsert', base_version: null });
    expect(entry.data).toEqual({
      village_id: VILLAGE, held_on: '2026-11-18', place: '村委会院坝',
      policies_explained: [{ id: id(12), title: '退役军人医疗保障办法' }, { id: id(11), title: '优抚对象抚恤补助标准' }],
      attendee_ids: [id(1), id(3), id(2)], headcount: 25,
    });
    for (const name of Object.keys(entry.data)) expect(ENTITIES.outreach_meeting.fields).toContain(name);
    expect(await db.outreach_meetings.get(entry.record_id)).toMatchObject({ _state: 'queued', liaison_id: 4, headcount: 25 });

    const list = await renderList(app);
    const row = $(list, 'meeting-row');
    expect($(row, 'meeting-place').textContent).toBe('村委会院坝');
    expect($(row, 'meeting-headcount').textContent).toBe('25 人到场');
    expect($(row, 'state-badge').textContent).toBe('待同步');
  });

  it('refuses a meeting without a policy, or with fewer people than ticked', async () => {
    const db = await phone();
    const app = fakeApp(db);
    const page = await shown(renderForm(app, {}));
    type($(page, 'input-place'), '三组晒坝');
    tick(page, 1);
    tick(page, 2);
    type($(page, 'input-headcount'), '1');
    submit(page);
    await vi.waitFor(() => expect($(page, 'error-policies_explained').hidden).toBe(false));
    expect($(page, 'error-policies_explained').textContent).toBe('请选择讲解的政策（1 至 20 条）');
    expect($(page, 'error-headcount').textContent).toBe('到场人数不能少于勾选的人数');
    type($(page, 'input-headcount'), '');
    submit(page);
    await vi.waitFor(() => expect($(page, 'error-headcount').textContent).toBe('此项必填'));
    expect(await db.outbox.count()).toBe(0);
    expect(app.went).toEqual([]);
  });

  it('keeps a meeting half written as a draft, the picked policies and ticks too', async () => {
    const db = await phone();
    const app = fakeApp(db);
    const page = await shown(renderForm(app, {}));
    type($(page, 'input-place'), '三组晒坝');
    page.querySelector(`[data-testid="meeting-policy-option"][data-id="${id(13)}"]`).click();
    tick(page, 2);
    await vi.waitFor(async () => expect(await db.drafts.count()).toBe(1), { timeout: 3000 });
    const again = await shown(renderForm(app, {}));
    await vi.waitFor(() => expect($(again, 'draft-notice').hidden).toBe(false));
    expect($(again, 'input-place').value).toBe('三组晒坝');
    expect($$(again, 'meeting-policy-picked').map((li) => li.dataset.id)).toEqual([id(13)]);
    expect(again.querySelector(`[data-testid="attendee-tick"][data-id="${id(2)}"]`).checked).toBe(true);
    expect($(again, 'attendee-count').textContent).toBe('已勾选 1 人');
    expect($(again, 'input-headcount').value).toBe('1');
  });

  it('says so when the phone holds no policies yet', async () => {
    const db = new LianxinDB(freshName());
    await db.open();
    const page = await renderForm(fakeApp(db), {});
    expect($(page, 'meeting-no-policies')).not.toBeNull();
    expect($(page, 'meeting-no-people')).not.toBeNull();
  });
});

describe('the village’s meetings', () => {
  it('lists them newest first; a synced one comes back from the server, a refused one shows 有误', async () => {
    const server = createFakeServer();
    const { db, engine } = await makePhone(server);
    server.put('outreach_meeting', id(21), { village_id: VILLAGE, held_on: '2026-11-02', place: '村委会', policies_explained: [{ id: id(11), title: '优抚对象抚恤补助标准' }], attendee_ids: [], headcount: 30, liaison_id: 4 });
    await recordChange(db, { entity: 'outreach_meeting', recordId: id(22), values: { village_id: VILLAGE, held_on: '2026-11-16', place: '坏\u0001地', policies_explained: [{ id: id(12), title: '退役军人医疗保障办法' }], attendee_ids: [], headcount: 5 } });
    await engine.sync('manual');
    const rows = await loadMeetings(db, VILLAGE);
    expect(rows.map((r) => r.id)).toEqual([id(22), id(21)]);
    const list = renderMeetings(rows);
    const [refused, synced] = $$(list, 'meeting-row');
    expect(refused.dataset.state).toBe('rejected');
    expect($(refused, 'record-errors').textContent).toBe('含有无法保存的字符，请删除后再提交');
    expect(synced.dataset.state).toBe('synced');
    expect($(synced, 'meeting-policies').textContent).toBe('优抚对象抚恤补助标准');
    expect(await loadMeetings(db, 'v2')).toEqual([]);

    // the refused one opens in its form with the server's message on the field
    const app = fakeApp(db);
    const form = await renderForm(app, { meetingId: id(22) });
    await vi.waitFor(() => expect($(form, 'error-place').hidden).toBe(false));
    expect($(form, 'input-place').value).toBe('坏\u0001地');
    expect($$(form, 'meeting-policy-picked').map((li) => li.dataset.id)).toEqual([id(12)]);
    expect($(form, 'input-headcount').value).toBe('5');
  });
});

describe('a meeting changed on both sides', () => {
  it('shows the policies by title and the people by their count, and goes back to the meetings', async () => {
    const server = createFakeServer();
    const base = { village_id: VILLAGE, held_on: '2026-11-02', place: '村委会', policies_explained: [{ id: id(11), title: '优抚对象抚恤补助标准' }], attendee_ids: [], headcount: 30, liaison_id: 4 };
    server.put('outreach_meeting', id(31), base);
    const { db, engine } = await makePhone(server);
    await engine.sync('manual');
    await recordChange(db, { entity: 'outreach_meeting', recordId: id(31), values: { policies_explained: [{ id: id(12), title: '退役军人医疗保障办法' }], attendee_ids: [id(1), id(2)] } });
    server.put('outreach_meeting', id(31), { policies_explained: [{ id: id(13), title: '农村危房改造补助' }] }); // staff changed it meanwhile
    await engine.sync('manual');
    expect((await db.outreach_meetings.get(id(31)))._state).toBe('conflict');
    const app = fakeApp(db);
    const page = await renderConflict(app, { entity: 'outreach_meeting', id: id(31) });
    const field = page.querySelector('[data-testid="conflict-field"][data-field="policies_explained"]');
    expect(field.querySelector('th').textContent).toBe('讲了哪些政策');
    expect($(field, 'conflict-mine').textContent).toBe('退役军人医疗保障办法');
    expect($(field, 'conflict-server').textContent).toBe('农村危房改造补助');
    expect($(page, 'back').getAttribute('href')).toBe('#/meetings');
    // the list sends the liaison to the conflict, as for every record
    const row = $(renderMeetings(await loadMeetings(db, VILLAGE)), 'meeting-open');
    expect(row.getAttribute('href')).toBe(`#/conflict/outreach_meeting/${id(31)}`);
  });
});
