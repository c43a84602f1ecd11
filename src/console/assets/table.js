// A paged, sortable, searchable table over one entity set. Search is a server-side $filter,
// sorting a server-side $orderby, paging follows @odata.nextLink (earlier pages are kept as the
// links that made them), and the total comes from @odata.count.

import { h, clear, show, day, num } from './dom.js';
import { get, explain } from './api.js';
import { searchFilter, and } from './sets.js';

const DATE = /DateTime$|Date$/;

// Query string of a list: $count, $top, $filter, $orderby.
export function listQuery({ top, filter, orderby }) {
  let q = '?$count=true';
  if (top) q += '&$top=' + top;
  if (filter) q += '&$filter=' + encodeURIComponent(filter);
  if (orderby) q += '&$orderby=' + encodeURIComponent(orderby);
  return q;
}

export function cellText(prop, v) {
  return DATE.test(prop) && typeof v === 'string' ? day(v) : show(v);
}

// opts: set, columns [[prop, heading]], title, onOpen(entity), controls (extra nodes in the
// toolbar), extraFilter() → $filter part, pageSize. Returns {el, reload, filter, orderby}.
export function makeTable(opts) {
  const { set, columns } = opts;
  const st = { q: '', sort: null, dir: 'asc', top: opts.pageSize || 100, links: [], page: 0 };
  const uid = 't-' + set.key + '-' + Math.random().toString(36).slice(2, 7);

  const search = h('input#' + uid + '-q', { type: 'search', name: 'q', autocomplete: 'off',
    placeholder: set.search.join(', ') });
  const size = h('select#' + uid + '-size', { name: 'size',
    on: { change: () => { st.top = Number(size.value); first(); } } },
    [25, 50, 100, 200, 500, 1000].map((n) => h('option', { value: n, selected: n === st.top }, String(n))));
  const form = h('form.toolbar', { role: 'search', on: { submit: (e) => { e.preventDefault(); st.q = search.value; first(); } } },
    h('div.field', {}, h('label', { for: uid + '-q' }, 'Search ' + opts.title.toLowerCase()), search),
    h('button', { type: 'submit' }, 'Search'),
    opts.controls || [],
    h('div.field', {}, h('label', { for: uid + '-size' }, 'Rows per page'), size));
  const summary = h('p.summary', { 'aria-live': 'polite' });
  const thead = h('thead');
  const tbody = h('tbody');
  const tbl = h('table.data', {}, h('caption.sr-only', {}, opts.title), thead, tbody);
  const prev = h('button', { type: 'button', on: { click: () => go(st.page - 1) } }, '← Previous page');
  const next = h('button', { type: 'button', on: { click: () => go(st.page + 1) } }, 'Next page →');
  const error = h('p.error', { role: 'alert', hidden: true });
  const el = h('section.table-view', {}, form, error, summary,
    h('div.scroll', { tabindex: 0, role: 'region', 'aria-label': opts.title + ' (scrolls sideways)' }, tbl),
    h('nav.pager', { 'aria-label': 'Pages' }, prev, next));

  function filter() {
    return and(searchFilter(set, st.q), opts.extraFilter ? opts.extraFilter() : '');
  }
  function orderby() {
    return st.sort ? st.sort + ' ' + st.dir : '';
  }

  function head() {
    clear(thead).append(h('tr', {}, columns.map(([p, label]) => {
      const sorted = st.sort === p;
      const arrow = sorted ? (st.dir === 'asc' ? ' ▲' : ' ▼') : '';
      return h('th', { scope: 'col', 'aria-sort': sorted ? (st.dir === 'asc' ? 'ascending' : 'descending') : 'none' },
        h('button.sort', { type: 'button', dataset: { sort: p },
          'aria-label': 'Sort by ' + label + (sorted ? (st.dir === 'asc' ? ', now ascending' : ', now descending') : ''),
          on: { click: () => sortBy(p) } }, label, arrow));
    })));
  }

  function sortBy(p) {
    if (st.sort === p) st.dir = st.dir === 'asc' ? 'desc' : 'asc';
    else { st.sort = p; st.dir = 'asc'; }
    head();
    first();
  }

  function first() {
    st.links = [set.path + listQuery({ top: st.top, filter: filter(), orderby: orderby() })];
    go(0);
  }

  async function go(i) {
    if (i < 0 || i >= st.links.length) return;
    el.setAttribute('aria-busy', 'true');
    error.hidden = true;
    try {
      const r = await get(st.links[i]);
      const d = r.data;
      st.page = i;
      st.links.length = i + 1;
      if (d['@odata.nextLink']) st.links.push(d['@odata.nextLink']);
      if (i === 0) st.total = d['@odata.count'];
      st.offset = i === 0 ? 0 : st.offsets[i];
      st.offsets = (st.offsets || []).slice(0, i + 1);
      st.offsets[i] = st.offset;
      st.offsets[i + 1] = st.offset + d.value.length;
      rows(d.value);
      const from = d.value.length ? st.offset + 1 : 0;
      const to = st.offset + d.value.length;
      summary.textContent = num(st.total ?? to) + ' certificate' + (st.total === 1 ? '' : 's') +
        (d.value.length ? ' · showing ' + num(from) + '–' + num(to) : '') +
        (st.q.trim() ? ' matching “' + st.q.trim() + '”' : '');
      summary.dataset.total = st.total ?? '';
      summary.dataset.from = from;
      summary.dataset.to = to;
      prev.disabled = i === 0;
      next.disabled = i + 1 >= st.links.length;
    } catch (e) {
      error.textContent = explain(e);
      error.hidden = false;
    } finally {
      el.removeAttribute('aria-busy');
      el.dataset.loaded = String((Number(el.dataset.loaded) || 0) + 1);
    }
  }

  function rows(list) {
    clear(tbody);
    if (!list.length) {
      tbody.append(h('tr', {}, h('td.empty', { colspan: columns.length }, 'No certificates.')));
      return;
    }
    for (const e of list) {
      tbody.append(h('tr', { dataset: { id: e.id } }, columns.map(([p, label], k) => {
        const text = cellText(p, e[p]);
        const v = e[p] === null || e[p] === undefined ? '' : String(e[p]);
        return h('td', { dataset: { col: p, value: v, label } }, k === 0
          ? h('button.link', { type: 'button', 'aria-label': 'Details of ' + text,
              on: { click: () => opts.onOpen(e) } }, text)
          : text);
      })));
    }
  }

  head();
  first();
  return { el, reload: () => go(st.page), first, filter, orderby, state: st };
}
