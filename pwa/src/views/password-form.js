// 修改密码: the current password, the new one twice. Online only (the server checks the
// current password); used by the liaison app (#/password) and the staff screens.
import { h, mount } from '../dom.js';
import { t } from '../i18n.js';
import { pageHeader } from './common.js';
import { textSizePicker } from './text-size.js';

/** The form; ``done()`` runs after the server accepted the change. */
export function passwordForm(app, { done }) {
  const field = (name, labelKey, autocomplete) => {
    const input = h('input', {
      id: `pw-${name}`, type: 'password', autocomplete, 'data-testid': `pw-${name}`, required: true, maxlength: 200,
    });
    const error = h('p', { class: 'error', 'data-testid': `pw-${name}-error`, hidden: true });
    return { input, error, el: h('div', { class: 'field' }, h('label', { for: `pw-${name}` }, t(labelKey)), input, error) };
  };
  const current = field('current', 'password.current', 'current-password');
  const fresh = field('new', 'password.new', 'new-password');
  const again = field('again', 'password.again', 'new-password');
  const message = h('div', { 'data-testid': 'pw-message' });
  const submit = h('button', { type: 'submit', class: 'btn primary big', 'data-testid': 'pw-submit' }, t('password.submit'));

  const show = (target, text) => { target.error.textContent = text; target.error.hidden = !text; };
  return h('form', {
    class: 'form', 'data-testid': 'password-form', novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      for (const target of [current, fresh, again]) show(target, '');
      mount(message);
      if (!current.input.value) { show(current, t('v.required')); return; }
      if (!fresh.input.value) { show(fresh, t('v.required')); return; }
      if (fresh.input.value !== again.input.value) { show(again, t('password.mismatch')); return; }
      submit.disabled = true;
      const res = await app.session.call('changePassword', {
        current_password: current.input.value, new_password: fresh.input.value,
      });
      submit.disabled = false;
      if (res.ok) {
        for (const target of [current, fresh, again]) target.input.value = '';
        app.toast(t('password.changed'));
        done();
        return;
      }
      const errors = res.error?.errors || {};
      if (errors.current_password) show(current, errors.current_password.join('；'));
      if (errors.new_password) show(fresh, errors.new_password.join('；'));
      if (!errors.current_password && !errors.new_password) {
        mount(message, h('p', { class: 'notice error', role: 'alert', 'data-testid': 'pw-error' },
          res.status === 0 ? t('password.offline') : res.error?.detail || t('password.failed')));
      }
    },
  },
  h('p', { class: 'muted' }, t('password.rules')),
  current.el, fresh.el, again.el, message, h('div', { class: 'actions' }, submit));
}

/** The liaison's screen: back to 同步与设置 when done. */
export function render(app) {
  return h('div', { class: 'page', 'data-testid': 'password-page' },
    pageHeader(t('password.title'), { back: '#/sync' }),
    passwordForm(app, { done: () => app.navigate('#/sync') }));
}

/** The staff screen: back to the review queue when done. */
export function renderStaff(app) {
  return h('div', { class: 'staff-screen staff-narrow', 'data-testid': 'password-page' },
    h('div', { class: 'page-head' }, h('h1', { 'data-testid': 'page-title' }, t('password.title'))),
    passwordForm(app, { done: () => { location.hash = '#/review'; } }),
    h('section', { class: 'card' }, textSizePicker()));
}
