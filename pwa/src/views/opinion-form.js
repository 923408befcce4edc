// 记录群众意见: a villager's opinion, request or complaint, recorded offline (#19 point 3).
// From a person's screen the person is named; from the home list nobody is, and the
// liaison may mark it 匿名. Saved, it goes up like every record and enters the feedback
// workflow there (server/feedback/opinions.py); after that only 已转告 changes
// (views/opinions.js), so this form edits nothing but a new opinion the server refused.
import { h } from '../dom.js';
import { options, t } from '../i18n.js';
import { countyToday } from '../time.js';
import { notFound, recordState } from './common.js';
import { recordFormPage } from './record-form.js';

// As the server's limit (server/feedback/models.py TEXT_MAX).
export const TEXT_MAX = 2000;

/**
 * A choice of big tiles (radio buttons), one per code of a choices group: easier to hit
 * than a drop-down. Read and set through `value`, as the form reads its inputs.
 */
export function choiceTiles(group, attrs) {
  const el = h('div', { ...attrs, class: 'tiles', role: 'radiogroup' },
    options(group).map(([code, text]) => h('label', { class: 'tile', 'data-testid': `${attrs['data-testid']}-${code}` },
      h('input', { type: 'radio', name: attrs.name, value: code }),
      h('span', null, text))));
  const radios = () => [...el.querySelectorAll('input[type=radio]')];
  Object.defineProperty(el, 'value', {
    get: () => radios().find((r) => r.checked)?.value ?? '',
    set: (code) => { for (const r of radios()) r.checked = r.value === code; },
  });
  return el;
}

export function opinionFields({ person }) {
  return [
    { name: 'category', label: 'opinion.category', required: true, nullable: false, input: (attrs) => choiceTiles('feedback_categories', attrs) },
    { name: 'text', label: 'opinion.text', type: 'textarea', required: true, max: TEXT_MAX, rows: 6, hint: 'opinion.text_hint' },
    { name: 'collected_on', label: 'opinion.collected_on', type: 'date', required: true, past: true, nullable: false },
    // an anonymous opinion names nobody (the server's opinion_rules): offered only without a person
    person ? null : { name: 'anonymous', label: 'opinion.anonymous', type: 'checkbox' },
  ].filter(Boolean);
}

/** The opinion as it is sent: the person (or none), 匿名 only without one. */
export function opinionValues(values, person) {
  return {
    category: values.category, text: values.text, collected_on: values.collected_on,
    beneficiary_id: person?.id ?? null, anonymous: person ? false : Boolean(values.anonymous),
  };
}

/** A new opinion the server refused: its liaison fixes it and saves it again. */
export function isEditable(row) {
  return recordState(row) === 'rejected' && row.version == null;
}

export async function render(app, { id, opinionId }) {
  const row = opinionId ? await app.db.opinions.get(opinionId) : null;
  if (opinionId && !row) return notFound('opinion.not_found');
  // Only a new opinion the server refused is fixed here: once sent (or on its way) it is
  // not edited — a second change of its text would be refused — only 已转告, on its page.
  if (row && !isEditable(row)) {
    app.navigate(`#/opinions/${row.id}`, { replace: true });
    return h('div');
  }
  const personId = row ? row.beneficiary_id : id;
  const person = personId ? await app.db.beneficiaries.get(personId) : null;
  if (id && !person) return notFound('person.not_found');
  const villageId = person?.village_id ?? app.user?.region?.id ?? null;
  return recordFormPage(app, {
    entity: 'opinion', row,
    title: person ? t('opinion.new_for', { name: person.name }) : t('opinion.new_title'),
    back: row ? `#/opinions/${row.id}` : person ? `#/b/${person.id}` : '#/opinions',
    fields: opinionFields({ person }),
    initial: { collected_on: countyToday(), anonymous: false },
    toValues: (values) => opinionValues(values, person),
    local: { village_id: villageId, liaison_id: app.user?.id ?? null },
    fixed: person ? { beneficiary_id: person.id } : {}, testid: 'opinion-form',
  });
}
