// 记录宣讲会: a village's policy outreach as a group meeting (#19 point 2), recorded
// offline like a visit — where and when, the policies explained (picked from the phone's
// library, kept with the title as shown), the village's people who came (ticked from its
// list) and how many came in all. The rules are the server's (server/policies/meetings.py,
// server/policies/models.py OutreachMeeting): 1 to 20 policies, a headcount of at least 1
// and at least the people ticked.
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { isDeleted } from '../record-state.js';
import { countyToday } from '../time.js';
import { factRow, notFound, pageHeader, stateBadge } from './common.js';
import { recordFormPage } from './record-form.js';
import { policyMatches } from './policies.js';
import { MAX_EXPLAINED, explainedList } from './visit-outreach.js';
import { personMatches } from './visit-list.js';

// the library's own search (title, or pinyin initials), as the 法规政策 screen and the visit form search
export { policyMatches };

// As the server allows (server/policies/values.py MAX_EXPLAINED, models.py MAX_ATTENDEES, MAX_HEADCOUNT).
export const MAX_POLICIES = MAX_EXPLAINED;
export const MAX_ATTENDEES = 500;
export const MAX_HEADCOUNT = 5000;
const SHOWN_POLICIES = 8;

const collator = typeof Intl !== 'undefined' && Intl.Collator ? new Intl.Collator('zh-CN') : null;
const byTitle = (a, b) => (collator ? collator.compare(a.title || '', b.title || '') : String(a.title).localeCompare(String(b.title)));
const byName = (a, b) => (collator ? collator.compare(a.name || '', b.name || '') : String(a.name).localeCompare(String(b.name)));

function add(errors, name, message) {
  (errors[name] ||= []).push(message);
}

/** The headcount typed ("12" → 12); NaN when it is not a whole number, null when empty. */
export function headcountOf(raw) {
  if (raw === null || raw === undefined || raw === '') return null;
  if (typeof raw === 'number') return raw;
  const text = String(raw).normalize('NFKC').trim();
  if (!text) return null;
  return /^\d+$/.test(text) ? Number(text) : Number.NaN;
}

/** The meeting's rules between fields, with the server's messages. */
export function meetingRules(values) {
  const errors = {};
  const policies = Array.isArray(values.policies_explained) ? values.policies_explained : [];
  if (policies.length < 1 || policies.length > MAX_POLICIES) add(errors, 'policies_explained', t('v.policies_count', { max: MAX_POLICIES }));
  const people = Array.isArray(values.attendee_ids) ? values.attendee_ids : [];
  if (people.length > MAX_ATTENDEES) add(errors, 'attendee_ids', t('v.attendees_max', { max: MAX_ATTENDEES }));
  const headcount = headcountOf(values.headcount);
  if (headcount !== null) {
    if (!Number.isInteger(headcount) || headcount < 1 || headcount > MAX_HEADCOUNT) {
      add(errors, 'headcount', t('v.headcount_range', { min: 1, max: MAX_HEADCOUNT }));
    } else if (headcount < people.length) {
      add(errors, 'headcount', t('v.headcount_too_few'));
    }
  }
  return errors;
}

/** The meeting as it is sent. */
export function meetingValues(values) {
  return {
    held_on: values.held_on, place: values.place,
    policies_explained: (values.policies_explained || []).map(({ id, title }) => ({ id, title })),
    attendee_ids: [...(values.attendee_ids || [])],
    headcount: headcountOf(values.headcount),
    notes: values.notes ?? null,
  };
}

/**
 * The policies picked, each removable, and a search over the phone's library (title or
 * pinyin initials) with its matches to add. Read and set through `value`: [{id, title}].
 */
export function policyPicker(attrs, policies) {
  let picked = [];
  const pickedList = h('ul', { class: 'picked', 'data-testid': 'meeting-policy-picked-list' });
  const found = h('ul', { class: 'pick-options', 'data-testid': 'meeting-policy-options' });
  const noMatch = h('p', { class: 'hint', 'data-testid': 'meeting-policy-no-match', hidden: true }, t('policies.no_match'));
  const search = h('input', {
    type: 'search', class: 'search', 'data-testid': 'meeting-policy-search',
    placeholder: t('outreach.policy_search'), 'aria-label': t('outreach.policy_search'), oninput: () => drawOptions(),
  });
  const el = h('div', { ...attrs, class: 'picker', role: 'group' },
    pickedList,
    policies.length ? [search, found, noMatch] : h('p', { class: 'hint', 'data-testid': 'meeting-no-policies' }, t('outreach.no_policies')));

  function changed() {
    drawPicked();
    drawOptions();
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }

  function drawPicked() {
    pickedList.replaceChildren(...picked.map((item) => h('li', { 'data-testid': 'meeting-policy-picked', 'data-id': item.id },
      h('span', { class: 'picked-title' }, item.title),
      h('button', {
        type: 'button', class: 'btn small', 'data-testid': 'meeting-policy-unpick', 'aria-label': t('outreach.unpick', { title: item.title }),
        onclick: () => { picked = picked.filter((p) => p.id !== item.id); changed(); },
      }, '×'))));
    pickedList.hidden = !picked.length;
  }

  function drawOptions() {
    const full = picked.length >= MAX_POLICIES;
    search.hidden = full;
    const taken = new Set(picked.map((p) => p.id));
    const q = search.value.trim();
    // what starts with the typed text first, as the visit form's picker offers them
    const lower = q.toLowerCase();
    const starts = (p) => Boolean(q) && (String(p.title || '').startsWith(q) || String(p.title_initials || '').startsWith(lower));
    const matches = full ? [] : policies.filter((p) => !taken.has(p.id) && policyMatches(p, q))
      .sort((a, b) => starts(b) - starts(a)).slice(0, SHOWN_POLICIES);
    found.replaceChildren(...matches.map((policy) => h('li', null, h('button', {
      type: 'button', class: 'btn pick-option', 'data-testid': 'meeting-policy-option', 'data-id': policy.id,
      onclick: () => { picked = [...picked, { id: policy.id, title: policy.title }]; changed(); },
    }, '＋ ', policy.title))));
    noMatch.hidden = full || Boolean(matches.length) || !q;
  }

  Object.defineProperty(el, 'value', {
    get: () => picked.map((p) => ({ ...p })),
    set: (list) => {
      picked = explainedList(list);
      drawPicked();
      drawOptions();
    },
  });
  drawPicked();
  drawOptions();
  return el;
}

/**
 * The village's people as a tick list with a search box (name, pinyin initials, 组,
 * phone tail). Read and set through `value`: the ids ticked, in the order ticked.
 * `onTick(count, before)` runs when the liaison ticks or unticks someone.
 */
export function attendeePicker(attrs, people, { onTick = () => {} } = {}) {
  let ticked = [];
  const count = h('p', { class: 'tick-count', 'data-testid': 'attendee-count', role: 'status' });
  const search = h('input', {
    type: 'search', class: 'search', 'data-testid': 'attendee-search',
    placeholder: t('meeting.attendee_search'), 'aria-label': t('meeting.attendee_search'), oninput: () => filter(),
  });
  const boxes = new Map();
  const rows = people.map((person) => {
    const box = h('input', {
      type: 'checkbox', value: person.id, 'data-testid': 'attendee-tick', 'data-id': person.id,
      onchange: () => {
        const before = ticked.length;
        ticked = box.checked ? [...ticked.filter((id) => id !== person.id), person.id] : ticked.filter((id) => id !== person.id);
        showCount();
        onTick(ticked.length, before);
      },
    });
    boxes.set(person.id, box);
    return h('li', { 'data-testid': 'attendee-row', 'data-id': person.id },
      h('label', { class: 'tick' }, box,
        h('span', { class: 'tick-name' }, person.name),
        person.address ? h('span', { class: 'muted' }, person.address) : null));
  });
  const list = h('ul', { class: 'tick-list', 'data-testid': 'attendee-list' }, rows);

  function filter() {
    const q = search.value.trim();
    people.forEach((person, i) => { rows[i].hidden = !personMatches(person, q); });
  }
  function showCount() {
    count.textContent = t('meeting.ticked', { count: ticked.length });
  }

  const el = h('div', { ...attrs, class: 'picker', role: 'group' },
    people.length ? [search, count, list] : h('p', { class: 'hint', 'data-testid': 'meeting-no-people' }, t('meeting.no_people')));
  Object.defineProperty(el, 'value', {
    get: () => [...ticked],
    set: (ids) => {
      ticked = [...new Set((Array.isArray(ids) ? ids : []).map(String))];
      for (const [id, box] of boxes) box.checked = ticked.includes(id);
      showCount();
    },
  });
  showCount();
  return el;
}

/** The village's people who may be ticked: those on its list, and anyone ticked before. */
export async function villagePeople(db, villageId, ticked = []) {
  const rows = villageId
    ? await db.beneficiaries.where('[village_id+name]').between([villageId, ''], [villageId, '\uffff']).toArray()
    : [];
  const keep = new Set(ticked);
  return rows.filter((p) => !isDeleted(p) && ((p.status !== 'deceased' && p.status !== 'moved') || keep.has(p.id))).sort(byName);
}

export async function libraryPolicies(db) {
  return (await db.policies.toArray()).filter((p) => !isDeleted(p)).sort(byTitle);
}

function readOnly(row) {
  return h('div', { class: 'page', 'data-testid': 'meeting-page', 'data-id': row.id },
    pageHeader(t('meeting.title'), { back: '#/meetings' }),
    h('p', { class: 'notice', 'data-testid': 'meeting-read-only' }, t('meeting.read_only')),
    h('p', null, stateBadge(row)),
    h('dl', { class: 'facts' },
      factRow('meeting.held_on', row.held_on),
      factRow('meeting.place', row.place),
      factRow('meeting.headcount', row.headcount),
      factRow('meeting.notes', row.notes)),
    h('ul', { class: 'plain' }, (row.policies_explained || []).map((p) => h('li', null, p.title))));
}

export async function render(app, { meetingId }) {
  const row = meetingId ? await app.db.outreach_meetings.get(meetingId) : null;
  if (meetingId && (!row || isDeleted(row))) return notFound('meeting.not_found');
  // the liaison changes what they recorded (the server refuses others': not_meeting_owner)
  if (row && row.version != null && row.liaison_id != null && row.liaison_id !== app.user?.id) return readOnly(row);
  const villageId = row?.village_id ?? app.user?.region?.id ?? null;
  const [people, policies] = await Promise.all([villagePeople(app.db, villageId, row?.attendee_ids), libraryPolicies(app.db)]);
  let headcount = null;
  // the headcount follows the people ticked until the liaison types another number
  const follow = (count, before) => {
    const typed = headcount.value.trim();
    if (typed === '' || typed === String(before)) headcount.value = count ? String(count) : '';
  };
  const fields = [
    { name: 'place', label: 'meeting.place', type: 'text', required: true, max: 100, hint: 'meeting.place_hint' },
    { name: 'held_on', label: 'meeting.held_on', type: 'date', required: true, past: true, nullable: false },
    { name: 'policies_explained', label: 'meeting.policies', input: (attrs) => policyPicker(attrs, policies) },
    { name: 'attendee_ids', label: 'meeting.attendees', input: (attrs) => attendeePicker(attrs, people, { onTick: follow }) },
    {
      name: 'headcount', label: 'meeting.headcount', required: true, hint: 'meeting.headcount_hint',
      input: (attrs) => { headcount = h('input', { ...attrs, type: 'number', inputmode: 'numeric', min: 1, max: MAX_HEADCOUNT, autocomplete: 'off' }); return headcount; },
    },
    { name: 'notes', label: 'meeting.notes', type: 'textarea', max: 1000, rows: 3 },
  ];
  return recordFormPage(app, {
    entity: 'outreach_meeting', row,
    title: t(row ? 'meeting.edit_title' : 'meeting.new_title'), back: '#/meetings', fields,
    initial: { held_on: countyToday(), policies_explained: [], attendee_ids: [] },
    rules: [meetingRules], toValues: meetingValues,
    fixed: { village_id: villageId }, local: { liaison_id: app.user?.id ?? null }, testid: 'meeting-form',
  });
}
