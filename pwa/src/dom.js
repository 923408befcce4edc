// A tiny DOM helper: h('button', {class: 'big', onclick, 'data-testid': 'save'}, t('save')).

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value == null || value === false) continue;
      if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
      else if (key === 'class') el.className = value;
      else if (key === 'text') el.textContent = value;
      else if (key === 'value' || key === 'checked' || key === 'hidden' || key === 'disabled' || key === 'selected') el[key] = value;
      else el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child == null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function mount(parent, ...children) {
  clear(parent);
  append(parent, children);
  return parent;
}

/**
 * Like mount, for a screen built afresh while someone may be typing in it (the list
 * refreshed by a sync): the field that had focus is found again by its data-testid and
 * keeps focus, its text and its caret, so the refresh never takes a keystroke away.
 */
export function remount(parent, ...children) {
  const active = document.activeElement;
  const testid = active && active !== parent && parent.contains(active) ? active.dataset?.testid : null;
  const field = testid && 'value' in active ? { value: active.value, start: caret(active, 'selectionStart'), end: caret(active, 'selectionEnd') } : null;
  mount(parent, ...children);
  if (!testid) return parent;
  const again = [...parent.querySelectorAll('[data-testid]')].find((el) => el.dataset.testid === testid);
  if (!again) return parent;
  if (field && 'value' in again && again.value !== field.value && again.type !== 'checkbox' && again.type !== 'radio') again.value = field.value;
  again.focus({ preventScroll: true });
  if (field?.start != null) {
    try { again.setSelectionRange(field.start, field.end); } catch { /* a field without a caret */ }
  }
  return parent;
}

function caret(el, key) {
  try { return typeof el[key] === 'number' ? el[key] : null; } catch { return null; }
}

/** Calls fn once, delay ms after the last call. */
export function debounce(fn, delay) {
  let timer = null;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => { timer = null; fn(...args); }, delay);
  };
  debounced.flush = (...args) => { if (timer) { clearTimeout(timer); timer = null; fn(...args); } };
  debounced.cancel = () => { clearTimeout(timer); timer = null; };
  return debounced;
}
