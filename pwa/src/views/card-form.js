// The 连心卡 of a migrant beneficiary: issue it, or change its details.
import { t } from '../i18n.js';
import { countyToday } from '../time.js';
import { notFound } from './common.js';
import { recordFormPage } from './record-form.js';

const FIELDS = [
  { name: 'card_number', label: 'card.card_number', type: 'card', nullable: false },
  { name: 'issued_on', label: 'card.issued_on', type: 'date', past: true, nullable: false },
  { name: 'work_province', label: 'card.work_province', type: 'text', max: 30 },
  { name: 'work_city', label: 'card.work_city', type: 'text', max: 60 },
  { name: 'employer', label: 'card.employer', type: 'text', max: 100 },
  { name: 'phone', label: 'card.phone', type: 'phone' },
  { name: 'emergency_contact', label: 'card.emergency_contact', type: 'text', max: 100 },
  { name: 'last_contact_on', label: 'card.last_contact_on', type: 'date', past: true },
];

export async function render(app, { id }) {
  const person = await app.db.beneficiaries.get(id);
  if (!person) return notFound('person.not_found');
  const row = await app.db.contact_cards.where('beneficiary_id').equals(id).first();
  return recordFormPage(app, {
    entity: 'contact_card', row, title: t('card.title', { name: person.name }), back: `#/b/${id}`,
    fields: FIELDS, initial: { issued_on: countyToday(), work_city: person.work_city || '' },
    fixed: { beneficiary_id: id }, local: { village_id: person.village_id, beneficiary_name: person.name }, testid: 'card-form',
  });
}
