// End-to-end test of the rollcall dashboard in Debian's Chromium (playwright-core).
//
// The test starts its own registry and demo servers from the binaries it is given,
// with a short TTL, so it can kill one server and watch it expire, then kill the
// registry and watch the list go stale, then read a registry with tokens on:
//
//   ROLLCALL_BIN=target/debug/rollcall \
//   DEMO_SERVERS_BIN=target/debug/examples/demo_servers \
//   DASHBOARD_DIR=web-demo/dist \
//   node --test            (in web-demo/e2e, after `npm ci`)
//
// (`node --test` runs fleet.test.mjs too: the dashboard at 10,000 instances.)
//
// Optional: CHROMIUM (default /usr/bin/chromium); E2E_OUT_DIR for logs and
// screenshots (default target/e2e); ROLLCALL_DASHBOARD_FLAG, the registry's option
// that serves a dashboard directory (`--dashboard-dir`): when set, the page is
// opened from the registry's own origin; otherwise this test serves DASHBOARD_DIR
// itself on another loopback port and passes `?registry=` (a cross-origin page).

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';

import {
  OUT_DIR, freePort, launchChromium, linesFrom, pageErrors, required, serveDirectory, start,
  startRegistry, stopAll, waitForHttp,
} from './harness.mjs';

/** TTL the demo servers ask for: short, so an expiry fits in a test. */
const TTL_MS = 2000;
/** Longest wait for anything the page should show (changes show within a second). */
const UI_TIMEOUT_MS = 10_000;

const env = process.env;

const ctx = {};

before(async () => {
  const rollcall = required('ROLLCALL_BIN', import.meta.filename);
  const demoServers = required('DEMO_SERVERS_BIN', import.meta.filename);
  const dashboardDir = required('DASHBOARD_DIR', import.meta.filename);
  ctx.browser = await launchChromium();

  const registry = await startRegistry(
    'registry', rollcall, [], dashboardDir, env.ROLLCALL_DASHBOARD_FLAG);
  ctx.registry = registry.child;
  ctx.registryUrl = registry.url;
  if (env.ROLLCALL_DASHBOARD_FLAG) {
    ctx.pageOrigin = ctx.registryUrl;
    ctx.pageUrl = `${ctx.registryUrl}/`;
  } else {
    ctx.static = await serveDirectory(dashboardDir);
    ctx.pageOrigin = `http://127.0.0.1:${ctx.static.address().port}`;
    ctx.pageUrl = `${ctx.pageOrigin}/?registry=${encodeURIComponent(ctx.registryUrl)}`;
  }
  ctx.rollcall = rollcall;
  ctx.demoServers = demoServers;

  // One process per server, so one can be killed alone. The page may call them
  // (RPC hosts let no page call unless told which).
  const demo = (name) => start(name, demoServers, [
    '--registry', ctx.registryUrl, '--names', name, '--ttl-ms', String(TTL_MS),
    '--allow-origin', ctx.pageOrigin,
  ]);
  ctx.keep = demo('foo-1');
  ctx.kill = demo('foo-2');
  [[ctx.keepAddr], [ctx.killAddr]] = await Promise.all([
    linesFrom(ctx.keep, 'serving ', 1), linesFrom(ctx.kill, 'serving ', 1),
  ]);

  ctx.page = await ctx.browser.newPage({ viewport: { width: 1280, height: 800 } });
  ctx.pageErrors = pageErrors(ctx.page);
  await ctx.page.goto(ctx.pageUrl);
});

after(async () => {
  await ctx.browser?.close();
  ctx.static?.close();
  stopAll();
});

const instance = (addr) => `#services .instance[data-addr="${addr}"]`;

test('the dashboard', async (t) => {
  const { page } = ctx;

  await t.test('lists both demo instances, live', async () => {
    await page.waitForSelector(instance(ctx.keepAddr), { timeout: UI_TIMEOUT_MS });
    await page.waitForSelector(instance(ctx.killAddr), { timeout: UI_TIMEOUT_MS });
    assert.match(await page.getAttribute('#status', 'class'), /\blive\b/);
    assert.match(await page.textContent('#status'), /2 instances in 1 service/);
    const row = await page.textContent(instance(ctx.keepAddr));
    assert.match(row, /name=foo-1/);
    assert.match(row, /ago/, 'heartbeat age shown');
    await page.screenshot({ path: path.join(OUT_DIR, 'dashboard-start.png'), fullPage: true });
  });

  await t.test('a killed instance disappears after its TTL', async () => {
    const killedAt = Date.now();
    ctx.kill.kill('SIGKILL'); // no deregistration: only expiry removes it
    await page.waitForSelector(instance(ctx.killAddr), {
      state: 'detached', timeout: TTL_MS + UI_TIMEOUT_MS,
    });
    t.diagnostic(`gone from the page ${Date.now() - killedAt} ms after the kill`);
    assert.ok(await page.$(instance(ctx.keepAddr)), 'the other instance stays');
    assert.match(await page.textContent('#status'), /1 instance in 1 service/);
  });

  await t.test('broadcast answers from every live instance', async () => {
    await page.click('#broadcast-btn');
    const row = `#call-result tr.result[data-addr="${ctx.keepAddr}"]`;
    await page.waitForSelector(row, { timeout: UI_TIMEOUT_MS });
    assert.equal((await page.textContent(`${row} .outcome`)).trim(), '12');
    assert.equal((await page.$$('#call-result tr.result')).length, 1);
  });

  await t.test('a call answers 12 and names the instance', async () => {
    await page.selectOption('#call-mode', 'RoundRobin');
    await page.click('#call-btn');
    const answer = await page.waitForSelector('#call-result .answer.ok', { timeout: UI_TIMEOUT_MS });
    assert.equal(await answer.getAttribute('data-addr'), ctx.keepAddr);
    assert.equal((await page.textContent('#call-result .reply')).trim(), '12');
    assert.match(await page.textContent('#call-result'), /answered by .* in [\d.]+ m?s/);
    await page.screenshot({ path: path.join(OUT_DIR, 'dashboard.png'), fullPage: true });
  });

  await t.test('bad input and failing calls show as errors', async () => {
    await page.fill('#call-args', '{Num1: 3');
    await page.click('#call-btn');
    await page.waitForSelector('#call-result p.error', { timeout: UI_TIMEOUT_MS });
    assert.match(await page.textContent('#call-result'), /arguments: not JSON/);

    await page.fill('#call-args', '{"Num1": 3, "Num2": 9}');
    await page.fill('#call-method', 'Foo.Nope');
    await page.click('#call-btn');
    await page.waitForSelector('#call-result .answer.failed', { timeout: UI_TIMEOUT_MS });
    assert.match(await page.textContent('#call-result'), /can't find method Foo.Nope/);
    await page.fill('#call-method', 'Foo.Sum');
  });

  await t.test('an unreachable registry leaves the list on screen, stale', async () => {
    ctx.registry.kill('SIGKILL');
    await page.waitForSelector('#status.stale', { timeout: UI_TIMEOUT_MS });
    assert.match(await page.textContent('#status'), /cannot be reached/);
    assert.ok(await page.$(`#services .service-list.stale ${instance(ctx.keepAddr).slice('#services '.length)}`),
      'the last list stays, marked stale');
    await page.screenshot({ path: path.join(OUT_DIR, 'dashboard-stale.png'), fullPage: true });
  });

  await t.test('the registry can be changed from the page', async () => {
    await page.fill('#registry-url', 'not a url');
    await page.click('#registry-btn');
    assert.match(await page.textContent('#registry-error'), /not an http/);
    await page.fill('#registry-url', 'http://127.0.0.1:9');
    await page.click('#registry-btn');
    await page.waitForSelector('#status.error', { timeout: UI_TIMEOUT_MS });
    assert.equal(await page.textContent('#registry-error'), '');
    assert.match(await page.textContent('#services'), /not answered/);
    assert.match(page.url(), /registry=http%3A%2F%2F127\.0\.0\.1%3A9/);
  });

  await t.test('a registry with tokens is read with the token, kept for the tab only', async () => {
    const token = 'e2e-token-0123456789abcdef';
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // Reads need a token; this page's origin may send one (a write origin).
    const registry = start('registry-tokens', ctx.rollcall, [
      'serve', '--listen', `127.0.0.1:${port}`, '--write-token', token, '--private-reads',
      '--cors-write-origin', ctx.pageOrigin,
    ]);
    await waitForHttp(`${url}/healthz`, registry);
    const server = start('foo-3', ctx.demoServers, [
      '--registry', url, '--names', 'foo-3', '--token', token, '--allow-origin', ctx.pageOrigin,
    ]);
    const [addr] = await linesFrom(server, 'serving ', 1);

    await page.fill('#registry-url', url);
    await page.fill('#registry-token', '');
    await page.click('#registry-btn');
    await page.waitForSelector('#status.error', { timeout: UI_TIMEOUT_MS });
    assert.match(await page.textContent('#status'), /needs a read token/);

    await page.fill('#registry-token', 'short');
    await page.click('#registry-btn');
    assert.match(await page.textContent('#registry-error'), /shorter than 16/);

    await page.fill('#registry-token', token);
    await page.click('#registry-btn');
    await page.waitForSelector(instance(addr), { timeout: UI_TIMEOUT_MS });
    assert.equal(await page.evaluate(() => sessionStorage.getItem('rollcall-token')), token);
    assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing in localStorage');
    assert.ok(!page.url().includes(token), 'the token is not in the address');
    await page.screenshot({ path: path.join(OUT_DIR, 'dashboard-token.png'), fullPage: true });
  });

  assert.deepEqual(ctx.pageErrors, [], 'no uncaught errors or panics in the page');
});
