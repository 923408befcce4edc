// A mediation case and its sessions.
import { h } from '../dom.js';
import { label, t } from '../i18n.js';
import { errorsOf, isDeleted } from '../record-state.js';
import { errorList, factRow, notFound, pageHeader, recordState, section, stateBadge } from './common.js';

export async function render(app, { caseId }) {
  const row = await app.db.mediation_cases.get(caseId);
  if (!row || isDeleted(row)) return notFound('case.not_found');
  const person = await app.db.beneficiaries.get(row.beneficiary_id);
  const sessions = (await app.db.mediation_sessions.where('case_id').equals(caseId).toArray())
    .filter((s) => !isDeleted(s)).sort((a, b) => (b.held_on || '').localeCompare(a.held_on || ''));
  const link = (r, entity, href) => (recordState(r) === 'conflict' ? `#/conflict/${entity}/${r.id}` : href);
  return h('div', { class: 'page', 'data-testid': 'case-page' },
    pageHeader(`${t('case.title')} · ${person?.name || ''}`, { back: `#/b/${row.beneficiary_id}` }),
    section('case.title', 'case-facts',
      h('dl', { class: 'facts' },
        factRow('case.kind', label('mediation_kinds', row.kind)),
        factRow('case.status', label('mediation_status', row.status), 'case-status'),
        factRow('case.parties', row.parties),
        factRow('case.description', row.description),
        factRow('case.opened_on', row.opened_on),
        factRow('case.outcome', row.outcome),
        factRow('case.referred_to', row.referred_to)),
      stateBadge(row),
      recordState(row) === 'rejected' ? errorList(errorsOf(row)) : null,
      h('a', { class: 'btn', href: link(row, 'mediation_case', `#/case/${row.id}/edit`), 'data-testid': 'edit-case' }, t('case.edit'))),
    section('case.sessions', 'sessions',
      sessions.length
        ? h('ul', { class: 'records' }, sessions.map((s) => h('li', { class: 'record', 'data-testid': 'session-row', 'data-id': s.id, 'data-state': recordState(s) },
          h('a', { class: 'row-link', href: link(s, 'mediation_session', `#/session/${s.id}`) },
            h('span', { class: 'line' }, h('b', null, s.held_on || ''), ' ', stateBadge(s)),
            h('span', { class: 'summary' }, s.notes || '')),
          recordState(s) === 'rejected' ? errorList(errorsOf(s)) : null)))
        : h('p', { class: 'empty' }, t('case.sessions_none')),
      h('a', { class: 'btn primary', href: `#/case/${row.id}/session/new`, 'data-testid': 'add-session' }, t('case.session_add'))));
}

export const live = true;
