// The dashboard on a registry run as two frontends over etcd, in Debian's Chromium:
// the page is given both frontends (`?registry=A,B`), the one it talks to is
// killed, and the page goes on from the other. Run with the same environment as
// dashboard.test.mjs (ROLLCALL_BIN, DEMO_SERVERS_BIN, DASHBOARD_DIR,
// ROLLCALL_DASHBOARD_FLAG); it starts its own etcd (ETCD_BIN, default `etcd`).

import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';

import {
  OUT_DIR, launchChromium, linesFrom, pageErrors, required, start, startEtcd, startRegistry,
  stopAll,
} from './harness.mjs';

/** TTL the demo servers ask for: etcd's smallest lease is 2 s. */
const TTL_MS = 3000;
/** Longest wait for anything the page should show. */
const UI_TIMEOUT_MS = 10_000;

const env = process.env;
const ctx = {};

before(async () => {
  const rollcall = required('ROLLCALL_BIN', import.meta.filename);
  ctx.demoServers = required('DEMO_SERVERS_BIN', import.meta.filename);
  const dashboardDir = required('DASHBOARD_DIR', import.meta.filename);
  assert.ok(env.ROLLCALL_DASHBOARD_FLAG,
    'ROLLCALL_DASHBOARD_FLAG must be set: the page is served by a frontend');
  ctx.browser = await launchChromium();
  ctx.etcd = await startEtcd('etcd');
  const overEtcd = ['--store', 'etcd', '--etcd-endpoints', ctx.etcd.endpoint,
    '--etcd-prefix', '/e2e-frontends'];
  // Both serve the page; it is opened from the first and reads from either.
  ctx.frontends = await Promise.all(['frontend-a', 'frontend-b'].map((name) =>
    startRegistry(name, rollcall, overEtcd, dashboardDir, env.ROLLCALL_DASHBOARD_FLAG)));
  ctx.registries = ctx.frontends.map((f) => f.url).join(',');
  ctx.pageOrigin = ctx.frontends[0].url;
  ctx.page = await ctx.browser.newPage({ viewport: { width: 1280, height: 800 } });
  ctx.pageErrors = pageErrors(ctx.page);
});

after(async () => {
  await ctx.browser?.close();
  stopAll();
  if (ctx.etcd) await rm(ctx.etcd.dir, { recursive: true, force: true });
});

/** A demo server heartbeating through both frontends; resolves with its address. */
async function demo(name) {
  const child = start(name, ctx.demoServers, [
    '--registry', ctx.registries, '--names', name, '--ttl-ms', String(TTL_MS),
    '--allow-origin', ctx.pageOrigin,
  ]);
  const [addr] = await linesFrom(child, 'serving ', 1);
  return addr;
}

const instance = (addr) => `#services .instance[data-addr="${addr}"]`;

/** The frontend the status line names, waiting until the page is live. */
async function liveFrontend(page) {
  await page.waitForSelector('#status.live', { timeout: UI_TIMEOUT_MS });
  return (await page.textContent('#status code')).trim();
}

test('the dashboard over two frontends', async (t) => {
  const { page } = ctx;
  const first = await demo('foo-1');
  await page.goto(`${ctx.pageOrigin}/?registry=${encodeURIComponent(ctx.registries)}`);

  let inUse;
  await t.test('shows the fleet from one of the frontends', async () => {
    await page.waitForSelector(instance(first), { timeout: UI_TIMEOUT_MS });
    inUse = await liveFrontend(page);
    assert.ok(ctx.frontends.some((f) => f.url === inUse), `${inUse} is one of the frontends`);
    assert.equal(await page.inputValue('#registry-url'), ctx.registries.replace(',', ', '));
  });

  await t.test('goes on from the other when the one in use is killed', async () => {
    const killed = ctx.frontends.find((f) => f.url === inUse);
    const other = ctx.frontends.find((f) => f.url !== inUse);
    const killedAt = Date.now();
    killed.child.kill('SIGKILL');
    // The held watch fails, and the next request goes to the other frontend.
    await page.waitForFunction(
      (url) => document.querySelector('#status.live code')?.textContent.trim() === url,
      other.url, { timeout: UI_TIMEOUT_MS });
    t.diagnostic(`live on ${other.url} ${Date.now() - killedAt} ms after the kill`);
    assert.ok(await page.$(instance(first)), 'the instance stays listed');

    // A server that starts now registers through the survivor and shows up; the
    // first one's heartbeats moved too, so it outlives its TTL.
    const second = await demo('foo-2');
    await page.waitForSelector(instance(second), { timeout: UI_TIMEOUT_MS });
    await new Promise((resolve) => setTimeout(resolve, TTL_MS + 1000));
    assert.ok(await page.$(instance(first)), 'still listed after a TTL: heartbeats failed over');
    assert.match(await page.textContent('#status'), /2 instances in 1 service/);
    assert.match(await page.getAttribute('#status', 'class'), /\blive\b/);
    await page.screenshot({ path: path.join(OUT_DIR, 'dashboard-frontends.png'), fullPage: true });
  });

  assert.deepEqual(ctx.pageErrors, [], 'no uncaught errors or panics in the page');
});
