// What a visit spread besides the visit itself (issue 19): the policies the liaison
// explained, picked from the library on the phone, and the 便民服务 done for the person,
// from the county's list (GET /meta/settings → services, kept on the phone like the
// 常用语). A policy is kept on the visit with its title at the time: withdrawn later, or
// already gone from the phone, it still shows as it was explained.
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { policyMatches } from './policies.js';

const SHOWN_MATCHES = 8;
// As the server allows (server/policies/values.py MAX_EXPLAINED).
export const MAX_EXPLAINED = 20;

/** The visit's policies_explained, as the server and drafts keep it: [{id, title}], no repeats. */
export function explainedList(value) {
  const seen = new Set();
  const out = [];
  for (const item of Array.isArray(value) ? value : []) {
    if (!item || typeof item.id !== 'string' || seen.has(item.id)) continue;
    seen.add(item.id);
    out.push({ id: item.id, title: String(item.title ?? '') });
  }
  return out;
}

/** The county's 便民服务 list from the cached settings: [{code, label}]. */
export function serviceOptions(settings) {
  const list = Array.isArray(settings?.services) ? settings.services : [];
  return list.filter((s) => s && typeof s.code === 'string' && s.code).map((s) => ({ code: s.code, label: String(s.label || s.code) }));
}

/**
 * The 讲解了哪些政策 picker: what is chosen (each removable), a search over the phone's
 * library, and its matches to add. ``onChange(list)`` gets the new [{id, title}].
 */
export function policyPicker({ policies, chosen, onChange }) {
  let picked = explainedList(chosen);
  const pickedList = h('ul', { class: 'picked', 'data-testid': 'policy-picked-list' });
  const matches = h('ul', { class: 'pick-options', 'data-testid': 'policy-pick-options' });
  const none = policies.length ? null : h('p', { class: 'hint', 'data-testid': 'policy-pick-none' }, t('outreach.no_policies'));
  const noMatch = h('p', { class: 'hint', 'data-testid': 'policy-pick-no-match', hidden: true }, t('policies.no_match'));
  const enough = h('p', { class: 'hint', 'data-testid': 'policy-pick-full', hidden: true }, t('outreach.policies_max', { max: MAX_EXPLAINED }));
  const search = h('input', {
    type: 'search', class: 'search', id: 'policy-pick-search', 'data-testid': 'policy-pick-search',
    placeholder: t('outreach.policy_search'), 'aria-label': t('outreach.policy_search'),
    oninput: () => drawMatches(),
  });

  function set(next) {
    picked = next;
    drawPicked();
    drawMatches();
    onChange(picked);
  }

  function drawPicked() {
    pickedList.replaceChildren(...picked.map((item) => h('li', { 'data-testid': 'policy-picked', 'data-id': item.id },
      h('span', { class: 'picked-title' }, item.title),
      h('button', {
        type: 'button', class: 'btn small', 'data-testid': 'policy-unpick', 'aria-label': t('outreach.unpick', { title: item.title }),
        onclick: () => set(picked.filter((p) => p.id !== item.id)),
      }, '×'))));
    pickedList.hidden = !picked.length;
  }

  function drawMatches() {
    const full = picked.length >= MAX_EXPLAINED;
    search.hidden = full;
    matches.hidden = full;
    enough.hidden = !full;
    if (full) { matches.replaceChildren(); noMatch.hidden = true; return; }
    const taken = new Set(picked.map((p) => p.id));
    const q = search.value.trim();
    // what starts with the typed text first (yf: 优抚… before …按月发放)
    const lower = q.toLowerCase();
    const starts = (p) => Boolean(q) && (String(p.title || '').startsWith(q) || String(p.title_initials || '').startsWith(lower));
    const found = policies.filter((p) => !taken.has(p.id) && policyMatches(p, q))
      .sort((a, b) => starts(b) - starts(a)).slice(0, SHOWN_MATCHES);
    matches.replaceChildren(...found.map((policy) => h('li', null, h('button', {
      type: 'button', class: 'btn pick-option', 'data-testid': 'policy-pick-option', 'data-id': policy.id,
      onclick: () => set([...picked, { id: policy.id, title: policy.title }]),
    }, '＋ ', policy.title))));
    noMatch.hidden = Boolean(found.length) || !q;
  }

  drawPicked();
  drawMatches();
  return h('div', { class: 'field outreach', 'data-testid': 'policy-picker' },
    h('label', { for: 'policy-pick-search' }, t('outreach.policies')),
    pickedList, none, policies.length ? [search, matches, noMatch, enough] : null);
}

/** The 便民服务 chips: one toggle per service of the county's list. */
export function serviceChips({ services, chosen, onChange }) {
  let codes = Array.isArray(chosen) ? chosen.filter((c) => typeof c === 'string') : [];
  // a code chosen earlier and no longer on the county's list still shows, to be kept or removed
  const all = [...services, ...codes.filter((c) => !services.some((s) => s.code === c)).map((c) => ({ code: c, label: c }))];
  const chips = all.map((service) => h('button', {
    type: 'button', class: 'btn chip', 'data-testid': 'service-chip', 'data-code': service.code,
    'aria-pressed': String(codes.includes(service.code)),
    onclick: (e) => {
      codes = codes.includes(service.code) ? codes.filter((c) => c !== service.code) : [...codes, service.code];
      e.currentTarget.setAttribute('aria-pressed', String(codes.includes(service.code)));
      onChange(codes);
    },
  }, service.label));
  if (!chips.length) return null;
  return h('div', { class: 'field outreach', 'data-testid': 'service-chips' },
    h('span', { class: 'label', id: 'service-chips-label' }, t('outreach.services')),
    h('div', { class: 'chips', role: 'group', 'aria-labelledby': 'service-chips-label' }, chips));
}
