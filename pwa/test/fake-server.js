// A small in-memory server speaking the SYNC.md wire contract, behind a fake fetch.
// Enough of the real rules to test the phone: exactly-once pushes with replays,
// 409 on a gap, 413 on big batches, field-level conflicts, rejections, paged pulls,
// resets, out-of-scope deletes, and access/refresh tokens with rotation.

const json = (status, body, type = 'application/json') =>
  new Response(body === null ? null : JSON.stringify(body), { status, headers: { 'Content-Type': type } });
const problem = (status, detail, extra = {}) =>
  json(status, { type: 'about:blank', title: detail, status, detail, ...extra }, 'application/problem+json');

export function createFakeServer({ today = '2026-11-18', maxMutations = 500 } = {}) {
  const server = {
    today,
    maxMutations,
    records: new Map(), // key entity:id -> {entity, id, data, version, field_versions, deleted, scope}
    log: [], // {seq, entity, id}
    seq: 0,
    clients: new Map(), // client_id -> {last: n, results: Map}
    tokens: { access: new Set(), refresh: new Set() },
    requests: [],
    dropNextResponse: null, // 'push' | 'pull' : process, then fail as if the answer was lost
    failNext: null, // {path, status} or {path, network: true}
    resetNextPull: false,
    tokenCounter: 0,
  };

  function issue() {
    server.tokenCounter += 1;
    const access = `access-${server.tokenCounter}`;
    const refresh = `refresh-${server.tokenCounter}`;
    server.tokens.access.add(access);
    server.tokens.refresh.add(refresh);
    return { access_token: access, refresh_token: refresh };
  }

  server.login = () => ({ ...issue(), user: { id: 4, username: 'liaison1', display_name: '王德福', role: 'liaison', region: { id: 'v1', name: '龙光村', level: 'village', code: '1' } } });
  // Enrollment slips: code -> {client_id of the first phone that used it | null, revoked}.
  server.slips = new Map();
  server.issueSlip = (code, { revoked = false, expired = false } = {}) => server.slips.set(code, { client_id: null, revoked, expired });
  function enroll({ code, client_id: clientId }) {
    const slip = server.slips.get(code);
    const refuse = (reason, detail) => problem(401, detail, { code: `enroll_${reason}` });
    if (!slip) return refuse('unknown', '登录单无效。请找乡镇民政办重新打印登录单。');
    if (slip.revoked) return refuse('revoked', '这张登录单已作废。请找乡镇民政办重新打印登录单。');
    if (slip.client_id && slip.client_id !== clientId) return refuse('used_elsewhere', '这张登录单已在另一部手机上用过，不能再用。请找乡镇民政办重新打印登录单。');
    if (slip.expired) return refuse('expired', '这张登录单已过期。请找乡镇民政办重新打印登录单。');
    slip.client_id = clientId;
    return json(200, server.login());
  }
  server.expireAccess = () => server.tokens.access.clear();
  server.expireAll = () => { server.tokens.access.clear(); server.tokens.refresh.clear(); };

  function touch(entity, id) {
    server.seq += 1;
    server.log = server.log.filter((row) => !(row.entity === entity && row.id === id));
    server.log.push({ seq: server.seq, entity, id });
  }

  /** Seeds or changes a record as another user would (REST, staff). */
  server.put = (entity, id, data, { scope = 'in' } = {}) => {
    const key = `${entity}:${id}`;
    const record = server.records.get(key);
    if (!record) {
      const field_versions = Object.fromEntries(Object.keys(data).map((k) => [k, 1]));
      server.records.set(key, { entity, id, data: { ...data }, version: 1, field_versions, scope });
    } else {
      record.version += 1;
      for (const [k, v] of Object.entries(data)) {
        record.data[k] = v; record.field_versions[k] = record.version;
        if (record.field_clients) delete record.field_clients[k];
      }
      record.scope = scope;
    }
    touch(entity, id);
    return server.records.get(key);
  };
  server.moveOutOfScope = (entity, id) => {
    const record = server.records.get(`${entity}:${id}`);
    record.scope = 'out';
    touch(entity, id);
  };
  /** Deletes a record as staff would (a withdrawn policy): a tombstone the next pull sends. */
  server.remove = (entity, id) => {
    const record = server.records.get(`${entity}:${id}`);
    record.deleted = true;
    record.version += 1;
    touch(entity, id);
  };
  server.get = (entity, id) => server.records.get(`${entity}:${id}`);

  // As server/common/schemas.py: a lone surrogate, NUL or another C0 control but tab and
  // line breaks cannot be stored, in any text field of any record.
  const UNSTORABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

  function validate(entity, data, isCreate) {
    const errors = {};
    for (const [field, value] of Object.entries(data)) {
      if (typeof value === 'string' && UNSTORABLE.test(value)) errors[field] = ['含有无法保存的字符，请删除后再提交'];
    }
    if (entity === 'visit') {
      if (isCreate) for (const f of ['beneficiary_id', 'visit_type', 'visited_on', 'summary']) if (!(f in data)) errors[f] = ['此项必填'];
      if ('summary' in data && !String(data.summary || '').trim()) errors.summary = ['此项不能为空'];
      if (data.visited_on && data.visited_on > server.today) errors.visited_on = ['不能晚于今天'];
    }
    return errors;
  }

  function apply(mutation, clientId) {
    const base = { id: mutation.id, record_id: mutation.record_id };
    const key = `${mutation.entity}:${mutation.record_id}`;
    const record = server.records.get(key);
    if (mutation.op === 'delete') {
      if (!record || record.scope !== 'in') return { ...base, status: 'rejected', errors: { record_id: ['记录不存在或已不在您的管辖范围内'] } };
      record.deleted = true; record.version += 1; touch(mutation.entity, mutation.record_id);
      return { ...base, status: 'applied', version: record.version };
    }
    if (mutation.base_version == null) {
      if (record) return { ...base, status: 'rejected', errors: { id: ['记录已存在'] } };
      const errors = validate(mutation.entity, mutation.data, true);
      if (Object.keys(errors).length) return { ...base, status: 'rejected', errors };
      server.records.set(key, {
        entity: mutation.entity, id: mutation.record_id, data: { ...mutation.data }, version: 1,
        field_versions: Object.fromEntries(Object.keys(mutation.data).map((k) => [k, 1])), scope: 'in',
      });
      touch(mutation.entity, mutation.record_id);
      return { ...base, status: 'applied', version: 1 };
    }
    if (!record || record.scope !== 'in' || record.deleted) return { ...base, status: 'rejected', errors: { record_id: ['记录不存在或已不在您的管辖范围内'] } };
    const errors = validate(mutation.entity, mutation.data, false);
    if (Object.keys(errors).length) return { ...base, status: 'rejected', errors };
    // as the server does: a field this same client changed last is its own change, not a clash
    const clashes = Object.keys(mutation.data).filter((f) => (record.field_versions[f] ?? 1) > mutation.base_version
      && JSON.stringify(record.data[f]) !== JSON.stringify(mutation.data[f])
      && record.field_clients?.[f] !== clientId);
    if (clashes.length) {
      return { ...base, status: 'conflict', version: record.version, server: { ...record.data, id: record.id, version: record.version }, fields: clashes.sort() };
    }
    const merged = record.version > mutation.base_version;
    record.version += 1;
    record.field_clients = record.field_clients || {};
    for (const [f, v] of Object.entries(mutation.data)) {
      record.data[f] = v; record.field_versions[f] = record.version; record.field_clients[f] = clientId;
    }
    touch(mutation.entity, mutation.record_id);
    return { ...base, status: merged ? 'merged' : 'applied', version: record.version };
  }

  function handlePush(body) {
    const { client_id: clientId, mutations } = body;
    if (mutations.length > server.maxMutations) return problem(413, '一次最多同步', { code: 'push_too_large' });
    let client = server.clients.get(clientId);
    if (!client) { client = { last: 0, results: new Map() }; server.clients.set(clientId, client); }
    const ids = mutations.map((m) => m.id);
    for (let i = 1; i < ids.length; i++) if (ids[i] !== ids[i - 1] + 1) return problem(422, '变更编号必须连续递增');
    if (ids.length && ids[0] > client.last + 1) return json(409, { last_mutation_id: client.last, detail: '变更编号不连续，请从断点重新发送' });
    const results = [];
    for (const mutation of mutations) {
      if (mutation.id <= client.last) { results.push({ ...client.results.get(mutation.id), replayed: true }); continue; }
      const result = apply(mutation, clientId);
      client.results.set(mutation.id, result);
      client.last = mutation.id;
      results.push(result);
    }
    return json(200, { last_mutation_id: client.last, results });
  }

  function handlePull(params, clientId) {
    const limit = Number(params.get('limit') || 500);
    let cursor = params.get('cursor');
    let reset = false;
    if (server.resetNextPull && cursor) { reset = true; cursor = null; server.resetNextPull = false; }
    const initial = cursor === null;
    const after = cursor ? Number(cursor) : 0;
    const rows = server.log.filter((row) => row.seq > after).sort((a, b) => a.seq - b.seq);
    const page = rows.slice(0, limit);
    const changes = [];
    for (const row of page) {
      const record = server.records.get(`${row.entity}:${row.id}`);
      if (!record.deleted && record.scope === 'in') {
        changes.push({ entity: row.entity, record_id: row.id, op: 'upsert', version: record.version, data: { ...record.data, id: row.id, version: record.version } });
      } else if (!initial) {
        changes.push({ entity: row.entity, record_id: row.id, op: 'delete', version: record.version, reason: record.deleted ? 'deleted' : 'out_of_scope' });
      }
    }
    const last = page.length ? page[page.length - 1].seq : after;
    const client = server.clients.get(clientId);
    return json(200, { changes, cursor: String(last), has_more: rows.length > limit, reset, last_mutation_id: client ? client.last : 0 });
  }

  server.fetch = async (url, init = {}) => {
    const parsed = new URL(url, 'http://phone.test');
    const path = parsed.pathname.replace(/^\/api\/v1/, '');
    const method = init.method || 'GET';
    const auth = init.headers?.Authorization?.replace(/^Bearer /, '');
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : init.body;
    server.requests.push({ method, path, body, auth });
    if (server.failNext && server.failNext.path === path) {
      const fail = server.failNext;
      server.failNext = null;
      if (fail.network) throw new TypeError('Failed to fetch');
      return problem(fail.status, 'failure');
    }
    if (path === '/auth/login') return json(200, server.login());
    if (path === '/auth/enroll') return enroll(body);
    if (path === '/auth/refresh') {
      if (!server.tokens.refresh.has(auth)) return problem(401, '登录已过期，请重新登录', { code: 'token_expired' });
      server.tokens.refresh.delete(auth);
      const pair = issue();
      return json(200, pair);
    }
    if (!server.tokens.access.has(auth)) return problem(401, '登录已过期，请重新登录', { code: 'token_expired' });
    let response;
    if (path === '/sync/push' && method === 'POST') response = handlePush(body);
    else if (path === '/sync/pull') response = handlePull(parsed.searchParams, init.headers['X-Client-Id']);
    else if (path.startsWith('/attachments/')) response = json(201, { id: path.split('/').pop(), stored: true });
    else if (path === '/auth/logout') response = new Response(null, { status: 204 });
    else response = problem(404, 'not found');
    if (server.dropNextResponse && path.startsWith(`/sync/${server.dropNextResponse}`)) {
      server.dropNextResponse = null;
      throw new TypeError('Failed to fetch (response lost)');
    }
    return response;
  };

  return server;
}
