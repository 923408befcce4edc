// A declarative form: fields → inputs with labels and error slots, typed values,
// offline validation, server errors on the fields, and a draft saved as you type.
import { DRAFT_DELAY_MS } from '../config.js';
import { debounce, h } from '../dom.js';
import { options, t } from '../i18n.js';
import { countyToday } from '../time.js';
import { normalizeIdNumber, normalizePhone, validateFields, yuanToFen } from '../validate.js';

/**
 * fields: [{name, label, type, required, max, past, choices (group) | options, hint,
 *           nullable (default true), when(values) → shown?, rows, placeholder,
 *           input(attrs) → an element of the screen's own (a value property to read and set)}]
 */
export function createForm({ fields, initial = {}, db = null, draftKey = null, testid = 'form', onSubmit, submitLabel = t('form.save'), extra = [], sections = {} }) {
  const inputs = new Map();
  const errorSlots = new Map();
  const wrappers = new Map();
  const groups = new Map();
  const formErrors = h('div', { class: 'form-errors', role: 'alert', 'data-testid': 'form-errors', hidden: true });
  const notice = h('p', { class: 'notice', 'data-testid': 'draft-notice', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn primary big', 'data-testid': 'save' }, submitLabel);
  let extraDraft = {};
  const saveDraft = db && draftKey
    ? debounce(() => db.drafts.put({ key: draftKey, raw: rawValues(), extra: extraDraft, updated_at: new Date().toISOString() }), DRAFT_DELAY_MS)
    : null;

  const el = h('form', { class: 'form', 'data-testid': testid, novalidate: true });
  el.append(notice, formErrors);

  const today = countyToday();
  for (const field of fields) {
    const input = makeInput(field, today);
    inputs.set(field.name, input);
    const error = h('p', { class: 'error', 'data-testid': `error-${field.name}`, id: `err-${cssId(field.name)}`, hidden: true });
    errorSlots.set(field.name, error);
    input.setAttribute('aria-describedby', error.id);
    const labelText = [t(field.label), field.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null];
    const wrapper = field.type === 'checkbox'
      ? h('div', { class: 'field check', 'data-testid': `field-${field.name}` }, h('label', null, input, ' ', ...labelText), error)
      : h('div', { class: 'field', 'data-testid': `field-${field.name}` },
        h('label', { for: input.id }, ...labelText),
        field.hint ? h('p', { class: 'hint' }, t(field.hint)) : null,
        input, error);
    wrappers.set(field.name, wrapper);
    if (field.section) {
      if (!groups.has(field.section)) {
        const group = h('details', { class: 'more', 'data-testid': `section-${field.section}`, open: sections[field.section]?.open },
          h('summary', null, t(sections[field.section]?.label || 'form.more')));
        groups.set(field.section, group);
        el.append(group);
      }
      groups.get(field.section).append(wrapper);
    } else {
      el.append(wrapper);
    }
  }
  for (const node of extra) el.append(node);
  el.append(h('div', { class: 'actions' }, submit));

  setRaw(toRaw(fields, initial));
  refreshVisibility();

  el.addEventListener('input', () => { refreshVisibility(); saveDraft?.(); });
  el.addEventListener('change', () => { refreshVisibility(); saveDraft?.(); });
  el.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    submit.disabled = true;
    submit.textContent = t('form.saving');
    try {
      await onSubmit?.(api);
    } finally {
      submit.disabled = false;
      submit.textContent = submitLabel;
    }
  });

  function rawValues() {
    const raw = {};
    for (const [name, input] of inputs) raw[name] = input.type === 'checkbox' ? input.checked : input.value;
    return raw;
  }

  function setRaw(raw) {
    for (const [name, value] of Object.entries(raw)) {
      const input = inputs.get(name);
      if (!input || value === undefined) continue;
      if (input.type === 'checkbox') input.checked = Boolean(value);
      else input.value = value ?? '';
    }
  }

  function visible(field, typed) {
    return !field.when || field.when(typed);
  }

  function refreshVisibility() {
    const typed = typedValues(true);
    for (const field of fields) wrappers.get(field.name).hidden = !visible(field, typed);
  }

  /** Typed values of the visible fields; empty non-nullable fields are left out. */
  function typedValues(all = false) {
    const raw = rawValues();
    const out = {};
    for (const field of fields) {
      const value = typed(field, raw[field.name]);
      out[field.name] = value;
    }
    if (all) return out;
    const shown = new Set(fields.filter((f) => visible(f, out)).map((f) => f.name));
    for (const field of fields) {
      if (!shown.has(field.name) || (out[field.name] === null && field.nullable === false)) delete out[field.name];
    }
    return out;
  }

  function showErrors(errors = {}) {
    const flat = flattenErrors(errors);
    let first = null;
    const leftover = [];
    for (const [name, slot] of errorSlots) {
      const messages = flat[name];
      slot.hidden = !messages;
      slot.textContent = messages ? messages.join('；') : '';
      wrappers.get(name).classList.toggle('invalid', Boolean(messages));
      inputs.get(name).setAttribute('aria-invalid', messages ? 'true' : 'false');
      if (messages && !first) first = wrappers.get(name);
      if (messages) wrappers.get(name).closest('details')?.setAttribute('open', '');
    }
    for (const [name, messages] of Object.entries(flat)) if (!errorSlots.has(name)) leftover.push(...messages);
    formErrors.hidden = !leftover.length && !Object.keys(flat).length;
    formErrors.textContent = leftover.length ? leftover.join('；') : t('form.fix_errors');
    if (first) first.scrollIntoView?.({ block: 'center' });
    return Object.keys(flat).length > 0;
  }

  function validate(...ruleSets) {
    const values = typedValues();
    const shown = fields.filter((f) => visible(f, values));
    const errors = validateFields(shown, values, { today });
    for (const rules of ruleSets) {
      for (const [name, messages] of Object.entries(rules(values) || {})) (errors[name] ||= []).push(...messages);
    }
    showErrors(errors);
    return Object.keys(errors).length ? null : values;
  }

  async function restoreDraft() {
    if (!db || !draftKey) return null;
    const draft = await db.drafts.get(draftKey);
    if (!draft) return null;
    setRaw(draft.raw || {});
    extraDraft = draft.extra || {};
    refreshVisibility();
    notice.textContent = t('form.draft_restored');
    notice.hidden = false;
    return draft;
  }

  async function dropDraft() {
    saveDraft?.cancel();
    if (db && draftKey) await db.drafts.delete(draftKey);
  }

  const api = {
    el, inputs, wrappers, showErrors, validate, values: typedValues, restoreDraft, dropDraft,
    setExtraDraft(value) { extraDraft = value; saveDraft?.(); },
    getExtraDraft: () => extraDraft,
    touch: () => saveDraft?.(),
    setValue(name, value) { setRaw({ [name]: value }); refreshVisibility(); },
  };
  return api;
}

function cssId(name) {
  return name.replace(/[^a-zA-Z0-9_-]/g, '-');
}

function makeInput(field, today) {
  const id = `f-${cssId(field.name)}`;
  const common = { id, name: field.name, 'data-testid': `input-${field.name}` };
  if (field.input) return field.input(common);
  switch (field.type) {
    case 'textarea':
      return h('textarea', { ...common, rows: field.rows || 3, maxlength: field.max, placeholder: field.placeholder ? t(field.placeholder) : null });
    case 'date':
      return h('input', { ...common, type: 'date', max: field.past ? today : null });
    case 'select': {
      const list = field.choices ? options(field.choices) : field.options || [];
      return h('select', common,
        field.required && field.noEmpty ? null : h('option', { value: '' }, t('form.choose')),
        list.map(([value, text]) => h('option', { value }, text)));
    }
    case 'checkbox':
      return h('input', { ...common, type: 'checkbox' });
    case 'money':
      return h('input', { ...common, type: 'text', inputmode: 'decimal', autocomplete: 'off' });
    case 'phone':
      return h('input', { ...common, type: 'tel', inputmode: 'tel', autocomplete: 'off', maxlength: 20 });
    case 'grade':
      return h('input', { ...common, type: 'number', inputmode: 'numeric', min: 1, max: 10 });
    case 'id':
      return h('input', { ...common, type: 'text', autocomplete: 'off', autocapitalize: 'characters', maxlength: 18 });
    default:
      return h('input', { ...common, type: 'text', maxlength: field.max, autocomplete: 'off' });
  }
}

function typed(field, raw) {
  if (field.type === 'checkbox') return Boolean(raw);
  const text = typeof raw === 'string' ? raw.trim() : raw;
  if (text === '' || text === undefined || text === null) return null;
  switch (field.type) {
    case 'money': return yuanToFen(text);
    case 'grade': return /^\d+$/.test(text) ? Number(text) : Number.NaN;
    case 'phone': return normalizePhone(text);
    case 'id': return normalizeIdNumber(text);
    default: return typeof raw === 'string' && field.type === 'textarea' ? raw.replace(/\s+$/, '') : text;
  }
}

function toRaw(fields, values) {
  const raw = {};
  for (const field of fields) {
    const value = values[field.name];
    if (value === undefined) continue;
    if (field.input) raw[field.name] = value; // the screen's own element takes its value as it is
    else if (field.type === 'checkbox') raw[field.name] = Boolean(value);
    else if (field.type === 'money') raw[field.name] = value == null ? '' : (value / 100).toFixed(2).replace(/\.00$/, '');
    else raw[field.name] = value == null ? '' : String(value);
  }
  return raw;
}

/** {details: {illness: [...]}} → {'details.illness': [...]}; strings → [string]. */
export function flattenErrors(errors, prefix = '') {
  const out = {};
  for (const [key, value] of Object.entries(errors || {})) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (Array.isArray(value)) out[name] = value.map(String);
    else if (value && typeof value === 'object') Object.assign(out, flattenErrors(value, name));
    else if (value != null) out[name] = [String(value)];
  }
  return out;
}
