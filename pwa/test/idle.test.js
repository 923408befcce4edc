// @vitest-environment jsdom
// A staff session the server ended for inactivity (401 session_idle): the session does
// not try to refresh, the staff screens hear the idle answer, and the login page says why.
import { describe, expect, it } from 'vitest';
import { createApi } from '../src/api.js';
import { LianxinDB } from '../src/db.js';
import { createSession } from '../src/sync/session.js';
import { render as renderLogin } from '../src/views/login.js';
import { call } from '../src/views/staff-common.js';
import { freshName } from './helpers.js';

const IDLE = {
  type: 'urn:lianxin:problem:session_idle', title: '未登录或登录已失效', status: 401,
  detail: '长时间未操作，已自动退出，请重新登录', code: 'session_idle', idle_minutes: 30,
};

function idleServer() {
  const paths = [];
  const fetch = async (url) => {
    const path = url.replace('/api/v1', '');
    paths.push(path);
    if (path === '/auth/refresh') {
      return new Response(JSON.stringify({ status: 401, code: 'token_revoked', detail: '登录已失效，请重新登录' }), {
        status: 401, headers: { 'Content-Type': 'application/problem+json' },
      });
    }
    return new Response(JSON.stringify(IDLE), { status: 401, headers: { 'Content-Type': 'application/problem+json' } });
  };
  return { fetch, paths };
}

async function staffSession(server) {
  const db = new LianxinDB(freshName());
  await db.open();
  const api = createApi({ fetch: server.fetch, base: '/api/v1' });
  const session = createSession(db, api);
  await session.save({ access_token: 'a', refresh_token: 'r', user: { id: 2, role: 'township_officer' }, needs_login: false });
  return { db, api, session };
}

describe('idle timeout', () => {
  it('does not refresh an idle session: needs login, with the idle answer', async () => {
    const server = idleServer();
    const { session } = await staffSession(server);
    const res = await session.call('me');
    expect(res).toMatchObject({ ok: false, status: 401, needsLogin: true, error: { code: 'session_idle' } });
    expect(server.paths).toEqual(['/auth/me']); // no refresh: it would be refused too
    expect(await session.needsLogin()).toBe(true);
  });

  it('hands the idle answer to the staff screens', async () => {
    const server = idleServer();
    const { session } = await staffSession(server);
    const heard = [];
    const app = { session, staffNeedsLogin: (res) => heard.push(res?.error?.code) };
    await call(app, 'me');
    expect(heard).toEqual(['session_idle']);
  });

  it('says on the login page why the user was signed out', async () => {
    const page = await renderLogin({}, { signedOut: 'idle' });
    expect(page.querySelector('[data-testid=login-idle]').textContent).toBe('长时间未操作，已自动退出，请重新登录。');
    const plain = await renderLogin({}, {});
    expect(plain.querySelector('[data-testid=login-idle]')).toBeNull();
  });
});
