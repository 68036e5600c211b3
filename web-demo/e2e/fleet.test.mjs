// The dashboard at fleet scale, in Debian's Chromium: 10,000 instances in 100
// services, registered through the JSON API before the page opens. Run with the
// same environment as dashboard.test.mjs (ROLLCALL_BIN, DASHBOARD_DIR,
// ROLLCALL_DASHBOARD_FLAG; DEMO_SERVERS_BIN is not used here).
//
// The fleet: svc-00 .. svc-97 of 90 instances each, `big` of 1,177 (addresses up
// to 10.99.11.77, so IP-aware order differs from string order), and `sorted`, 3
// instances whose address, heartbeat and expiry orders all differ.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';

import {
  OUT_DIR, launchChromium, pageErrors, required, serveDirectory, startRegistry, stopAll,
} from './harness.mjs';
import { ZONES, deregister, instancesOf, plan, register, seed } from './fleet.mjs';

/** Longest wait for anything the page should show (changes show within a second). */
const UI_TIMEOUT_MS = 10_000;
const SMALL = 98;
const SMALL_SIZE = 90;
const BIG = 'big';
const BIG_SIZE = 1_177;
const BIG_NUMBER = 99;

/** `sorted`: registered in this order (c, a, b), with these TTLs. */
const SORTED = [
  { name: 'c', addr: '10.200.9.1:80', ttl_ms: 600_000 },
  { name: 'a', addr: '10.200.10.1:80', ttl_ms: 30_000 },
  { name: 'b', addr: '10.200.2.1:80', ttl_ms: 60_000 },
];
const byName = (...names) => names.map((n) => SORTED.find((s) => s.name === n).addr);

const env = process.env;
const ctx = {};

before(async () => {
  const rollcall = required('ROLLCALL_BIN', import.meta.filename);
  const dashboardDir = required('DASHBOARD_DIR', import.meta.filename);
  ctx.browser = await launchChromium();
  const registry = await startRegistry(
    'registry-fleet', rollcall, ['--warmup', '0'], dashboardDir, env.ROLLCALL_DASHBOARD_FLAG);
  ctx.registry = registry.child;
  ctx.url = registry.url;
  ctx.port = registry.port;
  ctx.start = () => startRegistry('registry-fleet-again', rollcall, ['--warmup', '0'],
    dashboardDir, env.ROLLCALL_DASHBOARD_FLAG, registry.port);
  if (env.ROLLCALL_DASHBOARD_FLAG) {
    ctx.pageUrl = `${ctx.url}/`;
  } else {
    ctx.static = await serveDirectory(dashboardDir);
    ctx.pageUrl = `http://127.0.0.1:${ctx.static.address().port}/?registry=${encodeURIComponent(ctx.url)}`;
  }
  const fleet = [
    ...plan(Array(SMALL).fill(SMALL_SIZE)),
    ...instancesOf(BIG_NUMBER, BIG_SIZE).map((i) => [BIG, i]),
  ];
  ctx.seedMs = await seed(ctx.url, fleet);
  // One at a time, apart, so their heartbeats are ordered.
  for (const s of SORTED) {
    await register(ctx.url, 'sorted', { addr: s.addr, ttl_ms: s.ttl_ms });
    await new Promise((r) => setTimeout(r, 50));
  }
  ctx.page = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
  ctx.pageErrors = pageErrors(ctx.page);
});

after(async () => {
  await ctx.browser?.close();
  ctx.static?.close();
  stopAll();
});

const section = (name) => `#services section.service[data-service="${name}"]`;
const head = (name) => `${section(name)} > header.service-head`;
const rows = (name) => `${section(name)} .row.instance`;
const row = (name, addr) => `${rows(name)}[data-addr="${addr}"]`;

/** The addresses of `name`'s rendered rows, top to bottom. */
async function rowOrder(page, name) {
  return page.$$eval(rows(name), (els) => els
    .map((el) => [parseFloat(el.style.top), el.dataset.addr])
    .sort((x, y) => x[0] - y[0])
    .map(([, addr]) => addr));
}

/** Waits until `name`'s rows read `expected`, top to bottom. */
async function waitForOrder(page, name, expected) {
  try {
    await page.waitForFunction(([selector, want]) => {
      const got = [...document.querySelectorAll(selector)]
        .map((el) => [parseFloat(el.style.top), el.dataset.addr])
        .sort((x, y) => x[0] - y[0])
        .map(([, addr]) => addr);
      return JSON.stringify(got) === JSON.stringify(want);
    }, [rows(name), expected], { timeout: UI_TIMEOUT_MS });
  } catch (e) {
    assert.deepEqual(await rowOrder(page, name), expected, String(e));
  }
}

/** Services not hidden by the filter. */
const visible = (page) => page.$$eval('#services section.service:not([hidden])',
  (els) => els.map((el) => el.dataset.service));

/**
 * Waits until exactly `expected` services are shown. Waiting on a count alone
 * races: two filters in a row may both show one service, and the second one is
 * applied a moment after it is typed.
 */
async function waitForVisible(page, expected) {
  try {
    await page.waitForFunction((want) => JSON.stringify([...document.querySelectorAll(
      '#services section.service:not([hidden])')].map((el) => el.dataset.service))
      === JSON.stringify(want), expected, { timeout: UI_TIMEOUT_MS });
  } catch (e) {
    assert.deepEqual(await visible(page), expected, String(e));
  }
}

async function toggle(page, name) {
  await page.click(head(name));
}

test('the dashboard at 10,000 instances', async (t) => {
  const { page } = ctx;
  t.diagnostic(`seeded 10,000 instances in ${Math.round(ctx.seedMs)} ms`);

  await t.test('the overview lists every service folded, with counts by zone', async () => {
    const opened = Date.now();
    await page.goto(ctx.pageUrl);
    await page.waitForSelector('#services[data-loaded]', { timeout: UI_TIMEOUT_MS });
    t.diagnostic(`every service listed ${Date.now() - opened} ms after opening the page`);
    assert.match(await page.textContent('#status'), /10,000 instances in 100 services/);
    assert.equal((await visible(page)).length, 100);
    assert.equal((await page.$$('#services .row.instance')).length, 0, 'folded: no rows');
    const line = await page.textContent(head('svc-00'));
    assert.match(line, /90 instances/);
    for (const zone of ZONES) assert.match(line, new RegExp(`${zone}\\s*30`));
    assert.match(await page.textContent(head(BIG)), /1,177 instances/);
    await page.screenshot({ path: path.join(OUT_DIR, 'fleet-overview.png') });
  });

  await t.test('a service folds open and closed', async () => {
    await toggle(page, 'svc-03');
    await page.waitForSelector(row('svc-03', '10.3.0.1:8080'), { timeout: UI_TIMEOUT_MS });
    assert.equal(await page.getAttribute(head('svc-03'), 'aria-expanded'), 'true');
    const rendered = (await page.$$(rows('svc-03'))).length;
    assert.ok(rendered > 10 && rendered < SMALL_SIZE, `${rendered} of 90 rows rendered`);
    await toggle(page, 'svc-03');
    await page.waitForSelector(rows('svc-03'), { state: 'detached', timeout: UI_TIMEOUT_MS });
    assert.equal(await page.getAttribute(head('svc-03'), 'aria-expanded'), 'false');
  });

  await t.test('a large service renders only what is in view, scrolled', async () => {
    await toggle(page, BIG);
    await page.waitForSelector(row(BIG, '10.99.0.1:8080'), { timeout: UI_TIMEOUT_MS });
    assert.match(await page.textContent(`${section(BIG)} .window-info`), /1,177 rows/);
    const first = await rowOrder(page, BIG);
    assert.ok(first.length <= 30, `${first.length} rows rendered of 1,177`);
    assert.deepEqual(first.slice(0, 3), ['10.99.0.1:8080', '10.99.0.2:8080', '10.99.0.3:8080']);
    await page.$eval(`${section(BIG)} .scroller`, (el) => { el.scrollTop = el.scrollHeight; });
    await page.waitForSelector(row(BIG, '10.99.11.77:8080'), { timeout: UI_TIMEOUT_MS });
    const last = await rowOrder(page, BIG);
    assert.ok(last.length <= 30, `${last.length} rows rendered after scrolling`);
    assert.equal(last.at(-1), '10.99.11.77:8080', 'IP-aware: 10.99.11.x comes last');
    assert.ok(!last.includes('10.99.0.1:8080'), 'rows scrolled out are gone');
    // The middle: 10.99.9.100 is followed by 10.99.10.1, not by 10.99.1.x.
    await page.$eval(`${section(BIG)} .scroller`, (el) => { el.scrollTop = 999 * 30; });
    await page.waitForSelector(row(BIG, '10.99.10.1:8080'), { timeout: UI_TIMEOUT_MS });
    const middle = await rowOrder(page, BIG);
    const at = middle.indexOf('10.99.10.1:8080');
    assert.equal(middle[at - 1], '10.99.9.100:8080', middle.join(' '));
    await toggle(page, BIG);
  });

  await t.test('each sort orders the rows', async () => {
    await toggle(page, 'sorted');
    await waitForOrder(page, 'sorted', byName('b', 'c', 'a'));
    await page.selectOption('#sort', 'beat');
    await waitForOrder(page, 'sorted', byName('c', 'a', 'b'));
    await page.selectOption('#sort', 'left');
    await waitForOrder(page, 'sorted', byName('a', 'b', 'c'));
    await page.selectOption('#sort', 'addr');
    await waitForOrder(page, 'sorted', byName('b', 'c', 'a'));
    await toggle(page, 'sorted');
  });

  await t.test('the filter, typed, narrows services and rows and goes in the address', async () => {
    // A failed step must not leave its filter for the tests after it.
    try {
      await page.fill('#filter', 'zone=eu-1');
      await page.waitForFunction(() => /zone%3Deu-1/.test(location.search), null, { timeout: UI_TIMEOUT_MS });
      const eu = SMALL * (SMALL_SIZE / 3) + Math.ceil(BIG_SIZE / 3);
      await page.waitForSelector('#matches:has-text("match")', { timeout: UI_TIMEOUT_MS });
      assert.match(await page.textContent('#matches'),
        new RegExp(`${eu.toLocaleString('en-US')} of 10,000 instances in 99 of 100 services match`));
      assert.ok(!(await visible(page)).includes('sorted'), 'sorted has no zone');
      assert.match(await page.textContent(head('svc-00')), /30 of 90 instances/);
      await toggle(page, 'svc-01');
      await page.waitForSelector(rows('svc-01'), { timeout: UI_TIMEOUT_MS });
      const zones = await page.$$eval(`${rows('svc-01')} .metadata`, (els) => els.map((e) => e.textContent));
      assert.ok(zones.length > 0 && zones.every((z) => z.includes('zone=eu-1')), zones.join(' | '));
      await page.screenshot({ path: path.join(OUT_DIR, 'fleet-filtered.png') });
      await toggle(page, 'svc-01');

      await page.fill('#filter', '10.42.0.17:8080');
      await waitForVisible(page, ['svc-42']);
      assert.match(await page.textContent(head('svc-42')), /1 of 90 instances/);

      await page.fill('#filter', 'SVC-07');
      await waitForVisible(page, ['svc-07']);
      assert.match(await page.textContent(head('svc-07')), /90 of 90 instances/);

      await page.fill('#filter', 'nothing-is-called-this');
      await page.waitForSelector('#services .empty:has-text("Nothing matches")', { timeout: UI_TIMEOUT_MS });

      await page.fill('#filter', '');
      await page.waitForFunction(() => document.querySelectorAll(
        '#services section.service:not([hidden])').length === 100, null, { timeout: UI_TIMEOUT_MS });
      assert.ok(!page.url().includes('q='), page.url());
      assert.equal((await page.textContent('#matches')).trim(), '');
    } finally {
      await page.fill('#filter', '');
    }
  });

  await t.test('the filter from ?q= in the address', async () => {
    const other = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = pageErrors(other);
    const sep = ctx.pageUrl.includes('?') ? '&' : '?';
    await other.goto(`${ctx.pageUrl}${sep}q=${encodeURIComponent('svc-1 version=v2')}`);
    await other.waitForSelector('#services[data-loaded]', { timeout: UI_TIMEOUT_MS });
    assert.equal(await other.inputValue('#filter'), 'svc-1 version=v2');
    const shown = await visible(other);
    assert.deepEqual(shown, Array.from({ length: 10 }, (_, i) => `svc-1${i}`));
    assert.match(await other.textContent(head('svc-12')), /9 of 90 instances/);
    await other.close();
    assert.deepEqual(errors, []);
  });

  await t.test('a change in a folded service shows on its line; a sharp drop is marked', async () => {
    await register(ctx.url, 'svc-05', { addr: '10.5.9.9:8080', metadata: { zone: 'eu-1' } });
    await page.waitForSelector(`${head('svc-05')}.changed:has-text("91 instances")`, { timeout: UI_TIMEOUT_MS });
    assert.match(await page.textContent(head('svc-05')), /eu-1\s*31/);
    assert.match(await page.textContent(head('svc-05')), /changed \d/);
    await Promise.all(instancesOf(5, 40).map((i) => deregister(ctx.url, 'svc-05', i.addr)));
    await page.waitForSelector(`${head('svc-05')}:has-text("51 instances")`, { timeout: UI_TIMEOUT_MS });
    assert.match(await page.textContent(`${head('svc-05')} .drop`), /91 → 51/);
    assert.equal((await page.$$(rows('svc-05'))).length, 0, 'still folded');
    assert.equal(await page.$(`${head('svc-06')} .drop`), null, 'other services unmarked');
  });

  await t.test('a change in an unfolded service adds and removes its row', async () => {
    await toggle(page, 'svc-06');
    await page.waitForSelector(row('svc-06', '10.6.0.1:8080'), { timeout: UI_TIMEOUT_MS });
    const addr = '10.6.0.0:8080'; // sorts first: in view without scrolling
    const sent = Date.now();
    await register(ctx.url, 'svc-06', { addr, metadata: { zone: 'us-1' } });
    await page.waitForSelector(`${row('svc-06', addr)}.changed`, { timeout: UI_TIMEOUT_MS });
    t.diagnostic(`a registration showed ${Date.now() - sent} ms after the registry answered`);
    assert.deepEqual((await rowOrder(page, 'svc-06')).slice(0, 2), [addr, '10.6.0.1:8080']);
    assert.match(await page.textContent(row('svc-06', addr)), /zone=us-1/);
    await deregister(ctx.url, 'svc-06', addr);
    await page.waitForSelector(row('svc-06', addr), { state: 'detached', timeout: UI_TIMEOUT_MS });
    assert.match(await page.textContent(head('svc-06')), /90 instances/);
  });

  await t.test('lease times count down on screen', async () => {
    const cell = `${row('svc-06', '10.6.0.1:8080')} .expires`;
    const before = await page.textContent(cell);
    await page.waitForFunction(([selector, text]) =>
      document.querySelector(selector)?.textContent !== text, [cell, before], { timeout: UI_TIMEOUT_MS });
    assert.match(await page.textContent(`${row('svc-06', '10.6.0.1:8080')} .beat`), /\d+ s ago/);
  });

  await t.test('an unreachable registry: the page says so at once and keeps its view', async () => {
    const killed = Date.now();
    ctx.registry.kill('SIGKILL');
    await page.waitForSelector('#status.stale', { timeout: UI_TIMEOUT_MS });
    t.diagnostic(`stale banner ${Date.now() - killed} ms after the registry was killed`);
    assert.match(await page.textContent('#status'), /cannot be reached/);
    assert.ok(await page.$('#services .service-list.stale'), 'the list is marked stale');
    assert.equal((await visible(page)).length, 100, 'the last view stays');
    assert.ok(await page.$(row('svc-06', '10.6.0.1:8080')), 'rows stay');
  });

  await t.test('the registry back (restarted, empty): live again, and the page follows it', async () => {
    ctx.again = await ctx.start();
    await page.waitForSelector('#status.live', { timeout: 30_000 });
    await page.waitForSelector('#services .empty:has-text("No service is registered")',
      { timeout: UI_TIMEOUT_MS });
    assert.equal((await visible(page)).length, 0, 'a new epoch: everything listed again');
    await register(ctx.url, 'svc-06', { addr: '10.6.0.1:8080' });
    await page.waitForSelector(row('svc-06', '10.6.0.1:8080'), { timeout: UI_TIMEOUT_MS });
    assert.match(await page.textContent('#status'), /1 instance in 1 service/);
  });

  assert.deepEqual(ctx.pageErrors, [], 'no uncaught errors or panics in the page');
});
