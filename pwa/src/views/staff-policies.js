// 法规政策 as county staff keep it: the library (search, category, withdrawn), a policy's
// form (its body in Markdown, previewed as the server renders it and shown through the
// same allow-list as on the phones), withdrawal (phones drop it), the PDF, and the
// history of what was published when, by whom. County officers and admins write;
// township officers read the same screens without the controls (the server decides).
import { h, mount } from '../dom.js';
import { label, options, t } from '../i18n.js';
import { sanitizeHtml } from '../safe-html.js';
import { call, choiceOptions, fact, formatDateTime, hashOf, heading, input, notice, pager, select, table } from './staff-common.js';

const PER_PAGE = 50;
const WRITERS = new Set(['county_officer', 'admin']);
export const MAX_PDF_BYTES = 10 * 1024 * 1024;
const FIELDS = ['title', 'category', 'summary', 'body', 'effective_on'];
const LIMITS = { title: 80, summary: 300 };

export function canWrite(user) {
  return WRITERS.has(user?.role);
}

function statusBadge(policy) {
  return policy.withdrawn_on
    ? h('span', { class: 'badge review-returned', 'data-testid': 'policy-status', 'data-status': 'withdrawn' }, t('staff.policies.withdrawn_on', { date: policy.withdrawn_on }))
    : h('span', { class: 'badge review-approved', 'data-testid': 'policy-status', 'data-status': 'current' }, t('staff.policies.current'));
}

// --- the list ---------------------------------------------------------------------------

export async function renderList(app, query) {
  const filters = { q: query.q || '', category: query.category || '', withdrawn: query.withdrawn ?? 'false' };
  const page = Number(query.page) || 1;
  const go = (changes) => { location.hash = hashOf('/policies', { ...filters, page: 1, ...changes }); };
  app.lastPolicyList = hashOf('/policies', { ...filters, page });
  // 全部 is a choice of its own in the address (an empty one would mean the default, 现行)
  const withdrawn = filters.withdrawn === 'all' ? '' : filters.withdrawn;
  const res = await call(app, 'policies', { ...filters, withdrawn, page, per_page: PER_PAGE });
  let body;
  if (!res.ok) body = notice(res);
  else if (!res.data.items.length) body = h('p', { class: 'empty', 'data-testid': 'policies-staff-empty' }, t('staff.policies.empty'));
  else {
    body = [
      table('policies-table', [
        ['staff.policies.title_col', (p) => h('a', { href: `#/policies/${p.id}`, 'data-testid': 'policy-open' }, p.title), 'wide'],
        ['staff.policies.category', (p) => label('policy_categories', p.category)],
        ['staff.policies.effective_on', (p) => p.effective_on || ''],
        ['staff.policies.published_at', (p) => formatDateTime(p.published_at)],
        ['staff.policies.version', (p) => String(p.version ?? '')],
        ['staff.policies.pdf', (p) => (p.has_pdf ? t('staff.policies.has_pdf') : '')],
        ['staff.col.status', (p) => statusBadge(p)],
      ], res.data.items, (p) => ({ 'data-testid': 'policy-staff-row', 'data-id': p.id, 'data-withdrawn': String(Boolean(p.withdrawn_on)) })),
      pager(page, res.data.total, PER_PAGE, (p) => { location.hash = hashOf('/policies', { ...filters, page: p }); }),
    ];
  }
  return h('div', { class: 'staff-screen', 'data-testid': 'policies-staff-page' },
    heading('staff.policies.title', canWrite(app.user) ? h('a', { class: 'btn primary', href: '#/policies/new', 'data-testid': 'policy-new' }, t('staff.policies.new')) : null),
    h('div', { class: 'staff-filters' },
      input('policies-q', 'staff.policies.search', { type: 'search', value: filters.q, onchange: (e) => go({ q: e.target.value.trim() }) }),
      select('policies-category', 'staff.policies.category', choiceOptions('policy_categories'), filters.category, (v) => go({ category: v })),
      select('policies-withdrawn', 'staff.col.status', [['false', t('staff.policies.current')], ['true', t('staff.policies.withdrawn')], ['all', t('staff.all')]],
        filters.withdrawn, (v) => go({ withdrawn: v }))),
    body);
}

// --- the form ---------------------------------------------------------------------------

/** The form's values, trimmed; an empty date is null. */
function readValues(controls) {
  const values = {};
  for (const name of FIELDS) {
    const raw = controls[name].value;
    values[name] = name === 'body' ? raw.replace(/\s+$/, '') : raw.trim();
  }
  values.effective_on = values.effective_on || null;
  return values;
}

/** Problems the form finds before asking the server, all at once: {field: [message]}. */
export function formProblems(values) {
  const errors = {};
  for (const name of ['title', 'category', 'summary', 'body']) if (!values[name]) errors[name] = [t('staff.users.required')];
  for (const [name, max] of Object.entries(LIMITS)) {
    if ((values[name] || '').length > max) errors[name] = [t('v.max', { max })];
  }
  return errors;
}

/** What a PATCH sends: only the fields that differ from the policy as loaded (an empty
 * value and a missing one alike). */
export function changedFields(policy, values) {
  const norm = (v) => (v === undefined || v === null || v === '' ? null : v);
  return Object.fromEntries(FIELDS.filter((name) => norm(values[name]) !== norm(policy[name])).map((name) => [name, values[name]]));
}

/** The form of a new policy (``policy`` null) or of one to change (readers get readView). */
export function policyForm(app, policy) {
  const controls = {};
  const errorsOf = {};
  const field = (name, labelKey, control, hintKey) => {
    control.id = `policy-input-${name}`;
    control.dataset.testid = `policy-input-${name}`;
    const error = h('p', { class: 'field-error', id: `policy-error-${name}`, 'data-testid': `policy-error-${name}`, hidden: true });
    control.setAttribute('aria-describedby', error.id);
    controls[name] = control;
    errorsOf[name] = error;
    return h('div', { class: 'field' }, h('label', { for: control.id }, t(labelKey)),
      hintKey ? h('p', { class: 'muted small' }, t(hintKey)) : null, control, error);
  };
  const value = (name) => policy?.[name] ?? '';
  const summaryBox = h('div', { 'aria-live': 'polite', 'data-testid': 'policy-form-message' });
  const preview = h('div', { class: 'card policy-body', 'data-testid': 'policy-preview', hidden: true });

  const mark = (errors) => {
    for (const name of FIELDS) {
      const messages = errors[name];
      if (messages) controls[name].setAttribute('aria-invalid', 'true');
      else controls[name].removeAttribute('aria-invalid');
      errorsOf[name].textContent = messages ? messages.join('；') : '';
      errorsOf[name].hidden = !messages;
    }
    const count = Object.keys(errors).length;
    const unknown = Object.keys(errors).filter((name) => !FIELDS.includes(name));
    mount(summaryBox, count
      ? h('p', { class: 'notice error', role: 'alert', 'data-testid': 'policy-form-errors' },
        t('staff.users.fix_fields', { count }), unknown.map((name) => ` ${[].concat(errors[name]).join('；')}`))
      : null);
    const first = FIELDS.find((name) => errors[name]);
    if (first) controls[first].focus();
  };

  const showPreview = async (button) => {
    button.disabled = true;
    const res = await call(app, 'previewPolicy', controls.body.value);
    button.disabled = false;
    if (!res.ok) { mount(summaryBox, notice(res)); return; }
    mount(preview, h('h3', null, t('staff.policies.preview_title')), sanitizeHtml(res.data?.body_html));
    preview.hidden = false;
  };

  const save = async (event) => {
    event.preventDefault();
    const values = readValues(controls);
    const problems = formProblems(values);
    if (Object.keys(problems).length) { mark(problems); return; }
    const changes = policy ? changedFields(policy, values) : values;
    if (policy && !Object.keys(changes).length) { mark({}); app.toast(t('staff.policies.unchanged')); return; }
    const button = event.submitter || form.querySelector('[type=submit]');
    if (button) button.disabled = true;
    const res = policy ? await call(app, 'updatePolicy', policy.id, changes) : await call(app, 'createPolicy', values);
    if (button) button.disabled = false;
    if (!res.ok) {
      if (res.error?.errors) mark(Object.fromEntries(Object.entries(res.error.errors).map(([k, v]) => [k, [].concat(v)])));
      else mount(summaryBox, notice(res));
      return;
    }
    mark({});
    app.toast(t(policy ? 'staff.policies.saved' : 'staff.policies.created', { title: res.data.title }));
    if (policy) app.staffRefresh();
    else location.hash = `#/policies/${res.data.id}`;
  };

  const category = h('select', { class: 'filter' },
    policy ? null : h('option', { value: '' }, t('form.choose')),
    options('policy_categories').map(([code, text]) => h('option', { value: code, selected: code === policy?.category }, text)));
  const form = h('form', { class: 'form card policy-form', 'data-testid': 'policy-form', novalidate: true, onsubmit: save },
    h('h2', null, t(policy ? 'staff.policies.edit' : 'staff.policies.new')),
    field('title', 'staff.policies.title_col', h('input', { type: 'text', maxlength: LIMITS.title, value: value('title') })),
    h('div', { class: 'staff-form-grid' },
      field('category', 'staff.policies.category', category),
      field('effective_on', 'staff.policies.effective_on', h('input', { type: 'date', value: value('effective_on') }))),
    field('summary', 'staff.policies.summary', h('textarea', { rows: 3, maxlength: LIMITS.summary }, value('summary')), 'staff.policies.summary_hint'),
    field('body', 'staff.policies.body', h('textarea', { rows: 12, class: 'policy-markdown' }, value('body')), 'staff.policies.body_hint'),
    h('div', { class: 'staff-bar' },
      h('button', { type: 'button', class: 'btn', 'data-testid': 'policy-preview-button', onclick: (e) => showPreview(e.currentTarget) }, t('staff.policies.preview')),
      h('button', { type: 'submit', class: 'btn primary', 'data-testid': 'policy-save' }, t(policy ? 'staff.policies.save' : 'staff.policies.publish'))),
    summaryBox, preview);
  return form;
}

// --- one policy ---------------------------------------------------------------------------

function pdfControls(app, policy) {
  const message = h('div', { 'data-testid': 'policy-pdf-message', 'aria-live': 'polite' });
  const file = h('input', { type: 'file', accept: 'application/pdf,.pdf', id: 'policy-pdf-file', 'data-testid': 'policy-pdf-file' });
  const fail = (text) => mount(message, h('p', { class: 'notice error', role: 'alert', 'data-testid': 'policy-pdf-error' }, text));
  const upload = async (button) => {
    const chosen = file.files?.[0];
    if (!chosen) { fail(t('staff.policies.pdf_choose')); return; }
    if (chosen.size > MAX_PDF_BYTES) { fail(t('staff.policies.pdf_too_large')); return; }
    button.disabled = true;
    const res = await call(app, 'putPolicyPdf', policy.id, chosen);
    button.disabled = false;
    if (!res.ok) {
      // the file's own reason (不是有效的 PDF 文件) rather than the general 请检查标出的字段
      const reasons = res.error?.errors ? Object.values(res.error.errors).flat().filter((m) => typeof m === 'string') : [];
      fail(res.status === 0 ? t('staff.offline') : (reasons.length ? reasons : [res.error?.detail || t('staff.failed')]).join('；'));
      return;
    }
    app.toast(t('staff.policies.pdf_uploaded'));
    app.staffRefresh();
  };
  const remove = async (button) => {
    if (!window.confirm(t('staff.policies.pdf_remove_confirm'))) return;
    button.disabled = true;
    const res = await call(app, 'deletePolicyPdf', policy.id);
    button.disabled = false;
    if (!res.ok) { mount(message, notice(res)); return; }
    app.toast(t('staff.policies.pdf_removed'));
    app.staffRefresh();
  };
  return h('section', { class: 'card', 'data-testid': 'policy-pdf' },
    h('h2', null, t('staff.policies.pdf')),
    policy.has_pdf
      ? h('p', null, h('a', { href: `/f/policies/${policy.id}.pdf`, target: '_blank', rel: 'noopener', 'data-testid': 'policy-pdf-link' }, t('staff.policies.pdf_open')))
      : h('p', { class: 'muted', 'data-testid': 'policy-pdf-none' }, t('staff.policies.pdf_none')),
    h('div', { class: 'staff-bar' },
      h('label', { for: 'policy-pdf-file' }, t(policy.has_pdf ? 'staff.policies.pdf_replace' : 'staff.policies.pdf_add')), file,
      h('button', { type: 'button', class: 'btn', 'data-testid': 'policy-pdf-upload', onclick: (e) => upload(e.currentTarget) }, t('staff.policies.pdf_upload')),
      policy.has_pdf ? h('button', { type: 'button', class: 'btn danger', 'data-testid': 'policy-pdf-remove', onclick: (e) => remove(e.currentTarget) }, t('staff.policies.pdf_remove')) : null),
    h('p', { class: 'muted small' }, t('staff.policies.pdf_hint')),
    message);
}

function withdrawControl(app, policy) {
  const message = h('div', { 'aria-live': 'polite' });
  return h('div', { class: 'staff-bar' },
    h('button', {
      type: 'button', class: 'btn danger', 'data-testid': 'policy-withdraw',
      onclick: async (e) => {
        const button = e.currentTarget;
        if (!window.confirm(t('staff.policies.withdraw_confirm', { title: policy.title }))) return;
        button.disabled = true;
        const res = await call(app, 'withdrawPolicy', policy.id);
        if (!res.ok) { button.disabled = false; mount(message, notice(res)); return; }
        app.toast(t('staff.policies.withdrawn_done', { title: policy.title }));
        app.staffRefresh();
      },
    }, t('staff.policies.withdraw')),
    message);
}

/** A policy as the public and the phones see it (read-only staff, withdrawn policies). */
function readView(policy) {
  return h('section', { class: 'card', 'data-testid': 'policy-read' },
    h('h2', null, policy.title),
    h('p', { class: 'policy-summary', 'data-testid': 'policy-read-summary' }, policy.summary || ''),
    h('div', { class: 'policy-body', 'data-testid': 'policy-read-body' }, sanitizeHtml(policy.body_html)));
}

export async function renderNew(app) {
  const back = app.lastPolicyList || '#/policies';
  return h('div', { class: 'staff-screen', 'data-testid': 'policy-new-page' },
    heading('staff.policies.new', h('a', { class: 'btn', href: back, 'data-testid': 'back' }, t('nav.back'))),
    canWrite(app.user) ? policyForm(app, null) : h('p', { class: 'notice' }, t('staff.policies.read_only')));
}

export async function renderDetail(app, _query, id) {
  const back = app.lastPolicyList || '#/policies';
  const res = await call(app, 'policy', id);
  const head = (...actions) => heading('staff.policies.detail', ...actions, h('a', { class: 'btn', href: back, 'data-testid': 'back' }, t('nav.back')));
  if (!res.ok) return h('div', { class: 'staff-screen' }, head(), notice(res));
  const policy = res.data;
  const writable = canWrite(app.user) && !policy.withdrawn_on;
  return h('div', { class: 'staff-screen', 'data-testid': 'policy-detail', 'data-id': policy.id, 'data-withdrawn': String(Boolean(policy.withdrawn_on)) },
    head(h('a', { class: 'btn', href: `#/policies/${policy.id}/history`, 'data-testid': 'policy-history-link' }, t('staff.policies.history'))),
    h('dl', { class: 'facts' },
      fact('staff.col.status', statusBadge(policy)),
      fact('staff.policies.category', label('policy_categories', policy.category)),
      fact('staff.policies.version', String(policy.version ?? ''), 'policy-version'),
      fact('staff.policies.published_at', formatDateTime(policy.published_at)),
      fact('staff.policies.updated_at', formatDateTime(policy.updated_at))),
    canWrite(app.user) ? null : h('p', { class: 'notice', 'data-testid': 'policy-read-only' }, t('staff.policies.read_only')),
    writable ? [policyForm(app, policy), pdfControls(app, policy), withdrawControl(app, policy)] : readView(policy));
}

// --- history ------------------------------------------------------------------------------

/** The message of ``key``, or ``fallback`` when the catalogue has none. */
function known(key, fallback) {
  const text = t(key);
  return text === key ? fallback : text;
}

function shown(value) {
  if (value === null || value === undefined || value === '') return t('staff.audit.empty');
  if (typeof value === 'boolean') return t(value ? 'staff.audit.yes' : 'staff.audit.no');
  if (typeof value === 'object') return JSON.stringify(value);
  const text = String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** A version's changes as "字段：旧 → 新" lines, fields in the form's words. */
export function historyChanges(changes) {
  if (!changes || typeof changes !== 'object') return changes ? String(changes) : '';
  return Object.entries(changes).map(([field, value]) => {
    const fieldName = known(`staff.policies.field.${field}`, field);
    const named = (v) => (field === 'category' && v ? label('policy_categories', v) : shown(v));
    return Array.isArray(value) && value.length === 2 ? `${fieldName}：${named(value[0])} → ${named(value[1])}` : `${fieldName}：${named(value)}`;
  }).join('；');
}

export async function renderHistory(app, _query, id) {
  const [policy, history] = await Promise.all([call(app, 'policy', id), call(app, 'policyHistory', id)]);
  const back = h('a', { class: 'btn', href: `#/policies/${id}`, 'data-testid': 'back' }, t('nav.back'));
  const body = history.ok
    ? table('policy-history', [
      ['staff.policies.version', (e) => String(e.version ?? '')],
      ['staff.audit.at', (e) => formatDateTime(e.at)],
      ['staff.audit.action', (e) => e.action_label || known(`staff.policies.action.${e.action}`, e.action || '')],
      ['staff.audit.user', (e) => (typeof e.by === 'object' && e.by ? e.by.display_name || e.by.username : e.by) || ''],
      ['staff.audit.changes', (e) => h('span', { class: 'changes' }, historyChanges(e.changes)), 'wide'],
    ], history.data?.items ?? history.data ?? [], (e) => ({ 'data-testid': 'policy-history-row', 'data-action': e.action }))
    : notice(history);
  return h('div', { class: 'staff-screen', 'data-testid': 'policy-history-page' },
    heading('staff.policies.history', back),
    policy.ok ? h('p', { 'data-testid': 'policy-history-title' }, policy.data.title) : null,
    body);
}
