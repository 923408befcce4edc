// The HTTP client: one function per endpoint. Never throws; every call resolves to
// {ok: true, status, data} or {ok: false, status, error} (network failure: status 0).
import { API_BASE } from './config.js';

const TIMEOUT_MS = 45000;

export function createApi({ fetch: fetchImpl = (...a) => globalThis.fetch(...a), base = API_BASE, timeoutMs = TIMEOUT_MS } = {}) {
  // ``timeout``: a call's own limit (a county's workbook upload on a slow line takes longer)
  async function request(method, path, { token, json, body, headers = {}, query, blob = false, timeout = timeoutMs } = {}) {
    let url = base + path;
    if (query) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, v);
      const qs = params.toString();
      if (qs) url += `?${qs}`;
    }
    const init = { method, headers: { Accept: 'application/json', ...headers }, cache: 'no-store', credentials: 'omit' };
    if (token) init.headers.Authorization = `Bearer ${token}`;
    if (json !== undefined) {
      init.body = JSON.stringify(json);
      init.headers['Content-Type'] = 'application/json';
    } else if (body !== undefined) {
      init.body = body;
    }
    const controller = typeof AbortController === 'function' ? new AbortController() : null;
    const timer = controller ? setTimeout(() => controller.abort(), timeout) : null;
    if (controller) init.signal = controller.signal;
    try {
      const response = await fetchImpl(url, init);
      const data = blob && response.ok ? await response.blob() : await readBody(response);
      if (response.ok) return { ok: true, status: response.status, data };
      return { ok: false, status: response.status, error: errorBody(data, response) };
    } catch (err) {
      return { ok: false, status: 0, error: { detail: String(err?.message || err), code: 'network' } };
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  return {
    login: (username, password) => request('POST', '/auth/login', { json: { username, password } }),
    enroll: (code, clientId) => request('POST', '/auth/enroll', { json: { code, client_id: clientId } }),
    refresh: (refreshToken) => request('POST', '/auth/refresh', { token: refreshToken }),
    logout: (token) => request('POST', '/auth/logout', { token }),
    me: (token) => request('GET', '/auth/me', { token }),
    changePassword: (token, body) => request('POST', '/auth/password', { token, json: body }),
    choices: () => request('GET', '/meta/choices'),
    settings: () => request('GET', '/meta/settings'),
    health: () => request('GET', '/health'),
    push: (token, envelope) => request('POST', '/sync/push', { token, json: envelope }),
    pull: (token, { cursor, limit, clientId }) => request('GET', '/sync/pull', {
      token, query: { cursor, limit }, headers: clientId ? { 'X-Client-Id': clientId } : {},
    }),
    putAttachment: (token, { id, blob, type, sha256 }) => request('PUT', `/attachments/${id}`, {
      token, body: blob, headers: { 'Content-Type': type, 'X-Content-SHA256': sha256 },
    }),
    // The staff screens add their endpoints (staff-api.js) on top of this one request.
    request,
  };
}

async function readBody(response) {
  if (response.status === 204) return null;
  const type = response.headers?.get?.('content-type') || '';
  try {
    if (type.includes('json')) return await response.json();
    const text = await response.text();
    return text ? { detail: text.slice(0, 500) } : null;
  } catch {
    return null;
  }
}

function errorBody(data, response) {
  if (data && typeof data === 'object') return data;
  return { detail: response.statusText || `HTTP ${response.status}` };
}

export const api = createApi();
