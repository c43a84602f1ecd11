// The device certificates report (managedAllDeviceCertificateState): device, user, thumbprint,
// issuer, expiry and revoke status, filtered by a search and a revoke status, and exported as
// CSV: every row of the current filter and sort, fetched page by page from the server.

import { h } from './dom.js';
import { all, explain } from './api.js';
import { byKey, REPORT_COLUMNS, REVOKE_STATUSES, lit } from './sets.js';
import { makeTable, listQuery } from './table.js';

// One CSV field (RFC 4180). A value a spreadsheet would run as a formula (= + - @, tab, CR)
// gets a leading apostrophe.
export function csvField(v) {
  let t = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(t)) t = "'" + t;
  return /[",\r\n]/.test(t) ? '"' + t.replace(/"/g, '""') + '"' : t;
}

export function toCsv(columns, rows) {
  const lines = [['id', ...columns.map(([p]) => p)].map(csvField).join(',')];
  for (const e of rows) lines.push([e.id, ...columns.map(([p]) => e[p])].map(csvField).join(','));
  return lines.join('\r\n') + '\r\n';
}

export function reportView(main, openDetail) {
  const set = byKey('device');
  const status = h('select#report-status', { name: 'status', on: { change: () => t.first() } },
    h('option', { value: '' }, 'any'), REVOKE_STATUSES.map((v) => h('option', { value: v }, v)));
  const t = makeTable({
    set, columns: REPORT_COLUMNS, title: 'Device certificates report',
    onOpen: (e) => openDetail(set, e.id, () => t.reload()),
    extraFilter: () => (status.value ? 'certificateRevokeStatus eq ' + lit(status.value) : ''),
    controls: [h('div.field', {}, h('label', { for: 'report-status' }, 'Revoke status'), status)],
  });
  const note = h('p.note', { role: 'status' });
  const exportBtn = h('button#export-csv', { type: 'button', on: { click: exportCsv } }, 'Export CSV');
  main.append(h('h1', { tabindex: -1 }, 'Device certificates report'),
    h('p', {}, 'Certificates issued to managed devices. Export CSV writes every row of the current filter and sort.'),
    t.el, h('div.actions', {}, exportBtn, note));

  async function exportCsv() {
    exportBtn.disabled = true;
    note.textContent = 'Exporting…';
    try {
      const rows = await all(set.path + listQuery({ top: 1000, filter: t.filter(), orderby: t.orderby() }));
      const blob = new Blob([toCsv(REPORT_COLUMNS, rows)], { type: 'text/csv;charset=utf-8' });
      const url = URL.createObjectURL(blob);
      const a = h('a', { href: url, download: 'device-certificates.csv', hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      note.textContent = 'Exported ' + rows.length + ' row' + (rows.length === 1 ? '' : 's') + '.';
    } catch (e) {
      note.textContent = explain(e);
    } finally {
      exportBtn.disabled = false;
    }
  }
}
