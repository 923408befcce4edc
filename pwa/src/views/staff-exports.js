// Ledgers (台账) as Excel with progress, the monthly report (PDF) and the feedback register.
// Full ID numbers need the password again (a fresh token, a few minutes long).
import { h, mount } from '../dom.js';
import { t } from '../i18n.js';
import {
  areaFilters, call, choiceOptions, heading, input, notice, problemText, regions, saveBlob, select, thisMonth,
} from './staff-common.js';

const KINDS = ['visits', 'health_events', 'mediation_cases', 'contacts', 'not_visited'];
const POLL_MS = 700;

function kindFilters(kind, state, set) {
  if (kind === 'visits') {
    return [
      select('export-visit-type', 'staff.visit_type', choiceOptions('visit_types'), state.visit_type, (v) => set({ visit_type: v })),
      select('export-review-status', 'staff.review_status', choiceOptions('review_status'), state.review_status, (v) => set({ review_status: v })),
    ];
  }
  if (kind === 'health_events') {
    return [select('export-event-kind', 'health_event.kind', choiceOptions('health_event_kinds'), state.event_kind, (v) => set({ event_kind: v }))];
  }
  if (kind === 'mediation_cases') {
    return [
      select('export-case-status', 'case.status', choiceOptions('mediation_status'), state.status, (v) => set({ status: v })),
      select('export-case-kind', 'case.kind', choiceOptions('mediation_kinds'), state.case_kind, (v) => set({ case_kind: v })),
    ];
  }
  return [];
}

function body(state) {
  const out = { kind: state.kind, full_ids: state.full_ids };
  const names = { visits: ['visit_type', 'review_status'], health_events: ['event_kind'], mediation_cases: ['status', 'case_kind'], contacts: [], not_visited: [] }[state.kind];
  for (const name of ['township_id', 'village_id', ...names]) if (state[name]) out[name] = state[name];
  if (state.kind !== 'contacts' && state.month) out.month = state.month;
  return out;
}

function ledgerSection(app, areas, query = {}) {
  // a link from another screen (the dashboard's 未访 list) may name the ledger and area
  const state = {
    kind: KINDS.includes(query.kind) ? query.kind : 'visits', month: query.month || thisMonth(),
    township_id: query.township_id || areas.byId[query.village_id]?.parent_id || '', village_id: query.village_id || '', full_ids: false,
  };
  const form = h('div');
  const progressSlot = h('div', { 'data-testid': 'export-progress-slot' });
  const set = (changes) => { Object.assign(state, changes); draw(); };

  function draw() {
    const fullIds = h('input', { type: 'checkbox', id: 'export-full-ids', 'data-testid': 'export-full-ids', checked: state.full_ids,
      onchange: (e) => { state.full_ids = e.target.checked; } });
    mount(form, h('div', { class: 'staff-filters' },
      select('export-kind', 'staff.exports.kind', KINDS.map((k) => [k, t(`staff.exports.kinds.${k}`)]), state.kind, (v) => set({ kind: v })),
      areaFilters(areas, state, set),
      state.kind === 'contacts' ? null
        : input('export-month', 'staff.month', { type: 'month', value: state.month, onchange: (e) => { state.month = e.target.value; } }),
      kindFilters(state.kind, state, set)),
    h('label', { class: 'toggle', for: 'export-full-ids' }, fullIds, t('staff.exports.full_ids')),
    h('p', { class: 'muted small' }, t('staff.exports.full_ids_hint')),
    h('button', { type: 'button', class: 'btn primary', 'data-testid': 'export-start', onclick: start }, t('staff.exports.start')));
  }

  async function start() {
    if (!state.full_ids) return run(await call(app, 'createExport', body(state)));
    // Full ID numbers: the password again, then the export with the fresh token.
    const password = h('input', { type: 'password', id: 'fresh-password', 'data-testid': 'fresh-password', autocomplete: 'current-password' });
    const error = h('p', { class: 'error', hidden: true, 'data-testid': 'fresh-error' });
    const confirm = h('button', {
      type: 'submit', class: 'btn primary', 'data-testid': 'fresh-submit',
    }, t('staff.exports.confirm'));
    mount(progressSlot, h('form', {
      class: 'form card', 'data-testid': 'fresh-form',
      onsubmit: async (event) => {
        event.preventDefault();
        confirm.disabled = true;
        const fresh = await call(app, 'freshToken', password.value);
        confirm.disabled = false;
        if (!fresh.ok) { error.textContent = problemText(fresh); error.hidden = false; return; }
        run(await app.api.createExport(fresh.data.access_token, body(state)));
      },
    }, h('label', { for: 'fresh-password' }, t('staff.exports.password')), password, error, confirm));
    password.focus();
  }

  function run(res) {
    if (!res.ok) { mount(progressSlot, notice(res)); return; }
    const bar = h('progress', { max: 1, value: 0, 'data-testid': 'export-progress' });
    const text = h('span', { 'data-testid': 'export-progress-text' });
    const actions = h('div');
    mount(progressSlot, h('div', { class: 'card', 'data-testid': 'export-job', 'data-id': res.data.job_id },
      h('p', null, t(`staff.exports.kinds.${res.data.kind}`)), bar, text, actions));
    const show = async (job) => {
      bar.value = job.progress;
      text.textContent = t('staff.exports.progress', { rows: job.rows, total: job.rows_total ?? '…', status: t(`staff.exports.status.${job.status}`) });
      bar.closest('[data-testid=export-job]')?.setAttribute('data-status', job.status);
      if (job.status === 'done') {
        mount(actions, h('button', {
          type: 'button', class: 'btn primary', 'data-testid': 'export-download',
          onclick: async () => {
            const file = await call(app, 'exportFile', job.job_id);
            if (!file.ok) { mount(actions, notice(file)); return; }
            saveBlob(file.data, job.file_name);
            // the server sends a ledger once and deletes it: say so instead of a dead button
            mount(actions, h('p', { class: 'notice', 'data-testid': 'export-downloaded' },
              t('staff.exports.downloaded', { name: job.file_name })));
          },
        }, t('staff.exports.download', { name: job.file_name })));
        return;
      }
      if (job.status === 'failed') { mount(actions, h('p', { class: 'notice error' }, job.error || t('staff.failed'))); return; }
      setTimeout(async () => {
        const next = await call(app, 'exportStatus', job.job_id);
        if (next.ok) show(next.data);
        else mount(actions, notice(next));
      }, POLL_MS);
    };
    show(res.data);
  }

  draw();
  return h('section', { class: 'card', 'data-testid': 'ledgers' }, h('h2', null, t('staff.exports.ledgers')), form, progressSlot);
}

function fileSection(app, areas, { titleKey, testid, fetchName, fileName, hintKey }) {
  const state = { month: thisMonth(), township_id: '', village_id: '' };
  const message = h('div');
  const townships = areas.townships.length > 1
    ? select(`${testid}-township`, 'staff.township', [['', t('staff.all')], ...areas.townships.map((r) => [r.id, r.name])], '',
      (v) => { state.township_id = v; })
    : null;
  const button = h('button', {
    type: 'button', class: 'btn primary', 'data-testid': `${testid}-download`,
    onclick: async () => {
      button.disabled = true;
      const query = { month: state.month, ...(state.township_id ? { township_id: state.township_id } : {}) };
      const res = await call(app, fetchName, query);
      button.disabled = false;
      if (!res.ok) { mount(message, notice(res)); return; }
      mount(message, h('p', { class: 'muted', 'data-testid': `${testid}-done` }, t('staff.exports.saved')));
      saveBlob(res.data, fileName(state.month));
    },
  }, t('staff.exports.download_file'));
  return h('section', { class: 'card', 'data-testid': testid }, h('h2', null, t(titleKey)),
    h('p', { class: 'muted small' }, t(hintKey)),
    h('div', { class: 'staff-filters' },
      input(`${testid}-month`, 'staff.month', { type: 'month', value: state.month, onchange: (e) => { state.month = e.target.value; } }),
      townships),
    button, message);
}

export async function render(app, query = {}) {
  const areas = await regions(app);
  return h('div', { class: 'staff-screen', 'data-testid': 'exports-page' },
    heading('staff.exports.title'),
    ledgerSection(app, areas, query),
    fileSection(app, areas, { titleKey: 'staff.exports.report', testid: 'report', fetchName: 'monthlyReport',
      fileName: (month) => `优抚月报-${month}.pdf`, hintKey: 'staff.exports.report_hint' }),
    fileSection(app, areas, { titleKey: 'staff.exports.feedback', testid: 'feedback-register', fetchName: 'feedbackExport',
      fileName: (month) => `征求意见台账-${month}.xlsx`, hintKey: 'staff.exports.feedback_hint' }));
}
