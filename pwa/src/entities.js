// The wire entities this app writes, their local table, and the fields a phone may send.
import DECLARED from './entity-fields.json';

// Keep these names stable: outbox entries written by an older app version are pushed as they are.

// The fields a phone may send, per entity, come from the server's entity declarations
// (server/records/entities.py), written into entity-fields.json at build time; only the
// local table each entity is kept in is this app's own.
const TABLES = {
  region: 'regions',
  beneficiary: 'beneficiaries',
  health_file: 'health_files',
  health_event: 'health_events',
  visit: 'visits',
  visit_task: 'visit_tasks',
  mediation_case: 'mediation_cases',
  mediation_session: 'mediation_sessions',
  contact_card: 'contact_cards',
  contact_log: 'contact_logs',
  notification: 'notifications',
  policy: 'policies',
  opinion: 'opinions',
  outreach_meeting: 'outreach_meetings',
};

export const ENTITIES = Object.fromEntries(Object.entries(DECLARED).map(
  ([entity, { fields }]) => [entity, { table: TABLES[entity], fields }]));

export const RECORD_TABLES = Object.values(ENTITIES).map((e) => e.table);

// Tables of records the liaison writes, indexed by _state (conflicts and rejections live here).
export const EDITABLE_ENTITIES = Object.keys(DECLARED).filter((entity) => DECLARED[entity].writable);
export const PROBLEM_TABLES = EDITABLE_ENTITIES.map((e) => ENTITIES[e].table);

export function tableName(entity) {
  return ENTITIES[entity]?.table;
}

/** The fields of a record a phone may send, without local bookkeeping (_state …) or empty values. */
export function wireFields(entity, record) {
  const out = {};
  for (const name of ENTITIES[entity]?.fields ?? []) {
    const value = record[name];
    if (value === undefined || value === null || value === '') continue;
    out[name] = value;
  }
  return out;
}

/** The record as the server last sent it: everything except local bookkeeping. */
export function serverCopy(row) {
  const out = {};
  for (const [key, value] of Object.entries(row)) if (!key.startsWith('_')) out[key] = value;
  return out;
}

function isEmpty(value) {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

function stable(value) {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().filter((k) => value[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stable(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Equal for the purpose of "did the liaison change this field" (empty values alike, key order ignored). */
export function sameValue(a, b) {
  if (a === b) return true;
  if (isEmpty(a) && isEmpty(b)) return true;
  if (typeof a === 'object' || typeof b === 'object') return stable(a ?? null) === stable(b ?? null);
  return false;
}
