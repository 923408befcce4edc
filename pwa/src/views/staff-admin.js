// Administration: users (create a liaison, reassign a liaison's village, disable) and the
// audit log (who did what to which record, when, from which device; full-ID reads).
import { h, mount } from '../dom.js';
import { label, t } from '../i18n.js';
import {
  call, choiceOptions, formatDateTime, hashOf, heading, input, notice, pager, regions, select, table,
} from './staff-common.js';

const PER_PAGE = 50;

// --- users ---------------------------------------------------------------------------

function villageOptions(areas) {
  return areas.villages.map((v) => [v.id, `${areas.byId[v.parent_id]?.name || ''} ${v.name}`]);
}

function userRow(app, user, areas) {
  const message = h('span', { class: 'error' });
  const region = areas.byId[user.region?.id];
  const reassign = user.role === 'liaison'
    ? h('select', { class: 'filter small', 'data-testid': 'user-village', 'aria-label': t('staff.users.reassign') },
      villageOptions(areas).map(([id, name]) => h('option', { value: id, selected: id === user.region?.id }, name)))
    : null;
  const patch = async (changes, doneKey) => {
    const res = await call(app, 'updateUser', user.id, changes);
    if (!res.ok) { mount(message, notice(res)); return; }
    app.toast(t(doneKey, { name: user.display_name }));
    app.staffRefresh();
  };
  return [
    user.username, user.display_name, label('roles', user.role), region ? region.name : (user.region?.name || ''), user.phone || '',
    h('span', { class: `badge ${user.active ? 'review-approved' : 'review-returned'}`, 'data-testid': 'user-active', 'data-active': String(user.active) },
      t(user.active ? 'staff.users.active' : 'staff.users.disabled')),
    h('div', { class: 'row-actions' },
      reassign,
      reassign ? h('button', { type: 'button', class: 'btn small', 'data-testid': 'user-reassign',
        onclick: () => { if (reassign.value !== user.region?.id) patch({ region_id: reassign.value }, 'staff.users.reassigned'); } },
      t('staff.users.reassign')) : null,
      user.id === app.user?.id ? null : h('button', {
        type: 'button', class: `btn small ${user.active ? 'danger' : ''}`, 'data-testid': 'user-toggle',
        onclick: () => {
          if (user.active && !window.confirm(t('staff.users.disable_confirm', { name: user.display_name }))) return;
          patch({ active: !user.active }, user.active ? 'staff.users.disabled_done' : 'staff.users.enabled_done');
        },
      }, t(user.active ? 'staff.users.disable' : 'staff.users.enable')),
      message),
  ];
}

// The level of region each role is attached to (the server's rule, users/operations.py).
const ROLE_LEVEL = { liaison: 'village', township_officer: 'township', county_officer: 'county', admin: 'county' };
const ROLES = Object.keys(ROLE_LEVEL);
// The form's field each problem+json error key marks.
const ERROR_FIELD = { region: 'region_id', region_id: 'region_id' };

/** The regions a new user of ``role`` may be attached to, as [id, text] options. */
export function regionOptions(areas, role) {
  const level = ROLE_LEVEL[role];
  if (level === 'village') return villageOptions(areas);
  if (level === 'township') return areas.townships.map((r) => [r.id, r.name]);
  return Object.values(areas.byId).filter((r) => r.level === 'county').map((r) => [r.id, r.name]);
}

/** Problems the form finds before asking the server, all at once: {field: [message]}. */
export function missingFields(values) {
  const errors = {};
  for (const name of ['username', 'display_name', 'password', 'region_id']) {
    if (!values[name]) errors[name] = [t('staff.users.required')];
  }
  return errors;
}

/** problem+json ``errors`` keyed by the form's fields (``region`` marks the region picker). */
export function fieldErrors(errors = {}) {
  const out = {};
  for (const [key, messages] of Object.entries(errors || {})) {
    const name = ERROR_FIELD[key] || key;
    out[name] = [...(out[name] || []), ...(Array.isArray(messages) ? messages : [String(messages)])];
  }
  return out;
}

function createUserForm(app, areas) {
  const fields = {};
  const field = (name, labelKey, control) => {
    const error = h('p', { class: 'field-error', id: `new-${name}-error`, 'data-testid': `new-${name}-error`, hidden: true });
    control.setAttribute('aria-describedby', error.id);
    fields[name] = { control, error };
    return h('div', { class: 'field' }, h('label', { for: control.id }, t(labelKey)), control, error);
  };
  const input = (name, props = {}) => h('input', { id: `new-${name}`, name, 'data-testid': `new-${name}`, ...props });
  const role = h('select', { id: 'new-role', 'data-testid': 'new-role' }, ROLES.map((r) => h('option', { value: r }, label('roles', r))));
  const region = h('select', { id: 'new-region_id', 'data-testid': 'new-region' });
  const regionLabel = h('span', null, t('staff.village'));
  const fillRegions = () => {
    const level = ROLE_LEVEL[role.value];
    regionLabel.textContent = t(level === 'village' ? 'staff.village' : level === 'township' ? 'staff.township' : 'staff.users.county');
    mount(region, regionOptions(areas, role.value).map(([id, text]) => h('option', { value: id }, text)));
  };
  role.addEventListener('change', fillRegions);
  fillRegions();
  const summary = h('div', { 'aria-live': 'polite' });

  const mark = (errors) => {
    for (const [name, { control, error }] of Object.entries(fields)) {
      const messages = errors[name];
      control.toggleAttribute('aria-invalid', Boolean(messages));
      if (messages) control.setAttribute('aria-invalid', 'true');
      error.textContent = messages ? messages.join('；') : '';
      error.hidden = !messages;
    }
    const unknown = Object.keys(errors).filter((name) => !fields[name]);
    mount(summary, Object.keys(errors).length
      ? h('p', { class: 'notice error', role: 'alert', 'data-testid': 'new-user-errors' },
        t('staff.users.fix_fields', { count: Object.keys(errors).length }), unknown.map((name) => ` ${errors[name].join('；')}`))
      : null);
    const first = Object.keys(fields).find((name) => errors[name]);
    if (first) fields[first].control.focus();
  };

  const regionField = h('div', { class: 'field' }, h('label', { for: 'new-region_id' }, regionLabel), region,
    (() => { const error = h('p', { class: 'field-error', id: 'new-region_id-error', 'data-testid': 'new-region-error', hidden: true });
      region.setAttribute('aria-describedby', error.id); fields.region_id = { control: region, error }; return error; })());
  const form = h('form', {
    class: 'form card', 'data-testid': 'create-user', novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      const values = {
        username: fields.username.control.value.trim(), display_name: fields.display_name.control.value.trim(),
        password: fields.password.control.value, phone: fields.phone.control.value.trim() || null,
        role: role.value, region_id: region.value,
      };
      const missing = missingFields(values);
      if (Object.keys(missing).length) { mark(missing); return; }
      const res = await call(app, 'createUser', values);
      if (!res.ok) {
        if (res.error?.errors) mark(fieldErrors(res.error.errors));
        else mount(summary, notice(res));
        return;
      }
      mark({});
      app.toast(t('staff.users.created', { name: res.data.display_name }));
      app.staffRefresh();
    },
  }, h('h2', null, t('staff.users.create')),
  h('div', { class: 'staff-form-grid' },
    field('username', 'login.username', input('username', { autocomplete: 'off', required: true })),
    field('display_name', 'staff.users.name', input('display_name', { required: true })),
    field('password', 'login.password', input('password', { type: 'password', autocomplete: 'new-password', required: true })),
    field('phone', 'person.phone', input('phone', { type: 'tel' })),
    h('div', { class: 'field' }, h('label', { for: 'new-role' }, t('staff.users.role')), role),
    regionField),
  h('p', { class: 'muted small' }, t('staff.users.password_hint')),
  summary,
  h('button', { type: 'submit', class: 'btn primary', 'data-testid': 'create-user-submit' }, t('staff.users.create')));
  return form;
}

export async function renderUsers(app, query) {
  const areas = await regions(app);
  const page = Number(query.page) || 1;
  const filters = { role: query.role || '', q: query.q || '', active: query.active ?? '' };
  const go = (changes) => { location.hash = hashOf('/users', { ...filters, page: 1, ...changes }); };
  const res = await call(app, 'users', { ...filters, page, per_page: PER_PAGE });
  const list = res.ok
    ? [table('users', [
      ['login.username', (r) => r[0]], ['staff.users.name', (r) => r[1]], ['staff.users.role', (r) => r[2]],
      ['staff.users.region', (r) => r[3]], ['person.phone', (r) => r[4]], ['staff.users.state', (r) => r[5]],
      ['staff.users.actions', (r) => r[6]],
    ], res.data.items.map((u) => Object.assign(userRow(app, u, areas), { user: u })),
    (r) => ({ 'data-testid': 'user-row', 'data-username': r.user.username })),
    pager(page, res.data.total, PER_PAGE, (p) => { location.hash = hashOf('/users', { ...filters, page: p }); })]
    : notice(res);
  return h('div', { class: 'staff-screen', 'data-testid': 'users-page' },
    heading('staff.users.title'),
    h('div', { class: 'staff-filters' },
      select('users-role', 'staff.users.role', choiceOptions('roles'), filters.role, (v) => go({ role: v })),
      select('users-active', 'staff.users.state', [['', t('staff.all')], ['true', t('staff.users.active')], ['false', t('staff.users.disabled')]],
        filters.active, (v) => go({ active: v })),
      input('users-q', 'staff.users.search', { type: 'search', value: filters.q, onchange: (e) => go({ q: e.target.value.trim() }) })),
    list, createUserForm(app, areas));
}

// --- audit log -------------------------------------------------------------------------

function shown(value) {
  if (value === null || value === undefined || value === '') return t('staff.audit.empty');
  if (Array.isArray(value)) return value.map(shown).join('、');
  if (typeof value === 'boolean') return t(value ? 'staff.audit.yes' : 'staff.audit.no');
  if (typeof value === 'object') return Object.entries(value).map(([k, v]) => `${k}：${shown(v)}`).join('，');
  return String(value);
}

/** The changes of an entry as lines "字段：旧 → 新" (the server names fields and ids). */
export function changesText(changes) {
  if (!changes || typeof changes !== 'object') return changes ? String(changes) : '';
  const lines = Object.entries(changes).map(([field, value]) => (Array.isArray(value) && value.length === 2
    ? `${field}：${shown(value[0])} → ${shown(value[1])}` : `${field}：${shown(value)}`));
  const text = lines.join('；');
  return text.length > 240 ? `${text.slice(0, 240)}…` : text;
}

export async function renderAudit(app, query) {
  const page = Number(query.page) || 1;
  const filters = {
    username: query.username || '', record_id: query.record_id || '', entity: query.entity || '', action: query.action || '',
    date_from: query.date_from || '', date_to: query.date_to || '',
  };
  const go = (changes) => { location.hash = hashOf('/audit', { ...filters, page: 1, ...changes }); };
  const [res, known] = await Promise.all([call(app, 'audit', { ...filters, page, per_page: PER_PAGE }), call(app, 'auditActions')]);
  const actions = [['', t('staff.all')], ...(known.ok ? known.data.map((a) => [a.code, a.label]) : [])];
  const list = res.ok
    ? [table('audit', [
      ['staff.audit.at', (e) => formatDateTime(e.at)],
      ['staff.audit.user', (e) => [e.user_label || e.username || '', e.user_label && e.username ? h('div', { class: 'muted small' }, e.username) : null]],
      ['staff.audit.action', (e) => e.action_label || e.action],
      ['staff.audit.entity', (e) => e.entity_label || ''],
      ['staff.audit.record', (e) => (e.record_id
        ? h('a', { href: hashOf('/audit', { record_id: e.record_id }), title: e.record_id, 'data-testid': 'audit-record-link' }, e.record_label || t('staff.audit.this_record'))
        : '')],
      ['staff.audit.device', (e) => [e.client_id || '', e.ip ? h('div', { class: 'muted small' }, e.ip) : null]],
      ['staff.audit.changes', (e) => h('span', { class: 'changes', 'data-testid': 'audit-changes' }, changesText(e.changes_named ?? e.changes)), 'wide'],
    ], res.data.items, (e) => ({ 'data-testid': 'audit-row', 'data-action': e.action })),
    pager(page, res.data.total, PER_PAGE, (p) => { location.hash = hashOf('/audit', { ...filters, page: p }); })]
    : notice(res);
  return h('div', { class: 'staff-screen', 'data-testid': 'audit-page' },
    heading('staff.audit.title',
      h('a', { class: 'btn small', href: hashOf('/audit', { action: 'read_id_number' }), 'data-testid': 'audit-id-reads' }, t('staff.audit.id_reads'))),
    h('div', { class: 'staff-filters' },
      input('audit-username', 'staff.audit.user', { value: filters.username, onchange: (e) => go({ username: e.target.value.trim() }) }),
      input('audit-record', 'staff.audit.record', { value: filters.record_id, onchange: (e) => go({ record_id: e.target.value.trim() }) }),
      input('audit-entity', 'staff.audit.entity', { value: filters.entity, onchange: (e) => go({ entity: e.target.value.trim() }) }),
      select('audit-action', 'staff.audit.action', actions, filters.action, (v) => go({ action: v })),
      input('audit-from', 'staff.audit.from', { type: 'date', value: filters.date_from, onchange: (e) => go({ date_from: e.target.value }) }),
      input('audit-to', 'staff.audit.to', { type: 'date', value: filters.date_to, onchange: (e) => go({ date_to: e.target.value }) })),
    list);
}
