// County time (Asia/Shanghai): "today", the visit day and overdue rules never use the phone's zone.
import { COUNTY_TZ, GRACE_DAYS, VISIT_DAY } from './config.js';

const dateParts = new Intl.DateTimeFormat('en-CA', {
  timeZone: COUNTY_TZ, year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});

function parts(instant) {
  const out = {};
  for (const { type, value } of dateParts.formatToParts(instant)) out[type] = value;
  return out;
}

/** "YYYY-MM-DD" of the county's today. */
export function countyToday(now = new Date()) {
  const p = parts(now);
  return `${p.year}-${p.month}-${p.day}`;
}

/** "YYYY-MM" of the county's current month. */
export function countyMonth(now = new Date()) {
  return countyToday(now).slice(0, 7);
}

/** An ISO timestamp in county time with its offset, e.g. 2026-11-18T09:31:00+08:00. */
export function countyTimestamp(now = new Date()) {
  const p = parts(now);
  const local = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  const offset = Math.round((local - Math.floor(now.getTime() / 1000) * 1000) / 60000);
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}${sign}${hh}:${mm}`;
}

export function addDays(day, days) {
  const [y, m, d] = day.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d + days));
  return date.toISOString().slice(0, 10);
}

/** The visit day (the 18th) of a "YYYY-MM" month. */
export function visitDayFor(month) {
  return `${month}-${String(VISIT_DAY).padStart(2, '0')}`;
}

/** A person not yet visited this month is overdue from the visit day + grace days on. */
export function isOverdue(month, today) {
  return today > addDays(visitDayFor(month), GRACE_DAYS);
}

export function monthBounds(month) {
  const [y, m] = month.split('-').map(Number);
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
  return [`${month}-01`, `${next}-01`];
}

/** "11月26日 14:05" in county time, for "last synced". */
export function shortDateTime(iso) {
  if (!iso) return '';
  const p = parts(new Date(iso));
  return `${+p.month}月${+p.day}日 ${p.hour}:${p.minute}`;
}
