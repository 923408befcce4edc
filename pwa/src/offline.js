// Whether the phone is ready to work without signal: the app's code (the service
// worker's precache and the liaison's screens, src/sw/offline-bundle.js) and the data
// (the first sync) are both on the phone. Until then the sync bar says how far the
// download is, never 全部已上传 or 已可离线使用.
import { t } from './i18n.js';
import { MESSAGE } from './sw/offline-bundle.js';

/**
 * The readiness the sync bar shows. `code`: null when there is no service worker to
 * wait for (a browser without one, the dev server), else what the worker reported:
 * {controlled, done, total, failed} (total 0: it has not answered yet). `synced`: the
 * first sync finished. → {ready, stage: 'ready' | 'code' | 'data', text}
 */
export function offlineReadiness({ code, synced, online = true }) {
  const codeReady = !code || (code.controlled && code.total > 0 && code.done >= code.total);
  if (codeReady && synced) return { ready: true, stage: 'ready', text: '' };
  if (!codeReady) {
    const counts = { done: code.done, total: code.total };
    if (code.total && (!online || code.failed)) return { ready: false, stage: 'code', text: t('offline.paused', counts) };
    return { ready: false, stage: 'code', text: code.total ? t('offline.preparing_count', counts) : t('offline.preparing') };
  }
  return { ready: false, stage: 'data', text: online ? t('offline.data') : t('offline.data_paused') };
}

/**
 * Follows the service worker's download of the app's code: asks it to complete the
 * download (again when the phone is back online) and hears its progress.
 * `container`: navigator.serviceWorker (null: nothing to wait for).
 */
export const RETRY_MS = 5000;

export function watchOfflineCode(container, { onChange = () => {}, target = globalThis } = {}) {
  if (!container) return { state: () => null, ask() {} };
  let state = { controlled: Boolean(container.controller), done: 0, total: 0, failed: 0 };
  let retry = null;
  const ask = () => container.controller?.postMessage({ type: MESSAGE.prepare });
  container.addEventListener('message', (event) => {
    const data = event.data;
    if (data?.type !== MESSAGE.progress) return;
    state = { ...state, done: data.done, total: data.total, failed: data.failed };
    // A download that ended with files missing while the phone is online (the link
    // dropped, the server was busy) is tried again a little later.
    if (state.failed && state.done + state.failed >= state.total && target.navigator?.onLine !== false && !retry) {
      retry = target.setTimeout(() => { retry = null; ask(); }, RETRY_MS);
    }
    onChange(state);
  });
  container.addEventListener('controllerchange', () => {
    state = { ...state, controlled: true };
    ask();
    onChange(state);
  });
  target.addEventListener?.('online', () => { if (state.done < state.total || !state.total) ask(); });
  container.startMessages?.();
  ask();
  return { state: () => state, ask };
}
