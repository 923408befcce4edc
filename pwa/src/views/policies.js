// 法规政策: the county's policy library on the liaison's phone, read offline from IndexedDB
// (every user pulls it; a withdrawn policy arrives as a delete and leaves the phone).
// The list is searched by title or its pinyin initials and filtered by category; one
// policy shows its summary large (to read aloud to a villager) and its body, which is
// copied through the allow-list of safe-html.js before it reaches the page.
import { h } from '../dom.js';
import { label, options, t } from '../i18n.js';
import { isDeleted } from '../record-state.js';
import { sanitizeHtml } from '../safe-html.js';
import { notFound, pageHeader } from './common.js';

// Kept across re-renders (a sync finishing must not wipe what the liaison typed).
const filters = { q: '', category: '' };

/** The public address of a policy's PDF (no login; needs the network). */
export function policyPdfUrl(id) {
  return `/f/policies/${encodeURIComponent(id)}.pdf`;
}

/** Whether a policy is what the liaison typed: part of its title, or of its title's
 * pinyin initials (yfdx for 优抚对象…, sent by the server). */
export function policyMatches(policy, query) {
  const q = String(query || '').trim();
  if (!q) return true;
  if (String(policy.title || '').includes(q)) return true;
  const lower = q.toLowerCase().replace(/\s+/g, '');
  return /^[a-z]+$/.test(lower) && String(policy.title_initials || '').includes(lower);
}

export function filterPolicies(policies, { q = '', category = '' } = {}) {
  return policies.filter((p) => (!category || p.category === category) && policyMatches(p, q));
}

/** The policies on the phone, newest first. */
export async function loadPolicies(db) {
  const rows = (await db.policies.toArray()).filter((p) => !isDeleted(p) && !p.withdrawn_on);
  const when = (p) => p.published_at || p.updated_at || '';
  return rows.sort((a, b) => when(b).localeCompare(when(a)) || String(a.title).localeCompare(String(b.title), 'zh-CN'));
}

function effectiveText(policy) {
  return policy.effective_on ? t('policies.effective_on', { date: policy.effective_on }) : '';
}

function rowElement(policy) {
  return h('li', { class: 'policy-row', 'data-testid': 'policy-row', 'data-id': policy.id, 'data-category': policy.category },
    h('a', { href: `#/policies/${encodeURIComponent(policy.id)}`, class: 'row-link' },
      h('span', { class: 'name', 'data-testid': 'policy-title' }, policy.title),
      h('span', { class: 'sub' },
        h('span', { class: 'badge policy-category', 'data-testid': 'policy-category' }, label('policy_categories', policy.category)),
        policy.effective_on ? h('span', { 'data-testid': 'policy-effective' }, ' ', effectiveText(policy)) : null)));
}

/** Builds the list screen; rows are built once, search and chips only toggle `hidden`. */
export function renderPolicyList(policies) {
  const elements = policies.map(rowElement);
  const list = h('ul', { class: 'people policies', 'data-testid': 'policy-list' }, elements);
  const noMatch = h('p', { class: 'empty', 'data-testid': 'policies-no-match', hidden: true }, t('policies.no_match'));
  const count = h('p', { class: 'muted', 'data-testid': 'policies-count', 'aria-live': 'polite' });
  const chips = [['', t('policies.all')], ...options('policy_categories')].map(([code, text]) => h('button', {
    type: 'button', class: 'btn chip', 'data-testid': `policy-chip-${code || 'all'}`, 'data-code': code,
    'aria-pressed': String(filters.category === code),
    onclick: () => { filters.category = code; apply(); },
  }, text));

  function apply() {
    let shown = 0;
    policies.forEach((policy, i) => {
      const ok = (!filters.category || policy.category === filters.category) && policyMatches(policy, filters.q);
      elements[i].hidden = !ok;
      if (ok) shown++;
    });
    for (const chip of chips) chip.setAttribute('aria-pressed', String(chip.dataset.code === filters.category));
    noMatch.hidden = shown > 0 || !policies.length;
    count.textContent = policies.length ? t('policies.count', { count: shown }) : '';
  }

  const search = h('input', {
    type: 'search', class: 'search', placeholder: t('policies.search'), 'aria-label': t('policies.search'),
    'data-testid': 'policy-search', value: filters.q,
    oninput: (e) => { filters.q = e.target.value.trim(); apply(); },
  });
  const page = h('div', { class: 'page policies-page', 'data-testid': 'policies-page' },
    pageHeader(t('policies.title')),
    policies.length
      ? [
        h('div', { class: 'filters' }, search),
        h('div', { class: 'chips', role: 'group', 'aria-label': t('policies.category_filter'), 'data-testid': 'policy-chips' }, chips),
        count, list, noMatch,
      ]
      : h('p', { class: 'empty', 'data-testid': 'policies-empty' }, t('policies.empty')));
  apply();
  return page;
}

/** Builds one policy's screen from its stored record. */
export function renderPolicy(policy) {
  if (!policy || isDeleted(policy) || policy.withdrawn_on) return notFound('policies.not_found');
  const body = h('div', { class: 'policy-body', 'data-testid': 'policy-body' });
  body.append(sanitizeHtml(policy.body_html));
  return h('article', { class: 'page policy-page', 'data-testid': 'policy-page', 'data-id': policy.id },
    pageHeader(policy.title, { back: '#/policies' }),
    h('p', { class: 'policy-facts' },
      h('span', { class: 'badge policy-category', 'data-testid': 'policy-category' }, label('policy_categories', policy.category)),
      policy.effective_on ? h('span', { 'data-testid': 'policy-effective' }, ' ', effectiveText(policy)) : null),
    policy.summary ? h('section', { class: 'policy-summary-box', 'aria-label': t('policies.summary') },
      h('h2', null, t('policies.summary')),
      h('p', { class: 'policy-summary', 'data-testid': 'policy-summary' }, policy.summary)) : null,
    body.childNodes.length ? h('section', { 'aria-label': t('policies.body') }, h('h2', null, t('policies.body')), body) : null,
    policy.has_pdf ? h('p', null, h('a', {
      class: 'btn big', href: policyPdfUrl(policy.id), target: '_blank', rel: 'noopener', 'data-testid': 'policy-pdf',
    }, t('policies.pdf'))) : null);
}

export async function render(app, params) {
  if (params.id) return renderPolicy(await app.db.policies.get(params.id));
  return renderPolicyList(await loadPolicies(app.db));
}

export const live = true;
