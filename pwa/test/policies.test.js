// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { LianxinDB } from '../src/db.js';
import { setChoices, label } from '../src/i18n.js';
import { safeHref, sanitizeHtml } from '../src/safe-html.js';
import { filterPolicies, loadPolicies, policyMatches, render, renderPolicyList } from '../src/views/policies.js';
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
