// Staff roles: their screens are a later, separately loaded bundle. For now a message.
import { h } from '../dom.js';
import { label, t } from '../i18n.js';

export async function render(app) {
  return h('div', { class: 'page', 'data-testid': 'staff-page' },
    h('h1', null, t('staff.title')),
    h('p', { 'data-testid': 'staff-message' }, t('staff.message', { role: label('roles', app.user?.role) })),
    h('a', { class: 'btn big', href: '#/sync', 'data-testid': 'staff-logout' }, t('logout.button')));
}
