// This month's visit list: 应访 / 已访 / 未访, overdue in red, search and filters.
// Rows are built once per render; search and filters only toggle `hidden`.
import { META, getMeta } from '../db.js';
import { h } from '../dom.js';
import { label, options, t } from '../i18n.js';
import { isDeleted } from '../record-state.js';
import { addDays, countyMonth, countyToday, isOverdue, monthBounds, visitDayFor } from '../time.js';
import { recordState } from './common.js';
import { unreadCount } from './notifications.js';

// Kept across re-renders (a sync finishing must not wipe what the liaison typed).
const filters = { q: '', category: '', migrant: false, followUp: false, todo: false };

const STALE_SYNC_DAYS = 3;

/**
 * Whether a person is what the liaison typed: part of the name, the name's pinyin
 * initials (zgq for 张国强, sent by the server), part of the address (三组) or the last
 * digits of the phone number (3 or 4 digits).
 */
export function personMatches(person, query) {
  const q = String(query || '').trim();
  if (!q) return true;
  if (String(person.name || '').includes(q)) return true;
  const lower = q.toLowerCase();
  if (/^[a-z]+$/.test(lower) && String(person.name_initials || '').startsWith(lower)) return true;
  if (/^\d{3,4}$/.test(q) && String(person.phone || '').replace(/\D/g, '').endsWith(q)) return true;
  return String(person.address || '').includes(q);
}

/** "还有 N 人未访" from the visit day on (county time), null before it or when all are done. */
export function todoHint({ today, visitDay, counts }) {
  if (today < visitDay || !counts.todo) return null;
  return t('list.todo_hint', { count: counts.todo });
}

/** Days since the server last confirmed a sync, when more than 3; null otherwise. */
export function staleSyncDays(lastSyncAt, now = new Date()) {
  if (!lastSyncAt) return null;
  const days = Math.floor((now.getTime() - new Date(lastSyncAt).getTime()) / 86400000);
  return days > STALE_SYNC_DAYS ? days : null;
}

/** Why a person is 待跟进 and by when: "病后复访 · 11月20日前". */
export function followUpText(reason) {
  if (!reason) return t('list.follow_up');
  const [, m, d] = (reason.due || '').split('-').map(Number);
  return t('list.follow_up_why', { why: label('task_kinds', reason.kind), month: m, day: d });
}

const collator = typeof Intl !== 'undefined' && Intl.Collator ? new Intl.Collator('zh-CN') : null;

/** Everything the list shows, computed from IndexedDB. */
export async function loadVisitList(db, { villageId = null, now = new Date() } = {}) {
  const today = countyToday(now);
  const month = countyMonth(now);
  const [first, next] = monthBounds(month);
  const [people, allVisits, tasks, followUps, unread, drafts, lastSyncAt] = await Promise.all([
    db.beneficiaries.toArray(),
    db.visits.toArray(),
    db.visit_tasks.where('period').equals(month).toArray(),
    db.visits.where('follow_up_due').belowOrEqual(today).toArray(),
    unreadCount(db),
    db.drafts.where('key').startsWith('visit:new:').primaryKeys(),
    getMeta(db, META.lastSyncAt),
  ]);
  const monthVisits = allVisits.filter((v) => v.visited_on >= first && v.visited_on < next);
  // The latest visit of any type per person, with its review (from this phone's records).
  const lastVisit = new Map();
  for (const visit of allVisits) {
    if (isDeleted(visit)) continue;
    const prev = lastVisit.get(visit.beneficiary_id);
    if (!prev || visit.visited_on > prev.visited_on) lastVisit.set(visit.beneficiary_id, visit);
  }
  const withDraft = new Set(drafts.map((key) => key.slice('visit:new:'.length)));
  const active = people.filter((p) => p.status !== 'deceased' && p.status !== 'moved' && !isDeleted(p)
    && (!villageId || p.village_id === villageId));
  const visitedBy = new Map();
  for (const visit of monthVisits) {
    if (visit.visit_type !== 'monthly' || isDeleted(visit)) continue;
    const prev = visitedBy.get(visit.beneficiary_id);
    if (!prev || visit.visited_on > prev.visited_on) visitedBy.set(visit.beneficiary_id, visit);
  }
  const doneByTask = new Set(tasks.filter((task) => task.kind === 'monthly' && task.status === 'done').map((task) => task.beneficiary_id));
  // person → {kind, due}: why they are 待跟进 and by when
  const followUp = new Map(tasks.filter((task) => task.kind !== 'monthly' && task.status !== 'done')
    .map((task) => [task.beneficiary_id, { kind: task.kind, due: task.due_on }]));
  // A follow-up is due when a visit asked for one by today and no visit came after it.
  const candidates = new Map();
  for (const visit of followUps) {
    if (isDeleted(visit)) continue;
    const prev = candidates.get(visit.beneficiary_id);
    if (!prev || visit.visited_on > prev.visited_on) candidates.set(visit.beneficiary_id, visit);
  }
  for (const [personId, visit] of candidates) {
    const later = await db.visits.where('[beneficiary_id+visited_on]')
      .between([personId, visit.visited_on], [personId, '\uffff'], false, true).count();
    if (!later && !followUp.has(personId)) {
      followUp.set(personId, { kind: visit.visit_type === 'sick' ? 'revisit' : 'follow_up', due: visit.follow_up_due });
    }
  }
  const overdueNow = isOverdue(month, today);
  const rows = active.map((person) => {
    const visit = visitedBy.get(person.id) || null;
    const visited = Boolean(visit) || doneByTask.has(person.id);
    return {
      person, visit, visited,
      overdue: !visited && overdueNow,
      followUp: followUp.has(person.id),
      followUpReason: followUp.get(person.id) || null,
      lastVisit: lastVisit.get(person.id) || null,
      draft: withDraft.has(person.id),
    };
  });
  rows.sort((a, b) => (a.visited - b.visited) || compareNames(a.person.name, b.person.name));
  // answered opinions the liaison has yet to carry back to the villager (已转告)
  const toRelay = await db.opinions.filter((o) => Boolean(o.reply) && !o.relayed_on && !isDeleted(o)).count();
  const done = rows.filter((r) => r.visited).length;
  return { rows, month, today, visitDay: visitDayFor(month), graceEnds: addDays(visitDayFor(month), 3), counts: { due: rows.length, done, todo: rows.length - done }, overdueNow, unread, lastSyncAt, now, toRelay };
}

function compareNames(a = '', b = '') {
  return collator ? collator.compare(a, b) : a.localeCompare(b);
}

function rowElement(row) {
  const { person, visit } = row;
  const status = row.visited ? 'visited' : row.overdue ? 'overdue' : 'todo';
  const badges = [
    h('span', { class: `badge visit-${status}`, 'data-testid': 'visit-status', 'data-status': status },
      t(row.visited ? 'list.visited' : row.overdue ? 'list.overdue' : 'list.not_visited')),
  ];
  if (visit) {
    const state = recordState(visit);
    if (state !== 'synced') badges.push(h('span', { class: `badge state-${state}`, 'data-testid': 'state-badge', 'data-state': state }, t(`state.${state}`)));
  }
  if (person.is_migrant) badges.push(h('span', { class: 'badge migrant' }, t('list.migrant')));
  if (row.followUp) badges.push(h('span', { class: 'badge follow-up', 'data-testid': 'follow-up' }, followUpText(row.followUpReason)));
  if (row.draft) badges.push(h('span', { class: 'badge draft', 'data-testid': 'draft-badge' }, t('list.draft')));
  const last = row.lastVisit;
  const review = last && last.review_status !== 'pending' ? last.review_status : null;
  const lastLine = last
    ? h('span', { class: 'last-visit', 'data-testid': 'last-visit', 'data-review': review || '' },
      t('list.last_visit', { date: last.visited_on.slice(5).replace('-', '/') }),
      review ? h('b', { class: `review-${review}` }, ' · ', t(`list.review_${review}`)) : null)
    : h('span', { class: 'last-visit muted', 'data-testid': 'last-visit' }, t('list.never_visited'));
  const el = h('li', { class: `person-row ${status}`, 'data-testid': 'person-row', 'data-id': person.id, 'data-status': status },
    h('a', { href: `#/b/${person.id}`, class: 'row-link' },
      h('span', { class: 'name', 'data-testid': 'person-name' }, person.name),
      h('span', { class: 'sub' }, label('beneficiary_categories', person.category), person.address ? ` · ${person.address}` : ''),
      lastLine,
      h('span', { class: 'badges' }, badges)),
    // one tap to this month's visit form (type 例行走访, today), straight from the list
    row.visited ? null : h('a', {
      class: 'btn primary quick-visit', href: `#/b/${person.id}/visit/new`, 'data-testid': 'quick-visit',
      'aria-label': t('list.quick_visit_for', { name: person.name }),
    }, t('list.quick_visit')));
  return el;
}

function matches(row, f) {
  if (f.q && !personMatches(row.person, f.q)) return false;
  if (f.category && row.person.category !== f.category) return false;
  if (f.migrant && !row.person.is_migrant) return false;
  if (f.followUp && !row.followUp) return false;
  if (f.todo && row.visited) return false;
  return true;
}

export async function render(app) {
  const data = await loadVisitList(app.db, { villageId: app.user?.role === 'liaison' ? app.user?.region?.id : null });
  return renderList(data, app);
}

/** Builds the screen; exported for the render-time test. */
export function renderList(data) {
  const started = typeof performance !== 'undefined' ? performance.now() : 0;
  const list = h('ul', { class: 'people', 'data-testid': 'person-list' });
  const elements = data.rows.map(rowElement);
  const fragment = document.createDocumentFragment();
  for (const el of elements) fragment.append(el);
  list.append(fragment);
  const empty = h('p', { class: 'empty', 'data-testid': 'list-empty', hidden: true }, t('list.empty'));

  function apply() {
    let shown = 0;
    for (let i = 0; i < data.rows.length; i++) {
      const ok = matches(data.rows[i], filters);
      elements[i].hidden = !ok;
      if (ok) shown++;
    }
    empty.hidden = shown > 0 || !data.rows.length;
  }

  const search = h('input', {
    type: 'search', class: 'search', placeholder: t('list.search'), 'aria-label': t('list.search'),
    'data-testid': 'search', value: filters.q,
    oninput: (e) => { filters.q = e.target.value.trim(); apply(); },
  });
  const category = h('select', {
    class: 'filter', 'data-testid': 'filter-category', 'aria-label': t('list.filter_all'),
    onchange: (e) => { filters.category = e.target.value; apply(); },
  }, h('option', { value: '' }, t('list.filter_all')), options('beneficiary_categories').map(([value, text]) => h('option', { value, selected: filters.category === value }, text)));
  const toggle = (key, textKey, testid) => h('label', { class: 'toggle', 'data-testid': testid },
    h('input', { type: 'checkbox', checked: filters[key], onchange: (e) => { filters[key] = e.target.checked; apply(); } }),
    ' ', t(textKey));

  const [, monthNumber] = data.month.split('-');
  const counts = h('div', { class: 'counts', 'data-testid': 'counts' },
    h('div', { class: 'count' }, h('b', { 'data-testid': 'count-due' }, String(data.counts.due)), h('span', null, t('list.due'))),
    h('div', { class: 'count done' }, h('b', { 'data-testid': 'count-done' }, String(data.counts.done)), h('span', null, t('list.done'))),
    h('div', { class: `count todo${data.overdueNow && data.counts.todo ? ' overdue' : ''}` }, h('b', { 'data-testid': 'count-todo' }, String(data.counts.todo)), h('span', null, t('list.todo'))));

  const hint = todoHint(data);
  const stale = staleSyncDays(data.lastSyncAt, data.now);
  const page = h('div', { class: 'page list-page', 'data-testid': 'visit-list' },
    stale ? h('p', { class: 'banner warn', 'data-testid': 'stale-sync', role: 'alert' }, t('list.stale_sync', { days: stale })) : null,
    hint ? h('p', { class: 'todo-hint', 'data-testid': 'todo-hint' }, hint) : null,
    h('div', { class: 'page-head' },
      h('h1', { 'data-testid': 'page-title' }, t('list.title', { month: Number(monthNumber) })),
      h('span', { class: 'muted' }, t('list.visit_day', { month: Number(data.visitDay.slice(5, 7)), day: Number(data.visitDay.slice(8)) })),
      h('a', { class: `btn notices-link${data.unread ? ' has-unread' : ''}`, href: '#/notifications', 'data-testid': 'notices-link', 'data-unread': String(data.unread || 0) },
        data.unread ? t('list.notices_unread', { count: data.unread }) : t('list.notices')),
      h('a', { class: 'btn policies-link', href: '#/policies', 'data-testid': 'policies-link' }, t('list.policies'))),
    h('div', { class: 'filters' }, search),
    counts,
    h('details', { class: 'more-filters', 'data-testid': 'more-filters', open: Boolean(filters.category || filters.migrant || filters.followUp || filters.todo) },
      h('summary', null, t('list.more_filters')),
      category,
      h('div', { class: 'toggles' },
        toggle('todo', 'list.filter_todo', 'filter-todo'),
        toggle('migrant', 'list.filter_migrant', 'filter-migrant'),
        toggle('followUp', 'list.filter_follow_up', 'filter-follow-up'))),
    data.rows.length ? null : h('p', { class: 'empty', 'data-testid': 'list-no-data' }, t('list.no_data')),
    list, empty,
    // the liaison's other duties (#19): opinions collected (and replies to carry back), meetings;
    // below the people, so the first person stays on the first screen (a reply also comes as a 通知)
    h('div', { class: 'home-duties', 'data-testid': 'home-duties' },
      h('a', { class: 'btn', href: '#/opinions/new', 'data-testid': 'home-new-opinion' }, t('home.new_opinion')),
      h('a', { class: `btn${data.toRelay ? ' has-unread' : ''}`, href: '#/opinions', 'data-testid': 'home-opinions', 'data-to-relay': String(data.toRelay || 0) },
        data.toRelay ? t('home.opinions_to_relay', { count: data.toRelay }) : t('home.opinions')),
      h('a', { class: 'btn', href: '#/meetings', 'data-testid': 'home-meetings' }, t('home.meetings'))),
    h('a', { class: 'btn', href: '#/person/new', 'data-testid': 'add-person' }, t('list.add_person')));
  apply();
  // Browser tests read this (budget: 224 people in ≤ 100 ms).
  if (started) page.dataset.renderMs = (performance.now() - started).toFixed(1);
  return page;
}

export const live = true;
