// The text size picker (标准 / 大 / 特大): on the login screen, the sync and settings page
// and the staff password page. Each choice is shown in its own size.
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { TEXT_SIZES, currentTextSize, setTextSize } from '../text-size.js';

export function textSizePicker() {
  const current = currentTextSize();
  return h('fieldset', { class: 'text-size', 'data-testid': 'text-size' },
    h('legend', null, t('text_size.title')),
    h('div', { class: 'text-size-choices' }, TEXT_SIZES.map((size) => h('label', { class: `text-size-choice size-${size}` },
      h('input', {
        type: 'radio', name: 'text-size', value: size, checked: size === current, 'data-testid': `text-size-${size}`,
        onchange: () => setTextSize(size),
      }),
      h('span', null, t(`text_size.${size}`))))),
    h('p', { class: 'hint' }, t('text_size.hint')));
}
