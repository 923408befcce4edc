// A mediation case: open it (parties, kind, description) or move it on (status, outcome).
import { t } from '../i18n.js';
import { serverValue } from '../record-state.js';
import { countyToday } from '../time.js';
import { caseRules } from '../validate.js';
import { notFound } from './common.js';
import { recordFormPage } from './record-form.js';

const FIELDS = [
  { name: 'kind', label: 'case.kind', type: 'select', choices: 'mediation_kinds', required: true, nullable: false },
  { name: 'parties', label: 'case.parties', type: 'textarea', required: true, max: 500, rows: 2 },
  { name: 'description', label: 'case.description', type: 'textarea', max: 4000 },
  { name: 'opened_on', label: 'case.opened_on', type: 'date', past: true, nullable: false },
  { name: 'status', label: 'case.status', type: 'select', choices: 'mediation_status', required: true, noEmpty: true, nullable: false },
  { name: 'outcome', label: 'case.outcome', type: 'textarea', max: 2000, when: (v) => v.status === 'resolved' || v.status === 'referred' },
  { name: 'referred_to', label: 'case.referred_to', type: 'text', max: 60, when: (v) => v.status === 'referred' },
];

export async function render(app, { id, caseId }) {
  const row = caseId ? await app.db.mediation_cases.get(caseId) : null;
  if (caseId && !row) return notFound('case.not_found');
  const personId = row ? row.beneficiary_id : id;
  const person = await app.db.beneficiaries.get(personId);
  if (!person) return notFound('person.not_found');
  const oldStatus = serverValue(row, 'status') ?? null;
  return recordFormPage(app, {
    entity: 'mediation_case', row, title: row ? t('case.edit') : t('case.new_title', { name: person.name }),
    back: row ? `#/case/${row.id}` : `#/b/${personId}`, fields: FIELDS,
    initial: { status: 'open', opened_on: countyToday() }, rules: [(v) => caseRules(v, oldStatus)],
    toValues: (v) => ({ ...v, outcome: v.outcome ?? null, referred_to: v.status === 'referred' ? v.referred_to ?? null : null }),
    fixed: { beneficiary_id: personId }, local: { village_id: person.village_id }, testid: 'case-form',
  });
}
