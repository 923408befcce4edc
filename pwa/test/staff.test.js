// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { createApi } from '../src/api.js';
import { t } from '../src/i18n.js';
import { installStaffApi } from '../src/staff-api.js';
import { barChart, byAge, rateTone } from '../src/views/staff-chart.js';
import { hashOf, percent } from '../src/views/staff-common.js';
import { statusBadge, stepsFor } from '../src/views/staff-feedback.js';
import { routeOf } from '../src/views/staff-notices.js';

function fakeFetch(answer) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, init });
    return answer(url, init);
  };
  return { fetch, calls };
}

describe('staff endpoints', () => {
  it('adds one function per endpoint on top of the app api, sending the token and query', async () => {
    const { fetch, calls } = fakeFetch(() => new Response(JSON.stringify({ items: [], total: 0 }), {
      status: 200, headers: { 'Content-Type': 'application/json' },
    }));
    const api = installStaffApi(createApi({ fetch, base: '/api/v1' }));
    const res = await api.reviewQueue('tok', { month: '2026-11', village_id: '', review_status: 'pending' });
    expect(res).toEqual({ ok: true, status: 200, data: { items: [], total: 0 } });
    expect(calls[0].url).toBe('/api/v1/review/visits?month=2026-11&review_status=pending');
    expect(calls[0].init.headers.Authorization).toBe('Bearer tok');
    await api.approveVillage('tok', { village_id: 'v', month: '2026-10' });
    expect(calls[1].init.method).toBe('POST');
    expect(JSON.parse(calls[1].init.body)).toEqual({ village_id: 'v', month: '2026-10' });
  });

  it('returns files as blobs and problems as errors, never throwing', async () => {
    const { fetch } = fakeFetch((url) => (url.endsWith('/file')
      ? new Response('PK', { status: 200, headers: { 'Content-Type': 'application/octet-stream' } })
      : new Response(JSON.stringify({ status: 409, detail: '导出尚未完成' }), {
        status: 409, headers: { 'Content-Type': 'application/problem+json' },
      })));
    const api = installStaffApi(createApi({ fetch, base: '/api/v1' }));
    const file = await api.exportFile('tok', 'job-1');
    expect(file.ok).toBe(true);
    expect(await file.data.text()).toBe('PK');
    const status = await api.exportStatus('tok', 'job-2');
    expect(status).toMatchObject({ ok: false, status: 409, error: { detail: '导出尚未完成' } });
    const offline = await installStaffApi(createApi({ fetch: async () => { throw new TypeError('offline'); } })).dashboard('tok', {});
    expect(offline).toMatchObject({ ok: false, status: 0 });
  });
});

describe('feedback handling', () => {
  it('marks a form kept as suspected, in words, beside its status', () => {
    const badges = statusBadge({ status: 'received', overdue: false, suspected: 'honeypot' }).filter(Boolean);
    const marked = badges.find((b) => b.dataset.testid === 'feedback-suspected');
    expect(marked.textContent).toBe('疑似机器提交');
    expect(statusBadge({ status: 'received', overdue: false, suspected: null }).filter(Boolean)).toHaveLength(1);
  });

  it('calls the feedback endpoints with the id and body', async () => {
    const { fetch, calls } = fakeFetch(() => new Response('{}', { status: 200, headers: { 'Content-Type': 'application/json' } }));
    const api = installStaffApi(createApi({ fetch, base: '/api/v1' }));
    await api.feedbackList('tok', { status: 'received', overdue: 'true', q: '' });
    await api.feedbackAssign('tok', 'f1', { region_id: 't1' });
    await api.feedbackReply('tok', 'f1', { reply: '已答复' });
    await api.feedbackClose('tok', 'f1');
    expect(calls.map((c) => [c.init.method, c.url])).toEqual([
      ['GET', '/api/v1/feedback?status=received&overdue=true'],
      ['POST', '/api/v1/feedback/f1/assign'], ['POST', '/api/v1/feedback/f1/reply'], ['POST', '/api/v1/feedback/f1/close'],
    ]);
    expect(JSON.parse(calls[2].init.body)).toEqual({ reply: '已答复' });
  });

  it('opens a notice on a staff screen only', async () => {
    expect(routeOf('/feedback/f1')).toBe('#/feedback/f1');
    expect(routeOf('#/review')).toBe('#/review');
    expect(routeOf('/case/c1')).toBeNull(); // a liaison's screen
    expect(routeOf('https://example.com/')).toBeNull();
    expect(routeOf(undefined)).toBeNull();
    const { fetch, calls } = fakeFetch(() => new Response('{}', { status: 200, headers: { 'Content-Type': 'application/json' } }));
    const api = installStaffApi(createApi({ fetch, base: '/api/v1' }));
    await api.notifications('tok', { read: false, per_page: 1 });
    await api.markNotice('tok', 'n1', { read: true });
    expect(calls.map((c) => [c.init.method, c.url])).toEqual([
      ['GET', '/api/v1/notifications?read=false&per_page=1'], ['PATCH', '/api/v1/notifications/n1']]);
  });

  it('offers assign while unanswered (county staff), reply until closed, close once answered', () => {
    const county = { canAssign: true };
    expect(stepsFor({ status: 'received' }, county)).toEqual({ assign: true, reply: true, close: false });
    expect(stepsFor({ status: 'assigned' }, { canAssign: false })).toEqual({ assign: false, reply: true, close: false });
    expect(stepsFor({ status: 'replied' }, county)).toEqual({ assign: false, reply: true, close: true });
    expect(stepsFor({ status: 'closed' }, county)).toEqual({ assign: false, reply: false, close: false });
  });
});

describe('staff helpers', () => {
  it('draws one bar per row, scaled to the maximum', () => {
    const svg = barChart([
      { label: '一号镇', value: 0.5, text: '50.0%', tone: rateTone(0.5) },
      { label: '二号镇', value: null, text: '—' },
    ], { max: 1, testid: 'rate-chart' });
    const bars = svg.querySelectorAll('[data-testid=rate-chart-bar]');
    expect(bars).toHaveLength(2);
    const [full, empty] = [...bars].map((g) => g.querySelector('rect.chart-bar'));
    expect(Number(full.getAttribute('width'))).toBeGreaterThan(0);
    expect(Number(empty.getAttribute('width'))).toBe(0);
    expect(full.getAttribute('class')).toContain('bad');
    expect(svg.textContent).toContain('一号镇');
  });

  it('colours rates, formats percentages and builds hashes', () => {
    expect([rateTone(0.97), rateTone(0.85), rateTone(0.2), rateTone(null)]).toEqual(['ok', 'warn', 'bad', '']);
    // before the visit day a low rate is not late: never red
    expect([rateTone(0.97, { late: false }), rateTone(0.85, { late: false }), rateTone(0.2, { late: false })]).toEqual(['ok', '', '']);
  });

  it('orders the mediation age buckets by age, not as text', () => {
    const json = { '0-7': 1, '31-90': 3, '8-30': 2, '90+': 4 }; // as the server's JSON sorts them
    expect(byAge(json).map(([bucket]) => bucket)).toEqual(['0-7', '8-30', '31-90', '90+']);
    expect([percent(0.6667), percent(null)]).toEqual(['66.7%', '—']);
    expect(hashOf('/review', { month: '2026-11', village_id: '', page: 2 })).toBe('#/review?month=2026-11&page=2');
  });

  it('has every staff message in the catalogue', () => {
    for (const key of ['staff.nav.review', 'staff.nav.feedback', 'staff.feedback.send_reply', 'staff.review.bulk', 'staff.dash.rate', 'staff.exports.kinds.contacts', 'staff.audit.id_reads']) {
      expect(t(key)).not.toBe(key);
    }
  });
});

describe('issue 17: staff forms and the audit log', async () => {
  const admin = await import('../src/views/staff-admin.js');
  const areas = {
    townships: [{ id: 't1', name: '一号镇', level: 'township' }],
    villages: [{ id: 'v1', name: '甲村', parent_id: 't1', level: 'village' }],
    byId: {
      c: { id: 'c', name: '测试县', level: 'county' },
      t1: { id: 't1', name: '一号镇', level: 'township' },
      v1: { id: 'v1', name: '甲村', parent_id: 't1', level: 'village' },
    },
  };

  it('offers the regions that fit the role', () => {
    expect(admin.regionOptions(areas, 'liaison')).toEqual([['v1', '一号镇 甲村']]);
    expect(admin.regionOptions(areas, 'township_officer')).toEqual([['t1', '一号镇']]);
    expect(admin.regionOptions(areas, 'county_officer')).toEqual([['c', '测试县']]);
    expect(admin.regionOptions(areas, 'admin')).toEqual([['c', '测试县']]);
  });

  it('finds every missing field at once and maps server errors to fields', () => {
    expect(Object.keys(admin.missingFields({ username: '', display_name: '', password: '', region_id: 'v1' })))
      .toEqual(['username', 'display_name', 'password']);
    expect(admin.fieldErrors({ username: ['用户名已存在'], region: ['该角色须分配到乡镇'] }))
      .toEqual({ username: ['用户名已存在'], region_id: ['该角色须分配到乡镇'] });
  });

  it('shows the changes of an audit row as words, old → new', () => {
    expect(admin.changesText({ 优抚对象: '李四', 审核状态: ['待审核', '已通过'] }))
      .toBe('优抚对象：李四；审核状态：待审核 → 已通过');
    expect(admin.changesText(null)).toBe('');
  });
});
