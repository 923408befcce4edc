// Offline validation with the server's rules and, where possible, its very messages.
import { t } from './i18n.js';
import { countyToday } from './time.js';

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';
const MOBILE = /^1[3-9]\d{9}$/;
const LANDLINE = /^0\d{2,3}-?\d{7,8}(-\d{1,6})?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
export const CARD_NUMBER = /^LX\d{6,16}$/;

export function idCheckDigit(first17) {
  let total = 0;
  for (let i = 0; i < 17; i++) total += Number(first17[i]) * ID_WEIGHTS[i];
  return ID_CHECK[total % 11];
}

function validDate(text) {
  if (!DATE.test(text)) return false;
  const [y, m, d] = text.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** The one spelling of a typed ID number, as the server's: NFKC (a Chinese input
 * method's full-width ５ and Ｘ), no surrounding blanks, upper-case X. */
export function normalizeIdNumber(value) {
  return String(value || '').normalize('NFKC').trim().toUpperCase();
}

/** Why value is not a valid GB 11643 ID number, or null. */
export function idNumberProblem(value, today = countyToday()) {
  const id = normalizeIdNumber(value);
  if (!/^\d{17}[\dX]$/.test(id)) return t('v.id_shape');
  const birth = `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
  if (!validDate(birth) || birth < '1900-01-01' || birth > today) return t('v.id_birth');
  if (idCheckDigit(id) !== id[17]) return t('v.id_check');
  return null;
}

/**
 * An ID number as the screens show it: the first 4 digits (the prefecture) only, as the
 * server masks it (server/common/idnumbers.py). The birth date and the sex are shown
 * beside it, so any of the last four digits would narrow the number to a few guesses.
 * Also applied to a number typed on this phone and to a mask of the old form
 * (5108**********1234) a phone may still hold.
 */
export function maskIdNumber(value) {
  const id = String(value ?? '');
  return id.length >= 4 ? id.slice(0, 4) + '*'.repeat(14) : id;
}

export function birthDateFromId(id) {
  return `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
}

export function sexFromId(id) {
  return Number(id[16]) % 2 ? 'male' : 'female';
}

/** What a valid ID number tells of its holder: {sex, birth_date}, or null for an invalid one. */
export function factsFromId(value, today = countyToday()) {
  const id = normalizeIdNumber(value);
  if (idNumberProblem(id, today)) return null;
  return { sex: sexFromId(id), birth_date: birthDateFromId(id) };
}

export function normalizePhone(value) {
  return String(value || '').normalize('NFKC').replace(/[\s()]/g, '');
}

export function phoneProblem(value) {
  const phone = normalizePhone(value);
  return MOBILE.test(phone) || LANDLINE.test(phone) ? null : t('v.phone');
}

/** "200.5" → 20050 fen; null for empty; NaN when not an amount. */
export function yuanToFen(text) {
  const value = String(text ?? '').trim();
  if (!value) return null;
  if (!/^\d{1,9}(\.\d{1,2})?$/.test(value)) return Number.NaN;
  const [whole, cents = ''] = value.split('.');
  return Number(whole) * 100 + Number(cents.padEnd(2, '0'));
}

function add(errors, name, message) {
  (errors[name] ||= []).push(message);
}

/**
 * Checks values against a form's field specs:
 * {name, required, max, type: 'date'|'phone'|'id'|'money'|'card'…, past}.
 */
export function validateFields(fields, values, { today = countyToday() } = {}) {
  const errors = {};
  for (const field of fields) {
    const value = values[field.name];
    const empty = value === undefined || value === null || value === '' || (Array.isArray(value) && !value.length);
    if (empty) {
      if (field.required) add(errors, field.name, t('v.required'));
      continue;
    }
    if (typeof value === 'string' && field.required && !value.trim()) {
      add(errors, field.name, t('v.blank'));
      continue;
    }
    if (field.max && typeof value === 'string' && value.length > field.max) add(errors, field.name, t('v.max', { max: field.max }));
    if (field.type === 'date') {
      if (!validDate(value)) add(errors, field.name, t('v.date'));
      else if (field.past && value > today) add(errors, field.name, t('v.future'));
    }
    if (field.type === 'phone') {
      const problem = phoneProblem(value);
      if (problem) add(errors, field.name, problem);
    }
    if (field.type === 'id') {
      const problem = idNumberProblem(value, today);
      if (problem) add(errors, field.name, problem);
    }
    if (field.type === 'money' && Number.isNaN(value)) add(errors, field.name, t('v.money'));
    if (field.type === 'card' && !CARD_NUMBER.test(value)) add(errors, field.name, t('v.card_number'));
    if (field.type === 'grade' && !(Number.isInteger(value) && value >= 1 && value <= 10)) add(errors, field.name, t('v.grade_range'));
  }
  return errors;
}

// Cross-field rules, as the server's *_rule_errors functions.

export function visitRules(values) {
  const errors = {};
  // as the server's visit_rule_errors: a mediation visit is a step of its case
  if (values.visit_type === 'mediation' && !values.case_id) add(errors, 'case_id', t('v.case_required'));
  if (values.follow_up_due && values.visited_on && values.follow_up_due < values.visited_on) {
    add(errors, 'follow_up_due', t('v.follow_up_before'));
  }
  return errors;
}

export function healthEventRules(values) {
  const errors = {};
  if (values.aid_amount_fen != null && !Number.isNaN(values.aid_amount_fen) && values.kind !== 'medical_aid') {
    add(errors, 'aid_amount_fen', t('v.aid_only_medical'));
  }
  return errors;
}

const CLOSED = ['resolved', 'referred'];
const STEP = { open: 0, mediating: 1, resolved: 2, referred: 2 };

export function caseRules(values, oldStatus = null) {
  const errors = {};
  const status = values.status || 'open';
  if (CLOSED.includes(status) && !String(values.outcome || '').trim()) add(errors, 'outcome', t('v.outcome_required'));
  if (status === 'referred' && !String(values.referred_to || '').trim()) add(errors, 'referred_to', t('v.referred_to_required'));
  else if (status !== 'referred' && values.referred_to) add(errors, 'referred_to', t('v.referred_to_only'));
  if (oldStatus && oldStatus !== status) {
    if (CLOSED.includes(oldStatus)) add(errors, 'status', t('v.case_status_closed'));
    else if (STEP[status] < STEP[oldStatus]) add(errors, 'status', t('v.case_status_back'));
  }
  return errors;
}

export function beneficiaryRules(values) {
  const errors = {};
  const grade = values.disability_grade;
  if (values.category === 'disabled_serviceman' && (grade === null || grade === undefined)) add(errors, 'disability_grade', t('v.grade_required'));
  else if (values.category !== 'disabled_serviceman' && grade !== null && grade !== undefined) add(errors, 'disability_grade', t('v.grade_only'));
  const id = values.id_number;
  if (id && !idNumberProblem(id)) {
    const upper = id.toUpperCase();
    if (values.birth_date && values.birth_date !== birthDateFromId(upper)) add(errors, 'birth_date', t('v.birth_mismatch'));
    if (values.sex && values.sex !== sexFromId(upper)) add(errors, 'sex', t('v.sex_mismatch'));
  }
  if (values.is_migrant && !values.work_city) add(errors, 'work_city', t('v.work_city'));
  return errors;
}

export function mergeErrors(...sets) {
  const out = {};
  for (const set of sets) for (const [k, v] of Object.entries(set || {})) (out[k] ||= []).push(...v);
  return out;
}
