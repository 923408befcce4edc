// 建档导入 (issue 18): a county's villages, its 优抚对象 roster and its liaisons' log-in slips,
// in three steps, from three spreadsheets.
// ① 地区 (admin): a 统计用区划代码 sheet, checked first (nothing changes), then imported.
// ② 花名册: a background job as the ledgers are: 检查 (dry run) with progress in words, every
//    problem by row and column, the workbook back with its bad rows marked, then 导入 the good rows.
// ③ 联络员登录单: accounts for the villages without a liaison (admin), and the slips whose QR
//    code signs a liaison's phone in.
// Whatever fails, the chosen file stays chosen; a file the server cannot read at all is said
// beside the file input.
import { h, mount } from '../dom.js';
import { t } from '../i18n.js';
import {
  areaFilters, call, forgetRegions, formatDateTime, heading, problemText, regions, saveBlob, select, table,
} from './staff-common.js';

const POLL_MS = 700;
const ACCEPT = '.xlsx,.xls,.csv';
// [step, admin only]
const STEPS = [['regions', true], ['roster', false], ['liaisons', false]];

const isAdmin = (app) => app.user?.role === 'admin';

function errorNotice(text, testid = 'staff-error') {
  return h('p', { class: 'notice error', role: 'alert', 'data-testid': testid }, text);
}

function note(text, testid) {
  return h('p', { class: 'notice', 'data-testid': testid }, text);
}

/** The three steps, the current one marked; ① only links for an admin. */
function steps(app, current) {
  return h('nav', { class: 'onboarding-steps', 'aria-label': t('staff.onboarding.steps') },
    h('ol', null, STEPS.map(([key, adminOnly]) => {
      const text = t(`staff.onboarding.step.${key}`);
      if (adminOnly && !isAdmin(app)) return h('li', { class: 'muted' }, text, t('staff.onboarding.by_admin'));
      return h('li', null, h('a', {
        href: `#/onboarding/${key}`, 'data-testid': `step-${key}`, class: key === current ? 'active' : null,
        'aria-current': key === current ? 'page' : null,
      }, text));
    })));
}

function nextStep(key) {
  return h('a', { href: `#/onboarding/${key}`, 'data-testid': `next-${key}` }, t('staff.onboarding.next', { step: t(`staff.onboarding.step.${key}`) }));
}

function screen(app, key, testid, ...content) {
  return h('div', { class: 'staff-screen', 'data-testid': testid },
    heading(`staff.onboarding.${key}.title`), steps(app, key), ...content);
}

/** #/onboarding: what the three steps are, in order. */
export function renderOverview(app) {
  return h('div', { class: 'staff-screen', 'data-testid': 'onboarding-page' },
    heading('staff.onboarding.title'),
    h('p', { class: 'muted' }, t('staff.onboarding.hint')),
    h('ol', { class: 'onboarding-overview' }, STEPS.map(([key, adminOnly]) => {
      const open = !adminOnly || isAdmin(app);
      return h('li', { class: 'card' },
        h('h2', null, open ? h('a', { href: `#/onboarding/${key}`, 'data-testid': `overview-${key}` }, t(`staff.onboarding.step.${key}`))
          : t(`staff.onboarding.step.${key}`)),
        h('p', null, t(`staff.onboarding.about.${key}`)),
        open ? null : h('p', { class: 'muted' }, t('staff.onboarding.admin_does')));
    })));
}

/** A file input with its own problem line beside it (a file the server cannot read at all). */
export function filePicker(testid, onchange) {
  const id = `${testid}-input`;
  const error = h('p', { class: 'field-error', id: `${id}-error`, 'data-testid': `${testid}-error`, role: 'alert', hidden: true });
  const input = h('input', {
    type: 'file', id, accept: ACCEPT, class: 'file-input', 'data-testid': testid,
    onchange: () => { setError(); onchange(input.files?.[0] || null); },
  });
  function setError(messages = []) {
    const text = messages.join('；');
    error.textContent = text;
    error.hidden = !text;
    if (text) { input.setAttribute('aria-invalid', 'true'); input.setAttribute('aria-describedby', error.id); }
    else { input.removeAttribute('aria-invalid'); input.removeAttribute('aria-describedby'); }
  }
  const el = h('div', { class: 'file-field' }, h('label', { for: id }, t('staff.onboarding.choose_file')), input, error);
  return {
    el, input, setError,
    reset() { input.value = ''; setError(); },
  };
}

/** A refused request: the file's own problems (errors.file) beside its input, the rest in ``slot``. */
export function showProblem(res, picker, slot) {
  const errors = res.error?.errors || {};
  const fileMessages = (Array.isArray(errors.file) ? errors.file : errors.file ? [errors.file] : []).map(String);
  if (picker && fileMessages.length) {
    picker.setError(fileMessages);
    const others = Object.entries(errors).filter(([key]) => key !== 'file').flatMap(([, m]) => m).filter((m) => typeof m === 'string');
    mount(slot, others.length ? errorNotice(others.join('；')) : null);
    return;
  }
  mount(slot, errorNotice(problemText(res)));
}

/** Every problem of a sheet by row and column. */
function errorsTable(testid, errors, where) {
  return table(testid, [
    ['staff.onboarding.col.row', (e) => (e.row ?? ''), 'num'],
    ['staff.onboarding.col.column', (e) => e.column || '', 'col'],
    ['staff.onboarding.col.message', (e) => e.message || ''],
  ], errors, () => ({ 'data-testid': `${testid}-row` }), { label: t('staff.onboarding.errors_table', { where }) });
}

/** A result's counts in words, each its own line: the catalogue's staff.counts.<testid>.<key>. */
function counts(testid, items) {
  return h('ul', { class: 'counts', 'data-testid': `${testid}-counts` },
    items.map(([key, n, cls]) => h('li', { class: cls || null, 'data-testid': `${testid}-${key}`, 'data-count': String(n ?? 0) },
      t(`staff.counts.${testid}.${key}`, { n: n ?? 0 }))));
}

/** Buttons that are all disabled while one of them waits, then as ``enable`` says. */
function busyGroup(enable) {
  const state = { busy: false };
  const buttons = {};
  const update = () => { for (const [key, el] of Object.entries(buttons)) el.disabled = state.busy || !enable(key); };
  const button = (key, testid, text, onclick, cls = 'btn') => {
    buttons[key] = h('button', { type: 'button', class: cls, 'data-testid': testid, onclick: () => run(onclick) }, text);
    return buttons[key];
  };
  async function run(fn) {
    if (state.busy) return;
    state.busy = true;
    update();
    try { await fn(); } finally { state.busy = false; update(); }
  }
  return { button, update, run, buttons, state };
}

async function download(app, name, fileName, slot, ...args) {
  const res = await call(app, name, ...args);
  if (!res.ok) { mount(slot, errorNotice(problemText(res))); return false; }
  saveBlob(res.data, fileName);
  return true;
}

// --- ① 地区 ----------------------------------------------------------------------------

export function renderRegions(app) {
  const state = { file: null, checked: null };
  const result = h('div', { 'data-testid': 'regions-result', 'aria-live': 'polite' });
  const problems = h('div', { 'data-testid': 'regions-problems' });
  const picker = filePicker('regions-file', (file) => {
    state.file = file; state.checked = null; mount(result); mount(problems); group.update();
  });
  const group = busyGroup((key) => key === 'template' || (key === 'check' && state.file) || (key === 'apply' && state.file && state.checked));

  async function send(dryRun) {
    const { file } = state;
    mount(problems);
    mount(result, h('p', { class: 'muted' }, t(dryRun ? 'staff.onboarding.checking' : 'staff.onboarding.importing')));
    const res = await call(app, 'importRegions', { file, dryRun });
    if (file !== state.file) return; // another file was chosen meanwhile
    if (!res.ok) { mount(result); showProblem(res, picker, problems); return; }
    const data = res.data;
    state.checked = dryRun ? data : null;
    if (!dryRun) forgetRegions(); // the next screens see the new villages
    const errors = data.errors || [];
    mount(result,
      counts(dryRun ? 'regions-check' : 'regions-done', [['created', data.created], ['renamed', data.renamed], ['unchanged', data.unchanged],
        ['errors', errors.length, errors.length ? 'bad' : '']]),
      errors.length ? [h('p', { class: 'notice warn' }, t('staff.onboarding.regions.has_errors', { n: errors.length })),
        errorsTable('regions-errors', errors, t('staff.onboarding.regions.title'))] : null,
      dryRun ? h('p', { class: 'muted' }, t('staff.onboarding.regions.checked'))
        : h('p', { class: 'notice', 'data-testid': 'regions-done-note' }, t('staff.onboarding.regions.done'), ' ', nextStep('roster')));
  }

  const template = group.button('template', 'regions-template', t('staff.onboarding.template'),
    () => download(app, 'regionsTemplate', t('staff.onboarding.regions.template_name'), problems));
  const check = group.button('check', 'regions-check', t('staff.onboarding.check_only'), () => send(true));
  const apply = group.button('apply', 'regions-apply', t('staff.onboarding.regions.apply'), () => send(false), 'btn primary');
  group.update();
  return screen(app, 'regions', 'onboarding-regions',
    h('section', { class: 'card' },
      h('p', null, t('staff.onboarding.regions.hint')),
      h('div', { class: 'staff-bar' }, template),
      picker.el,
      h('div', { class: 'staff-bar' }, check, apply),
      problems, result));
}

// --- ② 花名册 --------------------------------------------------------------------------

function jobCounts(job) {
  const prefix = job.dry_run ? 'roster-check' : 'roster-done';
  return counts(prefix, [['created', job.created], ['updated', job.updated], ['unchanged', job.unchanged],
    ['refused', job.refused, job.refused ? 'bad' : '']]);
}

function progressText(job) {
  if (job.status === 'queued') return t('staff.roster.queued');
  return t(job.dry_run ? 'staff.roster.checking' : 'staff.roster.applying', { done: job.rows_done ?? 0, total: job.rows_total ?? '…' });
}

/** The name the report downloads under: the upload's own name, marked. */
export function reportName(fileName) {
  const stem = String(fileName || t('staff.roster.title')).replace(/\.(xlsx|xls|csv)$/i, '');
  return t('staff.roster.report_name', { name: stem });
}

export async function renderRoster(app) {
  const state = { file: null, job: null };
  const problems = h('div', { 'data-testid': 'roster-problems' });
  const jobSlot = h('div', { 'data-testid': 'roster-job' }); // not a live region: it holds a long table
  const recentSlot = h('div', { 'data-testid': 'roster-recent' });
  let following = 0;
  const running = () => state.job && (state.job.status === 'queued' || state.job.status === 'running');
  const group = busyGroup((key) => key === 'template' || (key === 'check' && state.file && !running()));
  const picker = filePicker('roster-file', (file) => {
    state.file = file;
    mount(problems);
    if (!running()) { state.job = null; following += 1; mount(jobSlot); }
    group.update();
  });

  function follow(job, { fromHere = false } = {}) {
    state.job = job;
    const mine = ++following;
    drawJob(job, fromHere);
    group.update();
    if (job.status === 'done' || job.status === 'failed') { loadRecent(); return; }
    const poll = (delay) => setTimeout(async () => {
      if (mine !== following || !root.isConnected) return; // left the screen, or another job shown
      const next = await call(app, 'rosterImport', job.id);
      if (mine !== following) return;
      if (next.ok) follow(next.data, { fromHere });
      else if (next.status === 0) poll(POLL_MS * 4); // the line dropped for a moment: the job runs on
      else { state.job = null; group.update(); mount(jobSlot, errorNotice(problemText(next))); }
    }, delay);
    poll(POLL_MS);
  }

  function drawJob(job, fromHere) {
    const card = h('div', { class: 'card', 'data-testid': 'roster-job-card', 'data-id': job.id, 'data-status': job.status, 'data-dry-run': String(job.dry_run) },
      h('h2', null, t(job.dry_run ? 'staff.roster.check_of' : 'staff.roster.import_of', { name: job.file_name || '' })));
    if (job.status === 'queued' || job.status === 'running') {
      card.append(h('progress', { max: job.rows_total || 1, value: job.rows_total ? (job.rows_done || 0) : 0, 'aria-label': t('staff.roster.progress') }),
        h('p', { 'data-testid': 'roster-progress' }, progressText(job)));
      mount(jobSlot, card);
      return;
    }
    if (job.status === 'failed') {
      const message = job.error || t('staff.failed');
      if (fromHere) picker.setError([message]);
      card.append(errorNotice(message, 'roster-failed'));
      mount(jobSlot, card);
      return;
    }
    card.append(h('p', { class: 'muted small' }, t('staff.roster.rows', { n: job.rows_total ?? 0 })), jobCounts(job));
    const actions = h('div', { class: 'staff-bar' });
    const actionsNote = h('div');
    if (job.has_report) {
      actions.append(h('button', {
        type: 'button', class: 'btn', 'data-testid': 'roster-report',
        onclick: () => group.run(() => download(app, 'rosterReport', reportName(job.file_name), actionsNote, job.id)),
      }, t('staff.roster.report')));
    }
    if (job.dry_run) {
      const good = (job.created || 0) + (job.updated || 0) + (job.unchanged || 0);
      const changes = (job.created || 0) + (job.updated || 0);
      const apply = h('button', {
        type: 'button', class: 'btn primary', 'data-testid': 'roster-apply', disabled: !changes,
        onclick: () => group.run(async () => {
          apply.disabled = true;
          mount(problems);
          const res = await call(app, 'applyRosterImport', job.id);
          if (!res.ok) { apply.disabled = false; mount(actionsNote, errorNotice(problemText(res))); return; }
          follow(res.data, { fromHere: true });
        }),
      }, t(job.refused ? 'staff.roster.apply_good' : 'staff.roster.apply_all', { n: good }));
      actions.append(apply);
      if (job.refused) {
        actions.append(h('button', {
          type: 'button', class: 'btn', 'data-testid': 'roster-reupload',
          onclick: () => {
            picker.reset(); // the result stays in sight until the corrected sheet is chosen
            state.file = null;
            group.update();
            mount(problems, note(t('staff.roster.reupload_hint'), 'roster-reupload-hint'));
            picker.input.focus();
            picker.input.click(); // the file dialog, to choose the corrected sheet
          },
        }, t('staff.roster.reupload')));
      }
      if (!changes) actionsNote.append(note(t(good ? 'staff.roster.nothing_new' : 'staff.roster.nothing_good'), 'roster-nothing'));
    } else {
      card.append(h('p', { class: 'notice', 'data-testid': 'roster-applied' }, t('staff.roster.applied'), ' ', nextStep('liaisons')));
    }
    // what to do next comes before the problems, which may be a long list (it scrolls in its frame)
    card.append(actions, actionsNote);
    const errors = job.errors || [];
    if (errors.length) {
      card.append(h('h3', null, t('staff.roster.errors_title')), errorsTable('roster-errors', errors, job.file_name || ''));
      if (job.errors_total > errors.length) {
        card.append(h('p', { class: 'muted', 'data-testid': 'roster-errors-more' }, t('staff.roster.errors_more', { shown: errors.length, total: job.errors_total })));
      }
    }
    mount(jobSlot, card);
  }

  async function check() {
    const { file } = state;
    mount(problems);
    mount(jobSlot, h('p', { class: 'muted' }, t('staff.onboarding.uploading')));
    const res = await call(app, 'startRosterImport', { file, dryRun: true });
    if (!res.ok) { mount(jobSlot); showProblem(res, picker, problems); return; }
    follow(res.data, { fromHere: true });
  }

  async function loadRecent() {
    const res = await call(app, 'rosterImports');
    if (!res.ok) { mount(recentSlot, errorNotice(problemText(res))); return; }
    const items = res.data.items || [];
    if (!items.length) { mount(recentSlot, h('p', { class: 'muted' }, t('staff.roster.none'))); return; }
    mount(recentSlot, table('roster-imports', [
      ['staff.roster.col.file', (job) => job.file_name || ''],
      ['staff.roster.col.when', (job) => [formatDateTime(job.created_at),
        (job.user?.display_name || job.user_name) ? h('div', { class: 'muted small' }, job.user?.display_name || job.user_name) : null]],
      ['staff.roster.col.kind', (job) => t(job.dry_run ? 'staff.roster.kind_check' : 'staff.roster.kind_import')],
      ['staff.roster.col.counts', (job) => (job.status === 'done' ? t('staff.roster.counts_short', {
        created: job.created ?? 0, updated: job.updated ?? 0, unchanged: job.unchanged ?? 0, refused: job.refused ?? 0,
      }) : '')],
      ['staff.roster.col.status', (job) => t(`staff.roster.status.${job.status}`)],
      ['staff.roster.col.open', (job) => h('button', {
        type: 'button', class: 'btn small', 'data-testid': 'roster-open',
        'aria-label': t('staff.roster.open_named', { name: job.file_name || '' }),
        onclick: () => { mount(problems); follow(job); jobSlot.scrollIntoView?.({ block: 'nearest' }); },
      }, t('staff.roster.open'))],
    ], items, (job) => ({ 'data-testid': 'roster-import-row', 'data-id': job.id })));
  }

  const template = group.button('template', 'roster-template', t('staff.onboarding.template'),
    () => download(app, 'rosterTemplate', t('staff.roster.template_name'), problems));
  const checkButton = group.button('check', 'roster-check', t('staff.roster.check'), check, 'btn primary');
  group.update();
  const root = screen(app, 'roster', 'onboarding-roster',
    h('section', { class: 'card' },
      h('p', null, t('staff.roster.hint')),
      h('div', { class: 'staff-bar' }, template),
      picker.el,
      h('div', { class: 'staff-bar' }, checkButton),
      problems),
    jobSlot,
    h('section', { class: 'card' }, h('h2', null, t('staff.roster.recent')), recentSlot));
  await loadRecent();
  return root;
}

// --- ③ 联络员登录单 ----------------------------------------------------------------------

/** A slip's state in words an officer reads at a glance. */
export function slipText(slip) {
  if (!slip) return t('staff.slips.state.none');
  if (slip.state === 'valid') return t('staff.slips.state.valid', { until: formatDateTime(slip.expires_at) });
  return t(`staff.slips.state.${slip.state}`);
}

/** The user ids with no slip that still works (none, expired or revoked). */
export function withoutSlip(items) {
  return items.filter((item) => !item.slip || item.slip.state === 'expired' || item.slip.state === 'revoked').map((item) => item.user.id);
}

/** The body of POST /enrollments/slips.pdf for the chosen liaisons. */
export function slipsBody(userIds, signOutOldPhone) {
  return { user_ids: [...userIds], township_id: null, village_id: null, only_without_slip: false, sign_out_old_phone: Boolean(signOutOldPhone) };
}

function createdTable(testid, created, where) {
  return table(testid, [
    ['staff.slips.col.village', (u) => u.village_name || ''],
    ['staff.slips.col.name', (u) => u.display_name || ''],
    ['staff.slips.col.username', (u) => u.username || ''],
    ['staff.slips.col.phone', (u) => u.phone || ''],
  ], created, () => ({ 'data-testid': `${testid}-row` }), { label: t('staff.slips.created_table', { where }) });
}

function bulkResult(data, prefix, where) {
  const created = data.created || [];
  const errors = data.errors || [];
  return [
    counts(data.dry_run ? `${prefix}-check` : `${prefix}-done`, [['created', created.length], ['skipped', data.skipped],
      ['errors', errors.length, errors.length ? 'bad' : '']]),
    errors.length ? errorsTable(`${prefix}-errors`, errors, where) : null,
    created.length ? createdTable(`${prefix}-created`, created, where) : null,
  ];
}

/** Admin: one liaison per village that has none, from the regions (JSON) or from a sheet. */
function accountsSection(app, areas, reload) {
  const state = { township_id: '', checked: null, file: null, sheetChecked: null };
  const result = h('div', { 'data-testid': 'accounts-result', 'aria-live': 'polite' });
  const sheetResult = h('div', { 'data-testid': 'sheet-result', 'aria-live': 'polite' });
  const sheetProblems = h('div');
  const townshipError = h('p', { class: 'field-error', role: 'alert', hidden: true, 'data-testid': 'accounts-township-error' });
  const group = busyGroup((key) => ({
    check: true, create: state.checked?.created?.length,
    sheetCheck: state.file, sheetCreate: state.file && state.sheetChecked?.created?.length,
  })[key]);
  const picker = filePicker('liaisons-file', (file) => { state.file = file; state.sheetChecked = null; mount(sheetResult); mount(sheetProblems); group.update(); });

  async function bulk(dryRun) {
    townshipError.hidden = true;
    mount(result, h('p', { class: 'muted' }, t(dryRun ? 'staff.onboarding.checking' : 'staff.slips.creating')));
    const res = await call(app, 'bulkLiaisons', { township_id: state.township_id || null, dry_run: dryRun });
    if (!res.ok) {
      const own = res.error?.errors?.township_id;
      if (own) { townshipError.textContent = [].concat(own).join('；'); townshipError.hidden = false; mount(result); return; }
      mount(result, errorNotice(problemText(res)));
      return;
    }
    state.checked = dryRun ? res.data : null;
    mount(result, bulkResult(res.data, 'accounts', t('staff.slips.accounts_title')),
      dryRun ? null : note(t('staff.slips.created_note', { n: (res.data.created || []).length }), 'accounts-created-note'));
    if (!dryRun) reload();
  }

  async function sheet(dryRun) {
    const { file } = state;
    mount(sheetProblems);
    mount(sheetResult, h('p', { class: 'muted' }, t(dryRun ? 'staff.onboarding.checking' : 'staff.slips.creating')));
    const res = await call(app, 'importLiaisons', { file, dryRun });
    if (file !== state.file) return;
    if (!res.ok) { mount(sheetResult); showProblem(res, picker, sheetProblems); return; }
    state.sheetChecked = dryRun ? res.data : null;
    mount(sheetResult, bulkResult(res.data, 'sheet', t('staff.slips.sheet_title')),
      dryRun ? null : note(t('staff.slips.created_note', { n: (res.data.created || []).length }), 'sheet-created-note'));
    if (!dryRun) reload();
  }

  const township = select('accounts-township', 'staff.township',
    [['', t('staff.slips.all_townships')], ...areas.townships.map((r) => [r.id, r.name])], '',
    (value) => { state.township_id = value; state.checked = null; mount(result); group.update(); });
  const body = h('div', null,
    h('section', { class: 'card', 'data-testid': 'accounts-section' },
      h('h2', null, t('staff.slips.accounts_title')),
      h('p', null, t('staff.slips.accounts_hint')),
      h('div', { class: 'staff-filters' }, township), townshipError,
      h('div', { class: 'staff-bar' },
        group.button('check', 'accounts-check', t('staff.onboarding.check_only'), () => bulk(true)),
        group.button('create', 'accounts-create', t('staff.slips.create'), () => bulk(false), 'btn primary')),
      result),
    h('section', { class: 'card', 'data-testid': 'sheet-section' },
      h('h2', null, t('staff.slips.sheet_title')),
      h('p', null, t('staff.slips.sheet_hint')),
      picker.el,
      h('div', { class: 'staff-bar' },
        group.button('sheetCheck', 'sheet-check', t('staff.onboarding.check_only'), () => sheet(true)),
        group.button('sheetCreate', 'sheet-create', t('staff.slips.create'), () => sheet(false), 'btn primary')),
      sheetProblems, sheetResult));
  group.update();
  return body;
}

export async function renderLiaisons(app) {
  const areas = await regions(app);
  const state = {
    township_id: areas.townships.length === 1 ? areas.townships[0].id : '', village_id: '',
    items: [], selected: new Set(),
  };
  const filters = h('div', { class: 'staff-filters' });
  const listSlot = h('div', { 'data-testid': 'slips-list' });
  const summary = h('p', { 'data-testid': 'slips-selected', 'aria-live': 'polite' });
  const result = h('div', { 'data-testid': 'slips-result', 'aria-live': 'polite' });
  const signOut = h('input', { type: 'checkbox', id: 'slips-sign-out', 'data-testid': 'slips-sign-out' });
  let asked = 0;
  const group = busyGroup((key) => key !== 'print' || state.selected.size > 0);

  function drawFilters() {
    mount(filters, areaFilters(areas, state, (changes) => { Object.assign(state, changes); drawFilters(); load(); }));
  }

  function drawSummary() {
    summary.textContent = t('staff.slips.selected', { n: state.selected.size, total: state.items.length });
    group.update();
  }

  function drawList() {
    const { items } = state;
    if (!items.length) { mount(listSlot, h('p', { class: 'muted' }, t('staff.slips.empty'))); drawSummary(); return; }
    const boxes = [];
    const all = h('input', {
      type: 'checkbox', 'data-testid': 'slips-all', 'aria-label': t('staff.slips.all'),
      checked: items.every((item) => state.selected.has(item.user.id)),
      onchange: (e) => {
        state.selected = e.target.checked ? new Set(items.map((item) => item.user.id)) : new Set();
        for (const box of boxes) box.checked = e.target.checked;
        drawSummary();
      },
    });
    const rows = items.map((item) => {
      const box = h('input', {
        type: 'checkbox', 'data-testid': 'slip-pick', 'aria-label': t('staff.slips.pick', { name: item.user.display_name || item.user.username }),
        checked: state.selected.has(item.user.id),
        onchange: (e) => {
          if (e.target.checked) state.selected.add(item.user.id); else state.selected.delete(item.user.id);
          all.checked = items.every((i) => state.selected.has(i.user.id));
          drawSummary();
        },
      });
      boxes.push(box);
      const slip = item.slip;
      return h('tr', { 'data-testid': 'slip-row', 'data-user': item.user.id, 'data-state': slip?.state || 'none' },
        h('td', null, box),
        h('td', { class: 'slip-name' }, item.user.display_name || ''),
        h('td', { 'data-testid': 'slip-state', class: `slip-${slip?.state || 'none'}` }, slipText(slip)),
        h('td', null, [item.village?.township_name, item.village?.name].filter(Boolean).join(' ')),
        h('td', null, item.user.username || ''),
        h('td', null, item.user.phone || ''),
        h('td', null, slip?.state === 'valid' ? h('button', {
          type: 'button', class: 'btn small danger', 'data-testid': 'slip-revoke',
          'aria-label': t('staff.slips.revoke_named', { name: item.user.display_name || item.user.username }),
          onclick: () => revoke(item),
        }, t('staff.slips.revoke')) : null));
    });
    // the name and the slip's state first: what a phone shows without scrolling the table
    const heads = ['staff.slips.col.name', 'staff.slips.col.state', 'staff.slips.col.village', 'staff.slips.col.username', 'staff.slips.col.phone', 'staff.slips.col.actions'];
    mount(listSlot, h('div', { class: 'table-wrap' },
      h('table', { class: 'staff-table', 'data-testid': 'slips-table' },
        h('thead', null, h('tr', null, h('th', null, all, h('span', { class: 'visually-hidden' }, t('staff.slips.all'))), heads.map((key) => h('th', null, t(key))))),
        h('tbody', null, rows))));
    drawSummary();
  }

  async function load() {
    const mine = ++asked;
    mount(listSlot, h('p', { class: 'muted' }, t('staff.loading')));
    const res = await call(app, 'enrollments', { township_id: state.township_id, village_id: state.village_id });
    if (mine !== asked) return; // a newer choice won
    if (!res.ok) { state.items = []; mount(listSlot, errorNotice(problemText(res))); drawSummary(); return; }
    state.items = res.data.items || [];
    const shown = new Set(state.items.map((item) => item.user.id));
    state.selected = new Set([...state.selected].filter((id) => shown.has(id)));
    drawList();
  }

  function areaName() {
    return areas.byId[state.village_id]?.name || areas.byId[state.township_id]?.name || t('staff.slips.all_area');
  }

  async function print() {
    const ids = state.items.map((item) => item.user.id).filter((id) => state.selected.has(id));
    if (!ids.length) return;
    const replaced = state.items.filter((item) => state.selected.has(item.user.id) && item.slip?.state === 'valid').length;
    if ((replaced || signOut.checked) && !window.confirm([
      replaced ? t('staff.slips.confirm_replace', { n: replaced }) : '',
      signOut.checked ? t('staff.slips.confirm_sign_out') : '',
      t('staff.slips.confirm_print'),
    ].filter(Boolean).join('\n'))) return;
    mount(result, h('p', { class: 'muted' }, t('staff.cards.printing')));
    const res = await call(app, 'printSlips', slipsBody(ids, signOut.checked));
    if (!res.ok) { mount(result, errorNotice(problemText(res))); return; }
    const name = t('staff.slips.file_name', { area: areaName() });
    saveBlob(res.data, name);
    signOut.checked = false;
    await load(); // the slips just printed are valid now
    mount(result, note(t('staff.slips.printed', { name, n: ids.length }), 'slips-printed'));
  }

  async function revoke(item) {
    if (!window.confirm(t('staff.slips.revoke_confirm', { name: item.user.display_name || item.user.username }))) return;
    await group.run(async () => {
      const res = await call(app, 'revokeSlip', item.slip.id);
      if (!res.ok) { mount(result, errorNotice(problemText(res))); return; }
      await load();
      mount(result, note(t('staff.slips.revoked', { name: item.user.display_name || item.user.username }), 'slips-revoked'));
    });
  }

  const onlyWithout = group.button('only', 'slips-only-without', t('staff.slips.only_without'), () => {
    state.selected = new Set(withoutSlip(state.items));
    drawList();
  });
  const printButton = group.button('print', 'slips-print', t('staff.slips.print'), print, 'btn primary');
  drawFilters();
  await load();
  return screen(app, 'liaisons', 'onboarding-liaisons',
    isAdmin(app) ? accountsSection(app, areas, load) : null,
    h('section', { class: 'card', 'data-testid': 'slips-section' },
      h('h2', null, t('staff.slips.title')),
      h('p', null, t('staff.slips.hint')),
      filters,
      h('div', { class: 'staff-bar' }, onlyWithout, summary),
      listSlot,
      h('label', { class: 'toggle', for: 'slips-sign-out' }, signOut, t('staff.slips.sign_out')),
      h('p', { class: 'muted small' }, t('staff.slips.sign_out_hint')),
      h('div', { class: 'staff-bar' }, printButton),
      result));
}
