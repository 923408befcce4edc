// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { LianxinDB, META, setMeta } from '../src/db.js';
import { factsFromId, idCheckDigit, visitRules } from '../src/validate.js';
import { insertPhrase } from '../src/views/visit-form.js';
import { followUpText, loadVisitList, personMatches, renderList, staleSyncDays, todoHint } from '../src/views/visit-list.js';
import { freshName } from './helpers.js';

const ZHANG = { name: '张国强', name_initials: 'zgq', address: '三组 12 号', phone: '138 0013 4567' };

function validId(first17) {
  return first17 + idCheckDigit(first17);
}

describe('search', () => {
  it('finds a person by name, pinyin initials, 组 or the phone tail', () => {
    for (const q of ['国强', 'zgq', 'ZG', '三组', '4567', '567']) expect(personMatches(ZHANG, q), q).toBe(true);
    for (const q of ['李', 'gq', '四组', '0013', '45']) expect(personMatches(ZHANG, q), q).toBe(false);
    expect(personMatches({ name: '王五' }, 'ww')).toBe(false); // no initials from the server yet
  });
});

describe('list hints', () => {
  it('says how many are left from the visit day on, not before', () => {
    const counts = { due: 30, done: 12, todo: 18 };
    expect(todoHint({ today: '2026-11-17', visitDay: '2026-11-18', counts })).toBeNull();
    expect(todoHint({ today: '2026-11-18', visitDay: '2026-11-18', counts })).toBe('还有 18 人未访');
    expect(todoHint({ today: '2026-11-30', visitDay: '2026-11-18', counts: { ...counts, todo: 0 } })).toBeNull();
  });

  it('warns after more than 3 days without a sync', () => {
    const now = new Date('2026-11-25T02:00:00Z');
    expect(staleSyncDays('2026-11-22T01:00:00Z', now)).toBeNull();
    expect(staleSyncDays('2026-11-21T01:00:00Z', now)).toBe(4);
    expect(staleSyncDays(null, now)).toBeNull();
  });

  it('says why a follow-up is due and by when', () => {
    expect(followUpText({ kind: 'revisit', due: '2026-11-20' })).toBe('病后复访 · 11月20日前');
    expect(followUpText({ kind: 'follow_up', due: '2026-12-03' })).toBe('跟进回访 · 12月3日前');
  });

  it('shows the last visit and its review, the draft, and the reason in the rows', async () => {
    const db = new LianxinDB(freshName());
    await db.beneficiaries.bulkPut([
      { id: 'a', village_id: 'v1', name: '张国强', name_initials: 'zgq', category: 'martyr_family', status: 'active', _state: 'synced' },
      { id: 'b', village_id: 'v1', name: '李秀英', name_initials: 'lxy', category: 'martyr_family', status: 'active', _state: 'synced' },
    ]);
    await db.visits.bulkPut([
      { id: 'x', beneficiary_id: 'a', visit_type: 'monthly', visited_on: '2026-10-18', review_status: 'returned', summary: '好', _state: 'synced' },
      { id: 'y', beneficiary_id: 'b', visit_type: 'sick', visited_on: '2026-11-10', follow_up_due: '2026-11-17', review_status: 'approved', summary: '病', _state: 'synced' },
    ]);
    await db.drafts.put({ key: 'visit:new:a', raw: { summary: '半句' }, updated_at: '2026-11-20T01:00:00Z' });
    await setMeta(db, META.lastSyncAt, '2026-11-19T01:00:00Z');
    const data = await loadVisitList(db, { villageId: 'v1', now: new Date('2026-11-20T02:00:00Z') });
    const page = renderList(data);
    const row = (id) => page.querySelector(`[data-testid="person-row"][data-id="${id}"]`);
    expect(row('a').querySelector('[data-testid="last-visit"]').textContent).toBe('上次走访 10/18 · 退回');
    expect(row('b').querySelector('[data-testid="last-visit"]').textContent).toBe('上次走访 11/10 · 通过');
    expect(row('a').querySelector('[data-testid="draft-badge"]')).not.toBeNull();
    expect(row('b').querySelector('[data-testid="draft-badge"]')).toBeNull();
    expect(row('b').querySelector('[data-testid="follow-up"]').textContent).toBe('病后复访 · 11月17日前');
    expect(row('a').querySelector('[data-testid="quick-visit"]').getAttribute('href')).toBe('#/b/a/visit/new');
    expect(page.querySelector('[data-testid="todo-hint"]').textContent).toBe('还有 2 人未访');
    expect(page.querySelector('[data-testid="stale-sync"]')).toBeNull();
    const later = renderList(await loadVisitList(db, { villageId: 'v1', now: new Date('2026-11-24T02:00:00Z') }));
    expect(later.querySelector('[data-testid="stale-sync"]').textContent).toContain('已经 5 天没有同步了');
  });
});

describe('forms', () => {
  it('reads the sex and birth date from a valid ID number only', () => {
    expect(factsFromId(validId('51080219600504001'))).toEqual({ sex: 'male', birth_date: '1960-05-04' });
    expect(factsFromId(validId('51080219721130002'))).toEqual({ sex: 'female', birth_date: '1972-11-30' });
    const wrongCheck = validId('51080219600504001').slice(0, 17) + (validId('51080219600504001')[17] === '0' ? '1' : '0');
    expect(factsFromId(wrongCheck)).toBeNull();
    expect(factsFromId('5108021960')).toBeNull();
  });

  it('refuses a mediation visit without its case, as the server does', () => {
    expect(visitRules({ visit_type: 'mediation', case_id: null })).toEqual({ case_id: ['纠纷上门调解须选择或新建调解案件'] });
    expect(visitRules({ visit_type: 'mediation', case_id: 'c1' })).toEqual({});
    expect(visitRules({ visit_type: 'monthly' })).toEqual({});
  });

  it('adds a 常用语 to what is typed', () => {
    expect(insertPhrase('', '身体状况良好')).toBe('身体状况良好');
    expect(insertPhrase('老人在家 ', '身体状况良好')).toBe('老人在家，身体状况良好');
    expect(insertPhrase('老人在家。', '身体状况良好')).toBe('老人在家。身体状况良好');
  });
});
