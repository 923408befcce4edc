// County time (Asia/Shanghai): "today", the visit day and overdue rules never use the phone's zone.
import { COUNTY_TZ, GRACE_DAYS, VISIT_DAY } from './config.js';

// The county's own settings arrive from GET /meta/settings (kept in IndexedDB for offline
// use); until then the defaults of config.js apply.
let county = { zone: COUNTY_TZ, visitDay: VISIT_DAY, graceDays: GRACE_DAYS };
let dateParts = formatterFor(county.zone);

function formatterFor(zone) {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  });
}

/** Adopts the server's visit day, grace days and time zone (`settings` as the server sends them). */
export function setCountySettings(settings) {
  if (!settings || typeof settings !== 'object') return;
  const visitDay = Number(settings.visit_day);
  const graceDays = Number(settings.overdue_grace_days);
  let zone = county.zone;
  try {
    if (settings.time_zone) { formatterFor(settings.time_zone); zone = settings.time_zone; }
  } catch { /* an unknown zone: keep the one we have */ }
  county = {
    zone,
    visitDay: visitDay >= 1 && visitDay <= 28 ? visitDay : county.visitDay,
    graceDays: graceDays >= 0 && graceDays <= 31 ? graceDays : county.graceDays,
  };
  dateParts = formatterFor(zone);
}

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
  return `${month}-${String(county.visitDay).padStart(2, '0')}`;
}

/** A person not yet visited this month is overdue from the visit day + grace days on. */
export function isOverdue(month, today) {
  return today > addDays(visitDayFor(month), county.graceDays);
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
