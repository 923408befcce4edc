// Login: once online; afterwards the app works offline. "again" mode after the refresh
// token expired: the outbox stays and is pushed after the liaison signs in. With an
// enrollment code (the slip's QR code opened #/enroll/<code>) the phone signs in with it
// at once; if the slip is refused, the page says why and what to do, above the form.
import { enrollIn, signIn, unsentCount } from '../auth.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { textSizePicker } from './text-size.js';

export async function render(app, params = {}) {
  const again = Boolean(params.again);
  const previous = again ? await app.session.user() : null;
  const count = again ? await unsentCount(app.db) : 0;
  const username = h('input', {
    id: 'login-username', name: 'username', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false',
    'data-testid': 'login-username', required: true, value: previous?.username || '',
  });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', 'data-testid': 'login-password', required: true });
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'login-error', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn primary big', 'data-testid': 'login-submit' }, t('login.submit'));

  const form = h('form', {
    class: 'form login', 'data-testid': 'login-form',
    onsubmit: async (event) => {
      event.preventDefault();
      error.hidden = true;
      if (!username.value.trim() || !password.value) {
        error.textContent = t('v.required');
        error.hidden = false;
        return;
      }
      submit.disabled = true;
      submit.textContent = t('login.busy');
      const res = await signIn(app.db, app.api, app.session, { username: username.value.trim(), password: password.value });
      submit.disabled = false;
      submit.textContent = t('login.submit');
      if (res.ok) {
        password.value = '';
        await app.afterLogin(res.user, { again });
        return;
      }
      if (res.status === 0) error.textContent = t('login.offline');
      else if (res.error?.code === 'other_user') error.textContent = t('login.other_user', { username: res.error.username });
      else error.textContent = res.error?.detail || t('login.failed');
      error.hidden = false;
    },
  },
  h('div', { class: 'field' }, h('label', { for: 'login-username' }, t('login.username')), username),
  h('div', { class: 'field' }, h('label', { for: 'login-password' }, t('login.password')), password),
  error, h('div', { class: 'actions' }, submit));

  const enrolling = params.enrollCode ? enrollWith(app, params.enrollCode, { again }) : null;
  return h('div', { class: 'page login-page', 'data-testid': again ? 'relogin-page' : 'login-page' },
    h('div', { class: 'brand' }, h('img', { src: '/icons/icon-192.png', alt: '', width: 72, height: 72 }), h('h1', null, t('app.title'))),
    h('h2', null, t(again ? 'login.again_title' : 'login.title')),
    enrolling,
    params.signedOut === 'idle' ? h('p', { class: 'notice', role: 'alert', 'data-testid': 'login-idle' }, t('login.idle')) : null,
    h('p', { class: again ? 'notice' : 'muted', 'data-testid': again ? 'relogin-hint' : null }, again ? t('login.again_hint', { count }) : t('login.hint')),
    form,
    textSizePicker(),
    again ? h('a', { class: 'btn', href: '#/sync', 'data-testid': 'relogin-logout' }, t('logout.button')) : null);
}

const ENROLL_REFUSALS = {
  enroll_used_elsewhere: 'enroll.used_elsewhere',
  enroll_expired: 'enroll.expired',
  enroll_revoked: 'enroll.revoked',
  enroll_unknown: 'enroll.unknown',
};

/** The notice of a sign-in with an enrollment code: busy, then (if refused) why. */
function enrollWith(app, code, { again }) {
  const status = h('p', { class: 'notice', role: 'status', 'data-testid': 'enroll-status' }, t('enroll.busy'));
  const box = h('div', { class: 'enroll', 'data-testid': 'enroll' }, status);
  (async () => {
    const res = await enrollIn(app.db, app.api, app.session, code);
    if (res.ok) {
      await app.afterLogin(res.user, { again });
      return;
    }
    status.setAttribute('role', 'alert');
    status.className = 'notice error';
    status.dataset.testid = 'enroll-error';
    if (res.status === 0) status.textContent = t('enroll.offline');
    else if (res.error?.code === 'other_user') status.textContent = t('login.other_user', { username: res.error.username });
    else if (ENROLL_REFUSALS[res.error?.code]) status.textContent = t(ENROLL_REFUSALS[res.error.code]);
    else status.textContent = res.error?.detail || t('enroll.failed');
    box.append(h('p', { class: 'muted' }, t('enroll.or_password')));
  })();
  return box;
}
