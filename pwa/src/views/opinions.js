// 意见收集: the opinions this liaison collected, newest first, each with its sync state
// and the feedback's progress mirrored by the server (已收到 → 办理中 → 已答复 → 已办结).
// A reply comes back here (the notice links #/opinions/<id>: server/feedback/operations.py
// reply); the liaison carries it to the villager and taps 已转告 — saved offline, the one
// change an opinion takes after it is sent (server/feedback/opinions.py update_opinion).
import { h } from '../dom.js';
import { label, t } from '../i18n.js';
import { errorsOf, hasProblem, isDeleted } from '../record-state.js';
import { discardRejected } from '../sync/conflicts.js';
import { recordChange } from '../sync/outbox.js';
import { countyToday } from '../time.js';
import { errorList, factRow, notFound, pageHeader, recordState, stateBadge } from './common.js';
import { isEditable } from './opinion-form.js';

/** The liaison's opinions, newest first (collected on, then created; not yet sent first). */
export async function loadOpinions(db, { beneficiaryId = null } = {}) {
  const rows = beneficiaryId
    ? await db.opinions.where('beneficiary_id').equals(beneficiaryId).toArray()
    : await db.opinions.toArray();
  const when = (row) => row.created_at || '\uffff'; // one not yet sent is the newest
  return rows.filter((row) => !isDeleted(row))
    .sort((a, b) => (b.collected_on || '').localeCompare(a.collected_on || '') || when(b).localeCompare(when(a)));
}

/** {id: name} of the people the opinions name. */
export async function namesOf(db, rows) {
  const ids = [...new Set(rows.map((row) => row.beneficiary_id).filter(Boolean))];
  const people = await db.beneficiaries.bulkGet(ids);
  return Object.fromEntries(people.filter(Boolean).map((p) => [p.id, p.name]));
}

/** The county day of the reply (replied_at is a UTC instant), or null. */
export function replyDay(row) {
  return row?.replied_at ? countyToday(new Date(row.replied_at)) : null;
}

/**
 * Whether 已转告 may be tapped: the server has the opinion and answered it, the liaison
 * has not marked it yet, and today is not before the reply's day — as the server's
 * update_opinion refuses otherwise (尚未答复，不能标记已转告 / 不能早于答复日期).
 */
export function canRelay(row, today = countyToday()) {
  if (!row || row.relayed_on || row.version == null || hasProblem(row)) return false;
  if (!String(row.reply || '').trim() || !row.replied_at) return false;
  return replyDay(row) <= today;
}

/** 已转告 today, saved on the phone and queued; null when it may not be marked (canRelay). */
export function relayOpinion(db, row, { now = new Date() } = {}) {
  const today = countyToday(now);
  if (!canRelay(row, today)) return null;
  return recordChange(db, { entity: 'opinion', recordId: row.id, values: { relayed_on: today }, now });
}

export function firstLine(text) {
  return String(text || '').split('\n').map((line) => line.trim()).find(Boolean) || '';
}

function personLabel(row, names) {
  if (row.anonymous) return t('opinion.anonymous_person');
  if (row.beneficiary_id) return names[row.beneficiary_id] || '';
  return t('opinion.villager');
}

function shortDate(day) {
  const [, m, d] = String(day || '').split('-').map(Number);
  return m && d ? `${m}月${d}日` : '';
}

/** The reply, large, and 已转告 (a button, or the day it was marked). */
function replyBlock(row, app) {
  if (!String(row.reply || '').trim()) return null;
  const relayed = row.relayed_on
    ? h('p', { class: 'opinion-relayed', 'data-testid': 'opinion-relayed' }, '✓ ', t('opinion.relayed', { date: shortDate(row.relayed_on) }))
    : null;
  const button = !row.relayed_on && canRelay(row)
    ? h('button', {
      type: 'button', class: 'btn primary big', 'data-testid': 'opinion-relay',
      onclick: async (event) => {
        event.currentTarget.disabled = true;
        await relayOpinion(app.db, row);
        app.toast?.(t('opinion.relayed_saved'));
        app.saved?.();
        app.refresh?.();
      },
    }, t('opinion.relay'))
    : null;
  return h('div', { class: 'opinion-reply-box', 'data-testid': 'opinion-reply-box' },
    h('p', { class: 'opinion-reply-label' }, t('opinion.reply')),
    h('p', { class: 'opinion-reply', 'data-testid': 'opinion-reply' }, row.reply),
    button ? h('p', { class: 'hint' }, t('opinion.reply_hint')) : null,
    button, relayed);
}

function statusBadge(row) {
  if (!row.status) return null;
  return h('span', { class: `badge opinion-status status-${row.status}`, 'data-testid': 'opinion-status', 'data-status': row.status },
    label('feedback_status', row.status));
}

function item(row, names, app) {
  const state = recordState(row);
  const href = state === 'conflict' ? `#/conflict/opinion/${row.id}` : `#/opinions/${row.id}`;
  return h('li', { class: `record opinion-row state-${state}`, 'data-testid': 'opinion-row', 'data-id': row.id, 'data-state': state },
    h('a', { class: 'row-link', href, 'data-testid': 'opinion-open' },
      h('span', { class: 'line' },
        h('b', { 'data-testid': 'opinion-category' }, label('feedback_categories', row.category)), ' ',
        h('span', { 'data-testid': 'opinion-person' }, personLabel(row, names)), ' ',
        h('span', { class: 'muted' }, shortDate(row.collected_on)), ' ',
        statusBadge(row), ' ', stateBadge(row)),
      h('span', { class: 'summary', 'data-testid': 'opinion-first-line' }, firstLine(row.text))),
    state === 'rejected' ? errorList(errorsOf(row)) : null,
    replyBlock(row, app));
}

export function renderOpinions(rows, names, app) {
  return h('div', { class: 'page opinions-page', 'data-testid': 'opinions' },
    pageHeader(t('opinion.title')),
    h('a', { class: 'btn primary big', href: '#/opinions/new', 'data-testid': 'opinion-new' }, t('opinion.new')),
    rows.length
      ? h('ul', { class: 'records', 'data-testid': 'opinion-list' }, rows.map((row) => item(row, names, app)))
      : h('p', { class: 'empty', 'data-testid': 'opinions-empty' }, t('opinion.none')));
}

/** One opinion: what was said, by whom, its progress, the reply and 已转告. */
export function renderOpinion(row, names, app) {
  const state = recordState(row);
  const back = row.beneficiary_id ? `#/b/${row.beneficiary_id}` : '#/opinions';
  return h('div', { class: 'page opinion-page', 'data-testid': 'opinion-page', 'data-id': row.id, 'data-state': state },
    pageHeader(t('opinion.detail_title'), { back: '#/opinions' }),
    h('p', null, stateBadge(row), ' ', statusBadge(row)),
    state === 'rejected'
      ? h('div', { class: 'notice error', 'data-testid': 'server-errors' }, t('form.server_errors'), errorList(errorsOf(row)))
      : null,
    row.version == null && state !== 'rejected' ? h('p', { class: 'notice', 'data-testid': 'opinion-not-sent' }, t('opinion.not_sent')) : null,
    h('dl', { class: 'facts' },
      factRow('opinion.category', label('feedback_categories', row.category), 'opinion-category'),
      factRow('opinion.person', personLabel(row, names), 'opinion-person'),
      factRow('opinion.collected_on', row.collected_on),
      factRow('opinion.receipt', row.receipt_number, 'opinion-receipt'),
      factRow('opinion.deadline', row.deadline)),
    h('p', { class: 'opinion-text', 'data-testid': 'opinion-text' }, row.text || ''),
    replyBlock(row, app),
    isEditable(row) ? h('a', { class: 'btn primary big', href: `#/opinions/${row.id}/edit`, 'data-testid': 'opinion-fix' }, t('opinion.fix')) : null,
    // a refused 已转告 (or a refused new opinion) can be given up, as any refused change
    state === 'rejected'
      ? h('button', {
        type: 'button', class: 'btn danger big', 'data-testid': 'discard',
        onclick: async () => {
          if (!window.confirm(t('form.confirm_discard'))) return;
          await discardRejected(app.db, 'opinion', row.id);
          app.saved();
          // never accepted: it leaves the phone; else back to the server's copy, shown here
          if (row.version == null) app.navigate(back, { replace: true });
          else app.refresh();
        },
      }, t('form.discard'))
      : null);
}

export async function render(app, { opinionId }) {
  if (opinionId) {
    const row = await app.db.opinions.get(opinionId);
    if (!row || isDeleted(row)) return notFound('opinion.not_found');
    if (recordState(row) === 'conflict') {
      app.navigate(`#/conflict/opinion/${row.id}`, { replace: true });
      return h('div');
    }
    return renderOpinion(row, await namesOf(app.db, [row]), app);
  }
  const rows = await loadOpinions(app.db);
  return renderOpinions(rows, await namesOf(app.db, rows), app);
}

export const live = true;
