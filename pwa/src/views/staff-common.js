// Shared pieces of the staff screens: calling the API, regions, filters, tables, files.
import { h } from '../dom.js';
import { label, t } from '../i18n.js';
import '../i18n-staff.js'; // the staff screens' messages

const ZONE = 'Asia/Shanghai';

/** Calls an endpoint through the session (refreshes the token once on 401). */
export async function call(app, name, ...args) {
  const res = await app.session.call(name, ...args);
  if (res.needsLogin) app.staffNeedsLogin?.(res);
  return res;
}

export function problemText(res) {
  if (res.status === 0) return t('staff.offline');
  const error = res.error || {};
  const fields = error.errors ? Object.values(error.errors).flat().filter((m) => typeof m === 'string') : [];
  return [error.detail, ...fields].filter(Boolean).join('；') || t('staff.failed');
}

export function notice(res) {
  return h('p', { class: 'notice error', role: 'alert', 'data-testid': 'staff-error' }, problemText(res));
}

let regionsPromise = null;
/** The regions the user may see: {townships, villages, byId}, loaded once per session. */
export function regions(app) {
  if (!regionsPromise) {
    regionsPromise = call(app, 'regions').then((res) => {
      if (!res.ok) { regionsPromise = null; return { townships: [], villages: [], byId: {} }; }
      const byId = Object.fromEntries(res.data.map((r) => [r.id, r]));
      const sorted = (level) => res.data.filter((r) => r.level === level).sort((a, b) => a.code.localeCompare(b.code));
      return { townships: sorted('township'), villages: sorted('village'), byId };
    });
  }
  return regionsPromise;
}

/** After a regions import: the next screen loads the county's townships and villages again. */
export function forgetRegions() {
  regionsPromise = null;
}

export function thisMonth() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7);
}

export function formatDateTime(iso) {
  if (!iso) return '';
  const parts = new Intl.DateTimeFormat('zh-CN', {
    timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
  }).formatToParts(new Date(iso));
  const get = (type) => parts.find((p) => p.type === type)?.value || '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

export function percent(rate) {
  return rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(1)}%`;
}

/** A labelled <select>; options are [value, text] pairs, the first an "all" choice. */
export function select(testid, labelKey, options, value, onchange) {
  const el = h('select', { class: 'filter', id: testid, 'data-testid': testid, onchange: (e) => onchange(e.target.value) },
    options.map(([v, text]) => h('option', { value: v, selected: v === (value ?? '') }, text)));
  return h('label', { class: 'staff-field', for: testid }, h('span', null, t(labelKey)), el);
}

export function input(testid, labelKey, props) {
  const el = h('input', { class: 'filter', id: testid, 'data-testid': testid, ...props });
  return h('label', { class: 'staff-field', for: testid }, h('span', null, t(labelKey)), el);
}

export function choiceOptions(group, allKey = 'staff.all') {
  return [['', t(allKey)], ...Object.entries(labelsOf(group))];
}

function labelsOf(group) {
  // label() reads the loaded choices; rebuild the map through it so server labels win.
  const codes = {
    visit_types: ['monthly', 'sick', 'hardship', 'mediation', 'good_news'],
    review_status: ['pending', 'approved', 'returned'],
    health_event_kinds: ['illness', 'hospital', 'medical_aid', 'checkup'],
    mediation_status: ['open', 'mediating', 'resolved', 'referred'],
    mediation_kinds: ['family', 'neighbour', 'land', 'labour', 'military_rights'],
    roles: ['liaison', 'township_officer', 'county_officer', 'admin'],
    feedback_status: ['received', 'assigned', 'replied', 'closed'],
    feedback_categories: ['policy', 'rights', 'employment', 'suggestion', 'other'],
    policy_categories: ['preferential', 'medical', 'housing', 'employment', 'legal', 'other'],
  }[group] || [];
  return Object.fromEntries(codes.map((code) => [code, label(group, code)]));
}

/** Township and village selects of the user's scope; village choices follow the township. */
export function areaFilters(areas, query, onchange) {
  const villages = areas.villages.filter((v) => !query.township_id || v.parent_id === query.township_id);
  return [
    areas.townships.length > 1 || !query.township_id
      ? select('filter-township', 'staff.township', [['', t('staff.all')], ...areas.townships.map((r) => [r.id, r.name])],
        query.township_id, (value) => onchange({ township_id: value, village_id: '' }))
      : null,
    select('filter-village', 'staff.village', [['', t('staff.all')], ...villages.map((r) => [r.id, r.name])],
      query.village_id, (value) => onchange({ village_id: value })),
  ];
}

/** A table: columns are [headerKey, row => cell content, class?]. A table of text alone
 * gets a ``label``: its frame, scrolling sideways on a phone, is then reached by keyboard. */
export function table(testid, columns, rows, rowProps = () => ({}), { label: name } = {}) {
  return h('div', { class: 'table-wrap', tabindex: name ? '0' : null, role: name ? 'region' : null, 'aria-label': name || null },
    h('table', { class: 'staff-table', 'data-testid': testid },
      h('thead', null, h('tr', null, columns.map(([key, , cls]) => h('th', { class: cls || null }, t(key))))),
      h('tbody', null, rows.map((row) => h('tr', rowProps(row), columns.map(([, cell, cls]) => h('td', { class: cls || null }, cell(row))))))));
}

export function pager(page, total, perPage, go) {
  const pages = Math.max(1, Math.ceil(total / perPage));
  return h('div', { class: 'pager', 'data-testid': 'pager' },
    h('button', { type: 'button', class: 'btn small', disabled: page <= 1, onclick: () => go(page - 1) }, t('staff.prev')),
    h('span', { 'data-testid': 'pager-info' }, t('staff.page_info', { page, pages, total })),
    h('button', { type: 'button', class: 'btn small', disabled: page >= pages, onclick: () => go(page + 1) }, t('staff.next')));
}

/** Saves a Blob as a file with ``name``. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/** "#/review?month=…" from a path and a query object (empty values dropped). */
export function hashOf(path, query = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, v);
  const qs = params.toString();
  return `#${path}${qs ? `?${qs}` : ''}`;
}

/** A fact of a detail page (label and value); nothing when there is no value. */
export function fact(key, value, testid) {
  if (value === null || value === undefined || value === '') return null;
  return h('div', { class: 'fact', 'data-testid': testid }, h('dt', null, t(key)), h('dd', null, value));
}

export function heading(key, ...actions) {
  return h('div', { class: 'page-head' }, h('h1', { 'data-testid': 'page-title' }, t(key)), actions);
}
