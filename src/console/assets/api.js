// The console's only way to the server: the public Graph endpoints of this origin, each call
// with the user's bearer token from sessionStorage (this tab only; never localStorage, never a
// cookie, never a URL query). Errors become ApiError with the Graph error's code and message.

const KEY = 'graphcerts.token';

export function getToken() {
  return sessionStorage.getItem(KEY);
}
export function setToken(t) {
  sessionStorage.setItem(KEY, t.trim().replace(/^Bearer\s+/i, '')); // a pasted header value too
}
export function dropToken() {
  sessionStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// Same-origin path of a URL the server made (nextLink is absolute and may name another host
// when --public-url is set; the console only ever talks to its own origin).
export function local(url) {
  const u = new URL(url, location.origin);
  return u.pathname + u.search;
}

// method, path (same origin), {body, etag (→ If-Match), text: true for a text/plain answer}.
// Resolves {status, data, etag}; rejects with ApiError.
export async function call(method, path, opts = {}) {
  const headers = { Authorization: 'Bearer ' + getToken(), Accept: 'application/json' };
  let body;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  if (opts.etag) headers['If-Match'] = opts.etag;
  let r;
  try {
    r = await fetch(local(path), { method, headers, body, cache: 'no-store', credentials: 'omit',
                                   referrerPolicy: 'no-referrer', redirect: 'error' });
  } catch (e) {
    throw new ApiError(0, 'NetworkError', 'The server could not be reached (' + e.message + ').');
  }
  const text = await r.text();
  let data = text;
  if (text && !opts.text) {
    try { data = JSON.parse(text); } catch { /* not JSON: keep the text */ }
  }
  if (!r.ok) {
    const e = data && typeof data === 'object' && data.error ? data.error : {};
    throw new ApiError(r.status, e.code || 'HTTP' + r.status,
                       e.message || (typeof data === 'string' && data) || r.statusText);
  }
  return { status: r.status, data, etag: r.headers.get('ETag') };
}

export const get = (path, opts) => call('GET', path, opts);

// GET path/$count (with an optional $filter) as a number.
export async function count(path, filter) {
  const q = filter ? '?$filter=' + encodeURIComponent(filter) : '';
  const r = await call('GET', path + '/$count' + q, { text: true });
  return Number(String(r.data).trim());
}

// Every entity of a query, following @odata.nextLink (at most limit entities).
export async function all(path, limit = 100000) {
  const out = [];
  let next = path;
  while (next && out.length < limit) {
    const r = await get(next);
    out.push(...r.data.value);
    next = r.data['@odata.nextLink'];
  }
  return out;
}

// What to tell the user about a failed call.
export function explain(err) {
  if (!(err instanceof ApiError)) return String(err && err.message ? err.message : err);
  switch (err.status) {
    case 401: return 'Your token was refused (' + err.message + ') Sign in again.';
    case 403: {
      const m = /following scopes: (.*)$/.exec(err.message);
      return m ? 'Permission missing: this needs ' + m[1].replace(/, /g, ' or ') + '.'
               : 'Permission missing: ' + err.message;
    }
    case 404: return 'Not found: ' + err.message;
    case 412: return 'Changed by someone else — reload to see the current version.';
    default: return err.status ? err.status + ' ' + err.code + ': ' + err.message : err.message;
  }
}
