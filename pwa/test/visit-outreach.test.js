// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { LianxinDB, META, setMeta } from '../src/db.js';
import { render } from '../src/views/visit-form.js';
import { MAX_EXPLAINED, explainedList, policyPicker, serviceOptions } from '../src/views/visit-outreach.js';
import { PERSON, freshName } from './helpers.js';

const policyId = (n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const SERVICES = [{ code: 'certificate', label: '代办证件' }, { code: 'medicine', label: '代购药品' }, { code: 'repair', label: '联系维修' }];

async function phoneWithLibrary() {
  const db = new LianxinDB(freshName());
  await db.beneficiaries.put({ id: PERSON, village_id: 'v1', name: '张国强', category: 'martyr_family', status: 'active', version: 1, _state: 'synced' });
  await db.policies.bulkPut([
    { id: policyId(1), title: '优抚对象医疗保障办法', title_initials: 'yfdxylbzbf', category: 'medical', published_at: '2026-11-01T02:00:00Z', version: 1, _state: 'synced' },
    { id: policyId(2), title: '退役军人就业创业扶持政策', title_initials: 'tyjrjycyfczc', category: 'employment', published_at: '2026-11-02T02:00:00Z', version: 1, _state: 'synced' },
  ]);
  await setMeta(db, META.settings, { visit_day: 18, services: SERVICES });
  return db;
}

function appOn(db) {
  return { db, user: { id: 4, role: 'liaison' }, toast: () => {}, saved: () => {}, navigate: () => {} };
}

const settle = async () => { for (let i = 0; i < 5; i++) await new Promise((resolve) => { setTimeout(resolve, 0); }); };

describe('a visit records the policies explained and the 便民服务 done', () => {
  it('picks policies from the phone’s library by initials and services by chip, and queues them with the visit', async () => {
    const db = await phoneWithLibrary();
    const page = await render(appOn(db), { id: PERSON }, {});
    document.body.append(page);
    const search = page.querySelector('[data-testid="policy-pick-search"]');
    search.value = 'tyjr';
    search.dispatchEvent(new Event('input', { bubbles: true }));
    const options = [...page.querySelectorAll('[data-testid="policy-pick-option"]')];
    expect(options.map((o) => o.dataset.id)).toEqual([policyId(2)]);
    options[0].click();
    search.value = '医疗';
    search.dispatchEvent(new Event('input', { bubbles: true }));
    page.querySelector('[data-testid="policy-pick-option"]').click();
    expect([...page.querySelectorAll('[data-testid="policy-picked"]')].map((el) => el.dataset.id)).toEqual([policyId(2), policyId(1)]);
    const chips = [...page.querySelectorAll('[data-testid="service-chip"]')];
    expect(chips.map((c) => c.textContent)).toEqual(['代办证件', '代购药品', '联系维修']);
    chips[1].click();
    chips[2].click();
    chips[2].click(); // and off again
    expect(chips.map((c) => c.getAttribute('aria-pressed'))).toEqual(['false', 'true', 'false']);

    page.querySelector('[data-testid="input-summary"]').value = '身体好，讲了两项政策';
    page.querySelector('[data-testid="visit-form"]').requestSubmit();
    await settle();
    const [entry] = await db.outbox.toArray();
    expect(entry.data.policies_explained).toEqual([
      { id: policyId(2), title: '退役军人就业创业扶持政策' }, { id: policyId(1), title: '优抚对象医疗保障办法' },
    ]);
    expect(entry.data.services).toEqual(['medicine']);
    page.remove();
  });

  it('keeps a policy explained with its title at the time, after it left the phone', async () => {
    const db = await phoneWithLibrary();
    await db.visits.put({
      id: 'visit-1', beneficiary_id: PERSON, visit_type: 'monthly', visited_on: '2026-11-18', summary: '讲了政策', version: 1, _state: 'synced',
      review_status: 'pending', policies_explained: [{ id: policyId(9), title: '已撤回的旧政策' }], services: ['old_service'],
    });
    const page = await render(appOn(db), { visitId: 'visit-1' }, {});
    const picked = page.querySelector('[data-testid="policy-picked"]');
    expect(picked.dataset.id).toBe(policyId(9));
    expect(picked.textContent).toContain('已撤回的旧政策');
    // a service no longer on the county's list still shows, chosen
    const old = page.querySelector('[data-testid="service-chip"][data-code="old_service"]');
    expect(old.getAttribute('aria-pressed')).toBe('true');
    page.querySelector('[data-testid="policy-unpick"]').click();
    expect(page.querySelector('[data-testid="policy-picked"]')).toBeNull();
  });

  it('offers first the policies whose title or initials start with what was typed', async () => {
    const db = await phoneWithLibrary();
    await db.policies.put({ id: policyId(3), title: '残疾军人抚恤金按月发放', title_initials: 'cjjrfxjayff', category: 'preferential', published_at: '2026-11-09T02:00:00Z', version: 1, _state: 'synced' });
    const page = await render(appOn(db), { id: PERSON }, {});
    const search = page.querySelector('[data-testid="policy-pick-search"]');
    search.value = 'yf';
    search.dispatchEvent(new Event('input', { bubbles: true }));
    expect([...page.querySelectorAll('[data-testid="policy-pick-option"]')].map((o) => o.dataset.id)).toEqual([policyId(1), policyId(3), policyId(2)]); // then newest first
  });

  it('stops at the server’s limit of policies per visit', () => {
    const library = Array.from({ length: 25 }, (_, i) => ({ id: policyId(100 + i), title: `政策${i}`, title_initials: 'zc' }));
    const chosen = library.slice(0, MAX_EXPLAINED - 1).map((p) => ({ id: p.id, title: p.title }));
    let last = chosen;
    const picker = policyPicker({ policies: library, chosen, onChange: (list) => { last = list; } });
    picker.querySelector('[data-testid="policy-pick-option"]').click();
    expect(last).toHaveLength(MAX_EXPLAINED);
    expect(picker.querySelector('[data-testid="policy-pick-search"]').hidden).toBe(true);
    expect(picker.querySelectorAll('[data-testid="policy-pick-option"]')).toHaveLength(0);
    expect(picker.querySelector('[data-testid="policy-pick-full"]').hidden).toBe(false);
    picker.querySelector('[data-testid="policy-unpick"]').click();
    expect(picker.querySelector('[data-testid="policy-pick-search"]').hidden).toBe(false);
  });

  it('reads the stored shapes defensively', () => {
    expect(explainedList([{ id: 'a', title: '甲' }, { id: 'a', title: '甲' }, null, { title: '无id' }])).toEqual([{ id: 'a', title: '甲' }]);
    expect(explainedList(undefined)).toEqual([]);
    expect(serviceOptions({ services: [{ code: 'x', label: '某服务' }, { label: '无代码' }] })).toEqual([{ code: 'x', label: '某服务' }]);
    expect(serviceOptions(null)).toEqual([]);
  });
});
