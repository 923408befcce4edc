// Small pieces shared by the screens: page header, state badges, record errors.
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { recordState, stateLabel } from '../record-state.js';
import { flattenErrors } from './form.js';

// The screens read a record's sync state through record-state.js.
export { recordState };

export function stateBadge(row, testid = 'state-badge') {
  const state = recordState(row);
  return h('span', { class: `badge state-${state}`, 'data-testid': testid, 'data-state': state }, stateLabel(row));
}

export function pageHeader(title, { back = '#/', actions = [] } = {}) {
  return h('div', { class: 'page-head' },
    back ? h('a', { class: 'btn back', href: back, 'data-testid': 'back', 'aria-label': t('nav.back') }, '‹ ', t('nav.back')) : null,
    h('h1', { 'data-testid': 'page-title' }, title),
    actions);
}

/** The server's per-field rejection, shown under a record in a list. */
export function errorList(errors) {
  const flat = flattenErrors(errors);
  const items = Object.entries(flat).map(([field, messages]) => h('li', { 'data-field': field }, messages.join('；')));
  return items.length ? h('ul', { class: 'record-errors', 'data-testid': 'record-errors' }, items) : null;
}

export function factRow(labelKey, value, testid) {
  if (value === null || value === undefined || value === '') return null;
  return h('div', { class: 'fact', 'data-testid': testid }, h('dt', null, t(labelKey)), h('dd', null, String(value)));
}

export function section(titleKey, testid, ...children) {
  return h('section', { class: 'card', 'data-testid': testid }, h('h2', null, t(titleKey)), ...children);
}

export function notFound(key) {
  return h('div', { class: 'page' }, pageHeader(t(key)), h('p', { class: 'empty', 'data-testid': 'not-found' }, t(key)));
}
