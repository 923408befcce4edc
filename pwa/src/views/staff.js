// The staff app (township officers, county officers, admins): a separate bundle, loaded
// only for staff roles, online only. Hash routes; each screen is its own lazy chunk.
import '../staff.css';
import { signOut } from '../auth.js';
import { h, mount } from '../dom.js';
import { label, t } from '../i18n.js';
import '../i18n-staff.js'; // the staff screens' messages
import { parseHash } from '../router.js';
import { installStaffApi } from '../staff-api.js';

const review = () => import('./staff-review.js');
const feedback = () => import('./staff-feedback.js');
const notices = () => import('./staff-notices.js');
const password = () => import('./password-form.js');
const dashboard = () => import('./staff-dashboard.js');
const syncScreens = () => import('./staff-sync.js');
const exportsScreen = () => import('./staff-exports.js');
const admin = () => import('./staff-admin.js');
const cards = () => import('./staff-cards.js');
const onboarding = () => import('./staff-onboarding.js');
const policies = () => import('./staff-policies.js');

// [path pattern, loader, export name, nav key, admin only]
const SCREENS = [
  [/^\/review$/, review, 'renderQueue', 'review'],
  [/^\/review\/([^/]+)$/, review, 'renderDetail', 'review'],
  [/^\/feedback$/, feedback, 'renderList', 'feedback'],
  [/^\/feedback\/([^/]+)$/, feedback, 'renderDetail', 'feedback'],
  [/^\/notices$/, notices, 'render', 'notices'],
  [/^\/policies$/, policies, 'renderList', 'policies'],
  [/^\/policies\/new$/, policies, 'renderNew', 'policies'],
  [/^\/policies\/([^/]+)$/, policies, 'renderDetail', 'policies'],
  [/^\/policies\/([^/]+)\/history$/, policies, 'renderHistory', 'policies'],
  [/^\/dashboard$/, dashboard, 'render', 'dashboard'],
  [/^\/conflicts$/, syncScreens, 'renderConflicts', 'conflicts'],
  [/^\/devices$/, syncScreens, 'renderDevices', 'devices'],
  [/^\/exports$/, exportsScreen, 'render', 'exports'],
  [/^\/cards$/, cards, 'render', 'cards'],
  [/^\/onboarding$/, onboarding, 'renderOverview', 'onboarding'],
  [/^\/onboarding\/regions$/, onboarding, 'renderRegions', 'onboarding', true],
  [/^\/onboarding\/roster$/, onboarding, 'renderRoster', 'onboarding'],
  [/^\/onboarding\/liaisons$/, onboarding, 'renderLiaisons', 'onboarding'],
  [/^\/password$/, password, 'renderStaff', null],
  [/^\/users$/, admin, 'renderUsers', 'users', true],
  [/^\/audit$/, admin, 'renderAudit', 'audit', true],
];
const NAV = ['review', 'feedback', 'policies', 'notices', 'dashboard', 'conflicts', 'devices', 'exports', 'cards', 'onboarding', 'users', 'audit'];
const ADMIN_ONLY = new Set(['users', 'audit']);

export async function start(app, view) {
  installStaffApi(app.api);
  const isAdmin = app.user?.role === 'admin';
  const links = {};
  const nav = h('nav', { class: 'staff-nav', 'data-testid': 'staff-nav', 'aria-label': t('staff.nav.label') },
    h('span', { class: 'staff-brand' }, t('app.name')),
    NAV.filter((key) => isAdmin || !ADMIN_ONLY.has(key)).map((key) => {
      links[key] = h('a', { href: `#/${key}`, 'data-testid': `nav-${key}` }, t(`staff.nav.${key}`));
      return links[key];
    }),
    h('span', { class: 'staff-user', 'data-testid': 'staff-user' },
      t('staff.signed_in', { name: app.user?.display_name || app.user?.username || '', role: label('roles', app.user?.role) })),
    h('a', { class: 'btn small', href: '#/password', 'data-testid': 'staff-password' }, t('password.title')),
    h('button', { type: 'button', class: 'btn small', 'data-testid': 'staff-logout', onclick: () => logout(app) }, t('logout.button')));
  const main = h('div', { class: 'staff-main', 'data-testid': 'staff-main' });
  const relogin = h('p', { class: 'notice error', 'data-testid': 'staff-relogin', hidden: true }, t('staff.relogin'),
    h('button', { type: 'button', class: 'btn small', onclick: () => logout(app, { force: true }) }, t('sync.relogin')));
  mount(app.barSlot, nav); // the sticky top band, with the toast under it
  mount(view, h('div', { class: 'staff-page', 'data-testid': 'staff-page' }, relogin, main));
  app.staffNeedsLogin = (res) => {
    // Signed out for inactivity: nothing of the screen stays; the login page says why.
    if (res?.error?.code === 'session_idle') logout(app, { force: true, reason: 'idle' });
    else relogin.hidden = false;
  };
  app.staffRefresh = () => render();
  // The unread count beside 通知: on start, and whenever a notice is marked read.
  app.staffNoticesChanged = async () => {
    const count = await (await notices()).unreadCount(app);
    links.notices.dataset.unread = String(count ?? 0);
    links.notices.textContent = count ? t('staff.nav.notices_unread', { count }) : t('staff.nav.notices');
  };
  app.staffNoticesChanged();

  let token = 0;
  async function render() {
    const mine = ++token;
    const { path, query } = parseHash(location.hash);
    const found = SCREENS.find(([pattern, , , , adminOnly]) => pattern.test(path) && (!adminOnly || isAdmin));
    if (!found) { location.replace('#/review'); return; }
    const [pattern, load, name, navKey] = found;
    for (const [key, link] of Object.entries(links)) link.classList.toggle('active', key === navKey);
    const params = path.match(pattern).slice(1).map(decodeURIComponent);
    const module = await load();
    const el = await module[name](app, query, ...params);
    if (mine !== token) return; // a newer navigation won
    mount(main, el);
  }
  window.addEventListener('hashchange', render);
  await render();
}

let leaving = false;
async function logout(app, { force = false, reason } = {}) {
  if (leaving || (!force && !window.confirm(t('staff.logout_confirm')))) return;
  leaving = true;
  await signOut(app.db, app.api, app.session);
  await app.wipeAndRestart({ reason });
}
