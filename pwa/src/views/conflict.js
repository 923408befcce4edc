// A conflict: both values per field; keep mine (a new change on the server's version)
// or take the server's (mine is dropped).
import { h } from '../dom.js';
import { label, t } from '../i18n.js';
import { tableName } from '../entities.js';
import { conflictOf } from '../record-state.js';
import { conflictFields, keepMine, takeServer } from '../sync/conflicts.js';
import { notFound, pageHeader } from './common.js';

const CODED = { visit_type: 'visit_types', kind: 'mediation_kinds', status: 'mediation_status', insurance: 'insurance', channel: 'contact_channels', category: 'beneficiary_categories', sex: 'sex' };
export const FIELD_LABELS = {
  summary: 'visit.summary', visited_on: 'visit.visited_on', needs: 'visit.needs', actions: 'visit.actions', follow_up_due: 'visit.follow_up_due',
  visit_type: 'visit.type', phone: 'person.phone', address: 'person.address', name: 'person_form.name', notes: 'person.notes',
  conditions: 'health.conditions', medications: 'health.medications', family_doctor: 'health.family_doctor', insurance: 'health.insurance',
  parties: 'case.parties', description: 'case.description', outcome: 'case.outcome', status: 'case.status', work_city: 'card.work_city',
  employer: 'card.employer', emergency_contact: 'card.emergency_contact', held_on: 'session.held_on', contacted_on: 'log.contacted_on',
  // a meeting (#19): its held_on keeps the label above
  place: 'meeting.place', policies_explained: 'meeting.policies', attendee_ids: 'meeting.attendees', headcount: 'meeting.headcount',
};

function show(field, value) {
  if (value === null || value === undefined || value === '') return t('conflict.empty');
  if (CODED[field]) return label(CODED[field], value);
  // the policies explained, by their titles as the liaison saw them
  if (Array.isArray(value) && field === 'attendee_ids') return t('meeting.ticked', { count: value.length });
  if (Array.isArray(value) && value.length && value.every((item) => item && typeof item.title === 'string')) return value.map((item) => item.title).join('、');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

async function backTo(app, entity, row) {
  if (row.beneficiary_id) return `#/b/${row.beneficiary_id}`;
  if (entity === 'beneficiary') return `#/b/${row.id}`;
  if (entity === 'outreach_meeting') return '#/meetings';
  if (row.case_id) return `#/case/${row.case_id}`;
  if (row.card_id) {
    const card = await app.db.contact_cards.get(row.card_id);
    if (card) return `#/b/${card.beneficiary_id}`;
  }
  return '#/';
}

export async function render(app, { entity, id }) {
  const name = tableName(entity);
  const row = name ? await app.db.table(name).get(id) : null;
  if (!row) return notFound('person.not_found');
  const back = await backTo(app, entity, row);
  if (!conflictOf(row)) {
    return h('div', { class: 'page' }, pageHeader(t('conflict.none'), { back }), h('p', { 'data-testid': 'no-conflict' }, t('conflict.none')));
  }
  const person = row.beneficiary_id ? await app.db.beneficiaries.get(row.beneficiary_id) : null;
  const rows = conflictFields(row).map(({ field, mine, server }) => h('tr', { 'data-testid': 'conflict-field', 'data-field': field },
    h('th', { scope: 'row' }, FIELD_LABELS[field] ? t(FIELD_LABELS[field]) : field),
    h('td', { 'data-testid': 'conflict-mine' }, show(field, mine)),
    h('td', { 'data-testid': 'conflict-server' }, show(field, server))));
  const done = async (fn) => {
    await fn(app.db, entity, id);
    app.saved();
    app.navigate(back, { replace: true });
  };
  return h('div', { class: 'page', 'data-testid': 'conflict-page' },
    pageHeader(t('conflict.title', { name: person?.name || row.name || '' }), { back }),
    h('p', null, t('conflict.explain')),
    h('table', { class: 'conflict' },
      h('thead', null, h('tr', null, h('th', null, t('conflict.field')), h('th', null, t('conflict.mine')), h('th', null, t('conflict.server')))),
      h('tbody', null, rows)),
    h('div', { class: 'actions' },
      h('button', { class: 'btn primary big', 'data-testid': 'keep-mine', onclick: () => done(keepMine) }, t('conflict.keep_mine')),
      h('button', { class: 'btn big', 'data-testid': 'take-server', onclick: () => done(takeServer) }, t('conflict.take_server'))));
}
