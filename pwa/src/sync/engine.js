// The sync engine: push, then photos, then pull — one run at a time.
// Runs when the app opens, when the network comes back, after each saved record
// and every few minutes while open; failures back off exponentially with jitter.
// 401 → the session refreshes the token and retries once; a refused refresh puts
// the engine in "needs login" and keeps the outbox, which is pushed after login.
import { APP_VERSION, SYNC_INTERVAL_MS } from '../config.js';
import { META, getMeta, setMeta } from '../db.js';
import { uploadPhotos } from './photos.js';
import { pull } from './pull.js';
import { push } from './push.js';

export const BACKOFF_BASE_MS = 5000;
export const BACKOFF_MAX_MS = 10 * 60 * 1000;

/** Delay before retry number `failures` (1, 2, …): 5 s, 10 s, 20 s … ≤ 10 min, times 0.5–1 jitter. */
export function backoffDelay(failures, random = Math.random, base = BACKOFF_BASE_MS, max = BACKOFF_MAX_MS) {
  const ceiling = Math.min(max, base * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

/** Did a run change anything on the phone (so screens should redraw)? */
export function hasChanges(result) {
  if (!result) return false;
  const p = result.push || result.summary || {};
  const pulled = result.pull || {};
  return Boolean(p.applied || p.merged || p.conflict || p.rejected || p.replayed
    || pulled.upserts || pulled.deletes || pulled.acknowledged || result.photos);
}

export function createSyncEngine({
  db, session, appVersion = APP_VERSION, intervalMs = SYNC_INTERVAL_MS,
  random = Math.random, now = () => new Date(), timers = globalThis,
  isOnline = () => (typeof navigator === 'undefined' ? true : navigator.onLine !== false),
  saveDelayMs = 1500,
} = {}) {
  const status = {
    running: false, online: isOnline(), needsLogin: false, failures: 0,
    lastError: null, nextRetryAt: null, lastResult: null, held: false,
  };
  const listeners = new Set();
  let inFlight = null;
  let again = false;
  let retryTimer = null;
  let intervalTimer = null;
  let saveTimer = null;
  let idleWaiters = [];
  const cleanups = [];

  function emit() {
    for (const fn of listeners) fn({ ...status });
  }

  function clearRetry() {
    if (retryTimer) timers.clearTimeout(retryTimer);
    retryTimer = null;
    status.nextRetryAt = null;
  }

  function scheduleRetry() {
    clearRetry();
    const delay = backoffDelay(status.failures, random);
    status.nextRetryAt = new Date(now().getTime() + delay).toISOString();
    retryTimer = timers.setTimeout(() => { retryTimer = null; sync('retry'); }, delay);
  }

  async function clientId() {
    return (await getMeta(db, META.client))?.client_id;
  }

  async function runOnce() {
    const id = await clientId();
    const current = await session.load();
    if (!id || !current) return { ok: false, reason: 'signed_out' };
    if (current.needs_login) return { ok: false, needsLogin: true };

    const pushed = await push(db, session.call, { clientId: id, appVersion });
    if (!pushed.ok) return { ...pushed, step: 'push' };
    const photos = await uploadPhotos(db, session.call);
    if (!photos.ok) return { ...photos, step: 'photos', push: pushed.summary };
    const pulled = await pull(db, session.call, { clientId: id });
    if (!pulled.ok) return { ...pulled, step: 'pull', push: pushed.summary, photos: photos.uploaded };
    await setMeta(db, META.lastSyncAt, now().toISOString());
    return { ok: true, push: pushed.summary, photos: photos.uploaded, pull: pulled.totals };
  }

  async function runLoop(reason) {
    status.running = true;
    status.online = isOnline();
    emit();
    let result;
    let changed = false;
    try {
      do {
        again = false;
        result = await runOnce(reason);
        changed ||= hasChanges(result);
      } while (again && result.ok && !status.held);
      result = { ...result, changed };
    } catch (err) {
      result = { ok: false, status: -1, error: { detail: String(err?.message || err) } };
    }
    status.running = false;
    status.lastResult = result;
    if (result.ok) {
      status.failures = 0;
      status.lastError = null;
      status.needsLogin = false;
      clearRetry();
    } else if (result.needsLogin) {
      status.needsLogin = true;
      status.lastError = result.error || null;
      clearRetry();
    } else if (result.reason === 'signed_out') {
      clearRetry();
    } else {
      status.failures += 1;
      status.lastError = result.error || { detail: `HTTP ${result.status}` };
      if (!status.held) scheduleRetry();
    }
    emit();
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
    return result;
  }

  /** Starts a run, or joins the one in flight (which then runs once more). */
  function sync(reason = 'manual') {
    if (status.held) return Promise.resolve({ ok: false, reason: 'held' });
    if (inFlight) {
      again = true;
      return inFlight;
    }
    if (reason === 'manual') clearRetry();
    if (!isOnline()) {
      // The 'online' event starts the next run; no failure counted, no retry timer.
      status.online = false;
      emit();
      return Promise.resolve({ ok: false, offline: true });
    }
    const locks = typeof navigator !== 'undefined' && navigator.locks;
    const run = () => runLoop(reason);
    // One sync per browser, even with two tabs open.
    inFlight = (locks ? locks.request('lianxin-sync', run) : run()).finally(() => { inFlight = null; });
    return inFlight;
  }

  /** After a saved record: soon, so a few quick saves go in one push. */
  function syncSoon() {
    if (saveTimer) timers.clearTimeout(saveTimer);
    saveTimer = timers.setTimeout(() => { saveTimer = null; sync('save'); }, saveDelayMs);
  }

  function start(target = typeof window !== 'undefined' ? window : null) {
    if (target) {
      const online = () => { status.online = true; status.failures = 0; emit(); sync('online'); };
      const offline = () => { status.online = false; emit(); };
      target.addEventListener('online', online);
      target.addEventListener('offline', offline);
      cleanups.push(() => target.removeEventListener('online', online), () => target.removeEventListener('offline', offline));
    }
    if (typeof document !== 'undefined') {
      // Back from the background counts as opening the app.
      const visible = () => { if (document.visibilityState === 'visible' && !retryTimer) sync('open'); };
      document.addEventListener('visibilitychange', visible);
      cleanups.push(() => document.removeEventListener('visibilitychange', visible));
    }
    intervalTimer = timers.setInterval(() => { if (!retryTimer) sync('interval'); }, intervalMs);
    return sync('open');
  }

  function stop() {
    for (const fn of cleanups.splice(0)) fn();
    if (intervalTimer) timers.clearInterval(intervalTimer);
    if (saveTimer) timers.clearTimeout(saveTimer);
    intervalTimer = null;
    clearRetry();
  }

  /** Resolves when no sync is running. */
  function whenIdle() {
    return inFlight ? new Promise((resolve) => idleWaiters.push(resolve)) : Promise.resolve();
  }

  /** Stops new runs and waits for the current one (an app update is never applied mid-sync). */
  async function hold() {
    status.held = true;
    clearRetry();
    emit();
    await whenIdle();
  }

  function release() {
    status.held = false;
    emit();
  }

  /** After the liaison signed in again: push the same outbox. */
  function loggedIn() {
    status.needsLogin = false;
    status.failures = 0;
    emit();
    return sync('login');
  }

  return {
    sync, syncSoon, start, stop, whenIdle, hold, release, loggedIn,
    status: () => ({ ...status }),
    subscribe(fn) { listeners.add(fn); fn({ ...status }); return () => listeners.delete(fn); },
  };
}
