// 通知 for staff: reminders of feedback near or past its deadline, feedback assigned to
// them, visits waiting for review; newest first. Opening one marks it read and goes to
// its screen when the link is one of the staff screens.
import { h, mount } from '../dom.js';
import { t } from '../i18n.js';
import { linkedRoute } from '../router.js';
import { call, formatDateTime, hashOf, heading, notice, pager } from './staff-common.js';

const PER_PAGE = 30;
// The staff screens a notice may open (router.js: linkedRoute).
const OPENS = [/^\/review(\/[^/?#]+)?$/, /^\/feedback(\/[^/?#]+)?$/, /^\/dashboard$/];

/** The staff screen a notice's link opens ("#/feedback/…"), or null. */
export function routeOf(link) {
  return linkedRoute(link, OPENS);
}

/** How many notices are unread (for the navigation bar); null if it could not be told. */
export async function unreadCount(app) {
  const res = await call(app, 'notifications', { read: false, page: 1, per_page: 1 });
  return res.ok ? res.data.total : null;
}

export async function render(app, query) {
  const page = Number(query.page) || 1;
  const res = await call(app, 'notifications', { page, per_page: PER_PAGE });
  const message = h('div', { 'data-testid': 'notices-message' });
  const open = async (item, route) => {
    if (!item.read) {
      const done = await call(app, 'markNotice', item.id, { read: true });
      if (!done.ok) { mount(message, notice(done)); return; }
      app.staffNoticesChanged?.();
    }
    if (route) location.hash = route;
    else app.staffRefresh();
  };
  const row = (item) => {
    const route = routeOf(item.link);
    return h('li', { class: `staff-notice${item.read ? '' : ' is-unread'}`, 'data-testid': 'notice', 'data-id': item.id },
      h('div', { class: 'staff-notice-text' },
        h('b', { 'data-testid': 'notice-title' }, item.title),
        item.read ? null : h('span', { class: 'badge unread', 'data-testid': 'unread' }, t('notices.unread')),
        h('div', null, item.body),
        h('div', { class: 'muted small' }, formatDateTime(item.created_at))),
      route || !item.read
        ? h('button', { type: 'button', class: 'btn small', 'data-testid': 'notice-open', onclick: () => open(item, route) },
          t(route ? 'staff.notices.open' : 'staff.notices.mark_read'))
        : null);
  };
  let body;
  if (!res.ok) body = notice(res);
  else if (!res.data.items.length) body = h('p', { class: 'empty', 'data-testid': 'notices-empty' }, t('notices.empty'));
  else {
    body = [
      h('ul', { class: 'staff-notices', 'data-testid': 'notice-list' }, res.data.items.map(row)),
      pager(page, res.data.total, PER_PAGE, (p) => { location.hash = hashOf('/notices', { page: p }); }),
    ];
  }
  return h('div', { class: 'staff-screen', 'data-testid': 'notices' }, heading('notices.title'), message, body);
}
