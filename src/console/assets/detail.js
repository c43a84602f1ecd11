// The detail panel (a modal dialog): every property of one entity, its ETag and the raw JSON,
// with the actions, each sent with If-Match of the version shown: mark a device certificate for
// revocation (certificateRevokeStatus → pending) and delete (after a confirmation). A 412 means
// someone changed it since: the panel says so and offers to reload.

import { h, clear, show } from './dom.js';
import { get, call, explain } from './api.js';

const dlg = () => document.getElementById('detail');
const entityPath = (set, id) => set.path + '/' + encodeURIComponent(id);

// Asks a yes/no question in the confirmation dialog; resolves true for yes.
export function confirmDialog(title, text, yes) {
  const d = document.getElementById('confirm');
  return new Promise((resolve) => {
    const done = (v) => { d.close(); resolve(v); };
    const no = h('button', { type: 'button', on: { click: () => done(false) } }, 'Cancel');
    clear(d).append(h('h2#confirm-title', {}, title), h('p', {}, text),
      h('div.actions', {}, h('button.danger', { type: 'button', on: { click: () => done(true) } }, yes), no));
    d.addEventListener('cancel', () => resolve(false), { once: true });
    d.showModal();
    no.focus();
  });
}

// Opens the panel for set's entity id; onChanged() runs after a successful write.
export async function openDetail(set, id, onChanged) {
  const d = dlg();
  let cur = null; // {data, etag}
  const title = h('h2#detail-title', { tabindex: -1 }, 'Loading…');
  const msg = h('p.error', { role: 'alert', hidden: true });
  const okMsg = h('p.ok', { role: 'status', hidden: true });
  const body = h('div.detail-body');
  const actions = h('div.actions');
  clear(d).append(h('div.detail-head', {}, title,
    h('button.quiet', { type: 'button', 'aria-label': 'Close details', on: { click: () => d.close() } }, '✕')),
    msg, okMsg, body, actions);
  if (!d.open) d.showModal();

  function fail(e) {
    msg.textContent = explain(e);
    msg.dataset.status = e.status || '';
    msg.hidden = false;
    okMsg.hidden = true;
  }
  function done(text) {
    okMsg.textContent = text;
    okMsg.hidden = false;
    msg.hidden = true;
  }

  async function load() {
    try {
      const r = await get(entityPath(set, id));
      cur = { data: r.data, etag: r.etag };
      render();
      return true;
    } catch (e) {
      title.textContent = set.short + ' certificate';
      fail(e);
      return false;
    }
  }

  function render() {
    const e = cur.data;
    title.textContent = set.short + ': ' + show(e[set.label] ?? e.id);
    const props = Object.entries(e).filter(([k]) => !k.startsWith('@odata.context'));
    clear(body).append(
      h('dl.props', {}, props.map(([k, v]) => [h('dt', {}, k), h('dd', { dataset: { prop: k } }, show(v))])),
      h('p.etag', {}, 'ETag: ', h('code#detail-etag', {}, cur.etag || '—')),
      h('details.raw', { open: true }, h('summary', {}, 'Raw JSON'),
        h('pre#detail-json', { tabindex: 0 }, JSON.stringify(e, null, 2))));
    clear(actions);
    if (set.revocable) {
      actions.append(h('button#revoke', { type: 'button', disabled: e.certificateRevokeStatus === 'pending',
        on: { click: revoke } }, 'Mark for revocation'));
    }
    actions.append(
      h('button#delete.danger', { type: 'button', on: { click: del } }, 'Delete'),
      h('button#reload', { type: 'button', on: { click: reload } }, 'Reload'),
      h('button', { type: 'button', on: { click: () => d.close() } }, 'Close'));
  }

  async function reload() {
    if (await load()) {
      msg.hidden = true;
      done('Reloaded: this is the current version.');
    }
  }

  async function revoke() {
    try {
      const r = await call('PATCH', entityPath(set, id), { etag: cur.etag,
        body: { certificateRevokeStatus: 'pending' } });
      cur = { data: r.data, etag: r.etag || cur.etag };
      render();
      done('Marked for revocation (certificateRevokeStatus: pending).');
      onChanged && onChanged();
    } catch (e) { fail(e); }
  }

  async function del() {
    const name = show(cur.data[set.label] ?? id);
    if (!await confirmDialog('Delete this certificate?', 'Delete “' + name + '” (' + id + ')? This cannot be undone.', 'Delete')) {
      return;
    }
    try {
      await call('DELETE', entityPath(set, id), { etag: cur.etag });
      clear(body);
      clear(actions).append(h('button', { type: 'button', on: { click: () => d.close() } }, 'Close'));
      done('Deleted.');
      onChanged && onChanged();
    } catch (e) { fail(e); }
  }

  await load();
  title.focus();
}
