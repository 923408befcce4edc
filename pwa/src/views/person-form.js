// Add a beneficiary (with the national ID number, checked offline), or change the basic facts.
import { t } from '../i18n.js';
import { beneficiaryRules, factsFromId } from '../validate.js';
import { notFound } from './common.js';
import { recordFormPage } from './record-form.js';

const COMMON = [
  { name: 'name', label: 'person_form.name', type: 'text', required: true, max: 40 },
  { name: 'sex', label: 'person.sex', type: 'select', choices: 'sex', nullable: false },
  { name: 'birth_date', label: 'person.birth_date', type: 'date', past: true },
  { name: 'phone', label: 'person.phone', type: 'phone' },
  { name: 'address', label: 'person.address', type: 'text', max: 200 },
  { name: 'category', label: 'person.category', type: 'select', choices: 'beneficiary_categories', required: true, nullable: false },
  { name: 'disability_grade', label: 'person.disability_grade', type: 'grade', when: (v) => v.category === 'disabled_serviceman' },
  { name: 'is_five_elders', label: 'person.five_elders', type: 'checkbox' },
  { name: 'is_migrant', label: 'person.migrant', type: 'checkbox' },
  { name: 'work_city', label: 'person.work_city', type: 'text', max: 60, when: (v) => v.is_migrant },
  { name: 'notes', label: 'person.notes', type: 'textarea', max: 2000 },
];
const ID_FIELD = { name: 'id_number', label: 'person.id_number', type: 'id', required: true, hint: 'person_form.id_hint' };
const STATUS_FIELD = { name: 'status', label: 'person.status', type: 'select', choices: 'beneficiary_status', nullable: false };

// The grade belongs to disabled servicemen only; a hidden field is sent as "no grade".
const toValues = (v) => ({ ...v, disability_grade: v.category === 'disabled_serviceman' ? v.disability_grade ?? null : null, work_city: v.work_city ?? null });

export async function render(app, { id }) {
  if (id) {
    const row = await app.db.beneficiaries.get(id);
    if (!row) return notFound('person.not_found');
    return recordFormPage(app, {
      entity: 'beneficiary', row, title: t('person_form.edit_title', { name: row.name }), back: `#/b/${id}`,
      fields: [...COMMON, STATUS_FIELD], rules: [(v) => beneficiaryRules({ ...row, ...v, id_number: null })], toValues, testid: 'person-form',
    });
  }
  const villageId = app.user?.region?.id;
  const page = recordFormPage(app, {
    entity: 'beneficiary', title: t('person_form.new_title'), back: '#/',
    fields: [COMMON[0], ID_FIELD, ...COMMON.slice(1)], initial: { status: 'active' }, rules: [beneficiaryRules], toValues,
    fixed: { village_id: villageId, status: 'active' }, local: { village_id: villageId }, testid: 'person-form',
  });
  fillFromIdNumber(page);
  return page;
}

/** A valid ID number fills in the sex and the birth date it holds, where they are still empty. */
export function fillFromIdNumber(root) {
  const input = (name) => root.querySelector(`[data-testid="input-${name}"]`);
  const id = input('id_number');
  if (!id) return;
  id.addEventListener('input', () => {
    const facts = factsFromId(id.value);
    if (!facts) return;
    for (const [name, value] of Object.entries(facts)) {
      const field = input(name);
      if (field && !field.value) {
        field.value = value;
        field.dispatchEvent(new Event('change', { bubbles: true }));
      }
    }
  });
}
