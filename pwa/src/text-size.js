// The text size chosen on this phone (标准 / 大 / 特大), kept in localStorage — it is a
// setting of the phone, not personal data — and applied to the root element, whose font
// size every size in the CSS follows (rem / em). main.js imports this module first, so
// the size is set before the app draws anything and no screen jumps after it opens.
// The phone's own font scaling multiplies with it: the root's 112.5 % is of the
// browser's default size (16 px unless the phone is set larger; see index.html's
// <meta name="text-scale">).

export const TEXT_SIZES = ['standard', 'large', 'xlarge'];
export const TEXT_SIZE_KEY = 'lianxin.text-size';

export function currentTextSize() {
  try {
    const stored = localStorage.getItem(TEXT_SIZE_KEY);
    return TEXT_SIZES.includes(stored) ? stored : 'standard';
  } catch {
    return 'standard'; // storage refused (private mode): the standard size
  }
}

export function applyTextSize(size = currentTextSize()) {
  document.documentElement.dataset.textSize = TEXT_SIZES.includes(size) ? size : 'standard';
}

export function setTextSize(size) {
  if (!TEXT_SIZES.includes(size)) return;
  try { localStorage.setItem(TEXT_SIZE_KEY, size); } catch { /* applied for this visit only */ }
  applyTextSize(size);
}

if (typeof document !== 'undefined') applyTextSize();
