// The health file (one per person): create it, or update what changed.
import { t } from '../i18n.js';
import { notFound } from './common.js';
import { recordFormPage } from './record-form.js';

export const HEALTH_FILE_FIELDS = [
  { name: 'conditions', label: 'health.conditions', type: 'textarea', max: 1000 },
  { name: 'disability', label: 'health.disability', type: 'text', max: 200 },
  { name: 'insurance', label: 'health.insurance', type: 'select', choices: 'insurance' },
  { name: 'family_doctor', label: 'health.family_doctor', type: 'text', max: 60 },
  { name: 'medications', label: 'health.medications', type: 'textarea', max: 1000 },
  { name: 'last_checkup', label: 'health.last_checkup', type: 'date', past: true },
];

export async function render(app, { id }) {
  const person = await app.db.beneficiaries.get(id);
  if (!person) return notFound('person.not_found');
  const row = await app.db.health_files.where('beneficiary_id').equals(id).first();
  return recordFormPage(app, {
    entity: 'health_file', row, title: t('health.title', { name: person.name }), back: `#/b/${id}`,
    fields: HEALTH_FILE_FIELDS, fixed: { beneficiary_id: id }, local: { village_id: person.village_id }, testid: 'health-form',
  });
}
