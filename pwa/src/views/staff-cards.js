// 打印连心卡: pick a township or a village (or only its never-printed cards), see what the
// run prints and which QR codes already handed out it revokes, then download the PDF.
// The server refuses while the public address is still the loopback default; so does this
// screen, saying why, before anyone presses 打印.
import { h, mount } from '../dom.js';
import { t } from '../i18n.js';
import { areaFilters, call, heading, notice, problemText, regions, saveBlob } from './staff-common.js';

/** The print selection of the screen's state: a village, else a township, else none. */
export function selection(state) {
  const area = state.village_id ? { village_id: state.village_id }
    : state.township_id ? { township_id: state.township_id } : null;
  if (!area) return null;
  return state.only_unprinted ? { ...area, only_unprinted: 'true' } : area;
}

export async function render(app) {
  const areas = await regions(app);
  // A township officer's own township is chosen from the start.
  const state = { township_id: areas.townships.length === 1 ? areas.townships[0].id : '', village_id: '', only_unprinted: false };
  const filters = h('div', { class: 'staff-filters' });
  const summary = h('div', { 'data-testid': 'cards-preview', 'aria-live': 'polite' });
  const result = h('div', { 'data-testid': 'cards-result' });
  const button = h('button', { type: 'button', class: 'btn primary', 'data-testid': 'cards-print', disabled: true, onclick: print },
    t('staff.cards.print'));
  let shown = null;
  let asked = 0;

  const set = (changes) => { Object.assign(state, changes); drawFilters(); refresh(); };

  function drawFilters() {
    const only = h('input', { type: 'checkbox', id: 'cards-only-unprinted', 'data-testid': 'cards-only-unprinted', checked: state.only_unprinted,
      onchange: (e) => set({ only_unprinted: e.target.checked }) });
    mount(filters, areaFilters(areas, state, set),
      h('label', { class: 'toggle', for: 'cards-only-unprinted' }, only, t('staff.cards.only_unprinted')));
  }

  async function refresh() {
    const mine = ++asked;
    shown = null;
    button.disabled = true;
    mount(result);
    const query = selection(state);
    if (!query) { mount(summary, h('p', { class: 'muted' }, t('staff.cards.pick_area'))); return; }
    mount(summary, h('p', { class: 'muted' }, t('staff.loading')));
    const res = await call(app, 'cardPrintPreview', query);
    if (mine !== asked) return; // a newer choice won
    if (!res.ok) { mount(summary, notice(res)); return; }
    shown = res.data;
    const lines = [h('p', { 'data-testid': 'cards-count' }, t('staff.cards.count', { area: shown.area, cards: shown.cards }))];
    if (shown.revokes) {
      lines.push(h('p', { class: 'notice warn', role: 'alert', 'data-testid': 'cards-revokes' },
        t('staff.cards.revokes', { revokes: shown.revokes })));
    }
    if (shown.problem) lines.push(h('p', { class: 'notice error', role: 'alert', 'data-testid': 'cards-problem' }, shown.problem));
    else lines.push(h('p', { class: 'muted small', 'data-testid': 'cards-address' }, t('staff.cards.address', { url: shown.public_base_url })));
    mount(summary, ...lines);
    button.disabled = !shown.can_print;
  }

  async function print() {
    if (!shown?.can_print) return;
    if (shown.revokes && !window.confirm(t('staff.cards.confirm', { revokes: shown.revokes }))) return;
    button.disabled = true;
    mount(result, h('p', { class: 'muted' }, t('staff.cards.printing')));
    const res = await call(app, 'printCards', selection(state));
    if (!res.ok) { mount(result, h('p', { class: 'notice error', role: 'alert', 'data-testid': 'staff-error' }, problemText(res))); button.disabled = false; return; }
    const name = `连心卡-${shown.area}.pdf`;
    saveBlob(res.data, name);
    await refresh(); // the counts after the run: its cards are printed now
    mount(result, h('p', { class: 'notice', 'data-testid': 'cards-printed' }, t('staff.cards.printed', { name })));
  }

  drawFilters();
  refresh();
  return h('div', { class: 'staff-screen', 'data-testid': 'cards-page' },
    heading('staff.cards.title'),
    h('section', { class: 'card' },
      h('p', { class: 'muted' }, t('staff.cards.hint')),
      filters, summary, button, result));
}
