// The console's entry: sign-in (a pasted token, or #token=... in the URL fragment, which is
// taken into sessionStorage and removed from the address at once), the sets the token may read
// (each asked for its $count: a 403 hides it), the navigation and the views behind #/... routes.

import { h, clear, show, day } from './dom.js';
import { getToken, setToken, dropToken, count, call, explain, ApiError } from './api.js';
import { SETS, byKey } from './sets.js';
import { makeTable } from './table.js';
import { openDetail } from './detail.js';
import { expiringView } from './expiring.js';
import { reportView } from './report.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const signoutBtn = document.getElementById('signout');
let readable = null; // the sets this token may read, once known

function status(text) {
  document.getElementById('status').textContent = text;
}

// A token in the fragment (the link `make run` prints): keep it in this tab only and take it
// out of the address bar and history.
function takeFragmentToken() {
  const m = /^#token=([^&]*)/.exec(location.hash);
  if (!m) return;
  const t = decodeURIComponent(m[1]);
  history.replaceState(null, '', location.pathname + '#/');
  if (t) setToken(t);
}

function signInView(message) {
  readable = null;
  nav.hidden = true;
  signoutBtn.hidden = true;
  const input = h('textarea#token', { name: 'token', rows: 4, autocomplete: 'off', spellcheck: 'false',
    required: true, 'aria-describedby': 'token-help' });
  const form = h('form.signin', { on: { submit: (e) => {
    e.preventDefault();
    setToken(input.value);
    input.value = '';
    start();
  } } },
    h('label', { for: 'token' }, 'Bearer token'), input,
    h('p#token-help.help', {}, 'A Graph access token (JWT) for this server, e.g. one from ',
      h('code', {}, 'graphcerts token'), '. It is kept in this tab’s session storage only and sent to this server only.'),
    h('button', { type: 'submit' }, 'Sign in'));
  clear(main).append(h('h1', { tabindex: -1 }, 'Sign in'),
    message ? h('p.error', { role: 'alert' }, message) : '', form);
  document.title = 'Sign in · graphcerts console';
  input.focus();
}

function signOut() {
  dropToken();
  location.hash = '#/';
  signInView('Signed out.');
}

async function findReadable() {
  const res = await Promise.all(SETS.map(async (set) => {
    try {
      return { set, n: await count(set.path) };
    } catch (e) {
      if (e instanceof ApiError && e.status === 403) return { set, denied: e };
      throw e;
    }
  }));
  return res;
}

async function start() {
  takeFragmentToken();
  if (!getToken()) return signInView();
  clear(main).append(h('p', {}, 'Checking what this token may read…'));
  let res;
  try {
    res = await findReadable();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      dropToken();
      return signInView(explain(e));
    }
    clear(main).append(h('h1', {}, 'The server did not answer'), h('p.error', { role: 'alert' }, explain(e)));
    return;
  }
  readable = res.filter((r) => !r.denied).map((r) => r.set);
  if (!readable.length) {
    dropToken();
    return signInView('This token may read none of the certificate sets: ' + explain(res[0].denied));
  }
  clear(nav).append(h('ul', {},
    h('li', {}, h('a', { href: '#/expiring' }, 'Expiring')),
    readable.map((set) => h('li', {}, h('a', { href: '#/set/' + set.key }, set.short))),
    readable.some((s) => s.key === 'device') ? h('li', {}, h('a', { href: '#/report' }, 'Device report')) : null));
  nav.hidden = false;
  signoutBtn.hidden = false;
  route();
}

function route() {
  if (!readable) return;
  takeFragmentToken();
  if (location.hash && !location.hash.startsWith('#/')) return; // not a view
  const [, kind, arg] = /^#\/([a-z]*)\/?([A-Za-z]*)/.exec(location.hash) || [];
  const d = document.getElementById('detail');
  if (d.open) d.close();
  clear(main);
  for (const a of nav.querySelectorAll('a')) {
    if (a.getAttribute('href') === location.hash) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  let title;
  if (kind === 'set' && readable.includes(byKey(arg))) {
    title = setView(byKey(arg));
  } else if (kind === 'report' && readable.some((s) => s.key === 'device')) {
    reportView(main, openDetail);
    title = 'Device report';
  } else {
    if (kind !== 'expiring') history.replaceState(null, '', location.pathname + '#/expiring');
    expiringView(main, readable, openDetail);
    title = 'Expiring';
  }
  document.title = title + ' · graphcerts console';
  const h1 = main.querySelector('h1');
  if (h1) h1.focus();
}

function setView(set) {
  const t = makeTable({ set, columns: set.columns, title: set.title,
    onOpen: (e) => openDetail(set, e.id, () => t.reload()) });
  main.append(h('h1', { tabindex: -1 }, set.title), set.upload ? uploadForm(set, () => t.first()) : '', t.el);
  return set.short;
}

function base64(buf) {
  const bytes = new Uint8Array(buf);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

// Upload a code-signing certificate (DER or PEM): POST {content}; the server parses it and
// answers with subject, issuer and expiry, which are shown.
function uploadForm(set, onDone) {
  const file = h('input#upload-file', { type: 'file', name: 'certificate', required: true,
    accept: '.cer,.crt,.der,.pem,application/pkix-cert,application/x-pem-file' });
  const result = h('div#upload-result', { role: 'status', 'aria-live': 'polite' });
  const form = h('form.upload', { on: { submit: async (e) => {
    e.preventDefault();
    const f = file.files[0];
    if (!f) return;
    clear(result).append(h('p', {}, 'Uploading ' + f.name + '…'));
    try {
      const r = await call('POST', set.path, { body: { content: base64(await f.arrayBuffer()) } });
      const c = r.data;
      clear(result).append(h('p.ok', {}, 'Uploaded ' + f.name + ': the server read it as'),
        h('dl.props', {}, [['Subject', 'subject'], ['Subject name', 'subjectName'], ['Issuer', 'issuer'],
          ['Expires', 'expirationDateTime'], ['Status', 'status'], ['Id', 'id']]
          .map(([label, p]) => [h('dt', {}, label), h('dd', { dataset: { prop: p } },
            p === 'expirationDateTime' ? day(c[p]) + ' (' + show(c[p]) + ')' : show(c[p]))])));
      form.reset();
      onDone();
    } catch (err) {
      clear(result).append(h('p.error', { role: 'alert' }, explain(err)));
    }
  } } },
    h('h2', {}, 'Upload a code-signing certificate'),
    h('div.field', {}, h('label', { for: 'upload-file' }, 'Certificate file (DER or PEM)'), file),
    h('button', { type: 'submit' }, 'Upload'), result);
  return form;
}

signoutBtn.addEventListener('click', signOut);
document.querySelector('a.skip').addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});
window.addEventListener('hashchange', route);
document.getElementById('loading')?.remove();
start().catch((e) => status(explain(e)));
