// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { createApi } from '../src/api.js';
import { LianxinDB } from '../src/db.js';
import { label, options, setChoices } from '../src/i18n.js';
import { safeHref, sanitizeHtml } from '../src/safe-html.js';
import { filterPolicies, loadPolicies, policyMatches, render, renderPolicyList } from '../src/views/policies.js';
import { installStaffApi } from '../src/staff-api.js';
import { canWrite, changedFields, historyChanges, policyForm, renderDetail, renderHistory, renderList as renderStaffList } from '../src/views/staff-policies.js';
import { createFakeServer } from './fake-server.js';
import { freshName, makePhone } from './helpers.js';

const id = (n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const POLICIES = [
  { id: id(1), title: '优抚对象医疗保障办法', title_initials: 'yfdxylbzbf', category: 'medical', summary: '优抚对象看病可以报销。', effective_on: '2026-01-01', published_at: '2026-11-01T02:00:00Z', has_pdf: true, body_html: '<p>第一条</p>' },
  { id: id(2), title: '退役军人就业创业扶持政策', title_initials: 'tyjrjycyfczc', category: 'employment', summary: '创业可申请贷款贴息。', effective_on: null, published_at: '2026-11-05T02:00:00Z', has_pdf: false, body_html: '' },
  { id: id(3), title: '优待证使用说明', title_initials: 'ydzsysm', category: 'preferential', summary: '凭证乘车优待。', effective_on: '2025-08-01', published_at: '2026-10-01T02:00:00Z', has_pdf: false, body_html: '<p>说明</p>' },
];

function textOf(fragment) {
  const div = document.createElement('div');
  div.append(fragment);
  return div;
}

describe('policy search', () => {
  it('finds a policy by part of its title or by its pinyin initials, within a category', () => {
    expect(policyMatches(POLICIES[0], '医疗')).toBe(true);
    expect(policyMatches(POLICIES[0], 'yfdx')).toBe(true);
    expect(policyMatches(POLICIES[0], 'YLBZ')).toBe(true); // initials inside the title, any case
    expect(policyMatches(POLICIES[0], 'jy')).toBe(false);
    expect(policyMatches(POLICIES[1], 'jycy')).toBe(true);
    expect(filterPolicies(POLICIES, { q: 'yd' }).map((p) => p.id)).toEqual([id(3)]);
    expect(filterPolicies(POLICIES, { category: 'employment' }).map((p) => p.id)).toEqual([id(2)]);
    expect(filterPolicies(POLICIES, { q: '优', category: 'medical' }).map((p) => p.id)).toEqual([id(1)]);
    expect(filterPolicies(POLICIES, { q: 'yf', category: 'preferential' })).toEqual([]);
  });

  it('lists the stored policies newest first; the search box and the chips hide the others', async () => {
    const db = new LianxinDB(freshName());
    await db.policies.bulkPut(POLICIES.map((p) => ({ ...p, _state: 'synced' })));
    const page = renderPolicyList(await loadPolicies(db));
    document.body.append(page);
    const shown = () => [...page.querySelectorAll('[data-testid="policy-row"]')].filter((el) => !el.hidden).map((el) => el.dataset.id);
    expect(shown()).toEqual([id(2), id(1), id(3)]);
    const first = page.querySelector('[data-testid="policy-row"]');
    expect(first.querySelector('[data-testid="policy-category"]').textContent).toBe('就业创业');
    expect(page.querySelector(`[data-id="${id(1)}"] [data-testid="policy-effective"]`).textContent).toContain('2026-01-01');

    const search = page.querySelector('[data-testid="policy-search"]');
    search.value = 'ydz';
    search.dispatchEvent(new Event('input'));
    expect(shown()).toEqual([id(3)]);
    search.value = '';
    search.dispatchEvent(new Event('input'));
    page.querySelector('[data-testid="policy-chip-medical"]').click();
    expect(shown()).toEqual([id(1)]);
    expect(page.querySelector('[data-testid="policy-chip-medical"]').getAttribute('aria-pressed')).toBe('true');
    search.value = 'tyjr';
    search.dispatchEvent(new Event('input'));
    expect(shown()).toEqual([]);
    expect(page.querySelector('[data-testid="policies-no-match"]').hidden).toBe(false);
    // back to all, for the next render of this module's kept filters
    search.value = '';
    search.dispatchEvent(new Event('input'));
    page.querySelector('[data-testid="policy-chip-all"]').click();
    expect(shown()).toHaveLength(3);
    page.remove();
  });

  it('says how to get policies when the phone holds none', async () => {
    const db = new LianxinDB(freshName());
    const page = renderPolicyList(await loadPolicies(db));
    expect(page.querySelector('[data-testid="policies-empty"]').textContent).toBe('暂无政策，联网同步后可查看');
    expect(page.querySelector('[data-testid="policy-row"]')).toBeNull();
  });

  it('takes category labels from the server, as a code → label map or a list of {code, label}', () => {
    setChoices({ policy_categories: [{ code: 'housing', label: '住房保障' }, { code: 'other', label: '其他' }] });
    expect(label('policy_categories', 'housing')).toBe('住房保障');
    // as the server's JSON sends a map: codes sorted; the screens keep the app's order
    setChoices({ policy_categories: { employment: '就业创业', housing: '住房', medical: '医疗保障', new_kind: '新类别', preferential: '优待抚恤' } });
    expect(options('policy_categories').map(([code]) => code)).toEqual(['preferential', 'medical', 'housing', 'employment', 'new_kind']);
    setChoices({ policy_categories: { housing: '住房' } });
    expect(label('policy_categories', 'housing')).toBe('住房');
    setChoices({});
    expect(label('policy_categories', 'legal')).toBe('法律维权'); // the default until the server says
  });
});

describe('the body sanitizer', () => {
  it('drops scripts, styles, frames, event handlers and javascript: links, keeping the text', () => {
    const html = '<p onclick="steal()" style="color:red">第一条<script>alert(1)</script></p>'
      + '<style>p{display:none}</style><iframe src="https://evil.example/"></iframe>'
      + '<a href="javascript:alert(1)">点这里</a><a href=" JaVa\tScript:alert(2)">再点</a>'
      + '<a href="/relative">相对</a><img src=x onerror="alert(3)"><div class="x">包着的<span>文字</span></div>'
      + '<svg><script>alert(4)</script></svg><object data="x.swf">插件</object><!-- 注释 -->';
    const out = textOf(sanitizeHtml(html));
    expect(out.querySelector('script, style, iframe, img, svg, object, div, span')).toBeNull();
    expect(out.querySelector('[onclick], [style], [onerror], [class]')).toBeNull();
    expect(out.querySelector('a')).toBeNull();
    expect(out.textContent).toBe('第一条点这里再点相对包着的文字');
    expect(out.innerHTML).not.toMatch(/alert|javascript|注释/i);
  });

  it('keeps the markup the server renders from Markdown', () => {
    const html = '<h2>总则</h2><h3>一</h3><h4>（一）</h4><p>按<strong>规定</strong>办理，<em>及时</em>发放。<br>见下表：</p>'
      + '<ul><li>甲</li></ul><ol><li>乙</li></ol><blockquote><p>引文</p></blockquote><hr>'
      + '<table><thead><tr><th colspan="2">项目</th></tr></thead><tbody><tr><td rowspan="x">a</td><td>b</td></tr></tbody></table>'
      + '<pre><code>代码</code></pre>'
      + '<a href="https://mzj.example.gov.cn/p/1" title="t">原文</a><a href="mailto:mzj@example.cn">信箱</a><a href="tel:0817-1234567">电话</a>';
    const out = textOf(sanitizeHtml(html));
    for (const tag of ['h2', 'h3', 'h4', 'p', 'strong', 'em', 'br', 'ul', 'ol', 'li', 'blockquote', 'hr', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'pre', 'code']) {
      expect(out.querySelector(tag), tag).not.toBeNull();
    }
    expect(out.querySelector('th').getAttribute('colspan')).toBe('2');
    expect(out.querySelector('td').hasAttribute('rowspan')).toBe(false); // not a number: dropped
    expect(out.querySelector('.table-frame > table')).not.toBeNull(); // wide tables scroll in their frame
    const links = [...out.querySelectorAll('a')];
    expect(links.map((a) => a.getAttribute('href'))).toEqual(['https://mzj.example.gov.cn/p/1', 'mailto:mzj@example.cn', 'tel:0817-1234567']);
    expect(links[0].getAttribute('rel')).toBe('noopener noreferrer');
    expect(links[0].hasAttribute('title')).toBe(false);
    // the server's "####" and deeper (h5, h6) as the smallest allowed heading
    const deep = textOf(sanitizeHtml('<h5>细则</h5><h6>附注</h6>'));
    expect(deep.innerHTML).toBe('<h4>细则</h4><h4>附注</h4>');
    expect(safeHref('data:text/html,x')).toBeNull();
    expect(safeHref('vbscript:x')).toBeNull();
    expect(safeHref(null)).toBeNull();
  });
});

describe('policies on the phone', () => {
  it('are pulled like any record, read offline from IndexedDB, and dropped when withdrawn', async () => {
    const server = createFakeServer();
    for (const policy of POLICIES) {
      const { id: policyId, ...data } = policy;
      server.put('policy', policyId, data);
    }
    const phone = await makePhone(server);
    expect((await phone.engine.sync('manual')).ok).toBe(true);
    expect(await phone.db.policies.count()).toBe(3);

    // offline: the screens read the phone's copy and call nothing
    const before = server.requests.length;
    const app = { db: phone.db };
    const detail = await render(app, { id: id(1) });
    expect(server.requests.length).toBe(before);
    expect(detail.dataset.testid).toBe('policy-page');
    expect(detail.querySelector('[data-testid="page-title"]').textContent).toBe('优抚对象医疗保障办法');
    expect(detail.querySelector('[data-testid="policy-summary"]').textContent).toBe('优抚对象看病可以报销。');
    expect(detail.querySelector('[data-testid="policy-category"]').textContent).toBe('医疗保障');
    expect(detail.querySelector('[data-testid="policy-body"]').innerHTML).toBe('<p>第一条</p>');
    const pdf = detail.querySelector('[data-testid="policy-pdf"]');
    expect(pdf.getAttribute('href')).toBe(`/f/policies/${id(1)}.pdf`);
    expect(pdf.textContent).toContain('需联网下载');
    expect((await render(app, { id: id(2) })).querySelector('[data-testid="policy-pdf"]')).toBeNull();

    // a change is a new version; a withdrawal arrives as a delete
    server.put('policy', id(3), { title: '优待证使用说明（修订）' });
    server.remove('policy', id(1));
    expect((await phone.engine.sync('manual')).ok).toBe(true);
    expect(await phone.db.policies.get(id(1))).toBeUndefined();
    expect(await phone.db.policies.get(id(3))).toMatchObject({ title: '优待证使用说明（修订）', version: 2 });
    const list = await render(app, {});
    expect([...list.querySelectorAll('[data-testid="policy-row"]')].map((el) => el.dataset.id)).toEqual([id(2), id(3)]);
    expect((await render(app, { id: id(1) })).querySelector('[data-testid="not-found"]')).not.toBeNull();
  });
});

// --- staff -------------------------------------------------------------------------------

function staffApp({ role = 'county_officer', answer }) {
  const calls = [];
  const fetch = async (url, init = {}) => {
    calls.push({ url, method: init.method, body: init.body });
    const [status, body] = answer(url, init);
    return new Response(body === null ? null : JSON.stringify(body), {
      status, headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' },
    });
  };
  const api = installStaffApi(createApi({ fetch, base: '/api/v1' }));
  const toasts = [];
  const app = {
    api, user: { role }, calls, toasts, refreshed: 0,
    session: { call: (name, ...args) => api[name]('tok', ...args) },
    toast: (text) => toasts.push(text),
    staffRefresh: () => { app.refreshed += 1; },
  };
  return app;
}

const STAFF_POLICY = {
  ...POLICIES[0], version: 3, body: '第一条', withdrawn_on: null, updated_at: '2026-11-02T02:00:00Z',
};

const settle = () => new Promise((resolve) => { setTimeout(resolve, 0); });
const fill = (form, name, value) => {
  const control = form.querySelector(`[data-testid="policy-input-${name}"]`);
  control.value = value;
  return control;
};

describe('the staff policy form', () => {
  it('marks each field the server refused, in its words, and only those', async () => {
    const app = staffApp({
      answer: () => [422, { status: 422, title: '数据有误', detail: '提交的内容有误',
        errors: { title: ['已有同名的政策'], effective_on: ['日期格式应为 YYYY-MM-DD'], source: ['未知字段'] } }],
    });
    const form = policyForm(app, null);
    document.body.append(form);
    form.requestSubmit();
    await settle();
    // nothing typed: the form says so before asking the server
    expect(app.calls).toHaveLength(0);
    for (const name of ['title', 'category', 'summary', 'body']) {
      expect(form.querySelector(`[data-testid="policy-input-${name}"]`).getAttribute('aria-invalid')).toBe('true');
      expect(form.querySelector(`[data-testid="policy-error-${name}"]`).hidden).toBe(false);
    }
    fill(form, 'title', '优抚对象医疗保障办法');
    fill(form, 'category', 'medical');
    fill(form, 'summary', '看病可以报销。');
    fill(form, 'body', '## 第一条\n\n内容');
    form.requestSubmit();
    await settle(); await settle();
    expect(app.calls.map((c) => [c.method, c.url])).toEqual([['POST', '/api/v1/policies']]);
    expect(JSON.parse(app.calls[0].body)).toEqual({
      title: '优抚对象医疗保障办法', category: 'medical', summary: '看病可以报销。', body: '## 第一条\n\n内容', effective_on: null,
    });
    const title = form.querySelector('[data-testid="policy-input-title"]');
    expect(title.getAttribute('aria-invalid')).toBe('true');
    expect(form.querySelector('[data-testid="policy-error-title"]').textContent).toBe('已有同名的政策');
    expect(form.querySelector('[data-testid="policy-error-effective_on"]').textContent).toBe('日期格式应为 YYYY-MM-DD');
    expect(form.querySelector('[data-testid="policy-input-summary"]').hasAttribute('aria-invalid')).toBe(false);
    expect(form.querySelector('[data-testid="policy-error-summary"]').hidden).toBe(true);
    expect(form.querySelector('[data-testid="policy-form-errors"]').textContent).toContain('未知字段');
    expect(document.activeElement).toBe(title);
    form.remove();
  });

  it('sends only the changed fields of a policy, and previews the body through the sanitizer', async () => {
    const app = staffApp({
      answer: (url) => (url.endsWith('/preview')
        ? [200, { body_html: '<h2>总则</h2><p onclick="x()">内容<script>alert(1)</script></p>' }]
        : [200, { ...STAFF_POLICY, summary: '新的要点', version: 4 }]),
    });
    expect(changedFields(STAFF_POLICY, { ...STAFF_POLICY, effective_on: '2026-01-01', summary: '新的要点' })).toEqual({ summary: '新的要点' });
    const form = policyForm(app, STAFF_POLICY);
    document.body.append(form);
    form.querySelector('[data-testid="policy-preview-button"]').click();
    await settle(); await settle();
    const preview = form.querySelector('[data-testid="policy-preview"]');
    expect(preview.hidden).toBe(false);
    expect(preview.querySelector('h2').textContent).toBe('总则');
    expect(preview.querySelector('script, [onclick]')).toBeNull();
    expect(JSON.parse(app.calls[0].body)).toEqual({ body: '第一条' });
    fill(form, 'summary', '新的要点');
    form.requestSubmit();
    await settle(); await settle();
    expect(app.calls[1]).toMatchObject({ method: 'PATCH', url: `/api/v1/policies/${id(1)}` });
    expect(JSON.parse(app.calls[1].body)).toEqual({ summary: '新的要点' });
    expect(app.refreshed).toBe(1);
    form.remove();
  });

  it('shows a township officer the policy without any control to change it', async () => {
    const app = staffApp({ role: 'township_officer', answer: () => [200, STAFF_POLICY] });
    expect(canWrite(app.user)).toBe(false);
    const page = await renderDetail(app, {}, id(1));
    expect(page.querySelector('[data-testid="policy-read-only"]')).not.toBeNull();
    expect(page.querySelector('[data-testid="policy-form"], [data-testid="policy-withdraw"], [data-testid="policy-pdf-upload"]')).toBeNull();
    expect(page.querySelector('[data-testid="policy-read-body"]').innerHTML).toBe('<p>第一条</p>');
    expect(page.querySelector('[data-testid="policy-history-link"]').getAttribute('href')).toBe(`#/policies/${id(1)}/history`);
  });

  it('withdraws after a confirmation that says phones drop it, and shows a refused PDF’s reason', async () => {
    const app = staffApp({
      answer: (url, init) => {
        if (url.endsWith('/pdf')) return [422, { status: 422, title: '数据有误', detail: '请检查标出的字段', errors: { file: ['不是有效的 PDF 文件'] } }];
        if (url.endsWith('/withdraw')) return [200, { ...STAFF_POLICY, withdrawn_on: '2026-12-07' }];
        return [200, STAFF_POLICY];
      },
    });
    const page = await renderDetail(app, {}, id(1));
    document.body.append(page);
    const asked = [];
    const confirm = window.confirm;
    window.confirm = (text) => { asked.push(text); return asked.length > 1; };
    page.querySelector('[data-testid="policy-withdraw"]').click();
    await settle();
    expect(app.calls.filter((c) => c.url.endsWith('/withdraw'))).toHaveLength(0); // said no
    page.querySelector('[data-testid="policy-withdraw"]').click();
    await settle(); await settle();
    expect(asked[1]).toContain('联络员手机下次同步时会删除');
    expect(app.calls.at(-1)).toMatchObject({ method: 'POST', url: `/api/v1/policies/${id(1)}/withdraw` });
    window.confirm = confirm;

    const input = page.querySelector('[data-testid="policy-pdf-file"]');
    Object.defineProperty(input, 'files', { value: [new File(['%PDF-1.4'], 'a.pdf', { type: 'application/pdf' })] });
    page.querySelector('[data-testid="policy-pdf-upload"]').click();
    await settle(); await settle();
    expect(app.calls.at(-1)).toMatchObject({ method: 'PUT', url: `/api/v1/policies/${id(1)}/pdf` });
    expect(app.calls.at(-1).body.get('file').name).toBe('a.pdf');
    expect(page.querySelector('[data-testid="policy-pdf-error"]').textContent).toBe('不是有效的 PDF 文件');
    page.remove();
  });

  it('lists current policies by default, withdrawn or all on request, with a create button for writers only', async () => {
    const items = [STAFF_POLICY, { ...STAFF_POLICY, id: id(5), title: '旧政策', withdrawn_on: '2026-10-01' }];
    const app = staffApp({ answer: () => [200, { items, total: 2, page: 1, per_page: 50 }] });
    const page = await renderStaffList(app, {});
    expect(app.calls[0].url).toBe('/api/v1/policies?withdrawn=false&page=1&per_page=50');
    expect([...page.querySelectorAll('[data-testid="policy-staff-row"]')].map((r) => r.dataset.withdrawn)).toEqual(['false', 'true']);
    expect(page.querySelector('[data-testid="policy-new"]')).not.toBeNull();
    await renderStaffList(app, { withdrawn: 'all', q: 'yfdx', category: 'medical' });
    expect(app.calls[1].url).toBe('/api/v1/policies?q=yfdx&category=medical&page=1&per_page=50');
    const reader = staffApp({ role: 'township_officer', answer: () => [200, { items, total: 2, page: 1, per_page: 50 }] });
    expect((await renderStaffList(reader, { withdrawn: 'true' })).querySelector('[data-testid="policy-new"]')).toBeNull();
    expect(reader.calls[0].url).toBe('/api/v1/policies?withdrawn=true&page=1&per_page=50');
  });

  it('lists what was published when, by whom', async () => {
    const app = staffApp({
      answer: (url) => (url.endsWith('/history')
        ? [200, [
          { version: 2, at: '2026-11-02T02:00:00Z', action: 'update', by: '县民政局 李华', changes: { summary: ['旧', '新'] } },
          { version: 1, at: '2026-11-01T02:00:00Z', action: 'create', by: '县民政局 李华', changes: {} },
        ]]
        : [200, STAFF_POLICY]),
    });
    const page = await renderHistory(app, {}, id(1));
    const rows = [...page.querySelectorAll('[data-testid="policy-history-row"]')];
    expect(rows.map((r) => r.dataset.action)).toEqual(['update', 'create']);
    expect(rows[0].textContent).toContain('2026-11-02 10:00');
    expect(rows[0].textContent).toContain('县民政局 李华');
    expect(rows[0].textContent).toContain('要点：旧 → 新');
    expect(historyChanges({ title: ['甲', '乙'] })).toBe('标题：甲 → 乙');
    expect(historyChanges({ category: 'medical', effective_on: null })).toBe('类别：医疗保障；施行日期：（空）');
  });
});
