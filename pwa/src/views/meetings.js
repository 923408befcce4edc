// 宣讲会: the village's policy outreach meetings, newest first — when, where, the
// policies explained, how many came — each with its sync state like every record.
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { errorsOf, isDeleted } from '../record-state.js';
import { errorList, pageHeader, recordState, stateBadge } from './common.js';

/** The village's meetings, newest first (held on, then created; not yet sent first). */
export async function loadMeetings(db, villageId) {
  const rows = villageId
    ? await db.outreach_meetings.where('village_id').equals(villageId).toArray()
    : await db.outreach_meetings.toArray();
  const when = (row) => row.created_at || '\uffff'; // one not yet sent is the newest
  return rows.filter((row) => !isDeleted(row))
    .sort((a, b) => (b.held_on || '').localeCompare(a.held_on || '') || when(b).localeCompare(when(a)));
}

function item(row) {
  const state = recordState(row);
  const href = state === 'conflict' ? `#/conflict/outreach_meeting/${row.id}` : `#/meetings/${row.id}`;
  const policies = row.policies_explained || [];
  return h('li', { class: `record meeting-row state-${state}`, 'data-testid': 'meeting-row', 'data-id': row.id, 'data-state': state },
    h('a', { class: 'row-link', href, 'data-testid': 'meeting-open' },
      h('span', { class: 'line' },
        h('b', null, row.held_on || ''), ' ',
        h('span', { 'data-testid': 'meeting-place' }, row.place || ''), ' ',
        stateBadge(row)),
      h('span', { class: 'meeting-facts' },
        h('span', { 'data-testid': 'meeting-headcount' }, t('meeting.count_line', { count: row.headcount ?? '' })), ' · ',
        t('meeting.policies_line', { count: policies.length })),
      h('span', { class: 'summary', 'data-testid': 'meeting-policies' }, policies.map((p) => p.title).join('、'))),
    state === 'rejected' ? errorList(errorsOf(row)) : null);
}

export function renderMeetings(rows) {
  return h('div', { class: 'page meetings-page', 'data-testid': 'meetings' },
    pageHeader(t('meeting.title')),
    h('a', { class: 'btn primary big', href: '#/meetings/new', 'data-testid': 'meeting-new' }, t('meeting.new')),
    rows.length
      ? h('ul', { class: 'records', 'data-testid': 'meeting-list' }, rows.map(item))
      : h('p', { class: 'empty', 'data-testid': 'meetings-empty' }, t('meeting.none')));
}

export async function render(app) {
  return renderMeetings(await loadMeetings(app.db, app.user?.region?.id ?? null));
}

export const live = true;
