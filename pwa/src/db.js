// The one IndexedDB database of the app (Dexie).
//
// Record tables hold each synced entity by id, as the server last sent it, with
// the phone's unsent changes laid over it and its sync state in `_` fields, indexed
// by `_state`; record-state.js describes them and is the only module that writes them.
import Dexie from 'dexie';
import { recordCopies } from './record-state.js';
import { maskIdNumber } from './validate.js';

export const DB_NAME = 'lianxin';

export class LianxinDB extends Dexie {
  constructor(name = DB_NAME, options) {
    super(name, options);
    this.version(1).stores({
      regions: 'id, parent_id',
      beneficiaries: 'id, [village_id+name], name, _state',
      health_files: 'id, beneficiary_id, _state',
      health_events: 'id, beneficiary_id, occurred_on, _state',
      visits: 'id, beneficiary_id, visited_on, [beneficiary_id+visited_on], follow_up_due, _state',
      visit_tasks: 'id, beneficiary_id, period',
      mediation_cases: 'id, beneficiary_id, _state',
      mediation_sessions: 'id, case_id, _state',
      contact_cards: 'id, beneficiary_id, _state',
      contact_logs: 'id, card_id, _state',
      notifications: 'id, created_at',
      // id = the per-client mutation counter: 1, 2, 3 … with no gaps
      outbox: 'id, record_id, [entity+record_id]',
      meta: 'key',
      drafts: 'key, updated_at',
      photos: 'id, visit_id, state',
      // results for records no longer on the phone (moved out of the liaison's village)
      problems: '++id, record_id',
    });
    // 2: masks of the old form (5108**********1234, the last four digits shown) are
    // masked again, as the server masks now (server/common/idnumbers.py); a number typed
    // here and not yet sent is left as it is (the outbox sends it).
    this.version(2).stores({}).upgrade((tx) => tx.table('beneficiaries').toCollection().modify((row) => {
      for (const copy of recordCopies(row)) remaskIn(copy);
    }));
    // 3: the county's policy library (read-only, the same on every phone) and the
    // opinions a liaison collects (#19).
    this.version(3).stores({
      policies: 'id, category, title_initials',
      opinions: 'id, beneficiary_id, status, _state',
    });
    // 4: a village's policy outreach meetings (宣讲会, #19 point 2), synced like visits.
    this.version(4).stores({ outreach_meetings: 'id, village_id, held_on, _state' });
  }
}

function remaskIn(record) {
  if (typeof record.id_number === 'string' && record.id_number.includes('*')) {
    record.id_number = maskIdNumber(record.id_number);
  }
}

let current = null;

export function getDb() {
  if (!current) current = new LianxinDB();
  return current;
}

/** Whether this browser holds the database at all (it does not before the first login or after logout). */
export function dbExists(name = DB_NAME) {
  return Dexie.exists(name);
}

/** Closes and deletes the whole database (logout). */
export async function deleteDb(db = current) {
  if (db) {
    db.close();
    await Dexie.delete(db.name);
  } else {
    await Dexie.delete(DB_NAME);
  }
  if (db === current) current = null;
}

export async function getMeta(db, key, fallback = null) {
  const row = await db.meta.get(key);
  return row === undefined ? fallback : row.value;
}

export function setMeta(db, key, value) {
  return db.meta.put({ key, value });
}

export const META = {
  session: 'session', // {access_token, refresh_token, user, needs_login}
  client: 'client', // {client_id, user_id}
  nextMutationId: 'next_mutation_id',
  cursor: 'cursor',
  lastSyncAt: 'last_sync_at', // when the server last confirmed a full push + pull
  choices: 'choices',
  settings: 'settings', // the county's visit day, grace days and time zone (GET /meta/settings)
  exported: 'exported_through', // highest outbox id the liaison has exported to a file
  // the client_id sent with an enrollment code before the answer came (retried alike)
  enrollClient: 'enroll_client',
};
