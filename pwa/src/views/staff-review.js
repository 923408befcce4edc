// Review: the queue with filters and bulk approval, and one visit's full content with
// photos (read with the token, shown as blob URLs) and location; approve or return.
import { h, mount } from '../dom.js';
import { label, t } from '../i18n.js';
import { maskIdNumber } from '../validate.js';
import {
  areaFilters, call, choiceOptions, fact, formatDateTime, hashOf, heading, input, notice, pager,
  problemText, regions, select, table, thisMonth,
} from './staff-common.js';

const PER_PAGE = 50;
const DETAIL_FIELDS = {
  monthly: ['living', 'production', 'health'],
  sick: ['illness', 'hospital', 'treatment', 'aid_needed'],
  hardship: ['difficulty', 'help_pledged', 'helper', 'plan'],
  good_news: ['merit', 'award'],
  mediation: [],
};

function statusBadge(status) {
  return h('span', { class: `badge review-${status}`, 'data-testid': 'review-status', 'data-status': status }, label('review_status', status));
}

function queueQuery(query) {
  return {
    township_id: query.township_id || '', village_id: query.village_id || '', visit_type: query.visit_type || '',
    month: query.month ?? thisMonth(), review_status: query.review_status ?? 'pending', q: query.q || '',
    page: Number(query.page) || 1,
  };
}

export async function renderQueue(app, rawQuery) {
  const query = queueQuery(rawQuery);
  const go = (changes) => { location.hash = hashOf('/review', { ...query, page: 1, ...changes }); };
  app.lastQueue = hashOf('/review', query);
  const areas = await regions(app);
  const apiQuery = { ...query, per_page: PER_PAGE, review_status: query.review_status === 'all' ? '' : query.review_status };
  const res = await call(app, 'reviewQueue', apiQuery);

  const filters = h('div', { class: 'staff-filters', 'data-testid': 'review-filters' },
    areaFilters(areas, query, go),
    select('filter-type', 'staff.visit_type', choiceOptions('visit_types'), query.visit_type, (v) => go({ visit_type: v })),
    input('filter-month', 'staff.month', { type: 'month', value: query.month, onchange: (e) => go({ month: e.target.value }) }),
    select('filter-status', 'staff.review_status', [['all', t('staff.all')], ...choiceOptions('review_status').slice(1)],
      query.review_status, (v) => go({ review_status: v })),
    input('filter-q', 'staff.search_name', { type: 'search', value: query.q, onchange: (e) => go({ q: e.target.value.trim() }) }));

  const message = h('div', { 'data-testid': 'review-message' });
  const bulk = query.village_id && query.month
    ? h('button', {
      type: 'button', class: 'btn primary', 'data-testid': 'bulk-approve',
      onclick: async (event) => {
        const village = areas.byId[query.village_id]?.name || '';
        if (!window.confirm(t('staff.review.bulk_confirm', { village, month: query.month }))) return;
        event.target.disabled = true;
        const done = await call(app, 'approveVillage', {
          village_id: query.village_id, month: query.month, ...(query.visit_type ? { visit_type: query.visit_type } : {}),
        });
        event.target.disabled = false;
        if (!done.ok) { mount(message, notice(done)); return; }
        app.toast(t('staff.review.bulk_done', { count: done.data.approved, returned: done.data.skipped_returned }));
        app.staffRefresh();
      },
    }, t('staff.review.bulk', { month: query.month }))
    : h('p', { class: 'muted' }, t('staff.review.bulk_hint'));

  let body;
  if (!res.ok) body = notice(res);
  else if (!res.data.items.length) body = h('p', { class: 'empty', 'data-testid': 'review-empty' }, t('staff.review.empty'));
  else {
    body = [
      table('review-queue', [
        ['staff.col.date', (v) => v.visited_on],
        ['staff.col.type', (v) => label('visit_types', v.visit_type)],
        ['staff.col.person', (v) => h('a', { href: `#/review/${v.id}`, 'data-testid': 'review-open' }, v.beneficiary_name)],
        ['staff.col.village', (v) => `${v.township_name} ${v.village_name}`],
        ['staff.col.liaison', (v) => v.liaison_name],
        ['staff.col.summary', (v) => h('span', { class: 'clip' }, v.summary), 'wide'],
        ['staff.col.status', (v) => [statusBadge(v.review_status), v.review_comment ? h('div', { class: 'muted small' }, v.review_comment) : null]],
      ], res.data.items, (v) => ({ 'data-testid': 'review-row', 'data-id': v.id, 'data-status': v.review_status })),
      pager(query.page, res.data.total, PER_PAGE, (page) => { location.hash = hashOf('/review', { ...query, page }); }),
    ];
  }
  return h('div', { class: 'staff-screen', 'data-testid': 'review-page' },
    heading('staff.review.title'), filters, h('div', { class: 'staff-bar' }, bulk), message, body);
}

// --- one visit ------------------------------------------------------------------------

function detailValue(name, value) {
  if (typeof value === 'boolean') return t(value ? 'person.yes' : 'person.no');
  if (name === 'difficulty') return label('hardship_kinds', value);
  return value;
}

async function photoList(app, photos) {
  if (!photos.length) return null;
  const items = await Promise.all(photos.map(async (photo) => {
    if (!photo.uploaded) return h('li', { class: 'photo-missing', 'data-testid': 'photo-missing' }, t('staff.review.photo_missing'));
    const res = await call(app, 'attachment', photo.id);
    if (!res.ok) return h('li', { class: 'photo-missing' }, problemText(res));
    const url = URL.createObjectURL(res.data);
    return h('li', null, h('a', { href: url, target: '_blank', rel: 'noopener' },
      h('img', { src: url, alt: t('visit.photos'), class: 'staff-photo', 'data-testid': 'review-photo' })));
  }));
  return h('ul', { class: 'staff-photos' }, items);
}

function locationFact(location) {
  if (!location) return null;
  const text = `${location.lat.toFixed(6)}, ${location.lng.toFixed(6)}${location.accuracy ? t('staff.review.accuracy', { m: Math.round(location.accuracy) }) : ''}`;
  const map = `https://uri.amap.com/marker?position=${location.lng},${location.lat}&coordinate=wgs84&callnative=0`;
  return fact('staff.review.location', [h('span', { 'data-testid': 'review-location' }, text), ' ',
    h('a', { href: map, target: '_blank', rel: 'noopener noreferrer' }, t('staff.review.map'))]);
}

function history(entries) {
  return h('ol', { class: 'history', 'data-testid': 'review-history' }, entries.map((e) => h('li', null,
    `${formatDateTime(e.at)} ${e.username || ''} ${t(`staff.history.${e.action}`)}`,
    e.comment ? `：${e.comment}` : '')));
}

export async function renderDetail(app, _query, id) {
  const back = app.lastQueue || '#/review';
  const res = await call(app, 'reviewDetail', id);
  if (!res.ok) {
    return h('div', { class: 'staff-screen' }, heading('staff.review.detail', h('a', { class: 'btn', href: back }, t('nav.back'))), notice(res));
  }
  const { visit, beneficiary: person } = res.data;
  const details = (DETAIL_FIELDS[visit.visit_type] || [])
    .map((name) => fact(`visit.details.${name}`, detailValue(name, visit.details?.[name])));
  const message = h('div', { 'data-testid': 'review-message' });
  const comment = h('textarea', { id: 'review-comment', 'data-testid': 'review-comment-input', rows: 3, maxlength: 1000 });
  const decide = async (decision, button) => {
    if (decision === 'return' && !comment.value.trim()) {
      mount(message, h('p', { class: 'notice error' }, t('staff.review.comment_required')));
      return;
    }
    button.disabled = true;
    const done = await call(app, 'reviewVisit', visit.id, { decision, comment: comment.value.trim() || null });
    button.disabled = false;
    if (!done.ok) { mount(message, notice(done)); return; }
    app.toast(t(decision === 'approve' ? 'staff.review.approved' : 'staff.review.returned'));
    location.hash = back;
  };
  const actions = visit.review_status === 'approved'
    ? h('p', { class: 'muted', 'data-testid': 'review-locked' }, t('staff.review.locked'))
    : h('div', { class: 'form', 'data-testid': 'review-actions' },
      h('label', { for: 'review-comment' }, t('staff.review.comment')), comment,
      h('div', { class: 'staff-bar' },
        h('button', { type: 'button', class: 'btn primary', 'data-testid': 'review-approve', onclick: (e) => decide('approve', e.target) }, t('staff.review.approve')),
        h('button', { type: 'button', class: 'btn danger', 'data-testid': 'review-return', onclick: (e) => decide('return', e.target) }, t('staff.review.return'))));

  return h('div', { class: 'staff-screen', 'data-testid': 'review-detail', 'data-id': visit.id },
    heading('staff.review.detail', h('a', { class: 'btn', href: back, 'data-testid': 'back' }, t('nav.back'))),
    h('div', { class: 'staff-columns' },
      h('section', { class: 'card' },
        h('h2', null, `${label('visit_types', visit.visit_type)} · ${visit.visited_on}`),
        h('dl', { class: 'facts' },
          fact('staff.col.status', statusBadge(visit.review_status)),
          fact('staff.review.comment_current', visit.review_comment, 'review-current-comment'),
          fact('staff.review.reviewer', res.data.reviewer_name),
          fact('visit.summary', visit.summary, 'review-summary'),
          fact('visit.needs', visit.needs), fact('visit.actions', visit.actions),
          fact('visit.follow_up_due', visit.follow_up_due),
          details,
          res.data.case ? fact('visit.case', `${label('mediation_kinds', res.data.case.kind)} · ${res.data.case.parties} · ${label('mediation_status', res.data.case.status)}`) : null,
          (visit.policies_explained || []).length
            ? fact('staff.review.policies', h('ul', { class: 'plain', 'data-testid': 'review-policies' },
              visit.policies_explained.map((p) => h('li', null, p.title)))) : null,
          (visit.services || []).length
            ? fact('staff.review.services', visit.services.map((code) => label('services', code)).join('、'), 'review-services') : null,
          fact('staff.col.liaison', res.data.liaison_name),
          locationFact(visit.location)),
        await photoList(app, res.data.photos),
        actions, message),
      h('section', { class: 'card' },
        h('h2', null, person.name),
        h('dl', { class: 'facts' },
          fact('staff.col.village', `${res.data.township_name || ''} ${res.data.village_name}`),
          fact('person.id_number', person.id_number ? maskIdNumber(person.id_number) : null), fact('person.sex', label('sex', person.sex)),
          fact('person.birth_date', person.birth_date), fact('person.phone', person.phone),
          fact('person.address', person.address), fact('person.category', label('beneficiary_categories', person.category)),
          fact('person.disability_grade', person.disability_grade ? t('person.grade', { grade: person.disability_grade }) : null),
          fact('person.migrant', person.is_migrant ? t('person.yes') : null)),
        h('h3', null, t('staff.review.history')), history(res.data.history))));
}
