// One dated session of a mediation case.
import { t } from '../i18n.js';
import { countyToday } from '../time.js';
import { notFound } from './common.js';
import { recordFormPage } from './record-form.js';

const FIELDS = [
  { name: 'held_on', label: 'session.held_on', type: 'date', required: true, past: true, nullable: false },
  { name: 'notes', label: 'session.notes', type: 'textarea', required: true, max: 4000, rows: 5 },
];

export async function render(app, { caseId, sessionId }) {
  const row = sessionId ? await app.db.mediation_sessions.get(sessionId) : null;
  if (sessionId && !row) return notFound('case.not_found');
  const theCase = await app.db.mediation_cases.get(row ? row.case_id : caseId);
  if (!theCase) return notFound('case.not_found');
  return recordFormPage(app, {
    entity: 'mediation_session', row, title: t('session.title'), back: `#/case/${theCase.id}`,
    fields: FIELDS, initial: { held_on: countyToday() },
    fixed: { case_id: theCase.id }, local: { village_id: theCase.village_id }, testid: 'session-form',
  });
}
