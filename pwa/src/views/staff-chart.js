// A small SVG bar chart (no library, nothing inline that the CSP would block): one
// horizontal bar per row, its value written at the end. Loaded only by the dashboard.
const SVG = 'http://www.w3.org/2000/svg';

function el(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * rows: [{label, value (0…max or null), text, tone?}]; returns an <svg> whose bars scale
 * to ``max`` (1 for rates). Tones: "ok", "warn", "bad" colour the bar by CSS class.
 */
export function barChart(rows, { max = 1, title = '', testid = 'chart', labelWidth = 110 } = {}) {
  const rowHeight = 26;
  const width = 640;
  const barArea = width - labelWidth - 150;
  const height = rows.length * rowHeight + 8;
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': title, 'data-testid': testid });
  if (title) svg.append(el('title', {}, title));
  rows.forEach((row, index) => {
    const y = 4 + index * rowHeight;
    const value = row.value ?? 0;
    const length = max > 0 ? Math.max(0, Math.min(1, value / max)) * barArea : 0;
    const group = el('g', { class: 'chart-row', 'data-testid': `${testid}-bar`, 'data-label': row.label, 'data-value': row.value ?? '' });
    group.append(
      el('text', { x: labelWidth - 6, y: y + 17, 'text-anchor': 'end', class: 'chart-label' }, row.label),
      el('rect', { x: labelWidth, y: y + 4, width: barArea, height: rowHeight - 8, class: 'chart-track' }),
      el('rect', { x: labelWidth, y: y + 4, width: length.toFixed(1), height: rowHeight - 8, class: `chart-bar ${row.tone || ''}` }),
      el('text', { x: labelWidth + barArea + 6, y: y + 17, class: 'chart-value' }, row.text ?? String(value)));
    svg.append(group);
  });
  return svg;
}

/**
 * The tone of a completion rate: green from 95 %, amber from 80 %, red below — once the
 * month's visit day has passed. Before it (``late`` false) a low rate is work in
 * progress: never red or amber, only green when nearly done.
 */
export function rateTone(rate, { late = true } = {}) {
  if (rate === null || rate === undefined) return '';
  if (rate >= 0.95) return 'ok';
  if (!late) return '';
  if (rate >= 0.8) return 'warn';
  return 'bad';
}

/** Age buckets ("0-7", "8-30", "31-90", "90+") youngest first, by their first number. */
export function byAge(buckets) {
  return Object.entries(buckets).sort(([a], [b]) => parseInt(a, 10) - parseInt(b, 10));
}
