import { createApi } from '../src/api.js';
import { signIn } from '../src/auth.js';
import { LianxinDB } from '../src/db.js';
import { createSession } from '../src/sync/session.js';
import { createSyncEngine } from '../src/sync/engine.js';

let counter = 0;

export function freshName() {
  counter += 1;
  return `lianxin-test-${counter}-${Math.random().toString(36).slice(2)}`;
}

/** A phone: its own database, an API client on the fake server, a session and a sync engine. */
export async function makePhone(server, { name = freshName(), login = true } = {}) {
  const db = new LianxinDB(name);
  await db.open();
  const api = createApi({ fetch: server.fetch, base: '/api/v1' });
  const session = createSession(db, api);
  const fakeTimers = { setTimeout: () => 0, clearTimeout: () => {}, setInterval: () => 0, clearInterval: () => {} };
  const engine = createSyncEngine({ db, session, timers: fakeTimers, random: () => 0.5, isOnline: () => true });
  if (login) await signIn(db, api, session, { username: 'liaison1', password: 'x' });
  return { db, api, session, engine, name };
}

export const VILLAGE = 'v1';
export const PERSON = '11111111-1111-4111-8111-111111111111';
