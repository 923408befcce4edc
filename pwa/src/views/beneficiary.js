// One beneficiary: facts, health file and events, visit history with each record's
// state, mediation cases, and (for migrants) the contact card and its log.
import { h } from '../dom.js';
import { formatYuan, label, t } from '../i18n.js';
import { errorsOf, isDeleted, isSynced } from '../record-state.js';
import { maskIdNumber } from '../validate.js';
import { errorList, factRow, notFound, pageHeader, recordState, section, stateBadge } from './common.js';

const OTHER_VISIT_TYPES = ['sick', 'hardship', 'mediation', 'good_news'];

export async function loadPerson(db, id) {
  const person = await db.beneficiaries.get(id);
  if (!person) return null;
  const [healthFile, events, visits, cases, card] = await Promise.all([
    db.health_files.where('beneficiary_id').equals(id).first(),
    db.health_events.where('beneficiary_id').equals(id).toArray(),
    db.visits.where('[beneficiary_id+visited_on]').between([id, ''], [id, '\uffff']).reverse().toArray(),
    db.mediation_cases.where('beneficiary_id').equals(id).toArray(),
    db.contact_cards.where('beneficiary_id').equals(id).first(),
  ]);
  const opinions = (await db.opinions.where('beneficiary_id').equals(id).toArray()).filter((o) => !isDeleted(o))
    .sort((a, b) => (b.collected_on || '').localeCompare(a.collected_on || ''));
  const logs = card ? await db.contact_logs.where('card_id').equals(card.id).toArray() : [];
  const photos = await db.photos.where('visit_id').anyOf(visits.map((v) => v.id)).toArray();
  return {
    person, healthFile, card,
    events: events.filter((e) => !isDeleted(e)).sort((a, b) => (b.occurred_on || '').localeCompare(a.occurred_on || '')),
    visits: visits.filter((v) => !isDeleted(v)),
    cases: cases.filter((c) => !isDeleted(c)).sort((a, b) => (b.opened_on || '').localeCompare(a.opened_on || '')),
    logs: logs.filter((l) => !isDeleted(l)).sort((a, b) => (b.contacted_on || '').localeCompare(a.contacted_on || '')),
    photos, opinions,
  };
}

function recordLink(row, entity, editHref) {
  const state = recordState(row);
  return state === 'conflict' ? `#/conflict/${entity}/${row.id}` : editHref;
}

function visitItem(visit, photos) {
  const state = recordState(visit);
  const count = (visit.photo_ids || []).length;
  return h('li', { class: `record state-${state}`, 'data-testid': 'visit-row', 'data-id': visit.id, 'data-state': state },
    h('a', { href: recordLink(visit, 'visit', `#/visit/${visit.id}`), class: 'row-link' },
      h('span', { class: 'line' },
        h('b', null, visit.visited_on || ''), ' ',
        h('span', null, label('visit_types', visit.visit_type)), ' ',
        stateBadge(visit)),
      h('span', { class: 'summary' }, visit.summary || ''),
      count ? h('span', { class: 'muted' }, t('person.photos', { count }), photos.some((p) => p.state === 'pending') ? ` · ${t('state.queued')}` : '') : null),
    state === 'returned' && visit.review_comment
      ? h('p', { class: 'review-comment', 'data-testid': 'review-comment' }, t('person.review_comment', { comment: visit.review_comment }))
      : null,
    state === 'rejected' ? errorList(errorsOf(visit)) : null);
}

function simpleItem(row, entity, href, testid, ...content) {
  const state = recordState(row);
  return h('li', { class: `record state-${state}`, 'data-testid': testid, 'data-id': row.id, 'data-state': state },
    h('a', { href: recordLink(row, entity, href), class: 'row-link' }, h('span', { class: 'line' }, ...content, ' ', stateBadge(row))),
    state === 'rejected' ? errorList(errorsOf(row)) : null);
}

export async function render(app, { id }) {
  const data = await loadPerson(app.db, id);
  if (!data) return notFound('person.not_found');
  const { person, healthFile, events, visits, cases, card, logs, photos, opinions } = data;
  const yes = (v) => (v ? t('person.yes') : null);

  const facts = section('person.facts', 'person-facts',
    h('dl', { class: 'facts' },
      factRow('person.category', label('beneficiary_categories', person.category), 'fact-category'),
      factRow('person.disability_grade', person.disability_grade ? t('person.grade', { grade: person.disability_grade }) : null),
      factRow('person.sex', label('sex', person.sex)),
      factRow('person.birth_date', person.birth_date),
      factRow('person.id_number', person.id_number ? maskIdNumber(person.id_number) : null, 'fact-id-number'),
      factRow('person.phone', person.phone, 'fact-phone'),
      factRow('person.address', person.address),
      factRow('person.status', label('beneficiary_status', person.status)),
      factRow('person.five_elders', yes(person.is_five_elders)),
      factRow('person.migrant', yes(person.is_migrant)),
      factRow('person.work_city', person.work_city),
      factRow('person.notes', person.notes)),
    !isSynced(person) ? h('p', null, stateBadge(person)) : null,
    recordState(person) === 'rejected' ? errorList(errorsOf(person)) : null,
    h('a', { class: 'btn', href: recordLink(person, 'beneficiary', `#/b/${id}/edit`), 'data-testid': 'edit-person' }, t('person.edit')));

  const visitButtons = h('div', { class: 'visit-actions' },
    h('a', { class: 'btn primary big', href: `#/b/${id}/visit/new`, 'data-testid': 'record-visit' }, t('person.record_visit')),
    h('div', { class: 'grid2' }, OTHER_VISIT_TYPES.map((type) => h('a', {
      class: 'btn', href: `#/b/${id}/visit/new?type=${type}`, 'data-testid': `record-visit-${type}`,
    }, label('visit_types', type)))));

  const photosByVisit = (visitId) => photos.filter((p) => p.visit_id === visitId);
  const history = section('person.visits', 'visit-history',
    visits.length
      ? h('ul', { class: 'records' }, visits.map((v) => visitItem(v, photosByVisit(v.id))))
      : h('p', { class: 'empty' }, t('person.visits_none')));

  const health = section('person.health', 'health',
    healthFile
      ? h('div', null,
        h('dl', { class: 'facts' },
          factRow('health.conditions', healthFile.conditions),
          factRow('health.disability', healthFile.disability),
          factRow('health.insurance', label('insurance', healthFile.insurance)),
          factRow('health.family_doctor', healthFile.family_doctor),
          factRow('health.medications', healthFile.medications),
          factRow('health.last_checkup', healthFile.last_checkup)),
        !isSynced(healthFile) ? stateBadge(healthFile, 'health-file-state') : null,
        recordState(healthFile) === 'rejected' ? errorList(errorsOf(healthFile)) : null)
      : h('p', { class: 'empty' }, t('person.health_none')),
    h('a', { class: 'btn', href: healthFile ? recordLink(healthFile, 'health_file', `#/b/${id}/health`) : `#/b/${id}/health`, 'data-testid': 'edit-health' }, t('person.health_edit')),
    h('h3', null, t('person.health_events')),
    h('ul', { class: 'records' }, events.map((e) => simpleItem(e, 'health_event', `#/health-event/${e.id}`, 'health-event-row',
      h('b', null, e.occurred_on || ''), ' ', label('health_event_kinds', e.kind), ' ',
      e.aid_amount_fen != null ? formatYuan(e.aid_amount_fen) : '', ' ', e.description || ''))),
    h('a', { class: 'btn', href: `#/b/${id}/health-event/new`, 'data-testid': 'add-health-event' }, t('person.health_event_add')));

  const mediation = section('person.cases', 'cases',
    cases.length
      ? h('ul', { class: 'records' }, cases.map((c) => simpleItem(c, 'mediation_case', `#/case/${c.id}`, 'case-row',
        h('b', null, label('mediation_kinds', c.kind)), ' ', label('mediation_status', c.status), ' ', c.parties || '')))
      : h('p', { class: 'empty' }, t('person.cases_none')),
    h('a', { class: 'btn', href: `#/b/${id}/case/new`, 'data-testid': 'add-case' }, t('person.case_add')));

  // 群众意见 (#19): what this person asked or complained about, and the replies (views/opinions.js)
  const heard = section('person.opinions', 'person-opinions',
    opinions.length
      ? h('ul', { class: 'records' }, opinions.map((o) => simpleItem(o, 'opinion', `#/opinions/${o.id}`, 'person-opinion-row',
        h('b', null, o.collected_on || ''), ' ', label('feedback_categories', o.category), ' ',
        o.status ? label('feedback_status', o.status) : '', ' ', String(o.text || '').split('\n')[0])))
      : null,
    h('a', { class: 'btn', href: `#/b/${id}/opinion/new`, 'data-testid': 'record-opinion' }, t('person.record_opinion')));

  const contact = person.is_migrant || card
    ? section('person.card', 'contact-card',
      card
        ? h('div', null,
          h('dl', { class: 'facts' },
            factRow('card.card_number', card.card_number, 'card-number'),
            factRow('card.work_city', [card.work_province, card.work_city].filter(Boolean).join(' ')),
            factRow('card.employer', card.employer),
            factRow('card.phone', card.phone),
            factRow('card.emergency_contact', card.emergency_contact),
            factRow('card.last_contact_on', card.last_contact_on),
            factRow('card.issued_on', card.issued_on)),
          !isSynced(card) ? stateBadge(card, 'card-state') : null,
          recordState(card) === 'rejected' ? errorList(errorsOf(card)) : null,
          h('a', { class: 'btn', href: recordLink(card, 'contact_card', `#/b/${id}/card`), 'data-testid': 'edit-card' }, t('person.card_edit')),
          h('h3', null, t('person.contact_logs')),
          h('ul', { class: 'records' }, logs.map((l) => simpleItem(l, 'contact_log', `#/log/${l.id}`, 'contact-log-row',
            h('b', null, l.contacted_on || ''), ' ', label('contact_channels', l.channel), ' ', l.notes || ''))),
          h('a', { class: 'btn', href: `#/card/${card.id}/log/new`, 'data-testid': 'add-contact-log' }, t('person.contact_log_add')))
        : h('div', null, h('p', { class: 'empty' }, t('person.card_none')),
          h('a', { class: 'btn', href: `#/b/${id}/card`, 'data-testid': 'edit-card' }, t('person.card_add'))))
    : null;

  return h('div', { class: 'page person-page', 'data-testid': 'person-page', 'data-id': id },
    pageHeader(person.name, { back: '#/' }),
    visitButtons, history, heard, facts, health, mediation, contact);
}

export const live = true;
