import { describe, expect, it } from 'vitest';
import { countyTimestamp, countyToday, isOverdue } from '../src/time.js';
import {
  caseRules, idCheckDigit, idNumberProblem, maskIdNumber, normalizeIdNumber, normalizePhone, phoneProblem, validateFields,
  visitRules, yuanToFen,
} from '../src/validate.js';

describe('validation (same rules and messages as the server)', () => {
  it('checks the GB 11643 check digit', () => {
    expect(idCheckDigit('11010519491231002')).toBe('X');
    expect(idNumberProblem('11010519491231002X', '2026-11-18')).toBeNull();
    expect(idNumberProblem('110105194912310021', '2026-11-18')).toBe('身份证号校验位不正确');
    expect(idNumberProblem('1101051949123100', '2026-11-18')).toBe('身份证号应为18位，前17位为数字，最后一位为数字或X');
    expect(idNumberProblem('110105194913310020', '2026-11-18')).toBe('身份证号中的出生日期无效');
  });

  it('accepts mobile and landline numbers only', () => {
    expect(phoneProblem('13812345678')).toBeNull();
    expect(phoneProblem('0817-1234567')).toBeNull();
    expect(phoneProblem('08171234567')).toBeNull();
    expect(phoneProblem('12812345678')).toBe('请输入正确的手机号（11位）或座机号（如 0817-1234567）');
  });

  it('requires fields and refuses dates after today', () => {
    const fields = [
      { name: 'summary', required: true },
      { name: 'visited_on', type: 'date', required: true, past: true },
      { name: 'phone', type: 'phone' },
    ];
    expect(validateFields(fields, { summary: '', visited_on: '2026-11-19', phone: null }, { today: '2026-11-18' }))
      .toEqual({ summary: ['此项必填'], visited_on: ['不能晚于今天'] });
    expect(validateFields(fields, { summary: '  ', visited_on: '2026-11-18' }, { today: '2026-11-18' }))
      .toEqual({ summary: ['此项不能为空'] });
  });

  it('applies the cross-field rules', () => {
    expect(visitRules({ visited_on: '2026-11-18', follow_up_due: '2026-11-10' })).toEqual({ follow_up_due: ['不能早于走访日期'] });
    expect(caseRules({ status: 'resolved' })).toEqual({ outcome: ['已调解或已移交的纠纷须填写结果'] });
    expect(caseRules({ status: 'open' }, 'mediating')).toEqual({ status: ['调解中的纠纷不能退回已受理'] });
  });

  it('turns yuan into integer fen', () => {
    expect(yuanToFen('200')).toBe(20000);
    expect(yuanToFen('200.5')).toBe(20050);
    expect(yuanToFen('')).toBeNull();
    expect(Number.isNaN(yuanToFen('2,00'))).toBe(true);
  });
});

describe('county time', () => {
  it('uses Asia/Shanghai for today, whatever the phone zone', () => {
    expect(countyToday(new Date('2026-11-17T16:30:00Z'))).toBe('2026-11-18');
    expect(countyTimestamp(new Date('2026-11-18T01:31:00Z'))).toBe('2026-11-18T09:31:00+08:00');
  });

  it('makes unvisited people overdue after the 18th plus 3 days', () => {
    expect(isOverdue('2026-11', '2026-11-21')).toBe(false);
    expect(isOverdue('2026-11', '2026-11-22')).toBe(true);
  });
});

describe('county settings from the server', () => {
  it('moves the visit day and the grace period', async () => {
    const { setCountySettings, visitDayFor, isOverdue } = await import('../src/time.js');
    expect(visitDayFor('2026-11')).toBe('2026-11-18');
    expect(isOverdue('2026-11', '2026-11-21')).toBe(false);
    setCountySettings({ visit_day: 15, overdue_grace_days: 1, time_zone: 'Asia/Shanghai' });
    expect(visitDayFor('2026-11')).toBe('2026-11-15');
    expect(isOverdue('2026-11', '2026-11-17')).toBe(true);
    setCountySettings({ visit_day: 99, time_zone: 'Not/AZone' }); // nonsense is ignored
    expect(visitDayFor('2026-11')).toBe('2026-11-15');
    setCountySettings({ visit_day: 18, overdue_grace_days: 3, time_zone: 'Asia/Shanghai' });
  });
});

describe('maskIdNumber', () => {
  it('shows the prefecture only, whatever it is given', () => {
    expect(maskIdNumber('11010519491231002X')).toBe('1101**************');
    expect(maskIdNumber('5108**********1234')).toBe('5108**************');
    expect(maskIdNumber('5108**************')).toBe('5108**************');
  });
});

describe('full-width input (a Chinese input method)', () => {
  it('reads full-width digits as the digits, as the server does (NFKC)', () => {
    expect(normalizeIdNumber(' １１０１０５１９４９１２３１００２ｘ ')).toBe('11010519491231002X');
    expect(idNumberProblem('１１０１０５１９４９１２３１００２Ｘ', '2026-11-18')).toBeNull();
    expect(normalizePhone('１３８ ００１３ ８０００')).toBe('13800138000');
    expect(phoneProblem('０８１７－１２３４５６７')).toBeNull();
  });
});
