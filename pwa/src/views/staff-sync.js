// Sync oversight: conflicts waiting for a decision (mine / the server's, per field) and
// phones that hold unsent records and have not synced for days.
import { h, mount } from '../dom.js';
import { t } from '../i18n.js';
import { FIELD_LABELS } from './conflict.js';
import { call, formatDateTime, heading, input, notice, regions, table } from './staff-common.js';

function shown(value) {
  if (value === null || value === undefined || value === '') return t('conflict.empty');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function conflictCard(app, conflict, areas) {
  const choices = {};
  const message = h('div');
  const rows = Object.entries(conflict.fields).map(([field, values]) => {
    choices[field] = 'server';
    const name = `pick-${conflict.id}-${field}`;
    const radio = (pick) => h('input', { type: 'radio', name, value: pick, checked: pick === 'server', 'data-testid': `pick-${pick}`,
      onchange: () => { choices[field] = pick; } });
    return h('tr', { 'data-testid': 'conflict-field', 'data-field': field },
      h('th', { scope: 'row' }, FIELD_LABELS[field] ? t(FIELD_LABELS[field]) : field),
      h('td', null, h('label', { class: 'pick' }, radio('mine'), shown(values.mine))),
      h('td', null, h('label', { class: 'pick' }, radio('server'), shown(values.server))));
  });
  const resolve = h('button', {
    type: 'button', class: 'btn primary', 'data-testid': 'conflict-resolve',
    onclick: async () => {
      resolve.disabled = true;
      const res = await call(app, 'resolveConflict', conflict.id, choices);
      resolve.disabled = false;
      if (!res.ok) { mount(message, notice(res)); return; }
      app.toast(t('staff.conflicts.resolved'));
      app.staffRefresh();
    },
  }, t('staff.conflicts.resolve'));
  return h('section', { class: 'card', 'data-testid': 'conflict-row', 'data-id': conflict.id },
    h('h2', null, `${t(`entity.${conflict.entity}`)} · ${areas.byId[conflict.village_id]?.name || ''}`),
    h('p', { class: 'muted' }, t('staff.conflicts.when', { time: formatDateTime(conflict.created_at), base: conflict.base_version, server: conflict.server_version })),
    h('div', { class: 'table-wrap' }, h('table', { class: 'conflict' },
      h('thead', null, h('tr', null, h('th', null, t('conflict.field')), h('th', null, t('staff.conflicts.mine')), h('th', null, t('conflict.server')))),
      h('tbody', null, rows))),
    resolve, message);
}

export async function renderConflicts(app) {
  const [res, areas] = await Promise.all([call(app, 'conflicts', {}), regions(app)]);
  let body;
  if (!res.ok) body = notice(res);
  else if (!res.data.length) body = h('p', { class: 'empty', 'data-testid': 'conflicts-empty' }, t('staff.conflicts.empty'));
  else body = res.data.map((conflict) => conflictCard(app, conflict, areas));
  return h('div', { class: 'staff-screen', 'data-testid': 'conflicts-page' },
    heading('staff.conflicts.title'), h('p', { class: 'muted' }, t('staff.conflicts.explain')), body);
}

export async function renderDevices(app, query) {
  const days = Number(query.days) || 3;
  const res = await call(app, 'devices', { stale_days: days, unsent_only: true });
  const picker = h('div', { class: 'staff-filters' },
    input('devices-days', 'staff.devices.days', { type: 'number', min: 0, max: 365, value: days,
      onchange: (e) => { location.hash = `#/devices?days=${Number(e.target.value) || 0}`; } }));
  let body;
  if (!res.ok) body = notice(res);
  else if (!res.data.length) body = h('p', { class: 'empty', 'data-testid': 'devices-empty' }, t('staff.devices.empty'));
  else {
    body = table('devices', [
      ['staff.devices.user', (d) => `${d.display_name}（${d.username}）`],
      ['staff.col.village', (d) => d.region_name],
      ['staff.devices.unsent', (d) => d.outbox_size, 'num'],
      ['staff.devices.last_push', (d) => formatDateTime(d.last_push_at)],
      ['staff.devices.last_pull', (d) => formatDateTime(d.last_pull_at)],
      ['staff.devices.version', (d) => d.app_version || ''],
    ], res.data, (d) => ({ 'data-testid': 'device-row', 'data-id': d.client_id }));
  }
  return h('div', { class: 'staff-screen', 'data-testid': 'devices-page' },
    heading('staff.devices.title'), h('p', { class: 'muted' }, t('staff.devices.explain', { days })), picker, body);
}
