// 征求意见: the migrants' feedback as staff handle it — the list with filters (overdue
// ones marked), one feedback with its person and card, and the three steps of handling:
// assign to a township (county staff), reply (the migrant reads it on the status page),
// close (办结). The migrant's text is shown as text, never as markup.
import { h, mount } from '../dom.js';
import { label, t } from '../i18n.js';
import {
  areaFilters, call, choiceOptions, fact, formatDateTime, hashOf, heading, input, notice, pager,
  regions, select, table,
} from './staff-common.js';

const PER_PAGE = 50;

export function statusBadge(item) {
  return [
    h('span', { class: `badge feedback-${item.status}`, 'data-testid': 'feedback-status', 'data-status': item.status },
      label('feedback_status', item.status)),
    item.overdue ? h('span', { class: 'badge overdue-badge', 'data-testid': 'feedback-overdue' }, t('staff.feedback.overdue')) : null,
    item.suspected ? h('span', { class: 'badge suspected-badge', 'data-testid': 'feedback-suspected', 'data-suspected': item.suspected },
      label('feedback_suspected', item.suspected)) : null,
  ];
}

function listQuery(query) {
  return {
    status: query.status || '', category: query.category || '', overdue: query.overdue || '',
    source: query.source || '',
    township_id: query.township_id || '', village_id: query.village_id || '', month: query.month || '',
    q: query.q || '', page: Number(query.page) || 1,
  };
}

function whoFrom(item) {
  const person = item.beneficiary_name || t('staff.feedback.anonymous');
  const place = [item.village_name, item.city].filter(Boolean).join(' · ');
  return place ? `${person}（${place}）` : person;
}

export async function renderList(app, rawQuery) {
  const query = listQuery(rawQuery);
  const go = (changes) => { location.hash = hashOf('/feedback', { ...query, page: 1, ...changes }); };
  app.lastFeedbackList = hashOf('/feedback', query);
  const areas = await regions(app);
  const res = await call(app, 'feedbackList', { ...query, per_page: PER_PAGE });

  const filters = h('div', { class: 'staff-filters', 'data-testid': 'feedback-filters' },
    select('filter-status', 'staff.feedback.status', choiceOptions('feedback_status'), query.status, (v) => go({ status: v })),
    select('filter-overdue', 'staff.feedback.deadline', [['', t('staff.all')], ['true', t('staff.feedback.overdue_only')]],
      query.overdue, (v) => go({ overdue: v })),
    select('filter-category', 'staff.feedback.category', choiceOptions('feedback_categories'), query.category, (v) => go({ category: v })),
    select('filter-source', 'staff.feedback.source', choiceOptions('feedback_sources'), query.source, (v) => go({ source: v })),
    areaFilters(areas, query, go),
    input('filter-month', 'staff.month', { type: 'month', value: query.month, onchange: (e) => go({ month: e.target.value }) }),
    input('filter-q', 'staff.feedback.search', { type: 'search', value: query.q, onchange: (e) => go({ q: e.target.value.trim() }) }));

  let body;
  if (!res.ok) body = notice(res);
  else if (!res.data.items.length) body = h('p', { class: 'empty', 'data-testid': 'feedback-empty' }, t('staff.feedback.empty'));
  else {
    body = [
      table('feedback-list', [
        ['staff.feedback.received', (f) => formatDateTime(f.created_at)],
        ['staff.feedback.receipt', (f) => h('a', { href: `#/feedback/${f.id}`, 'data-testid': 'feedback-open' }, f.receipt_number)],
        ['staff.feedback.category', (f) => label('feedback_categories', f.category)],
        ['staff.feedback.source', (f) => h('span', { 'data-testid': 'feedback-source', 'data-source': f.source }, label('feedback_sources', f.source))],
        ['staff.feedback.from', (f) => whoFrom(f)],
        ['staff.feedback.text', (f) => h('span', { class: 'clip' }, f.text), 'wide'],
        ['staff.feedback.deadline', (f) => f.deadline],
        ['staff.col.status', (f) => statusBadge(f)],
      ], res.data.items, (f) => ({ 'data-testid': 'feedback-row', 'data-id': f.id, 'data-status': f.status })),
      pager(query.page, res.data.total, PER_PAGE, (page) => { location.hash = hashOf('/feedback', { ...query, page }); }),
    ];
  }
  return h('div', { class: 'staff-screen', 'data-testid': 'feedback-page' },
    heading('staff.feedback.title'), filters, body);
}

// --- one feedback -------------------------------------------------------------------------

/** The steps this feedback can take now: assign while unanswered, reply until closed,
 * close once answered. */
export function stepsFor(item, { canAssign }) {
  return {
    assign: canAssign && (item.status === 'received' || item.status === 'assigned'),
    reply: item.status !== 'closed',
    close: item.status === 'replied',
  };
}

export async function renderDetail(app, _query, id) {
  const back = app.lastFeedbackList || '#/feedback';
  const res = await call(app, 'feedbackDetail', id);
  if (!res.ok) {
    return h('div', { class: 'staff-screen' }, heading('staff.feedback.detail', h('a', { class: 'btn', href: back }, t('nav.back'))), notice(res));
  }
  const item = res.data;
  const areas = await regions(app);
  const steps = stepsFor(item, { canAssign: areas.townships.length > 1 });
  const message = h('div', { 'data-testid': 'feedback-message' });
  const act = async (button, name, ...args) => {
    button.disabled = true;
    const done = await call(app, name, item.id, ...args);
    button.disabled = false;
    if (!done.ok) { mount(message, notice(done)); return; }
    app.toast(t(`staff.feedback.done_${name}`));
    app.staffRefresh();
  };

  const township = h('select', { class: 'filter', id: 'feedback-township', 'data-testid': 'feedback-township' },
    h('option', { value: '' }, t('staff.feedback.choose_township')),
    areas.townships.map((r) => h('option', { value: r.id, selected: r.id === item.assigned_region_id }, r.name)));
  const reply = h('textarea', { id: 'feedback-reply', 'data-testid': 'feedback-reply-input', rows: 4, maxlength: 2000 }, item.reply || '');
  const actions = h('div', { class: 'form', 'data-testid': 'feedback-actions' },
    steps.assign ? h('div', { class: 'staff-bar' },
      h('label', { for: 'feedback-township' }, t('staff.feedback.assign_to')), township,
      h('button', {
        type: 'button', class: 'btn', 'data-testid': 'feedback-assign',
        onclick: (e) => {
          if (!township.value) { mount(message, h('p', { class: 'notice error' }, t('staff.feedback.township_required'))); return; }
          act(e.target, 'feedbackAssign', { region_id: township.value });
        },
      }, t('staff.feedback.assign'))) : null,
    steps.reply ? [
      h('label', { for: 'feedback-reply' }, t('staff.feedback.reply_label')), reply,
      h('div', { class: 'staff-bar' },
        h('button', {
          type: 'button', class: 'btn primary', 'data-testid': 'feedback-send-reply',
          onclick: (e) => {
            if (!reply.value.trim()) { mount(message, h('p', { class: 'notice error' }, t('staff.feedback.reply_required'))); return; }
            act(e.target, 'feedbackReply', { reply: reply.value.trim() });
          },
        }, t('staff.feedback.send_reply')),
        steps.close ? h('button', {
          type: 'button', class: 'btn', 'data-testid': 'feedback-close',
          onclick: (e) => { if (window.confirm(t('staff.feedback.close_confirm'))) act(e.target, 'feedbackClose'); },
        }, t('staff.feedback.close')) : null),
    ] : h('p', { class: 'muted', 'data-testid': 'feedback-closed' }, t('staff.feedback.closed_note')));

  return h('div', { class: 'staff-screen', 'data-testid': 'feedback-detail', 'data-id': item.id, 'data-status': item.status },
    heading('staff.feedback.detail', h('a', { class: 'btn', href: back, 'data-testid': 'back' }, t('nav.back'))),
    h('div', { class: 'staff-columns' },
      h('section', { class: 'card' },
        h('h2', null, `${item.receipt_number} · ${label('feedback_categories', item.category)}`),
        h('p', { class: 'feedback-text', 'data-testid': 'feedback-text' }, item.text),
        h('dl', { class: 'facts' },
          fact('staff.col.status', statusBadge(item)),
          fact('staff.feedback.source', item.source === 'liaison' && item.collected_by_name
            ? `${label('feedback_sources', item.source)}（${item.collected_by_name}）` : label('feedback_sources', item.source), 'feedback-source'),
          fact('staff.feedback.received', formatDateTime(item.created_at)),
          fact('staff.feedback.deadline', item.deadline, 'feedback-deadline'),
          fact('staff.feedback.assigned', [item.assigned_region_name, item.assigned_user_name].filter(Boolean).join(' · '), 'feedback-assigned'),
          fact('staff.feedback.reply', item.reply, 'feedback-reply'),
          fact('staff.feedback.replied_at', formatDateTime(item.replied_at)),
          fact('staff.feedback.closed_at', formatDateTime(item.closed_at))),
        actions, message),
      h('section', { class: 'card' },
        h('h2', null, item.beneficiary_name || t('staff.feedback.anonymous')),
        h('dl', { class: 'facts' },
          fact('staff.col.village', item.village_name),
          fact('staff.feedback.card', item.card_number, 'feedback-card'),
          fact('person.phone', item.phone),
          fact('staff.feedback.city', item.city)))));
}
