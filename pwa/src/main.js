// The app shell: session → (login | staff | liaison app), sync bar, routes, service worker.
import './text-size.js'; // first: the chosen text size is set before anything is drawn
import './styles.css';
import { api } from './api.js';
import { META, dbExists, getDb, getMeta, setMeta } from './db.js';
import { h, mount, remount } from './dom.js';
import { setChoices, t } from './i18n.js';
import { createRouter, enrollCodeIn } from './router.js';
import { setCountySettings } from './time.js';
import { requestPersist, storageStatus } from './storage.js';
import { createSyncEngine } from './sync/engine.js';
import { createSession } from './sync/session.js';
import { formatBytes } from './i18n.js';
import * as visitList from './views/visit-list.js';
import * as login from './views/login.js';
import { createSyncBar } from './views/sync-bar.js';
import { watchOfflineCode } from './offline.js';

// 意见收集 and 宣讲会 (#19)
const opinions = () => import('./views/opinions.js');
const opinionForm = () => import('./views/opinion-form.js');
const meetingForm = () => import('./views/meeting-form.js');
const visitForm = () => import('./views/visit-form.js');
const personForm = () => import('./views/person-form.js');
const caseForm = () => import('./views/case-form.js');
const sessionForm = () => import('./views/session-form.js');
const eventForm = () => import('./views/health-event-form.js');
const logForm = () => import('./views/contact-log-form.js');
const policies = () => import('./views/policies.js');

const ROUTES = [
  ['/', () => visitList],
  ['/b/:id', () => import('./views/beneficiary.js')],
  ['/b/:id/visit/new', visitForm],
  ['/visit/:visitId', visitForm],
  ['/person/new', personForm],
  ['/b/:id/edit', personForm],
  ['/b/:id/health', () => import('./views/health-form.js')],
  ['/b/:id/health-event/new', eventForm],
  ['/health-event/:eventId', eventForm],
  ['/b/:id/case/new', caseForm],
  ['/case/:caseId', () => import('./views/case.js')],
  ['/case/:caseId/edit', caseForm],
  ['/case/:caseId/session/new', sessionForm],
  ['/session/:sessionId', sessionForm],
  ['/b/:id/card', () => import('./views/card-form.js')],
  ['/card/:cardId/log/new', logForm],
  ['/log/:logId', logForm],
  ['/opinions', opinions],
  ['/opinions/new', opinionForm],
  ['/opinions/:opinionId', opinions], // a reply's notice links here (server/feedback/operations.py reply)
  ['/opinions/:opinionId/edit', opinionForm],
  ['/b/:id/opinion/new', opinionForm],
  ['/meetings', () => import('./views/meetings.js')],
  ['/meetings/new', meetingForm],
  ['/meetings/:meetingId', meetingForm],
  ['/conflict/:entity/:id', () => import('./views/conflict.js')],
  ['/sync', () => import('./views/sync.js')],
  ['/notifications', () => import('./views/notifications.js')],
  ['/policies', policies],
  ['/policies/:id', policies],
  ['/password', () => import('./views/password-form.js')],
  ['/relogin', () => login, { again: true }],
];

const db = getDb();
const session = createSession(db, api);
const engine = createSyncEngine({ db, session });
const router = createRouter(ROUTES);
const dataListeners = new Set();

const root = document.getElementById('app');
const barSlot = h('div', { class: 'bar-slot' });
const banners = h('div', { class: 'banners', 'data-testid': 'banners' });
const view = h('main', { id: 'view', tabindex: '-1' });
// The toast sits in the sticky top band under the sync bar (or the staff menu), taking a
// place of its own: it never lies over a button of the screen.
const toastEl = h('div', { class: 'toast', role: 'status', 'aria-live': 'polite', 'data-testid': 'toast', hidden: true });
const top = h('div', { class: 'top' }, barSlot, toastEl);
mount(root, top, banners, view);

let started = false;
let currentModule = null;
let renderToken = 0;

const app = {
  db, api, session, engine, user: null, barSlot,
  navigate(hash, { replace = false } = {}) {
    if (location.hash === hash) { render(); return; }
    if (replace) location.replace(hash);
    else location.hash = hash;
  },
  toast(message) {
    toastEl.textContent = message;
    toastEl.hidden = false;
    clearTimeout(toastEl.timer);
    toastEl.timer = setTimeout(() => { toastEl.hidden = true; }, 3000);
  },
  /** A record was saved: refresh what shows it and sync soon. */
  saved() {
    emitData();
    engine.syncSoon();
  },
  onData(fn) { dataListeners.add(fn); return () => dataListeners.delete(fn); },
  refresh: () => render({ keepScroll: true }),
  afterLogin,
  wipeAndRestart,
  /** The service worker's download of the app's code (offline.js), once it is registered. */
  offline: null,
};
let syncBar = null;

function emitData() {
  for (const fn of dataListeners) fn();
}

async function render({ keepScroll = false } = {}) {
  const token = ++renderToken;
  const found = router.match(location.hash);
  if (!found) { app.navigate('#/', { replace: true }); return; }
  const scroll = keepScroll ? window.scrollY : 0;
  let module;
  try {
    module = await found.route.load();
  } catch {
    // The screen's code is not on the phone (offline before the download finished):
    // say so, never leave the last screen standing as if the tap did nothing.
    if (token === renderToken) showUnavailable();
    return;
  }
  const el = await module.render(app, found.params, found.query);
  if (token !== renderToken) return; // a newer navigation won
  currentModule = module;
  if (keepScroll) remount(view, el); // a refresh under the liaison's fingers keeps the field they type in
  else mount(view, el);
  window.scrollTo(0, scroll);
}

function showUnavailable() {
  currentModule = null;
  // A failed import() stays failed in this page: 重试 loads the page again (offline
  // the service worker answers it), and the same screen is tried afresh.
  mount(view, h('section', { class: 'page', 'data-testid': 'screen-unavailable', role: 'alert' },
    h('p', { class: 'notice' }, t('screen.unavailable')),
    h('button', { type: 'button', class: 'btn primary', 'data-testid': 'screen-retry', onclick: () => location.reload() }, t('screen.retry'))));
  window.scrollTo(0, 0);
  app.offline?.ask(); // the worker counts again what it holds: the bar no longer says ready
}

async function startLiaisonApp() {
  if (started) return;
  started = true;
  const bar = createSyncBar(app);
  syncBar = bar;
  mount(barSlot, bar.el);
  window.addEventListener('hashchange', () => render());
  app.onData(() => { if (currentModule?.live && !location.hash.startsWith('#/relogin')) render({ keepScroll: true }); });
  engine.subscribe(onEngineStatus);
  await render();
  engine.start();
  requestPersist();
  warnAboutStorage();
}

let wasRunning = false;
let choicesLoaded = false;
function onEngineStatus(status) {
  if (wasRunning && !status.running) {
    const result = status.lastResult;
    if (result?.changed) emitData();
    if (result?.ok && !choicesLoaded) loadChoices();
    if (status.needsLogin && currentModule?.live) app.navigate('#/relogin');
  }
  wasRunning = status.running;
}

async function loadChoices() {
  choicesLoaded = true;
  const [res, settings] = await Promise.all([api.choices(), api.settings()]);
  if (res.ok) {
    setChoices(res.data);
    await setMeta(db, META.choices, res.data);
  }
  if (settings.ok) {
    setCountySettings(settings.data);
    await setMeta(db, META.settings, settings.data);
    emitData(); // the list's overdue marks may change with the county's visit day
  }
}

async function afterLogin(user, { again = false } = {}) {
  app.user = user;
  requestPersist();
  setUpdates(); // installs the service worker, so the app works offline from now on
  if (user.role !== 'liaison') return showStaff();
  if (again && started) {
    engine.loggedIn();
    app.navigate('#/', { replace: true });
    return;
  }
  if (!location.hash || location.hash.startsWith('#/relogin')) history.replaceState(null, '', '#/');
  await startLiaisonApp();
}

async function showStaff() {
  // Staff screens are a separate bundle, loaded only for staff roles; they work online
  // (a liaison's phone never downloads them: src/sw/what-to-cache.js).
  let staff;
  try {
    staff = await import('./views/staff.js');
  } catch {
    showUnavailable();
    return;
  }
  mount(barSlot);
  // the server's code lists (the county's own 便民服务, sources …): staff never sync,
  // which is when a liaison's phone fetches them
  if (!choicesLoaded) await loadChoices();
  await staff.start(app, view);
}

/**
 * After logout (the database is already deleted): remove the caches too. Online, every
 * cache and the service worker go (it installs again on reload). Offline, the app
 * shell's cache stays — it holds only the app's code, and without it the login
 * screen could not even open until the phone is back online.
 */
async function wipeAndRestart({ reason } = {}) {
  try {
    const online = navigator.onLine !== false;
    if (self.caches) {
      for (const key of await caches.keys()) if (online || !key.startsWith('lianxin-shell')) await caches.delete(key);
    }
    if (online) {
      const registrations = await navigator.serviceWorker?.getRegistrations?.() || [];
      for (const registration of registrations) await registration.unregister();
    }
  } finally {
    // ?signed_out=idle: the login page tells a staff member why they were signed out.
    location.replace(reason ? `/?signed_out=${encodeURIComponent(reason)}` : '/');
  }
}

async function warnAboutStorage() {
  const status = await storageStatus();
  if (status.low) {
    banners.append(h('p', { class: 'banner warn', 'data-testid': 'storage-warning' }, t('storage.low', { free: formatBytes(status.free) })));
  }
}

let updatesSet = false;
async function setUpdates() {
  if (updatesSet || !('serviceWorker' in navigator) || import.meta.env.DEV) {
    app.offline ??= watchOfflineCode(null); // no worker: no code to wait for
    return;
  }
  updatesSet = true;
  watchCode();
  const { registerSW } = await import('virtual:pwa-register');
  const updateSW = registerSW({
    onNeedRefresh() {
      const apply = h('button', {
        type: 'button', class: 'btn primary', 'data-testid': 'update-apply',
        onclick: async () => {
          apply.disabled = true;
          note.textContent = t('update.waiting');
          await engine.hold(); // never mid-sync
          await updateSW(true);
        },
      }, t('update.apply'));
      const note = h('span', null, t('update.ready'));
      const banner = h('div', { class: 'banner update', 'data-testid': 'update-banner' }, note, apply,
        h('button', { type: 'button', class: 'btn', 'data-testid': 'update-later', onclick: () => banner.remove() }, t('update.later')));
      banners.append(banner);
    },
    // The shell is installed; the liaison's screens follow (offline.js). 已可离线使用 is said
    // by the sync bar once those and the first sync are on the phone, not here.
    onOfflineReady() { app.offline?.ask(); },
  });
}

/** Follows the download of the app's code from the moment the worker is registered. */
function watchCode() {
  app.offline ??= watchOfflineCode(navigator.serviceWorker, { onChange: () => syncBar?.refresh() });
}

async function boot() {
  // An enrollment slip's QR code opened #/enroll/<code>: the code leaves the address bar
  // and the history at once (a photo of the screen, the back button, a shared link).
  const enrollCode = enrollCodeIn(location.hash);
  if (enrollCode) history.replaceState(null, '', location.pathname + location.search);
  const signedOut = new URLSearchParams(location.search).get('signed_out');
  if (signedOut) history.replaceState(null, '', location.pathname + location.hash);
  if (enrollCode) {
    await bootWithEnrollCode(enrollCode);
    return;
  }
  // Before the first login and after logout the phone holds no database: keep it so until
  // someone signs in (opening Dexie would create an empty one).
  // The service worker and its app-shell cache, too, wait until someone starts typing
  // at the login page (the download then overlaps the typing and the first sync): after
  // logout the phone keeps nothing of the app's but the page itself.
  if (!(await dbExists())) {
    mount(view, await login.render(app, { signedOut }));
    view.addEventListener('input', () => setUpdates(), { once: true });
    return;
  }
  setChoices(await getMeta(db, META.choices));
  setCountySettings(await getMeta(db, META.settings));
  const current = await session.load();
  setUpdates();
  if (!current?.user) {
    mount(view, await login.render(app));
    return;
  }
  app.user = current.user;
  if (current.user.role !== 'liaison') return showStaff();
  if (current.needs_login) history.replaceState(null, '', '#/relogin');
  await startLiaisonApp();
}

/**
 * Signing in with a slip's code: on a phone that holds nobody's session (or one whose
 * login expired: its unsent records stay and go up after it). A phone already signed
 * in goes on as it is: the code is not used.
 */
async function bootWithEnrollCode(code) {
  const current = (await dbExists()) ? await session.load() : null;
  if (current?.user && !current.needs_login) {
    app.user = current.user;
    setChoices(await getMeta(db, META.choices));
    setCountySettings(await getMeta(db, META.settings));
    setUpdates();
    if (current.user.role !== 'liaison') return showStaff();
    await startLiaisonApp();
    return;
  }
  mount(view, await login.render(app, { enrollCode: code, again: Boolean(current?.needs_login) }));
}

boot();
