// Hash routes ("#/b/<id>/visit/new?type=sick"): the server needs only to serve index.html at /.

export function compile(pattern) {
  const names = [];
  const source = pattern.replace(/:(\w+)/g, (_, name) => { names.push(name); return '([^/]+)'; });
  return { regex: new RegExp(`^${source}$`), names };
}

export function parseHash(hash) {
  const raw = (hash || '').replace(/^#/, '') || '/';
  const [path, search = ''] = raw.split('?');
  return { path: path || '/', query: Object.fromEntries(new URLSearchParams(search)) };
}

export function createRouter(table) {
  const routes = table.map(([pattern, load, extra = {}]) => ({ pattern, load, extra, ...compile(pattern) }));
  return {
    match(hash) {
      const { path, query } = parseHash(hash);
      for (const route of routes) {
        const found = route.regex.exec(path);
        if (!found) continue;
        const params = { ...route.extra };
        route.names.forEach((name, i) => { params[name] = decodeURIComponent(found[i + 1]); });
        return { route, params, query, path };
      }
      return null;
    },
  };
}

/** The hash route a notice's link opens ("#/case/…"), when its path matches one of
 * ``patterns`` (a link is an app route, with or without its "#"); else null. */
export function linkedRoute(link, patterns) {
  const path = String(link || '').replace(/^#/, '');
  return patterns.some((pattern) => pattern.test(path)) ? `#${path}` : null;
}

const ENROLL = /^#\/enroll\/([A-Za-z0-9_-]{8,200})\/?$/;

/** The one-time code of an enrollment slip's address (#/enroll/<code>), or null. */
export function enrollCodeIn(hash) {
  const found = ENROLL.exec(hash || '');
  return found ? found[1] : null;
}
