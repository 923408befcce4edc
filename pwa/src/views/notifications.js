// 通知: the reminders the server sends this liaison (an idle mediation case, …), newest
// first. Opening one marks it read on the phone at once and queues that for the server,
// like any other change; a notice about a record this app shows opens that record.
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { isDeleted } from '../record-state.js';
import { linkedRoute } from '../router.js';
import { recordChange } from '../sync/outbox.js';
import { shortDateTime } from '../time.js';
import { pageHeader, recordState, stateBadge } from './common.js';

// The liaison's screens a notice may open (router.js: linkedRoute); others, e.g.
// #/feedback/…, are staff screens.
const OPENS = [/^\/case\/[^/?#]+$/, /^\/b\/[^/?#]+$/, /^\/visit\/[^/?#]+$/, /^\/opinions\/[^/?#]+$/];

export async function loadNotifications(db) {
  const rows = await db.notifications.orderBy('created_at').reverse().toArray();
  return rows.filter((row) => !isDeleted(row));
}

export async function unreadCount(db) {
  return db.notifications.filter((row) => !row.read && !isDeleted(row)).count();
}

/** Marks a notice read on the phone and queues that for the server; null if it was read. */
export function markRead(db, notification, now = new Date()) {
  if (notification.read) return null;
  return recordChange(db, { entity: 'notification', recordId: notification.id, values: { read: true }, now });
}

/** The route a notice's link opens in this app ("#/case/…"), or null. */
export function routeOf(link) {
  return linkedRoute(link, OPENS);
}

function item(row, app) {
  const unread = !row.read;
  const badges = [];
  if (unread) badges.push(h('span', { class: 'badge unread', 'data-testid': 'unread' }, t('notices.unread')));
  if (recordState(row) !== 'synced') badges.push(stateBadge(row));
  return h('li', { class: `notice-item${unread ? ' is-unread' : ''}`, 'data-testid': 'notice', 'data-id': row.id },
    h('button', {
      type: 'button', class: 'row-link notice-open', 'data-testid': 'notice-open',
      onclick: async () => {
        await markRead(app.db, row);
        app.saved();
        const route = routeOf(row.link);
        if (route) app.navigate(route);
      },
    },
    h('span', { class: 'name', 'data-testid': 'notice-title' }, row.title),
    h('span', { class: 'notice-body' }, row.body),
    h('span', { class: 'sub' }, shortDateTime(row.created_at)),
    h('span', { class: 'badges' }, badges)));
}

export async function render(app) {
  const rows = await loadNotifications(app.db);
  return renderNotices(rows, app);
}

export function renderNotices(rows, app) {
  return h('div', { class: 'page notices-page', 'data-testid': 'notices' },
    pageHeader(t('notices.title')),
    rows.length
      ? h('ul', { class: 'people notices', 'data-testid': 'notice-list' }, rows.map((row) => item(row, app)))
      : h('p', { class: 'empty', 'data-testid': 'notices-empty' }, t('notices.empty')));
}

export const live = true;
