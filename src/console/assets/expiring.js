// "Expiring": the certificates of every readable set that expire in the next 7, 30 or 90 days,
// and a bar chart (inline SVG) of certificates per month for the next 12 months, stacked and
// coloured by set. Every number is a server-side $count or @odata.count of an expiry $filter.

import { h, s, clear, num, day, daysUntil, show } from './dom.js';
import { get, count, explain } from './api.js';
import { expiryFilter, isoDate } from './sets.js';
import { listQuery } from './table.js';

const LIST_TOP = 200;

// The 12 buckets: [now, 1st of next month), then whole UTC months.
export function months(now = new Date()) {
  const out = [];
  let from = now;
  for (let i = 0; i < 12; i++) {
    const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + i + 1, 1));
    const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + i, 1));
    out.push({ from, to, label: first.toLocaleString('en', { month: 'short', timeZone: 'UTC' }),
               key: first.toISOString().slice(0, 7) });
    from = to;
  }
  return out;
}

// Runs fns (functions returning promises) at most n at a time.
async function pool(fns, n) {
  const out = new Array(fns.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, fns.length) }, async () => {
    while (next < fns.length) {
      const i = next++;
      out[i] = await fns[i]();
    }
  }));
  return out;
}

export function expiringView(main, sets, openDetail) {
  const windowSel = h('fieldset.windows', {}, h('legend', {}, 'Expiring within'),
    [7, 30, 90].map((n) => h('label.radio', {},
      h('input', { type: 'radio', name: 'days', value: n, checked: n === 30,
                   on: { change: () => list(n) } }), n + ' days')));
  const listBox = h('div.expiring-list', { 'aria-live': 'polite' });
  const chartBox = h('figure.chart', { 'aria-labelledby': 'chart-title' },
    h('figcaption#chart-title', {}, 'Certificates expiring per month, next 12 months'), h('p', {}, 'Loading…'));
  main.append(h('h1', { tabindex: -1 }, 'Expiring certificates'), chartBox, windowSel, listBox);
  list(30);
  chart();

  async function list(days) {
    clear(listBox).append(h('p', {}, 'Loading…'));
    const now = new Date();
    const to = new Date(now.getTime() + days * 86400000);
    try {
      const parts = await Promise.all(sets.map(async (set) => {
        const r = await get(set.path + listQuery({ top: LIST_TOP, filter: expiryFilter(set, now, to),
                                                   orderby: set.expiry + ' asc' }));
        return { set, total: r.data['@odata.count'], rows: r.data.value };
      }));
      const rows = parts.flatMap((p) => p.rows.map((e) => ({ set: p.set, e, at: e[p.set.expiry] })))
        .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
      const total = parts.reduce((n, p) => n + p.total, 0);
      clear(listBox).append(
        h('p.summary', { dataset: { total, days, from: isoDate(now), to: isoDate(to) } }, num(total) + ' certificate' + (total === 1 ? '' : 's') +
          ' expire' + (total === 1 ? 's' : '') + ' within ' + days + ' days: ' +
          parts.map((p) => p.set.short + ' ' + num(p.total)).join(', ') + '.'),
        h('div.scroll', { tabindex: 0, role: 'region', 'aria-label': 'Expiring certificates (scrolls sideways)' },
          h('table.data', {}, h('caption.sr-only', {}, 'Certificates expiring within ' + days + ' days'),
            h('thead', {}, h('tr', {}, ['Set', 'Certificate', 'Expires', 'Days left'].map((t) => h('th', { scope: 'col' }, t)))),
            h('tbody', {}, rows.length ? rows.map(({ set, e, at }) => h('tr', { dataset: { id: e.id, set: set.key } },
              h('td', {}, h('span.swatch.set-' + set.key, { 'aria-hidden': 'true' }), set.short),
              h('td', {}, h('button.link', { type: 'button', on: { click: () => openDetail(set, e.id) } },
                show(e[set.label] ?? e.id))),
              h('td', {}, day(at)), h('td', {}, String(daysUntil(at)))))
              : h('tr', {}, h('td', { colspan: 4 }, 'None.'))))),
        parts.some((p) => p.total > p.rows.length)
          ? h('p.note', {}, 'The table lists the first ' + LIST_TOP + ' of each set.') : '');
    } catch (e) {
      clear(listBox).append(h('p.error', { role: 'alert' }, explain(e)));
    }
  }

  async function chart() {
    const ms = months();
    try {
      const counts = await pool(sets.flatMap((set) => ms.map((m) => () => count(set.path, expiryFilter(set, m.from, m.to)))), 6);
      const grid = sets.map((set, i) => ms.map((m, j) => counts[i * ms.length + j]));
      drawChart(chartBox, sets, ms, grid);
    } catch (e) {
      clear(chartBox).append(h('p.error', { role: 'alert' }, explain(e)));
    }
  }
}

function drawChart(box, sets, ms, grid) {
  const W = 720, H = 300, left = 44, bottom = 28, top = 12, right = 8;
  const totals = ms.map((_, j) => sets.reduce((n, _s, i) => n + grid[i][j], 0));
  const max = Math.max(1, ...totals);
  const step = Math.max(1, niceStep(max));
  const ymax = Math.ceil(max / step) * step;
  const y = (v) => top + (H - top - bottom) * (1 - v / ymax);
  const bw = (W - left - right) / ms.length;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'bars',
    'aria-label': 'Bar chart: certificates expiring per month. ' +
      ms.map((m, j) => m.label + ' ' + totals[j]).join(', ') });
  for (let v = 0; v <= ymax; v += step) {
    svg.append(s('line', { x1: left, x2: W - right, y1: y(v), y2: y(v), class: 'grid' }),
      s('text', { x: left - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, num(v)));
  }
  ms.forEach((m, j) => {
    let acc = 0;
    const x = left + j * bw + bw * 0.15;
    sets.forEach((set, i) => {
      const n = grid[i][j];
      const r = s('rect', { x, width: bw * 0.7, y: y(acc + n), height: y(acc) - y(acc + n),
        class: 'bar set-' + set.key,
        'data-set': set.key, 'data-month': m.key, 'data-count': n,
        'data-from': isoDate(m.from), 'data-to': isoDate(m.to) },
        s('title', {}, set.short + ', ' + m.key + ': ' + n));
      svg.append(r);
      acc += n;
    });
    svg.append(s('text', { x: x + bw * 0.35, y: H - 10, class: 'axis', 'text-anchor': 'middle' }, m.label));
  });
  const legend = h('ul.legend', {}, sets.map((set) => h('li', {},
    h('span.swatch.set-' + set.key, { 'aria-hidden': 'true' }), set.short)));
  const table = h('details.chart-data', {}, h('summary', {}, 'Chart data as a table'),
    h('div.scroll', {}, h('table.data', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Month'), sets.map((set) => h('th', { scope: 'col' }, set.short)))),
      h('tbody', {}, ms.map((m, j) => h('tr', {}, h('th', { scope: 'row' }, m.key),
        sets.map((_set, i) => h('td', {}, String(grid[i][j])))))))));
  const caption = box.querySelector('figcaption');
  clear(box).append(caption, svg, legend, table);
  box.dataset.ready = 'true';
}

function niceStep(max) {
  const raw = max / 5;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 5, 10]) if (raw <= m * p) return m * p;
  return 10 * p;
}
