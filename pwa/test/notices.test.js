// @vitest-environment jsdom
import { describe, expect, it, vi } from 'vitest';
import { LianxinDB } from '../src/db.js';
import { loadVisitList, renderList } from '../src/views/visit-list.js';
import {
  loadNotifications, markRead, renderNotices, routeOf, unreadCount,
} from '../src/views/notifications.js';
import { freshName } from './helpers.js';

const NOTICES = [
  { id: 'n1', kind: 'mediation_idle', title: '调解案件久未推进', body: '张三与李四宅基地纠纷已14天没有新进展。', link: '#/case/c1', read: false, created_at: '2026-11-20T01:00:00+00:00', version: 1, _state: 'synced' },
  { id: 'n2', kind: 'feedback_assigned', title: '新交办的征求意见', body: '请查看。', link: '/feedback/f1', read: true, created_at: '2026-11-22T01:00:00+00:00', version: 2, _state: 'synced' },
  { id: 'n3', kind: 'mediation_idle', title: '调解案件久未推进', body: '王五邻里纠纷。', link: null, read: false, created_at: '2026-11-24T01:00:00+00:00', version: 1, _state: 'synced' },
  { id: 'n4', kind: 'mediation_idle', title: '已删', body: '—', read: false, created_at: '2026-11-25T01:00:00+00:00', version: 1, _state: 'synced', _deleted: true },
];

async function phoneWithNotices() {
  const db = new LianxinDB(freshName());
  await db.open();
  await db.notifications.bulkPut(NOTICES);
  return db;
}

describe('notifications', () => {
  it('lists notices newest first, without deleted ones, and counts the unread', async () => {
    const db = await phoneWithNotices();
    expect((await loadNotifications(db)).map((n) => n.id)).toEqual(['n3', 'n2', 'n1']);
    expect(await unreadCount(db)).toBe(2);
    const page = renderNotices(await loadNotifications(db), { db });
    expect(page.querySelectorAll('[data-testid="notice"]')).toHaveLength(3);
    expect(page.querySelectorAll('[data-testid="unread"]')).toHaveLength(2);
    expect(page.querySelector('[data-testid="notice-title"]').textContent).toBe('调解案件久未推进');
  });

  it('marks a notice read on the phone and queues that change once', async () => {
    const db = await phoneWithNotices();
    const entry = await markRead(db, await db.notifications.get('n1'));
    expect(entry).toMatchObject({ entity: 'notification', op: 'upsert', record_id: 'n1', base_version: 1, data: { read: true } });
    expect(await db.notifications.get('n1')).toMatchObject({ read: true, _state: 'queued' });
    expect(await unreadCount(db)).toBe(1);
    expect(await markRead(db, await db.notifications.get('n1'))).toBeNull(); // already read: nothing queued
    expect(await db.outbox.count()).toBe(1);
  });

  it('opening a notice marks it read and opens its record when the app shows it', async () => {
    const db = await phoneWithNotices();
    const went = [];
    let saved = 0;
    const app = { db, saved: () => { saved += 1; }, navigate: (hash) => went.push(hash) };
    const page = renderNotices(await loadNotifications(db), app);
    const open = (id) => page.querySelector(`[data-id="${id}"] [data-testid="notice-open"]`);
    open('n1').click();
    await vi.waitFor(() => expect(went).toEqual(['#/case/c1']));
    expect(saved).toBe(1);
    expect((await db.notifications.get('n1')).read).toBe(true);
    open('n2').click(); // a staff link (#/feedback/…): stays on the list
    await vi.waitFor(() => expect(saved).toBe(2));
    expect(went).toEqual(['#/case/c1']);
    expect(routeOf('#/case/c1')).toBe('#/case/c1');
    expect(routeOf('/visit/v9')).toBe('#/visit/v9');
    expect(routeOf('/feedback/f1')).toBeNull();
    expect(routeOf('#/case/c1/../../x')).toBeNull();
    expect(routeOf('javascript:alert(1)')).toBeNull();
    expect(routeOf(null)).toBeNull();
  });

  it('the visit list links to the notices with the unread count', async () => {
    const db = await phoneWithNotices();
    const data = await loadVisitList(db, { villageId: 'v1', now: new Date('2026-11-25T02:00:00Z') });
    const link = renderList(data).querySelector('[data-testid="notices-link"]');
    expect(link.getAttribute('href')).toBe('#/notifications');
    expect(link.dataset.unread).toBe('2');
    expect(link.textContent).toBe('通知（2条未读）');
  });
});
