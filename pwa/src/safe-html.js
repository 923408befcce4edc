// A policy's body comes as HTML the server rendered from Markdown (only the tags below).
// It still goes through this allow-list before it reaches the page: parsed inert
// (DOMParser runs no script and loads nothing), then copied element by element into
// fresh nodes, so nothing the list does not name — a tag, an attribute, an event
// handler, a style, a javascript: link — can reach the DOM, whatever the server sent.

const ALLOWED = new Set([
  'p', 'h2', 'h3', 'h4', 'ul', 'ol', 'li', 'strong', 'em', 'a', 'blockquote',
  'table', 'thead', 'tbody', 'tr', 'th', 'td', 'br', 'hr', 'code', 'pre',
]);
// Dropped with everything inside them: their content is code, styling or another page,
// never text a reader should see.
const DROPPED = new Set([
  'script', 'style', 'iframe', 'frame', 'frameset', 'object', 'embed', 'template', 'noscript',
  'svg', 'math', 'link', 'meta', 'base', 'title', 'textarea', 'select', 'input',
]);
// The server moves every Markdown heading one level down (the page's title is the h1):
// "####" and deeper arrive as h5, h6, shown here as the smallest heading allowed.
const HEADING_AS = { h1: 'h2', h5: 'h4', h6: 'h4' };
const LINK = /^(https?:|mailto:|tel:)/i;
const CELL_SPAN = /^[1-9]\d?$/;

/** Whether an href may stay: http, https, mailto or tel only (no relative, no javascript:). */
export function safeHref(href) {
  // Browsers ignore control characters and spaces inside a scheme ("java\tscript:").
  const bare = String(href ?? '').replace(/[\u0000-\u0020\u007f-\u009f]/g, '');
  return LINK.test(bare) ? String(href).trim() : null;
}

function copyChildren(from, to, doc) {
  for (const child of from.childNodes) {
    const copied = copyNode(child, doc);
    if (copied) to.append(copied);
  }
}

function copyNode(node, doc) {
  if (node.nodeType === 3) return doc.createTextNode(node.nodeValue); // text
  if (node.nodeType !== 1) return null; // comments, processing instructions
  const tag = HEADING_AS[node.localName] || node.localName;
  if (DROPPED.has(tag)) return null;
  if (!ALLOWED.has(tag) || node.namespaceURI !== 'http://www.w3.org/1999/xhtml') {
    // An unknown wrapper (div, span, font …): its text and allowed children stay.
    const fragment = doc.createDocumentFragment();
    copyChildren(node, fragment, doc);
    return fragment;
  }
  if (tag === 'a') {
    const href = safeHref(node.getAttribute('href'));
    if (!href) {
      const fragment = doc.createDocumentFragment();
      copyChildren(node, fragment, doc);
      return fragment;
    }
    const a = doc.createElement('a');
    a.setAttribute('href', href);
    a.setAttribute('rel', 'noopener noreferrer');
    if (/^https?:/i.test(href)) a.setAttribute('target', '_blank');
    copyChildren(node, a, doc);
    return a;
  }
  const el = doc.createElement(tag);
  if (tag === 'th' || tag === 'td') {
    for (const name of ['colspan', 'rowspan']) {
      const value = node.getAttribute(name);
      if (value && CELL_SPAN.test(value)) el.setAttribute(name, value);
    }
  }
  copyChildren(node, el, doc);
  if (tag === 'table') {
    // A wide table scrolls inside its own frame: the page never scrolls sideways at 360 px.
    const frame = doc.createElement('div');
    frame.className = 'table-frame';
    frame.setAttribute('tabindex', '0');
    frame.append(el);
    return frame;
  }
  return el;
}

/**
 * The allowed part of an HTML string as a DocumentFragment of ``doc`` (the page's own
 * document by default); text outside allowed tags is kept as text.
 */
export function sanitizeHtml(html, doc = document) {
  const parsed = new DOMParser().parseFromString(`<!doctype html><body>${String(html ?? '')}`, 'text/html');
  const fragment = doc.createDocumentFragment();
  copyChildren(parsed.body, fragment, doc);
  return fragment;
}
