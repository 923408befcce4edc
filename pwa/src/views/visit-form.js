// Record or fix a visit (any of the five home services). New monthly visit: defaults
// today + monthly, so tap person → 记录走访 → type → 保存. Photos are shrunk and
// queued on the phone; the location stamp is optional and never blocks saving.
import { uuid } from '../auth.js';
import { MAX_PHOTOS } from '../config.js';
import { h } from '../dom.js';
import { label, t } from '../i18n.js';
import { shrinkPhoto } from '../photos.js';
import { errorsOf, isDeleted } from '../record-state.js';
import { recordDelete, recordChange } from '../sync/outbox.js';
import { queuePhoto } from '../sync/photos.js';
import { META, getMeta } from '../db.js';
import { countyToday } from '../time.js';
import { visitRules } from '../validate.js';
import { errorList, notFound, pageHeader, recordState, stateBadge } from './common.js';
import { createForm } from './form.js';
import { loadPolicies } from './policies.js';
import { discardButton } from './record-form.js';
import { explainedList, policyPicker, serviceChips, serviceOptions } from './visit-outreach.js';

const DETAIL_FIELDS = [
  { name: 'details.living', label: 'visit.details.living', type: 'textarea', max: 1000, for: 'monthly' },
  { name: 'details.production', label: 'visit.details.production', type: 'textarea', max: 1000, for: 'monthly' },
  { name: 'details.health', label: 'visit.details.health', type: 'textarea', max: 1000, for: 'monthly' },
  { name: 'details.illness', label: 'visit.details.illness', type: 'text', max: 200, for: 'sick' },
  { name: 'details.hospital', label: 'visit.details.hospital', type: 'text', max: 100, for: 'sick' },
  { name: 'details.treatment', label: 'visit.details.treatment', type: 'textarea', max: 1000, for: 'sick' },
  { name: 'details.aid_needed', label: 'visit.details.aid_needed', type: 'checkbox', for: 'sick' },
  { name: 'details.difficulty', label: 'visit.details.difficulty', type: 'select', choices: 'hardship_kinds', for: 'hardship' },
  { name: 'details.help_pledged', label: 'visit.details.help_pledged', type: 'textarea', max: 1000, for: 'hardship' },
  { name: 'details.helper', label: 'visit.details.helper', type: 'text', max: 60, for: 'hardship' },
  { name: 'details.plan', label: 'visit.details.plan', type: 'textarea', max: 1000, for: 'hardship' },
  { name: 'details.merit', label: 'visit.details.merit', type: 'textarea', max: 500, for: 'good_news' },
  { name: 'details.award', label: 'visit.details.award', type: 'text', max: 200, for: 'good_news' },
];

// Details of the visit's own type are shown up front for the four occasional services.
function detailFields(initialType) {
  return DETAIL_FIELDS.map((f) => ({
    ...f,
    when: (v) => v.visit_type === f.for,
    section: f.for === 'monthly' || f.for !== initialType ? 'more' : undefined,
  }));
}

export async function render(app, params, query) {
  const { db } = app;
  let visit = null;
  if (params.visitId) {
    visit = await db.visits.get(params.visitId);
    if (!visit || isDeleted(visit)) return notFound('person.not_found');
    if (recordState(visit) === 'conflict') {
      app.navigate(`#/conflict/visit/${visit.id}`, { replace: true });
      return h('div');
    }
  }
  const personId = visit ? visit.beneficiary_id : params.id;
  const person = await db.beneficiaries.get(personId);
  if (!person) return notFound('person.not_found');
  const isNew = !visit;
  const title = t(isNew ? 'visit.new_title' : 'visit.edit_title', { name: person.name });

  if (visit && visit.review_status === 'approved' && recordState(visit) === 'synced') {
    return h('div', { class: 'page' }, pageHeader(title, { back: `#/b/${personId}` }),
      h('p', { class: 'notice', 'data-testid': 'visit-locked' }, t('form.locked')),
      h('p', null, visit.visited_on, ' ', label('visit_types', visit.visit_type)),
      h('p', { class: 'summary' }, visit.summary));
  }

  const type = visit?.visit_type || (query.type in { monthly: 1, sick: 1, hardship: 1, mediation: 1, good_news: 1 } ? query.type : 'monthly');
  const cases = (await db.mediation_cases.where('beneficiary_id').equals(personId).toArray()).filter((c) => !isDeleted(c));
  const draftKey = isNew ? `visit:new:${personId}` : `visit:${visit.id}`;
  let recordId = visit?.id || uuid();
  let location = visit?.location || null;
  let photoIds = [...(visit?.photo_ids || [])];
  let explained = explainedList(visit?.policies_explained);
  let services = Array.isArray(visit?.services) ? [...visit.services] : [];

  const fields = [
    { name: 'visit_type', label: 'visit.type', type: 'select', choices: 'visit_types', required: true, noEmpty: true, nullable: false },
    { name: 'visited_on', label: 'visit.visited_on', type: 'date', required: true, past: true, nullable: false },
    { name: 'case_id', label: 'visit.case', type: 'select', options: cases.map((c) => [c.id, `${label('mediation_kinds', c.kind)} · ${c.parties || ''}`]), when: (v) => v.visit_type === 'mediation' },
    { name: 'summary', label: 'visit.summary', type: 'textarea', required: true, max: 4000, hint: 'visit.summary_hint', rows: 4 },
    ...detailFields(type),
    { name: 'needs', label: 'visit.needs', type: 'textarea', max: 2000, section: 'more' },
    { name: 'actions', label: 'visit.actions', type: 'textarea', max: 2000, section: 'more' },
    { name: 'follow_up_due', label: 'visit.follow_up_due', type: 'date', section: 'more' },
  ];
  const initial = isNew
    ? { visit_type: type, visited_on: countyToday(), case_id: onlyOpenCase(cases) }
    : { ...visit, ...Object.fromEntries(Object.entries(visit.details || {}).map(([k, v]) => [`details.${k}`, v])) };

  // --- photos --------------------------------------------------------------------
  const photoList = h('ul', { class: 'photos', 'data-testid': 'photo-list' });
  const photoStatus = h('p', { class: 'muted', 'data-testid': 'photo-status', role: 'status' });
  const camera = h('input', {
    type: 'file', accept: 'image/*', capture: 'environment', class: 'visually-hidden', id: 'camera', 'data-testid': 'photo-input',
    onchange: async (event) => {
      const files = [...(event.target.files || [])];
      event.target.value = '';
      for (const file of files) {
        if (photoIds.length >= MAX_PHOTOS) { photoStatus.textContent = t('visit.photo_limit', { max: MAX_PHOTOS }); break; }
        photoStatus.textContent = t('visit.photo_busy');
        try {
          const blob = await shrinkPhoto(file);
          const id = uuid();
          await queuePhoto(db, { id, visitId: recordId, blob });
          await db.photos.update(id, { state: 'draft' });
          photoIds.push(id);
          photoStatus.textContent = '';
        } catch {
          photoStatus.textContent = t('visit.photo_failed');
        }
      }
      rememberExtras();
      await drawPhotos();
    },
  });
  async function drawPhotos() {
    const stored = await db.photos.where('id').anyOf(photoIds).toArray();
    const byId = new Map(stored.map((p) => [p.id, p]));
    photoList.replaceChildren(...photoIds.map((id) => {
      const photo = byId.get(id);
      const img = photo?.blob ? h('img', { src: URL.createObjectURL(photo.blob), alt: '', width: 96, height: 96 }) : h('span', { class: 'photo-placeholder' }, '📷');
      return h('li', { 'data-testid': 'photo-item' }, img,
        h('button', {
          type: 'button', class: 'btn small', 'aria-label': t('visit.remove_photo'),
          onclick: async () => {
            photoIds = photoIds.filter((x) => x !== id);
            if (photo?.state === 'draft') await db.photos.delete(id);
            rememberExtras();
            await drawPhotos();
          },
        }, '×'));
    }));
  }
  const photoBlock = h('div', { class: 'field' },
    h('span', { class: 'label' }, t('visit.photos')),
    photoList,
    h('label', { for: 'camera', class: 'btn', 'data-testid': 'take-photo' }, '📷 ', t('visit.take_photo')),
    camera, photoStatus);

  // --- location -------------------------------------------------------------------
  const locationStatus = h('p', { class: 'muted', 'data-testid': 'location-status', role: 'status' });
  function showLocation() {
    locationStatus.textContent = location ? t('visit.location_ok', { accuracy: Math.round(location.accuracy ?? 0) }) : '';
  }
  const locationBlock = h('div', { class: 'field' },
    h('button', {
      type: 'button', class: 'btn', 'data-testid': 'take-location',
      onclick: () => {
        if (!navigator.geolocation) { locationStatus.textContent = t('visit.location_failed'); return; }
        locationStatus.textContent = t('visit.location_busy');
        navigator.geolocation.getCurrentPosition((pos) => {
          location = { lat: pos.coords.latitude, lng: pos.coords.longitude, accuracy: pos.coords.accuracy ?? null };
          rememberExtras();
          showLocation();
        }, () => { locationStatus.textContent = t('visit.location_failed'); }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      },
    }, '📍 ', t('visit.location')),
    h('button', { type: 'button', class: 'btn small', onclick: () => { location = null; rememberExtras(); showLocation(); } }, t('visit.location_clear')),
    locationStatus);

  // --- outreach: the policies explained, the 便民服务 done (drawn once the draft is read) ---
  const [library, settings] = await Promise.all([loadPolicies(db), getMeta(db, META.settings, {})]);
  const outreachBlock = h('div', { class: 'outreach-block', 'data-testid': 'visit-outreach' });
  function drawOutreach() {
    outreachBlock.replaceChildren(...[
      policyPicker({ policies: library, chosen: explained, onChange: (list) => { explained = list; rememberExtras(); } }),
      serviceChips({ services: serviceOptions(settings), chosen: services, onChange: (codes) => { services = codes; rememberExtras(); } }),
    ].filter(Boolean));
  }

  const deleteButton = !isNew
    ? h('button', {
      type: 'button', class: 'btn danger', 'data-testid': 'delete-visit',
      onclick: async () => {
        if (!window.confirm(t('form.confirm_delete'))) return;
        await recordDelete(db, { entity: 'visit', recordId: visit.id });
        await form.dropDraft();
        app.saved();
        app.navigate(`#/b/${personId}`, { replace: true });
      },
    }, t('form.delete'))
    : null;

  const form = createForm({
    fields, initial, db, draftKey, testid: 'visit-form',
    sections: { more: { label: 'form.more' } },
    extra: [outreachBlock, photoBlock, locationBlock],
    onSubmit: save,
  });

  // The hint that fits the chosen type, and the county's 常用语 for it (GET /meta/settings).
  const phrases = settings?.quick_phrases && typeof settings.quick_phrases === 'object' ? settings.quick_phrases : {};
  const summary = form.inputs.get('summary');
  const summaryHint = form.wrappers.get('summary').querySelector('.hint');
  const phraseList = h('ul', { class: 'quick-phrases', 'data-testid': 'quick-phrases', 'aria-label': t('visit.quick_phrases') });
  summary.after(phraseList);
  const newCase = h('a', { class: 'btn', href: `#/b/${personId}/case/new`, 'data-testid': 'visit-new-case' }, t('visit.case_new'));
  form.wrappers.get('case_id').append(cases.length ? newCase : h('p', { class: 'hint', 'data-testid': 'visit-case-none' }, t('visit.case_none'), ' ', newCase));
  function fitType() {
    const current = form.inputs.get('visit_type').value;
    if (summaryHint) summaryHint.textContent = t(`visit.summary_hint_${current}`);
    const list = Array.isArray(phrases[current]) ? phrases[current].filter((p) => typeof p === 'string' && p) : [];
    phraseList.replaceChildren(...list.map((phrase) => h('li', null, h('button', {
      type: 'button', class: 'btn small', 'data-testid': 'quick-phrase',
      onclick: () => {
        summary.value = insertPhrase(summary.value, phrase);
        summary.dispatchEvent(new Event('input', { bubbles: true }));
        summary.focus();
        summary.setSelectionRange?.(summary.value.length, summary.value.length);
      },
    }, phrase))));
    phraseList.hidden = !list.length;
  }
  form.inputs.get('visit_type').addEventListener('change', fitType);

  function rememberExtras() {
    form.setExtraDraft({ record_id: recordId, location, photo_ids: photoIds, policies_explained: explained, services });
  }

  async function save() {
    const values = form.validate(visitRules);
    if (!values) return;
    const details = {};
    for (const key of Object.keys(values)) {
      if (!key.startsWith('details.')) continue;
      const value = values[key];
      delete values[key];
      if (value !== null && value !== false) details[key.slice(8)] = value;
    }
    values.details = details;
    if (values.visit_type !== 'mediation') values.case_id = null;
    values.photo_ids = photoIds;
    values.location = location;
    values.policies_explained = explained;
    values.services = services;
    if (isNew) values.beneficiary_id = personId;
    const local = isNew
      ? { village_id: person.village_id, liaison_id: app.user?.id ?? null, review_status: 'pending' }
      : visit.review_status === 'returned' ? { review_status: 'pending' } : {};
    await recordChange(db, { entity: 'visit', recordId, values, local });
    await db.photos.where('visit_id').equals(recordId).modify((photo) => { if (photo.state === 'draft') photo.state = 'pending'; });
    await form.dropDraft();
    app.toast(t('form.saved'));
    app.saved();
    app.navigate(`#/b/${personId}`, { replace: true });
  }

  const draft = await form.restoreDraft();
  if (draft?.extra) {
    recordId = draft.extra.record_id || recordId;
    location = draft.extra.location ?? location;
    photoIds = draft.extra.photo_ids || photoIds;
    if (Array.isArray(draft.extra.policies_explained)) explained = explainedList(draft.extra.policies_explained);
    if (Array.isArray(draft.extra.services)) services = draft.extra.services;
  }
  drawOutreach();
  if (errorsOf(visit)) form.showErrors(errorsOf(visit));
  showLocation();
  fitType();
  await drawPhotos();

  const state = visit ? recordState(visit) : null;
  const page = h('div', { class: 'page form-page' },
    pageHeader(title, { back: `#/b/${personId}` }),
    visit ? h('p', null, stateBadge(visit)) : null,
    state === 'returned' || (visit?.review_comment && visit.review_status !== 'approved')
      ? h('p', { class: 'review-comment', 'data-testid': 'review-comment' }, t('person.review_comment', { comment: visit.review_comment || '' }))
      : null,
    state === 'rejected' ? h('div', { class: 'notice error', 'data-testid': 'server-errors' }, t('form.server_errors'), errorList(errorsOf(visit))) : null,
    form.el,
    state === 'rejected' ? discardButton(app, 'visit', visit, `#/b/${personId}`, form) : null,
    deleteButton);
  // The cursor in 走访情况 once the page is on screen (it is not yet when render returns).
  if (isNew) focusWhenShown(summary);
  return page;
}

/** A new mediation visit is most often the next step of the person's one open case. */
function onlyOpenCase(cases) {
  const open = cases.filter((c) => c.status !== 'resolved' && c.status !== 'referred');
  return open.length === 1 ? open[0].id : undefined;
}

function focusWhenShown(input, tries = 20) {
  if (input.isConnected) {
    input.focus({ preventScroll: true });
    input.setSelectionRange?.(input.value.length, input.value.length);
  } else if (tries > 0) {
    setTimeout(() => focusWhenShown(input, tries - 1), 25);
  }
}

/** The text with a 常用语 added: on its own, or after a "，" when some is typed already. */
export function insertPhrase(text, phrase) {
  const before = String(text || '').replace(/\s+$/, '');
  if (!before) return phrase;
  return /[，。；！？,.;!?]$/.test(before) ? before + phrase : `${before}，${phrase}`;
}
