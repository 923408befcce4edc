// The shape shared by the smaller forms (health file, health event, case, session,
// contact card, contact log, beneficiary): load → form → validate → recordChange → back.
import { uuid } from '../auth.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { errorsOf } from '../record-state.js';
import { discardRejected } from '../sync/conflicts.js';
import { recordChange } from '../sync/outbox.js';
import { errorList, pageHeader, recordState, stateBadge } from './common.js';
import { createForm } from './form.js';

export function recordFormPage(app, {
  entity, row = null, title, back, fields, initial = {}, rules = [], fixed = {}, local = {}, testid, toValues = (v) => v,
}) {
  if (row && recordState(row) === 'conflict') {
    app.navigate(`#/conflict/${entity}/${row.id}`, { replace: true });
    return h('div');
  }
  const recordId = row?.id || uuid();
  const form = createForm({
    fields, initial: row ? { ...initial, ...row } : initial, db: app.db,
    draftKey: row ? `${entity}:${row.id}` : `${entity}:new:${JSON.stringify(fixed)}`,
    testid, onSubmit: save,
  });

  async function save() {
    const values = form.validate(...rules);
    if (!values) return;
    await recordChange(app.db, { entity, recordId, values: { ...toValues(values), ...(row ? {} : fixed) }, local });
    await form.dropDraft();
    app.toast(t('form.saved'));
    app.saved();
    app.navigate(back, { replace: true });
  }

  const page = h('div', { class: 'page form-page' },
    pageHeader(title, { back }),
    row ? h('p', null, stateBadge(row)) : null,
    row && recordState(row) === 'rejected'
      ? h('div', { class: 'notice error', 'data-testid': 'server-errors' }, t('form.server_errors'), errorList(errorsOf(row))) : null,
    form.el,
    row && recordState(row) === 'rejected' ? discardButton(app, entity, row, back, form) : null);
  form.restoreDraft().then(() => { if (errorsOf(row)) form.showErrors(errorsOf(row)); });
  return page;
}

export function discardButton(app, entity, row, back, form) {
  return h('button', {
    type: 'button', class: 'btn danger big', 'data-testid': 'discard',
    onclick: async () => {
      if (!window.confirm(t('form.confirm_discard'))) return;
      await discardRejected(app.db, entity, row.id);
      await form.dropDraft();
      app.saved();
      app.navigate(back, { replace: true });
    },
  }, t('form.discard'));
}
