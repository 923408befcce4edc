// One entry of a contact card's log: a call, a message, a visit.
import { t } from '../i18n.js';
import { countyToday } from '../time.js';
import { notFound } from './common.js';
import { recordFormPage } from './record-form.js';

const FIELDS = [
  { name: 'contacted_on', label: 'log.contacted_on', type: 'date', required: true, past: true, nullable: false },
  { name: 'channel', label: 'log.channel', type: 'select', choices: 'contact_channels', required: true, nullable: false },
  { name: 'notes', label: 'log.notes', type: 'textarea', required: true, max: 4000, rows: 4 },
];

export async function render(app, { cardId, logId }) {
  const row = logId ? await app.db.contact_logs.get(logId) : null;
  if (logId && !row) return notFound('person.not_found');
  const card = await app.db.contact_cards.get(row ? row.card_id : cardId);
  if (!card) return notFound('person.not_found');
  const person = await app.db.beneficiaries.get(card.beneficiary_id);
  return recordFormPage(app, {
    entity: 'contact_log', row, title: t('log.title', { name: person?.name || card.beneficiary_name || '' }),
    back: `#/b/${card.beneficiary_id}`, fields: FIELDS, initial: { contacted_on: countyToday(), channel: 'phone' },
    fixed: { card_id: card.id }, local: { village_id: card.village_id }, testid: 'contact-log-form',
  });
}
