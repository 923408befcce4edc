// @vitest-environment jsdom
// The text size setting: kept in this phone's localStorage, applied to the root element,
// anything but the three sizes ignored; the picker shows the kept choice and changes it.
import { beforeEach, describe, expect, it } from 'vitest';
import { TEXT_SIZE_KEY, applyTextSize, currentTextSize, setTextSize } from '../src/text-size.js';
import { textSizePicker } from '../src/views/text-size.js';

describe('text size', () => {
  beforeEach(() => {
    localStorage.clear();
    applyTextSize();
  });

  it('is standard until chosen', () => {
    expect(currentTextSize()).toBe('standard');
    expect(document.documentElement.dataset.textSize).toBe('standard');
  });

  it('keeps the choice on the phone and applies it to the root', () => {
    setTextSize('xlarge');
    expect(localStorage.getItem(TEXT_SIZE_KEY)).toBe('xlarge');
    expect(document.documentElement.dataset.textSize).toBe('xlarge');
    document.documentElement.dataset.textSize = '';
    applyTextSize(); // as on the next start
    expect(document.documentElement.dataset.textSize).toBe('xlarge');
  });

  it('ignores a size it does not know', () => {
    setTextSize('huge');
    expect(currentTextSize()).toBe('standard');
    localStorage.setItem(TEXT_SIZE_KEY, '<b>');
    applyTextSize();
    expect(document.documentElement.dataset.textSize).toBe('standard');
  });

  it('the picker shows the kept size and changes it', () => {
    setTextSize('large');
    const picker = textSizePicker();
    expect(picker.querySelector('legend').textContent).toBe('字体大小');
    const labels = [...picker.querySelectorAll('label')].map((l) => l.textContent);
    expect(labels).toEqual(['标准', '大', '特大']);
    expect(picker.querySelector('[data-testid=text-size-large]').checked).toBe(true);
    const standard = picker.querySelector('[data-testid=text-size-standard]');
    standard.checked = true;
    standard.dispatchEvent(new Event('change'));
    expect(localStorage.getItem(TEXT_SIZE_KEY)).toBe('standard');
    expect(document.documentElement.dataset.textSize).toBe('standard');
  });
});
