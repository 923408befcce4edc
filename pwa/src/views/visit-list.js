// This month's visit list: 应访 / 已访 / 未访, overdue in red, search and filters.
// Rows are built once per render; search and filters only toggle `hidden`.
import { h } from '../dom.js';
import { label, options, t } from '../i18n.js';
import { isDeleted } from '../record-state.js';
import { addDays, countyMonth, countyToday, isOverdue, monthBounds, visitDayFor } from '../time.js';
import { recordState } from './common.js';
import { unreadCount } from './notifications.js';

// Kept across re-renders (a sync finishing must not wipe what the liaison typed).
const filters = { q: '', category: '', migrant: false, followUp: false, todo: false };

const collator = typeof Intl !== 'undefined' && Intl.Collator ? new Intl.Collator('zh-CN') : null;

/** Everything the list shows, computed from IndexedDB. */
export async function loadVisitList(db, { villageId = null, now = new Date() } = {}) {
  const today = countyToday(now);
  const month = countyMonth(now);
  const [first, next] = monthBounds(month);
  const [people, monthVisits, tasks, followUps, unread] = await Promise.all([
    db.beneficiaries.toArray(),
    db.visits.where('visited_on').between(first, next, true, false).toArray(),
    db.visit_tasks.where('period').equals(month).toArray(),
    db.visits.where('follow_up_due').belowOrEqual(today).toArray(),
    unreadCount(db),
  ]);
  const active = people.filter((p) => p.status !== 'deceased' && p.status !== 'moved' && !isDeleted(p)
    && (!villageId || p.village_id === villageId));
  const visitedBy = new Map();
  for (const visit of monthVisits) {
    if (visit.visit_type !== 'monthly' || isDeleted(visit)) continue;
    const prev = visitedBy.get(visit.beneficiary_id);
    if (!prev || visit.visited_on > prev.visited_on) visitedBy.set(visit.beneficiary_id, visit);
  }
  const doneByTask = new Set(tasks.filter((task) => task.kind === 'monthly' && task.status === 'done').map((task) => task.beneficiary_id));
  const followUp = new Set(tasks.filter((task) => task.kind !== 'monthly' && task.status !== 'done').map((task) => task.beneficiary_id));
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
    if (!later) followUp.add(personId);
  }
  const overdueNow = isOverdue(month, today);
  const rows = active.map((person) => {
    const visit = visitedBy.get(person.id) || null;
    const visited = Boolean(visit) || doneByTask.has(person.id);
    return {
      person, visit, visited,
      overdue: !visited && overdueNow,
      followUp: followUp.has(person.id),
    };
  });
  rows.sort((a, b) => (a.visited - b.visited) || compareNames(a.person.name, b.person.name));
  const done = rows.filter((r) => r.visited).length;
  return { rows, month, today, visitDay: visitDayFor(month), graceEnds: addDays(visitDayFor(month), 3), counts: { due: rows.length, done, todo: rows.length - done }, overdueNow, unread };
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
  if (row.followUp) badges.push(h('span', { class: 'badge follow-up', 'data-testid': 'follow-up' }, t('list.follow_up')));
  const el = h('li', { class: `person-row ${status}`, 'data-testid': 'person-row', 'data-id': person.id, 'data-status': status },
    h('a', { href: `#/b/${person.id}`, class: 'row-link' },
      h('span', { class: 'name', 'data-testid': 'person-name' }, person.name),
      h('span', { class: 'sub' }, label('beneficiary_categories', person.category)),
      h('span', { class: 'badges' }, badges)));
  return el;
}

function matches(row, f) {
  if (f.q && !String(row.person.name || '').includes(f.q)) return false;
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

  const page = h('div', { class: 'page list-page', 'data-testid': 'visit-list' },
    h('div', { class: 'page-head' },
      h('h1', { 'data-testid': 'page-title' }, t('list.title', { month: Number(monthNumber) })),
      h('span', { class: 'muted' }, t('list.visit_day', { month: Number(data.visitDay.slice(5, 7)), day: Number(data.visitDay.slice(8)) })),
      h('a', { class: `btn notices-link${data.unread ? ' has-unread' : ''}`, href: '#/notifications', 'data-testid': 'notices-link', 'data-unread': String(data.unread || 0) },
        data.unread ? t('list.notices_unread', { count: data.unread }) : t('list.notices'))),
    counts,
    h('div', { class: 'filters' }, search, category,
      h('div', { class: 'toggles' },
        toggle('todo', 'list.filter_todo', 'filter-todo'),
        toggle('migrant', 'list.filter_migrant', 'filter-migrant'),
        toggle('followUp', 'list.filter_follow_up', 'filter-follow-up'))),
    data.rows.length ? null : h('p', { class: 'empty', 'data-testid': 'list-no-data' }, t('list.no_data')),
    list, empty,
    h('a', { class: 'btn', href: '#/person/new', 'data-testid': 'add-person' }, t('list.add_person')));
  apply();
  // Browser tests read this (budget: 224 people in ≤ 100 ms).
  if (started) page.dataset.renderMs = (performance.now() - started).toFixed(1);
  return page;
}

export const live = true;
