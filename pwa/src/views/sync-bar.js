// The sync bar on every screen: online/offline, queued count, last confirmed sync, 立即同步.
// Until the phone is ready to work offline (offline.js: the app's code and the first
// sync) it says how far the download is instead of 全部已上传 / 上次同步, and once
// ready after a download, 已可离线使用.
import { META, getMeta } from '../db.js';
import { h } from '../dom.js';
import { PROBLEM_TABLES } from '../entities.js';
import { t } from '../i18n.js';
import { offlineReadiness } from '../offline.js';
import { whereProblem } from '../record-state.js';
import { shortDateTime } from '../time.js';

export async function countProblems(db) {
  let count = await db.problems.count();
  for (const name of PROBLEM_TABLES) count += await whereProblem(db.table(name)).count();
  return count;
}

export function createSyncBar(app) {
  const online = h('span', { class: 'dot', 'data-testid': 'sync-online', 'aria-live': 'polite' });
  const queued = h('span', { class: 'queued', 'data-testid': 'sync-queued', 'aria-live': 'polite' });
  const last = h('span', { class: 'last', 'data-testid': 'sync-last' });
  const message = h('a', { class: 'sync-message', 'data-testid': 'sync-message', href: '#/sync', hidden: true, 'aria-live': 'polite' });
  const button = h('button', {
    type: 'button', class: 'btn sync-now', 'data-testid': 'sync-now',
    onclick: () => {
      if (app.engine.status().needsLogin) app.navigate('#/relogin');
      else if (typeof navigator !== 'undefined' && navigator.onLine === false) app.toast(t('sync.offline_why'));
      else app.engine.sync('manual');
    },
  }, t('sync.now'));
  const el = h('header', { class: 'sync-bar', 'data-testid': 'sync-bar' },
    h('div', { class: 'row' },
      h('a', { class: 'home', href: '#/', 'data-testid': 'nav-list', 'aria-label': t('nav.home') }, t('app.name')),
      online, queued, button),
    h('div', { class: 'row small' }, last, h('a', { href: '#/sync', class: 'link', 'data-testid': 'nav-sync' }, t('nav.sync'))),
    message);

  let pending = null;
  let again = false;
  let prepared = false; // a download was seen: say 已可离线使用 when it is done
  // One refresh at a time; a call during a refresh runs once more after it.
  function refresh() {
    if (pending) { again = true; return pending; }
    pending = draw().finally(() => {
      pending = null;
      if (again) { again = false; refresh(); }
    });
    return pending;
  }

  async function draw() {
    {
      const status = app.engine.status();
      const isOnline = typeof navigator === 'undefined' || navigator.onLine !== false;
      const [count, lastSync, problems] = await Promise.all([
        app.db.outbox.count(), getMeta(app.db, META.lastSyncAt), countProblems(app.db),
      ]);
      online.textContent = isOnline ? t('sync.online') : t('sync.offline');
      online.dataset.online = String(isOnline);
      el.dataset.online = String(isOnline);
      el.dataset.state = status.needsLogin ? 'needs-login' : status.running ? 'running' : status.lastError ? 'error' : 'idle';
      const code = app.offline ? app.offline.state() : null;
      const ready = offlineReadiness({ code, synced: Boolean(lastSync), online: isOnline });
      el.dataset.ready = String(ready.ready);
      el.dataset.readiness = ready.stage;
      queued.textContent = count ? t('sync.queued', { count }) : ready.ready ? t('sync.all_sent') : '';
      queued.dataset.count = String(count);
      if (ready.ready) last.textContent = lastSync ? t('sync.last', { time: shortDateTime(lastSync) }) : t('sync.never');
      else last.textContent = ready.text;
      last.dataset.time = lastSync || '';
      if (!ready.ready && (!lastSync || (code?.total && code.done < code.total))) prepared = true;
      if (ready.ready && prepared) {
        prepared = false;
        app.toast(t('update.offline_ready'));
      }
      button.disabled = status.running || status.held;
      button.textContent = status.needsLogin ? t('sync.relogin') : status.running ? t('sync.running') : t('sync.now');
      let text = '';
      if (status.needsLogin) text = t('sync.needs_login');
      else if (problems) text = t('sync.problems', { count: problems });
      else if (status.lastError && !status.running) {
        text = status.nextRetryAt ? t('sync.failed', { time: shortDateTime(status.nextRetryAt).split(' ')[1] || t('sync.soon') }) : t('sync.failed_short');
      }
      message.textContent = text;
      message.hidden = !text;
      message.dataset.kind = status.needsLogin ? 'needs-login' : problems ? 'problems' : 'error';
      message.href = status.needsLogin ? '#/relogin' : '#/sync';
    }
  }

  app.engine.subscribe(refresh);
  app.onData(refresh);
  if (typeof window !== 'undefined') {
    window.addEventListener('online', refresh);
    window.addEventListener('offline', refresh);
  }
  refresh();
  return { el, refresh };
}
