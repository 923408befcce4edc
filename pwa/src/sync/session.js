// The signed-in session: tokens live in IndexedDB (meta) and memory, never in localStorage.
// call(name, ...args) runs an API function with the access token; on 401 it refreshes
// the tokens once (POST /auth/refresh, single-flight) and retries. A refused refresh
// marks the session "needs login": the outbox is kept and pushed after the next login.
// A staff session the server ended for inactivity (401 session_idle) is not refreshed:
// its refresh token is refused too, and the caller needs the idle answer itself.
import { META, getMeta, setMeta } from '../db.js';

export function createSession(db, api) {
  let cached;
  let refreshing = null;
  const listeners = new Set();

  async function load() {
    if (cached === undefined) cached = await getMeta(db, META.session, null);
    return cached;
  }

  async function save(session) {
    cached = session;
    await setMeta(db, META.session, session);
    for (const fn of listeners) fn(session);
  }

  async function refresh(staleAccessToken) {
    const session = await load();
    if (!session?.refresh_token) return { ok: false, needsLogin: true };
    // Another call refreshed meanwhile: use its token.
    if (session.access_token !== staleAccessToken && !session.needs_login) return { ok: true };
    if (!refreshing) {
      refreshing = (async () => {
        const res = await api.refresh(session.refresh_token);
        if (res.ok) {
          await save({ ...session, access_token: res.data.access_token, refresh_token: res.data.refresh_token, needs_login: false });
          return { ok: true };
        }
        if (res.status === 401 || res.status === 422 || res.status === 403) {
          await save({ ...session, needs_login: true });
          return { ok: false, needsLogin: true, status: 401, error: res.error };
        }
        return { ok: false, status: res.status, error: res.error };
      })().finally(() => { refreshing = null; });
    }
    return refreshing;
  }

  async function call(name, ...args) {
    const session = await load();
    if (!session?.access_token || session.needs_login) {
      return { ok: false, status: 401, needsLogin: true, error: { code: 'needs_login' } };
    }
    const token = session.access_token;
    const res = await api[name](token, ...args);
    if (res.status !== 401) return res;
    if (res.error?.code === 'session_idle') {
      await save({ ...(await load()), needs_login: true });
      return { ...res, needsLogin: true };
    }
    const refreshed = await refresh(token);
    if (!refreshed.ok) {
      return refreshed.needsLogin
        ? { ok: false, status: 401, needsLogin: true, error: refreshed.error || res.error }
        : { ok: false, status: refreshed.status, error: refreshed.error };
    }
    const retried = await api[name](cached.access_token, ...args);
    if (retried.status === 401) {
      await save({ ...cached, needs_login: true });
      return { ...retried, needsLogin: true };
    }
    return retried;
  }

  return {
    load,
    save,
    call,
    refresh,
    async clear() { cached = null; },
    onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); },
    async needsLogin() { const s = await load(); return Boolean(s && s.needs_login); },
    async user() { return (await load())?.user ?? null; },
  };
}
