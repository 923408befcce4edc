// A small in-memory server for the 建档导入 screens, speaking issue #18's contract
// (regions import, roster import jobs, liaison accounts, enrollments and slips) behind a
// fake fetch. Jobs advance one step per status request: queued → running → done.

const json = (status, body, type = 'application/json') =>
  new Response(body === null ? null : JSON.stringify(body), { status, headers: { 'Content-Type': type } });
const problem = (status, detail, extra = {}) =>
  json(status, { type: 'about:blank', title: detail, status, detail, ...extra }, 'application/problem+json');
const file = (type, text = 'file') => new Response(text, { status: 200, headers: { 'Content-Type': type } });

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
export const PUBLIC_URL_PROBLEM = '还不能打印：对外访问地址（LIANXIN_PUBLIC_BASE_URL）仍是本机地址 http://127.0.0.1:5000，印出的二维码在群众手机上打不开。请系统管理员先设置本县的对外网址。';

export function createOnboardingServer() {
  const server = {
    requests: [],
    regions: [
      { id: 'c', level: 'county', code: '510000000000', name: '测试县' },
      { id: 't1', level: 'township', code: '510100000000', name: '一号镇', parent_id: 'c' },
      { id: 't2', level: 'township', code: '510200000000', name: '二号镇', parent_id: 'c' },
      { id: 'v1', level: 'village', code: '510101000000', name: '甲村', parent_id: 't1' },
      { id: 'v2', level: 'village', code: '510201000000', name: '乙村', parent_id: 't2' },
    ],
    jobs: [],
    publicUrlSet: true,
    offlineOnce: false, // the next request finds no network
    // the roster's problems as the real import finds them, and how many rows it reads
    rosterErrors: [{ row: 4, column: '身份证号', message: '身份证号校验位不正确' }],
    enrollments: [
      { user: { id: 'u1', username: 'lx_jia', display_name: '甲村联络员', phone: '13800000001' },
        village: { id: 'v1', name: '甲村', township_name: '一号镇' }, slip: null },
      { user: { id: 'u2', username: 'lx_yi', display_name: '乙村联络员', phone: '13800000002' },
        village: { id: 'v2', name: '乙村', township_name: '二号镇' },
        slip: { id: 's2', issued_at: '2026-11-16T02:00:00Z', expires_at: '2026-11-23T02:00:00Z', used_at: null, revoked_at: null, state: 'valid' } },
      { user: { id: 'u3', username: 'lx_bing', display_name: '丙村联络员', phone: '13800000003' },
        village: { id: 'v1', name: '甲村', township_name: '一号镇' },
        slip: { id: 's3', issued_at: '2026-11-01T02:00:00Z', expires_at: '2026-11-08T02:00:00Z', used_at: null, revoked_at: null, state: 'expired' } },
      { user: { id: 'u4', username: 'lx_ding', display_name: '丁村联络员', phone: '13800000004' },
        village: { id: 'v2', name: '乙村', township_name: '二号镇' },
        slip: { id: 's4', issued_at: '2026-11-10T02:00:00Z', expires_at: '2026-11-17T02:00:00Z', used_at: '2026-11-11T02:00:00Z', revoked_at: null, state: 'used' } },
    ],
  };

  function upload(body) {
    return { name: body.get('file')?.name, dryRun: body.get('dry_run') };
  }

  // The same as the server's refusal of a file it cannot read at all.
  function unreadable(name) {
    if (name === 'locked.xlsx') return problem(422, '表格无法读取', { errors: { file: ['文件设有密码，请取消密码后再上传'] } });
    return null;
  }

  function newJob(fileName, dryRun, appliedFrom = null) {
    const errors = server.rosterErrors;
    const job = {
      id: `job-${server.jobs.length + 1}`, status: 'queued', dry_run: dryRun, file_name: fileName, file_sha256: 'ab',
      rows_total: 3, rows_done: 0, created: 0, updated: 0, unchanged: 0, refused: 0, errors: [], errors_total: 0,
      has_report: false, error: null, applied_from: appliedFrom, created_at: '2026-11-18T01:00:00Z', finished_at: null,
      final: { created: 1, updated: 3 - 1 - errors.length, unchanged: 0, refused: errors.length, errors, errors_total: errors.length, has_report: errors.length > 0 },
    };
    if (fileName === 'formulas.xlsx') job.final = { failed: '表格中有公式，请把公式复制为数值后再上传' };
    server.jobs.unshift(job);
    return job;
  }

  const shown = (job) => { const { final, ...rest } = job; return rest; };

  function advance(job) {
    if (job.status === 'queued') Object.assign(job, { status: 'running', rows_done: 2 });
    else if (job.status === 'running') {
      if (job.final.failed) Object.assign(job, { status: 'failed', error: job.final.failed });
      else Object.assign(job, { status: 'done', rows_done: 3, ...job.final, finished_at: '2026-11-18T01:01:00Z' });
    }
    return job;
  }

  server.fetch = async (url, init = {}) => {
    const parsed = new URL(url, 'http://desk.test');
    const path = parsed.pathname.replace(/^\/api\/v1/, '');
    const method = init.method || 'GET';
    const multipart = typeof FormData !== 'undefined' && init.body instanceof FormData;
    const body = multipart ? upload(init.body) : typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    server.requests.push({ method, path, query: Object.fromEntries(parsed.searchParams), body, multipart });
    if (server.offlineOnce) { server.offlineOnce = false; throw new TypeError('Failed to fetch'); }
    if (init.headers?.Authorization !== 'Bearer tok') return problem(401, '登录已过期，请重新登录');

    if (method === 'GET' && path === '/regions') return json(200, server.regions);
    if (method === 'GET' && path === '/regions/template') return file(XLSX);
    if (method === 'POST' && path === '/regions/import') {
      const refused = unreadable(body.name);
      if (refused) return refused;
      const errors = [{ row: 5, column: '统计用区划代码', message: '统计用区划代码应为12位数字' }];
      return json(200, { dry_run: body.dryRun === 'true', created: 2, renamed: 1, unchanged: 3, errors });
    }
    if (method === 'GET' && path === '/roster/template') return file(XLSX);
    if (method === 'POST' && path === '/roster/imports') {
      const refused = unreadable(body.name);
      if (refused) return refused;
      return json(202, shown(newJob(body.name, body.dryRun === 'true')));
    }
    if (method === 'GET' && path === '/roster/imports') return json(200, { items: server.jobs.map(shown) });
    let m = path.match(/^\/roster\/imports\/([^/]+)(\/apply|\/report)?$/);
    if (m) {
      const job = server.jobs.find((j) => j.id === m[1]);
      if (!job) return problem(404, '没有这次导入');
      if (m[2] === '/report') return job.has_report ? file(XLSX, 'report') : problem(404, '这次导入没有问题，没有标注表格');
      if (m[2] === '/apply') {
        if (!job.dry_run || job.status !== 'done') return problem(409, '只能导入已检查完的表格', { code: 'not_a_finished_dry_run' });
        return json(202, shown(newJob(job.file_name, false, job.id)));
      }
      return json(200, shown(advance(job)));
    }
    if (method === 'POST' && path === '/liaisons/bulk') {
      if (multipart) {
        const refused = unreadable(body.name);
        if (refused) return refused;
        return json(200, {
          dry_run: body.dryRun === 'true', skipped: 0,
          created: [{ id: 'n9', username: 'lx_wu', display_name: '吴大爷', phone: '13800000009', village_id: 'v1', village_name: '甲村' }],
          errors: [{ row: 3, column: '村（居）代码', message: '没有这个村（居）代码' }],
        });
      }
      if (body.township_id === 'bad') return problem(422, '请求数据有误', { errors: { township_id: ['没有这个乡镇'] } });
      const created = [{ id: 'n1', username: 'lx_510101', display_name: '甲村联络员', phone: null, village_id: 'v1', village_name: '甲村' }];
      return json(200, { dry_run: body.dry_run, created, skipped: 1, errors: [] });
    }
    if (method === 'GET' && path === '/enrollments') {
      const { township_id: township, village_id: village } = Object.fromEntries(parsed.searchParams);
      const names = { t1: '一号镇', t2: '二号镇' };
      const items = server.enrollments.filter((item) => (!village || item.village.id === village)
        && (!township || item.village.township_name === names[township]));
      return json(200, { items });
    }
    if (method === 'POST' && path === '/enrollments/slips.pdf') {
      if (!server.publicUrlSet) return problem(409, PUBLIC_URL_PROBLEM, { code: 'public_url_not_set' });
      for (const item of server.enrollments) {
        if (body.user_ids.includes(item.user.id)) {
          item.slip = { id: `s-${item.user.id}-new`, issued_at: '2026-11-18T02:00:00Z', expires_at: '2026-11-25T02:00:00Z', used_at: null, revoked_at: null, state: 'valid' };
        }
      }
      return file('application/pdf', '%PDF-1.7');
    }
    m = path.match(/^\/enrollments\/([^/]+)\/revoke$/);
    if (method === 'POST' && m) {
      const item = server.enrollments.find((i) => i.slip?.id === m[1]);
      item.slip = { ...item.slip, state: 'revoked', revoked_at: '2026-11-18T03:00:00Z' };
      return new Response(null, { status: 204 });
    }
    return problem(404, 'not found');
  };

  return server;
}
