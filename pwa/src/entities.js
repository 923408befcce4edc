// The wire entities this app writes, their local table, and the fields a phone may send.
// Keep these names stable: outbox entries written by an older app version are pushed as they are.

export const ENTITIES = {
  region: { table: 'regions', fields: [] },
  beneficiary: {
    table: 'beneficiaries',
    fields: ['name', 'sex', 'birth_date', 'id_number', 'phone', 'village_id', 'address', 'category',
      'disability_grade', 'is_five_elders', 'status', 'is_migrant', 'work_city', 'notes'],
  },
  health_file: {
    table: 'health_files',
    fields: ['beneficiary_id', 'conditions', 'disability', 'insurance', 'family_doctor', 'medications', 'last_checkup'],
  },
  health_event: {
    table: 'health_events',
    fields: ['beneficiary_id', 'kind', 'occurred_on', 'description', 'hospital', 'aid_amount_fen'],
  },
  visit: {
    table: 'visits',
    fields: ['beneficiary_id', 'visit_type', 'visited_on', 'summary', 'needs', 'actions', 'follow_up_due',
      'details', 'case_id', 'photo_ids', 'location'],
  },
  visit_task: { table: 'visit_tasks', fields: [] },
  mediation_case: {
    table: 'mediation_cases',
    fields: ['beneficiary_id', 'kind', 'parties', 'description', 'opened_on', 'status', 'outcome', 'referred_to'],
  },
  mediation_session: { table: 'mediation_sessions', fields: ['case_id', 'held_on', 'notes'] },
  contact_card: {
    table: 'contact_cards',
    fields: ['beneficiary_id', 'card_number', 'issued_on', 'work_city', 'work_province', 'employer', 'phone',
      'emergency_contact', 'last_contact_on'],
  },
  contact_log: { table: 'contact_logs', fields: ['card_id', 'contacted_on', 'channel', 'notes'] },
  notification: { table: 'notifications', fields: ['read'] },
};

export const RECORD_TABLES = Object.values(ENTITIES).map((e) => e.table);

// Tables of records the liaison writes, indexed by _state (conflicts and rejections live here).
export const EDITABLE_ENTITIES = ['visit', 'health_file', 'health_event', 'mediation_case', 'mediation_session',
  'contact_card', 'contact_log', 'beneficiary'];
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
