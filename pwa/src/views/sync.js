// Sync and settings: what is waiting, what needs fixing, storage, and logging out
// (refused while unsent records exist, unless they were exported to a file first).
import { exportCovers, markExported, signOut, unsentCount } from '../auth.js';
import { APP_VERSION } from '../config.js';
import { h } from '../dom.js';
import { formatBytes, label, t } from '../i18n.js';
import { errorsOf } from '../record-state.js';
import { dismissProblem, listProblems } from '../sync/conflicts.js';
import { exportOutbox } from '../sync/outbox.js';
import { storageStatus } from '../storage.js';
import { countyToday } from '../time.js';
import { textSizePicker } from './text-size.js';
import { errorList, pageHeader, recordState, section, stateBadge } from './common.js';

const ENTITY_LINK = {
  visit: (row) => `#/visit/${row.id}`, health_file: (row) => `#/b/${row.beneficiary_id}/health`,
  health_event: (row) => `#/health-event/${row.id}`, mediation_case: (row) => `#/case/${row.id}/edit`,
  mediation_session: (row) => `#/session/${row.id}`, contact_card: (row) => `#/b/${row.beneficiary_id}/card`,
  contact_log: (row) => `#/log/${row.id}`, beneficiary: (row) => `#/b/${row.id}/edit`,
  opinion: (row) => `#/opinions/${row.id}`, outreach_meeting: (row) => `#/meetings/${row.id}`,
};

function download(filename, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export async function render(app) {
  const { db } = app;
  const [outbox, problems, orphans, unsent, storage, photosWaiting, photosFailed] = await Promise.all([
    db.outbox.orderBy('id').toArray(), listProblems(db), db.problems.toArray(), unsentCount(db), storageStatus(),
    db.photos.where('state').equals('pending').count(), db.photos.where('state').equals('failed').count(),
  ]);
  const byEntity = {};
  for (const entry of outbox) byEntity[entry.entity] = (byEntity[entry.entity] || 0) + 1;

  const problemList = problems.length
    ? h('ul', { class: 'records', 'data-testid': 'problem-list' }, problems.map(({ entity, row }) => {
      const state = recordState(row);
      const href = state === 'conflict' ? `#/conflict/${entity}/${row.id}` : (ENTITY_LINK[entity]?.(row) || '#/');
      return h('li', { class: 'record', 'data-testid': 'problem-row', 'data-state': state },
        h('a', { class: 'row-link', href },
          h('span', { class: 'line' }, stateBadge(row), ' ', row.visited_on || row.occurred_on || row.held_on || row.contacted_on || '', ' ',
            entity === 'visit' ? label('visit_types', row.visit_type) : (row.name || row.summary || '')),
          h('span', { class: 'summary' }, row.summary || row.notes || row.parties || row.text || row.place || '')),
        state === 'rejected' ? errorList(errorsOf(row)) : null);
    }))
    : null;

  const orphanList = orphans.length
    ? h('div', { class: 'notice error', 'data-testid': 'orphans' }, t('sync.orphans', { count: orphans.length }),
      h('ul', null, orphans.map((o) => h('li', null, errorList(o.errors) || o.status,
        h('button', { class: 'btn small', onclick: async () => { await dismissProblem(db, o.id); app.refresh(); } }, t('sync.dismiss'))))))
    : null;

  // --- logout -------------------------------------------------------------------------
  const logoutMessage = h('p', { class: 'notice', 'data-testid': 'logout-message', hidden: true });
  const exportButton = h('button', {
    type: 'button', class: 'btn big', 'data-testid': 'export-outbox', hidden: !unsent,
    onclick: async () => {
      const file = await exportOutbox(db);
      download(`lianxin-outbox-${app.user?.username || 'phone'}-${countyToday()}.json`, JSON.stringify(file, null, 2));
      await markExported(db);
      logoutMessage.textContent = t('logout.exported');
      logoutMessage.hidden = false;
      logoutButton.textContent = t('logout.anyway');
    },
  }, t('logout.export'));
  const logoutButton = h('button', {
    type: 'button', class: 'btn danger big', 'data-testid': 'logout',
    onclick: async () => {
      const count = await unsentCount(db);
      if (count && !(await exportCovers(db))) {
        logoutMessage.textContent = t('logout.unsent', { count });
        logoutMessage.hidden = false;
        exportButton.hidden = false;
        return;
      }
      if (!count && !window.confirm(t('logout.confirm'))) return;
      logoutButton.disabled = true;
      logoutButton.textContent = t('logout.busy');
      await app.engine.hold();
      const result = await signOut(db, app.api, app.session);
      if (!result.ok) {
        app.engine.release();
        logoutButton.disabled = false;
        logoutButton.textContent = t('logout.button');
        logoutMessage.textContent = t('logout.unsent', { count: result.count });
        logoutMessage.hidden = false;
        return;
      }
      await app.wipeAndRestart();
    },
  }, t('logout.button'));

  return h('div', { class: 'page', 'data-testid': 'sync-page' },
    pageHeader(t('sync.page_title'), { back: '#/' }),
    section('sync.outbox', 'outbox',
      outbox.length
        ? h('ul', { class: 'plain', 'data-testid': 'outbox-summary', 'data-count': outbox.length },
          Object.entries(byEntity).map(([entity, n]) => h('li', null, `${t(`entity.${entity}`)}：${n}`)))
        : h('p', { class: 'muted', 'data-testid': 'outbox-summary', 'data-count': '0' }, t('sync.outbox_empty')),
      photosWaiting ? h('p', null, t('sync.photos_waiting', { count: photosWaiting })) : null,
      photosFailed ? h('p', { class: 'error' }, t('sync.photos_failed', { count: photosFailed })) : null,
      h('button', { type: 'button', class: 'btn primary big', 'data-testid': 'sync-now-page', onclick: () => app.engine.sync('manual') }, t('sync.now'))),
    problemList ? section('sync.problems_title', 'problems', problemList) : null,
    orphanList,
    h('section', { class: 'card', 'data-testid': 'display' }, textSizePicker()),
    section('sync.storage', 'storage',
      storage.usage != null ? h('p', null, t('storage.usage', { used: formatBytes(storage.usage) })) : null,
      storage.low ? h('p', { class: 'notice error' }, t('storage.low', { free: formatBytes(storage.free) })) : null,
      storage.persisted === false ? h('p', { class: 'muted' }, t('storage.not_persisted')) : null),
    section('sync.account', 'account',
      h('p', null, t('about.user', { name: app.user?.display_name || app.user?.username || '', region: app.user?.region?.name || '' })),
      h('p', { class: 'muted' }, t('about.version', { version: APP_VERSION })),
      h('a', { class: 'btn big', href: '#/password', 'data-testid': 'change-password' }, t('password.title')),
      logoutMessage, exportButton, logoutButton));
}

export const live = true;
