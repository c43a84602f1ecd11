// The browser half of tests/browser/test_console.py: drives the console in Debian's chromium
// (playwright-core, no browser download) against a graphcerts the Python half started and
// seeded. It does what a user does, checks what the page shows, saves a screenshot of every
// view, and writes what it saw (ids, counts, the chart's bars, the CSV file) to GC_OUT for the
// Python half to compare with the API. Any failed check exits 1.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const BASE = process.env.GC_BASE_URL;
const TOKEN = process.env.GC_TOKEN;
const RO_TOKEN = process.env.GC_RO_TOKEN;
const SHOTS = process.env.GC_SHOTS_DIR;
const OUT = process.env.GC_OUT;
const FIX = JSON.parse(fs.readFileSync(process.env.GC_FIXTURE, 'utf8'));
const CONSOLE = BASE + '/console/';
const DEVICES = '/beta/deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates';

const out = { steps: {}, shots: [] };
const problems = []; // CSP violations, page errors, requests to other origins, dialogs
let shotNo = 0;

async function shot(page, name) {
  const file = path.join(SHOTS, String(++shotNo).padStart(2, '0') + '-' + name + '.png');
  await page.screenshot({ path: file, fullPage: true });
  out.shots.push(path.basename(file));
}

async function api(method, p, { token = TOKEN, body, headers = {} } = {}) {
  const r = await fetch(BASE + p, { method, headers: { Authorization: 'Bearer ' + token,
    ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  return { status: r.status, etag: r.headers.get('etag'), json: text ? JSON.parse(text) : null };
}

function watch(page, label) {
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(label + ' CSP: ' + m.text());
  });
  page.on('pageerror', (e) => problems.push(label + ' page error: ' + e.message));
  page.on('dialog', (d) => { problems.push(label + ' unexpected dialog: ' + d.message()); d.dismiss(); });
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.origin !== BASE && u.protocol !== 'blob:' && u.protocol !== 'data:') {
      problems.push(label + ' request left the origin: ' + r.url());
    }
    if (u.search.includes(TOKEN.slice(-20))) problems.push(label + ' token in a URL: ' + u.pathname);
  });
}

// Runs action, then waits until the table has loaded again.
async function reloaded(page, action) {
  const sel = '.table-view';
  const before = await page.$eval(sel, (e) => e.dataset.loaded || '0').catch(() => '0');
  await action();
  await page.waitForFunction(([s, b]) => {
    const e = document.querySelector(s);
    return e && e.dataset.loaded && e.dataset.loaded !== b && !e.hasAttribute('aria-busy');
  }, [sel, before]);
}

async function tableReady(page) {
  await page.waitForFunction(() => {
    const e = document.querySelector('.table-view');
    return e && e.dataset.loaded && !e.hasAttribute('aria-busy');
  });
}

const summary = (page) => page.$eval('.table-view .summary', (e) => ({ ...e.dataset, text: e.textContent }));
const rowIds = (page) => page.$$eval('.table-view tbody tr[data-id]', (rs) => rs.map((r) => r.dataset.id));
const colValues = (page, col) => page.$$eval(`.table-view tbody td[data-col="${col}"]`, (cs) => cs.map((c) => c.dataset.value));

async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
  } catch (e) {
    process.stderr.write('FAILED in step: ' + name + '\n');
    throw e;
  }
  process.stderr.write(`  ${name}: ${((Date.now() - t0) / 1000).toFixed(1)}s\n`);
}

async function signIn(page, token = TOKEN) {
  await page.goto(CONSOLE + '#token=' + encodeURIComponent(token));
  await page.waitForSelector('#nav a[href="#/expiring"]');
}

async function openSet(page, key) {
  await page.click(`#nav a[href="#/set/${key}"]`);
  await page.waitForFunction((k) => location.hash === '#/set/' + k, key);
  await tableReady(page);
}

async function search(page, text) {
  await reloaded(page, async () => {
    await page.fill('.table-view input[type=search]', text);
    await page.press('.table-view input[type=search]', 'Enter');
  });
}

async function openDetailOf(page, id) {
  await page.click(`.table-view tr[data-id="${id}"] button.link`);
  await page.waitForFunction((i) => {
    const d = document.getElementById('detail');
    return d.open && d.querySelector('#detail-json') && d.querySelector('#detail-json').textContent.includes(i);
  }, id);
}

async function main() {
  fs.mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: process.env.GC_CHROMIUM, headless: true });
  try {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await ctx.newPage();
    watch(page, 'main');

    await step('sign in by pasting a token', async () => {
      await page.goto(CONSOLE);
      await page.waitForSelector('form.signin');
      await shot(page, 'sign-in');
      await page.fill('#token', 'not-a-token');
      await page.click('form.signin button[type=submit]');
      await page.waitForSelector('main .error');
      const refused = await page.textContent('main .error');
      assert.match(refused, /token was refused/);
      await page.fill('#token', '  Bearer ' + TOKEN + '\n'); // pasted with the header's word
      await page.click('form.signin button[type=submit]');
      await page.waitForSelector('#nav a[href="#/set/userPfx"]');
      const stored = await page.evaluate(() => [sessionStorage.getItem('graphcerts.token'), localStorage.length, document.cookie]);
      assert.deepEqual(stored, [TOKEN, 0, '']);
      out.steps.pasteSignIn = { refused };
    });

    await step('sign in by the link (token in the fragment)', async () => {
      const p2 = await ctx.newPage();
      watch(p2, 'link');
      await signIn(p2);
      const url = p2.url();
      assert.ok(!url.includes(TOKEN.slice(-20)), 'the token stays in the address bar: ' + url);
      const nav = await p2.$$eval('#nav a', (as) => as.map((a) => a.getAttribute('href')));
      assert.deepEqual(nav, ['#/expiring', '#/set/userPfx', '#/set/device', '#/set/codeSigning',
                             '#/set/pfxUser', '#/report']);
      await p2.click('#signout');
      await p2.waitForSelector('form.signin');
      assert.equal(await p2.evaluate(() => sessionStorage.getItem('graphcerts.token')), null);
      await p2.close();
      out.steps.linkSignIn = { url, nav };
    });

    await step('expiring view and chart', async () => {
      await page.click('#nav a[href="#/expiring"]');
      await page.waitForSelector('figure.chart[data-ready]');
      await page.waitForSelector('.expiring-list .summary[data-total]');
      const lists = {};
      for (const days of [7, 30, 90]) {
        await page.check(`input[name=days][value="${days}"]`);
        await page.waitForSelector(`.expiring-list .summary[data-days="${days}"]`);
        lists[days] = await page.$eval('.expiring-list .summary', (e) => ({
          total: Number(e.dataset.total), text: e.textContent, from: e.dataset.from, to: e.dataset.to,
          ids: [...document.querySelectorAll('.expiring-list tbody tr[data-id]')].map((r) => [r.dataset.set, r.dataset.id]) }));
        if (days === 30) {
          await shot(page, 'expiring-30-days-and-chart');
          await page.evaluate(() => window.scrollTo(0, 0));
          const file = path.join(SHOTS, String(++shotNo).padStart(2, '0') + '-expiring-first-screen.png');
          await page.screenshot({ path: file }); // the first screen only (README's picture)
          out.shots.push(path.basename(file));
        }
      }
      const bars = await page.$$eval('rect.bar', (rs) => rs.map((r) => ({ set: r.dataset.set, month: r.dataset.month,
        count: Number(r.dataset.count), from: r.dataset.from, to: r.dataset.to,
        height: Number(r.getAttribute('height')), fill: getComputedStyle(r).fill })));
      assert.equal(bars.length, 4 * 12);
      out.steps.expiring = { lists, bars };
    });

    await step('set tables, search, sort and paging past 1,000', async () => {
      await openSet(page, 'userPfx');
      let s = await summary(page);
      assert.equal(Number(s.total), FIX.userPfxTotal);
      await shot(page, 'set-user-pfx');
      await search(page, FIX.searchText);
      s = await summary(page);
      const found = await page.$$eval('.table-view td[data-col="userPrincipalName"]', (cs) => cs.map((c) => c.textContent));
      await shot(page, 'set-user-pfx-search');
      out.steps.search = { total: Number(s.total), upns: found, text: s.text };
      await search(page, '');
      await reloaded(page, () => page.click('button.sort[data-sort="expirationDateTime"]'));
      const asc = { ids: await rowIds(page), values: await colValues(page, 'expirationDateTime') };
      await reloaded(page, () => page.click('button.sort[data-sort="expirationDateTime"]'));
      const desc = { ids: await rowIds(page), values: await colValues(page, 'expirationDateTime'),
                     ariaSort: await page.getAttribute('th:has(button.sort[data-sort="expirationDateTime"])', 'aria-sort') };
      await shot(page, 'set-user-pfx-sorted-desc');
      out.steps.sort = { asc, desc };
      await reloaded(page, () => page.selectOption('.table-view select[name=size]', '500'));
      const pages = [];
      for (;;) {
        const sm = await summary(page);
        pages.push({ from: Number(sm.from), to: Number(sm.to), total: Number(sm.total), ids: await rowIds(page) });
        const next = page.locator('button', { hasText: 'Next page' });
        if (await next.isDisabled()) break;
        await reloaded(page, () => next.click());
      }
      await shot(page, 'set-user-pfx-last-page');
      await reloaded(page, () => page.locator('button', { hasText: 'Previous page' }).click());
      const back = await summary(page);
      out.steps.paging = { pages, back: { from: Number(back.from), to: Number(back.to) } };
      for (const key of ['device', 'codeSigning', 'pfxUser']) {
        await openSet(page, key);
        await shot(page, 'set-' + key);
      }
    });

    await step('detail panel, keyboard', async () => {
      await openSet(page, 'device');
      const id = FIX.devices.plain;
      await search(page, FIX.deviceNames.plain);
      // by keyboard, so the focus ring is the one keyboard users see
      await page.focus(`.table-view tr[data-id="${id}"] button.link`);
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement.closest('tr')?.dataset.id), id);
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
      await page.keyboard.press('Enter');
      await page.waitForSelector('#detail[open] #detail-json');
      const etag = await page.textContent('#detail-etag');
      const json = JSON.parse(await page.textContent('#detail-json'));
      const props = await page.$$eval('#detail dd[data-prop]', (ds) => Object.fromEntries(ds.map((d) => [d.dataset.prop, d.textContent])));
      await shot(page, 'detail-panel');
      await page.keyboard.press('Escape');
      await page.waitForFunction(() => !document.getElementById('detail').open);
      // the skip link is the first stop of the Tab order and moves focus to the content
      await page.goto(CONSOLE + '#/set/device');
      await tableReady(page);
      const first = await page.evaluate(() => document.querySelector(
        'a[href], button:not([hidden]), input, select, textarea, [tabindex="0"]').textContent);
      await page.focus('a.skip');
      await page.keyboard.press('Enter');
      const afterSkip = await page.evaluate(() => document.activeElement.id);
      const unlabelled = await page.$$eval('input, select, textarea', (els) => els.filter((e) =>
        !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map((e) => e.outerHTML));
      out.steps.detail = { id, etag, json, props, outline, first, afterSkip, unlabelled };
    });

    await step('412 from a concurrent PATCH, then revoke', async () => {
      const id = FIX.devices.race;
      await openSet(page, 'device');
      await search(page, FIX.deviceNames.race);
      await openDetailOf(page, id);
      const etagBefore = await page.textContent('#detail-etag');
      const other = await api('PATCH', DEVICES + '/' + id, { body: { certificateSerialNumber: 'CHANGED-BY-ANOTHER-CLIENT' } });
      assert.equal(other.status, 200);
      await page.click('#revoke');
      await page.waitForSelector('#detail .error:not([hidden])');
      const message = await page.textContent('#detail .error');
      const status = await page.getAttribute('#detail .error', 'data-status');
      await shot(page, 'detail-412-changed-by-someone-else');
      await page.click('#reload');
      await page.waitForFunction((e) => document.getElementById('detail-etag').textContent !== e, etagBefore);
      const etagReloaded = await page.textContent('#detail-etag');
      await page.click('#revoke');
      await page.waitForSelector('#detail .ok:has-text("pending")');
      const after = await page.textContent('#detail dd[data-prop="certificateRevokeStatus"]');
      await shot(page, 'detail-revoked-pending');
      await page.keyboard.press('Escape');
      out.steps.race = { id, etagBefore, etagOther: other.etag, etagReloaded, message, status: Number(status), after };
    });

    await step('delete with confirmation', async () => {
      const id = FIX.devices.doomed;
      await openSet(page, 'device');
      await search(page, FIX.deviceNames.doomed);
      await openDetailOf(page, id);
      await page.click('#delete');
      await page.waitForSelector('#confirm[open]');
      await shot(page, 'delete-confirmation');
      await page.click('#confirm button:has-text("Cancel")');
      const stillThere = (await api('GET', DEVICES + '/' + id)).status;
      await page.click('#delete');
      await page.waitForSelector('#confirm[open]');
      await page.click('#confirm button.danger');
      await page.waitForSelector('#detail .ok:has-text("Deleted")');
      await page.keyboard.press('Escape');
      await page.waitForFunction((i) => !document.querySelector(`.table-view tr[data-id="${i}"]`), id);
      out.steps.del = { id, statusAfterCancel: stillThere };
    });

    await step('device report and CSV export', async () => {
      await page.click('#nav a[href="#/report"]');
      await tableReady(page);
      await shot(page, 'device-report');
      await reloaded(page, () => page.selectOption('#report-status', FIX.report.status));
      await search(page, FIX.report.search);
      await reloaded(page, () => page.click('button.sort[data-sort="certificateExpirationDateTime"]'));
      await reloaded(page, () => page.click('button.sort[data-sort="certificateExpirationDateTime"]'));
      const shown = await rowIds(page);
      const s = await summary(page);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
      const file = path.join(path.dirname(OUT), 'device-certificates.csv');
      await download.saveAs(file);
      await page.waitForSelector('.actions .note:has-text("Exported")');
      await shot(page, 'device-report-filtered-exported');
      out.steps.csv = { file, name: download.suggestedFilename(), shown, total: Number(s.total) };
    });

    await step('upload DER and PEM code-signing certificates', async () => {
      await openSet(page, 'codeSigning');
      const uploads = {};
      for (const [kind, file] of Object.entries(FIX.certs)) {
        await page.setInputFiles('#upload-file', file);
        await page.click('form.upload button[type=submit]');
        await page.waitForSelector('#upload-result dd[data-prop="id"]');
        uploads[kind] = await page.$$eval('#upload-result dd[data-prop]', (ds) => Object.fromEntries(ds.map((d) => [d.dataset.prop, d.textContent])));
        await shot(page, 'upload-' + kind);
        await tableReady(page);
      }
      await page.setInputFiles('#upload-file', FIX.badCert);
      await page.click('form.upload button[type=submit]');
      await page.waitForSelector('#upload-result .error');
      uploads.refused = await page.textContent('#upload-result .error');
      await shot(page, 'upload-refused-not-code-signing');
      out.steps.upload = uploads;
    });

    await step('values are text (XSS)', async () => {
      const seen = {};
      for (const [key, term] of [['device', 'onerror'], ['codeSigning', 'onerror']]) {
        await openSet(page, key);
        await search(page, term);
        const cells = await page.$$eval('.table-view tbody td', (cs) => cs.map((c) => c.textContent));
        seen[key] = cells.filter((t) => t.includes('<img'));
        const id = (await rowIds(page))[0];
        await openDetailOf(page, id);
        seen[key + 'Detail'] = await page.textContent('#detail-title');
        await shot(page, 'xss-as-text-' + key);
        await page.keyboard.press('Escape');
      }
      seen.imgs = await page.evaluate(() => document.querySelectorAll('main img, dialog img').length);
      seen.flag = await page.evaluate(() => window.__xss === undefined ? null : window.__xss);
      out.steps.xss = seen;
    });

    await step('403 names the missing permission', async () => {
      const ro = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const p = await ro.newPage();
      watch(p, 'read-only');
      await signIn(p, RO_TOKEN);
      await openSet(p, 'device');
      await search(p, FIX.deviceNames.plain);
      await openDetailOf(p, FIX.devices.plain);
      await p.click('#delete');
      await p.waitForSelector('#confirm[open]');
      await p.click('#confirm button.danger');
      await p.waitForSelector('#detail .error:not([hidden])');
      const message = await p.textContent('#detail .error');
      await shot(p, 'detail-403-permission-missing');
      await ro.close();
      out.steps.forbidden = { message };
    });

    await step('375 px wide', async () => {
      const narrow = await browser.newContext({ viewport: { width: 375, height: 800 }, isMobile: true, hasTouch: true });
      const p = await narrow.newPage();
      watch(p, 'narrow');
      await signIn(p);
      const widths = {};
      for (const [name, hash] of [['expiring', '#/expiring'], ['set-userPfx', '#/set/userPfx'],
                                  ['set-device', '#/set/device'], ['report', '#/report'],
                                  ['set-codeSigning', '#/set/codeSigning']]) {
        await p.evaluate((hh) => { location.hash = hh; }, hash);
        if (name === 'expiring') await p.waitForSelector('figure.chart[data-ready]');
        else await tableReady(p);
        widths[name] = await p.evaluate(() => document.documentElement.scrollWidth);
        out.steps.nullText = (out.steps.nullText || []).concat(await p.evaluate(() => {
          const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          const bad = [];
          while (w.nextNode()) if (/^(null|undefined|NaN)$/.test(w.currentNode.data.trim())) bad.push(w.currentNode.parentNode.outerHTML);
          return bad;
        }));
        await shot(p, 'narrow-375-' + name);
      }
      await p.click('.table-view tbody tr[data-id] button.link');
      await p.waitForSelector('#detail[open] #detail-json');
      widths.detail = await p.evaluate(() => Math.max(document.documentElement.scrollWidth,
        document.getElementById('detail').getBoundingClientRect().right));
      await shot(p, 'narrow-375-detail');
      await narrow.close();
      out.steps.narrow = widths;
    });
  } catch (e) {
    try {
      const pages = browser.contexts().flatMap((c) => c.pages());
      if (pages.length) await shot(pages[pages.length - 1], 'FAILED');
    } catch { /* the failure itself is what matters */ }
    throw e;
  } finally {
    out.problems = problems;
    fs.writeFileSync(OUT, JSON.stringify(out, null, 1));
    await browser.close();
  }
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write((e && e.stack) || String(e));
  process.stderr.write('\n');
  process.exit(1);
});
