// A dated health event: illness, hospital stay, medical aid (amount in yuan → fen), check-up.
import { t } from '../i18n.js';
import { countyToday } from '../time.js';
import { healthEventRules } from '../validate.js';
import { notFound } from './common.js';
import { recordFormPage } from './record-form.js';

const FIELDS = [
  { name: 'kind', label: 'health_event.kind', type: 'select', choices: 'health_event_kinds', required: true, nullable: false },
  { name: 'occurred_on', label: 'health_event.occurred_on', type: 'date', required: true, past: true, nullable: false },
  { name: 'description', label: 'health_event.description', type: 'textarea', max: 2000 },
  { name: 'hospital', label: 'health_event.hospital', type: 'text', max: 100 },
  { name: 'aid_amount_fen', label: 'health_event.aid_amount', type: 'money', when: (v) => v.kind === 'medical_aid' },
];

export async function render(app, { id, eventId }) {
  const row = eventId ? await app.db.health_events.get(eventId) : null;
  if (eventId && !row) return notFound('person.not_found');
  const personId = row ? row.beneficiary_id : id;
  const person = await app.db.beneficiaries.get(personId);
  if (!person) return notFound('person.not_found');
  return recordFormPage(app, {
    entity: 'health_event', row, title: t('health_event.title', { name: person.name }), back: `#/b/${personId}`,
    fields: FIELDS, initial: { kind: 'illness', occurred_on: countyToday() }, rules: [healthEventRules],
    toValues: (v) => (v.kind === 'medical_aid' ? v : { ...v, aid_amount_fen: null }),
    fixed: { beneficiary_id: personId }, local: { village_id: person.village_id }, testid: 'health-event-form',
  });
}
