// @vitest-environment jsdom
// The 建档导入 screens (issue 18) against a fake server speaking the shared contract:
// each step's dry run, errors table and import, the roster job's progress, the 409/422
// messages, and what the slip printing asks for.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApi } from '../src/api.js';
import { installStaffApi, uploadForm } from '../src/staff-api.js';
import { forgetRegions } from '../src/views/staff-common.js';
import {
  renderLiaisons, renderOverview, renderRegions, renderRoster, reportName, slipText, slipsBody, withoutSlip,
} from '../src/views/staff-onboarding.js';
import { PUBLIC_URL_PROBLEM, createOnboardingServer } from './fake-onboarding.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
let server;
let downloads;

function makeApp(role = 'admin') {
  const api = installStaffApi(createApi({ fetch: server.fetch, base: '/api/v1' }));
  return {
    api, user: { id: 'me', role, display_name: '干部' }, toast: vi.fn(), staffNeedsLogin: vi.fn(),
    session: { call: (name, ...args) => api[name]('tok', ...args) },
  };
}

async function show(render, app) {
  const el = await render(app);
  document.body.replaceChildren(el);
  return el;
}

const byId = (id) => document.querySelector(`[data-testid="${id}"]`);
const all = (id) => [...document.querySelectorAll(`[data-testid="${id}"]`)];
const text = (id) => byId(id)?.textContent ?? null;

/** Lets the fake server answer and the screen draw; moves the poll timers on by ``ms``. */
async function settle(ms = 0) {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
  if (ms) await vi.advanceTimersByTimeAsync(ms);
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

async function until(check, what) {
  for (let i = 0; i < 100; i += 1) {
    if (check()) return;
    await settle(50);
  }
  throw new Error(`never happened: ${what}`);
}

function choose(testid, name) {
  const input = byId(testid);
  const chosen = new File(['PK'], name, { type: XLSX });
  Object.defineProperty(input, 'files', { value: [chosen], configurable: true });
  input.dispatchEvent(new Event('change'));
  return chosen;
}

async function click(testid) {
  byId(testid).click();
  await settle();
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  server = createOnboardingServer();
  forgetRegions();
  downloads = [];
  URL.createObjectURL = vi.fn(() => 'blob:fake');
  URL.revokeObjectURL = vi.fn();
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function save() { downloads.push(this.download); });
});

afterEach(() => {
  // every text and label from the catalogue: no key shows through
  expect(document.body.innerHTML).not.toMatch(/staff\.[a-z_]+\.[a-z_.-]+/);
  vi.useRealTimers();
  vi.restoreAllMocks();
  document.body.replaceChildren();
});

describe('the endpoints of 建档导入', () => {
  it('sends a file and dry_run as multipart, and every endpoint to its path', async () => {
    const form = uploadForm({ file: new File(['PK'], '花名册.xlsx'), dryRun: true });
    expect(form.get('file').name).toBe('花名册.xlsx');
    expect(form.get('dry_run')).toBe('true');
    expect(uploadForm({ file: new File([''], 'a.csv'), dryRun: false }).get('dry_run')).toBe('false');
    const api = makeApp().api;
    await api.rosterImports('tok');
    await api.rosterImport('tok', 'j1');
    await api.applyRosterImport('tok', 'j1');
    await api.rosterReport('tok', 'j1');
    await api.enrollments('tok', { township_id: 't1', village_id: '' });
    await api.revokeSlip('tok', 's2');
    await api.bulkLiaisons('tok', { township_id: null, dry_run: true });
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /roster/imports', 'GET /roster/imports/j1', 'POST /roster/imports/j1/apply', 'GET /roster/imports/j1/report',
      'GET /enrollments', 'POST /enrollments/s2/revoke', 'POST /liaisons/bulk']);
    expect(server.requests[4].query).toEqual({ township_id: 't1' });
    expect(server.requests[6]).toMatchObject({ multipart: false, body: { township_id: null, dry_run: true } });
  });
});

describe('the time an upload may take', () => {
  it('waits up to ten minutes for a workbook, 45 s for anything else', async () => {
    const hanging = (url, init) => new Promise((resolve, reject) => {
      init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
    });
    const api = installStaffApi(createApi({ fetch: hanging, base: '/api/v1' }));
    const answers = {};
    api.startRosterImport('tok', { file: new File(['PK'], 'a.xlsx'), dryRun: true }).then((res) => { answers.upload = res; });
    api.rosterImports('tok').then((res) => { answers.list = res; });
    await vi.advanceTimersByTimeAsync(46_000);
    expect(answers.list).toMatchObject({ ok: false, status: 0 });
    expect(answers.upload).toBeUndefined();
    await vi.advanceTimersByTimeAsync(10 * 60 * 1000);
    expect(answers.upload).toMatchObject({ ok: false, status: 0 });
  });
});

describe('建档导入: the steps', () => {
  it('links the three steps for an admin, and ① for nobody else', async () => {
    await show(renderOverview, makeApp('admin'));
    expect(all('overview-regions')).toHaveLength(1);
    await show(renderOverview, makeApp('township_officer'));
    expect(all('overview-regions')).toHaveLength(0);
    expect(byId('overview-roster').getAttribute('href')).toBe('#/onboarding/roster');
    expect(document.body.textContent).toContain('这一步由系统管理员完成');
  });
});

describe('① 地区', () => {
  it('checks first, shows the counts and every error by row and column, then imports', async () => {
    await show(renderRegions, makeApp());
    expect(byId('regions-check').disabled).toBe(true);
    expect(byId('regions-apply').disabled).toBe(true);
    choose('regions-file', '区划.xlsx');
    expect(byId('regions-check').disabled).toBe(false);
    expect(byId('regions-apply').disabled).toBe(true); // not before a check
    await click('regions-check');
    await until(() => byId('regions-check-created'), 'the dry run result');
    expect(text('regions-check-created')).toBe('将新增 2 个');
    expect(text('regions-check-renamed')).toBe('将改名 1 个');
    expect(text('regions-check-unchanged')).toBe('不变 3 个');
    const row = byId('regions-errors-row');
    expect([...row.children].map((td) => td.textContent)).toEqual(['5', '统计用区划代码', '统计用区划代码应为12位数字']);
    expect(server.requests.at(-1)).toMatchObject({ path: '/regions/import', multipart: true, body: { name: '区划.xlsx', dryRun: 'true' } });
    expect(byId('regions-apply').disabled).toBe(false);
    await click('regions-apply');
    await until(() => byId('regions-done-created'), 'the import result');
    expect(server.requests.at(-1).body.dryRun).toBe('false');
    expect(text('regions-done-created')).toBe('已新增 2 个');
    expect(byId('regions-apply').disabled).toBe(true); // check again before another import
    expect(byId('next-roster').getAttribute('href')).toBe('#/onboarding/roster');
  });

  it('says beside the file input why a file cannot be read, and keeps the file', async () => {
    await show(renderRegions, makeApp());
    const chosen = choose('regions-file', 'locked.xlsx');
    await click('regions-check');
    await until(() => !byId('regions-file-error').hidden, 'the file error');
    expect(text('regions-file-error')).toBe('文件设有密码，请取消密码后再上传');
    const input = byId('regions-file');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.getAttribute('aria-describedby')).toBe(byId('regions-file-error').id);
    expect(input.files[0]).toBe(chosen);
    expect(byId('regions-check').disabled).toBe(false); // try again at once
    choose('regions-file', '区划.xlsx'); // another file: the message goes
    expect(byId('regions-file-error').hidden).toBe(true);
    expect(input.hasAttribute('aria-invalid')).toBe(false);
  });

  it('downloads the template under its name', async () => {
    await show(renderRegions, makeApp());
    await click('regions-template');
    await until(() => downloads.length, 'the download');
    expect(downloads).toEqual(['统计用区划代码模板.xlsx']);
  });
});

describe('② 花名册', () => {
  it('runs the dry run as a job with progress in words, then imports the good rows', async () => {
    await show(renderRoster, makeApp('county_officer'));
    expect(text('roster-recent')).toContain('还没有导入过花名册');
    choose('roster-file', '一号镇花名册.xlsx');
    await click('roster-check');
    expect(server.requests.find((r) => r.path === '/roster/imports' && r.method === 'POST').body).toEqual({ name: '一号镇花名册.xlsx', dryRun: 'true' });
    await until(() => text('roster-progress') === '排队中，马上开始…', 'queued');
    expect(byId('roster-check').disabled).toBe(true); // one job at a time
    await until(() => text('roster-progress') === '正在检查：已检查 2 / 3 行', 'progress');
    await until(() => byId('roster-check-created'), 'the dry run result');
    expect(['created', 'updated', 'unchanged', 'refused'].map((k) => text(`roster-check-${k}`)))
      .toEqual(['将新增 1 人', '将更新 1 人', '不变 0 人', '有问题 1 行']);
    expect([...byId('roster-errors-row').children].map((td) => td.textContent)).toEqual(['4', '身份证号', '身份证号校验位不正确']);
    expect(text('roster-apply')).toBe('导入正确的 2 行');
    expect(all('roster-reupload')).toHaveLength(1);
    expect(all('roster-import-row')).toHaveLength(1); // the list below has it
    // the workbook back, its bad rows marked
    await click('roster-report');
    await until(() => downloads.length, 'the report');
    expect(downloads).toEqual(['一号镇花名册（已标注问题）.xlsx']);
    expect(server.requests.at(-1).path).toBe('/roster/imports/job-1/report');
    await click('roster-apply');
    expect(server.requests.at(-1)).toMatchObject({ method: 'POST', path: '/roster/imports/job-1/apply' });
    await until(() => text('roster-progress') === '正在导入：已导入 2 / 3 行', 'the import progress');
    await until(() => byId('roster-done-created'), 'the import result');
    expect(['created', 'updated', 'unchanged', 'refused'].map((k) => text(`roster-done-${k}`)))
      .toEqual(['已新增 1 人', '已更新 1 人', '不变 0 人', '有问题未导入 1 行']);
    expect(all('roster-apply')).toHaveLength(0);
    expect(text('next-liaisons')).toBe('下一步：③ 联络员登录单');
    expect(all('roster-import-row').map((row) => row.textContent)).toEqual([
      expect.stringContaining('导入'), expect.stringContaining('检查')]);
    expect(all('roster-import-row')[0].textContent).toContain('新增 1，更新 1，不变 0，有问题 1');
  });

  it('offers the import of all rows when none has a problem, and nothing when nothing changes', async () => {
    server.rosterErrors = [];
    await show(renderRoster, makeApp());
    choose('roster-file', '花名册.xlsx');
    await click('roster-check');
    await until(() => byId('roster-check-created'), 'the dry run result');
    expect(text('roster-apply')).toBe('导入这 3 行');
    expect(all('roster-report')).toHaveLength(0);
    expect(all('roster-reupload')).toHaveLength(0);
    expect(all('roster-errors')).toHaveLength(0);
  });

  it('says beside the file input why it cannot be read, and what a failed job found', async () => {
    await show(renderRoster, makeApp());
    const chosen = choose('roster-file', 'locked.xlsx');
    await click('roster-check');
    await until(() => !byId('roster-file-error').hidden, 'the file error');
    expect(text('roster-file-error')).toBe('文件设有密码，请取消密码后再上传');
    expect(byId('roster-file').files[0]).toBe(chosen);
    expect(all('roster-job-card')).toHaveLength(0);
    choose('roster-file', 'formulas.xlsx');
    await click('roster-check');
    await until(() => byId('roster-failed'), 'the failed job');
    expect(text('roster-failed')).toBe('表格中有公式，请把公式复制为数值后再上传');
    expect(text('roster-file-error')).toBe('表格中有公式，请把公式复制为数值后再上传');
    expect(byId('roster-check').disabled).toBe(false);
  });

  it('shows a refused import plainly and keeps the result on the screen', async () => {
    await show(renderRoster, makeApp());
    choose('roster-file', '花名册.xlsx');
    await click('roster-check');
    await until(() => byId('roster-apply'), 'the dry run result');
    server.jobs[0].status = 'running'; // as if another tab had started it again
    await click('roster-apply');
    await until(() => byId('staff-error'), 'the refusal');
    expect(text('staff-error')).toBe('只能导入已检查完的表格');
    expect(byId('roster-apply').disabled).toBe(false);
    expect(byId('roster-check-created')).not.toBeNull();
  });

  it('re-upload keeps the findings in sight until the corrected sheet is chosen', async () => {
    await show(renderRoster, makeApp());
    choose('roster-file', '花名册.xlsx');
    await click('roster-check');
    await until(() => byId('roster-reupload'), 'the dry run result');
    const opened = vi.spyOn(byId('roster-file'), 'click').mockImplementation(() => {});
    await click('roster-reupload');
    expect(opened).toHaveBeenCalled();
    expect(byId('roster-check').disabled).toBe(true);
    expect(byId('roster-errors')).not.toBeNull();
    expect(text('roster-reupload-hint')).toContain('重新选择文件');
    choose('roster-file', '花名册（改）.xlsx');
    expect(all('roster-job-card')).toHaveLength(0);
    expect(byId('roster-check').disabled).toBe(false);
  });

  it('keeps following the job through a moment without network', async () => {
    await show(renderRoster, makeApp());
    choose('roster-file', '花名册.xlsx');
    await click('roster-check');
    await until(() => text('roster-progress') === '正在检查：已检查 2 / 3 行', 'progress');
    server.offlineOnce = true;
    await until(() => !server.offlineOnce, 'the dropped poll');
    await settle();
    expect(all('staff-error')).toHaveLength(0);
    expect(text('roster-progress')).toBe('正在检查：已检查 2 / 3 行');
    await until(() => byId('roster-check-created'), 'the result after all');
  });

  it('opens an earlier import from the list and follows it while it runs', async () => {
    await show(renderRoster, makeApp());
    choose('roster-file', '花名册.xlsx');
    await click('roster-check');
    await until(() => byId('roster-check-created'), 'the dry run result');
    await show(renderRoster, makeApp()); // came back later
    expect(all('roster-job-card')).toHaveLength(0);
    await click('roster-open');
    expect(byId('roster-job-card').dataset.id).toBe('job-1');
    expect(text('roster-apply')).toBe('导入正确的 2 行');
  });
});

describe('③ 联络员登录单', () => {
  it('says each slip state in words and selects the liaisons without a working slip', async () => {
    expect(slipText(null)).toBe('未打印');
    expect(slipText({ state: 'valid', expires_at: '2026-11-23T02:00:00Z' })).toBe('有效至 2026-11-23 10:00');
    expect(['used', 'expired', 'revoked'].map((state) => slipText({ state }))).toEqual(['已在手机上使用', '已过期', '已作废']);
    await show(renderLiaisons, makeApp('county_officer'));
    expect(all('slip-state').map((td) => td.textContent)).toEqual(['未打印', '有效至 2026-11-23 10:00', '已过期', '已在手机上使用']);
    expect(byId('slips-print').disabled).toBe(true);
    await click('slips-only-without');
    expect(all('slip-pick').map((box) => box.checked)).toEqual([true, false, true, false]);
    expect(text('slips-selected')).toBe('已选 2 人（共 4 人）');
    expect(withoutSlip(server.enrollments)).toEqual(['u1', 'u3']);
    byId('slips-all').click();
    expect(all('slip-pick').every((box) => box.checked)).toBe(true);
    expect(all('accounts-section')).toHaveLength(0); // accounts are the admin's
  });

  it('prints the chosen slips: the request body, the download, the new states', async () => {
    const confirm = vi.spyOn(window, 'confirm').mockReturnValue(true);
    await show(renderLiaisons, makeApp('county_officer'));
    const picks = all('slip-pick');
    picks[0].click();
    picks[1].click();
    byId('slips-sign-out').click();
    await click('slips-print');
    await until(() => byId('slips-printed'), 'the printed note');
    expect(confirm.mock.calls[0][0]).toContain('其中 1 人已有未使用的登录单');
    expect(confirm.mock.calls[0][0]).toContain('旧手机将退出登录');
    const sent = server.requests.find((r) => r.path === '/enrollments/slips.pdf');
    expect(sent.body).toEqual({ user_ids: ['u1', 'u2'], township_id: null, village_id: null, only_without_slip: false, sign_out_old_phone: true });
    expect(downloads).toEqual(['联络员登录单-全部.pdf']);
    expect(all('slip-state')[0].textContent).toBe('有效至 2026-11-25 10:00');
    expect(byId('slips-sign-out').checked).toBe(false);
    expect(slipsBody(new Set(['u3']), false)).toEqual({ user_ids: ['u3'], township_id: null, village_id: null, only_without_slip: false, sign_out_old_phone: false });
  });

  it('refuses to print while the public address is the loopback default, as the card printing does', async () => {
    server.publicUrlSet = false;
    await show(renderLiaisons, makeApp('county_officer'));
    all('slip-pick')[0].click();
    await click('slips-print');
    await until(() => byId('staff-error'), 'the refusal');
    expect(text('staff-error')).toBe(PUBLIC_URL_PROBLEM);
    expect(downloads).toEqual([]);
    expect(byId('slips-print').disabled).toBe(false);
    expect(all('slip-pick')[0].checked).toBe(true); // the choice is kept
  });

  it('revokes a slip only after asking', async () => {
    const confirm = vi.spyOn(window, 'confirm').mockReturnValueOnce(false).mockReturnValueOnce(true);
    await show(renderLiaisons, makeApp('township_officer'));
    await click('slip-revoke');
    expect(server.requests.some((r) => r.path.endsWith('/revoke'))).toBe(false);
    await click('slip-revoke');
    await until(() => byId('slips-revoked'), 'the revoked note');
    expect(confirm.mock.calls[1][0]).toContain('作废 乙村联络员 的登录单吗');
    expect(server.requests.find((r) => r.path.endsWith('/revoke')).path).toBe('/enrollments/s2/revoke');
    expect(all('slip-state')[1].textContent).toBe('已作废');
    expect(all('slip-revoke')).toHaveLength(0);
  });

  it('filters the list by township and village for county staff', async () => {
    await show(renderLiaisons, makeApp('county_officer'));
    const township = byId('filter-township');
    township.value = 't1';
    township.dispatchEvent(new Event('change'));
    await until(() => all('slip-row').length === 2, 'the township list');
    expect(server.requests.at(-1).query).toEqual({ township_id: 't1' });
  });

  it('admin: creates accounts for villages without a liaison after a dry run', async () => {
    await show(renderLiaisons, makeApp('admin'));
    expect(byId('accounts-create').disabled).toBe(true);
    await click('accounts-check');
    await until(() => byId('accounts-check-created'), 'the dry run');
    expect(server.requests.at(-1).body).toEqual({ township_id: null, dry_run: true });
    expect(text('accounts-check-created')).toBe('将创建 1 个账号');
    expect(text('accounts-check-skipped')).toBe('已有联络员的村 1 个（不变）');
    expect([...byId('accounts-created-row').children].map((td) => td.textContent)).toEqual(['甲村', '甲村联络员', 'lx_510101', '']);
    await click('accounts-create');
    await until(() => byId('accounts-created-note'), 'the accounts');
    expect(server.requests.filter((r) => r.path === '/liaisons/bulk').at(-1).body).toEqual({ township_id: null, dry_run: false });
    expect(server.requests.at(-1).path).toBe('/enrollments'); // the list again, with the new ones
  });

  it('admin: shows a township problem beside the township', async () => {
    server.regions.push({ id: 'bad', level: 'township', code: '519900000000', name: '撤销镇', parent_id: 'c' });
    await show(renderLiaisons, makeApp('admin'));
    const township = byId('accounts-township');
    township.value = 'bad';
    township.dispatchEvent(new Event('change'));
    await click('accounts-check');
    await until(() => !byId('accounts-township-error').hidden, 'the field error');
    expect(text('accounts-township-error')).toBe('没有这个乡镇');
  });

  it('admin: imports liaisons from a sheet, errors by row, then creates', async () => {
    await show(renderLiaisons, makeApp('admin'));
    expect(byId('sheet-check').disabled).toBe(true);
    choose('liaisons-file', '联络员.xlsx');
    await click('sheet-check');
    await until(() => byId('sheet-check-created'), 'the dry run');
    expect(server.requests.at(-1)).toMatchObject({ path: '/liaisons/bulk', multipart: true, body: { name: '联络员.xlsx', dryRun: 'true' } });
    expect([...byId('sheet-errors-row').children].map((td) => td.textContent)).toEqual(['3', '村（居）代码', '没有这个村（居）代码']);
    await click('sheet-create');
    await until(() => byId('sheet-created-note'), 'created');
    expect(server.requests.filter((r) => r.path === '/liaisons/bulk').at(-1).body.dryRun).toBe('false');
    choose('liaisons-file', 'locked.xlsx');
    await click('sheet-check');
    await until(() => !byId('liaisons-file-error').hidden, 'the file error');
    expect(text('liaisons-file-error')).toBe('文件设有密码，请取消密码后再上传');
  });
});

it('names the report after the upload', () => {
  expect(reportName('一号镇.xls')).toBe('一号镇（已标注问题）.xlsx');
  expect(reportName(null)).toBe('花名册（已标注问题）.xlsx');
});
