// The dashboard's benchmark: a browser measurement, not a test (nothing here
// fails on a slow figure). `cargo xtask bench --dashboard` runs it; by hand:
//
//   ROLLCALL_BIN=target/release/rollcall DASHBOARD_DIR=web-demo/dist \
//   ROLLCALL_DASHBOARD_FLAG=--dashboard-dir node bench.mjs     (in web-demo/e2e)
//
// Setup: a registry serving the dashboard, 10,000 instances in 100 services of
// 100 (JSON API), Debian's Chromium at 1280x900. Measured:
// - first full render: from the page's navigation start until every service is
//   listed with its counts (the page's `#services[data-loaded]`, set in the frame
//   that completes it);
// - while one instance registers and one deregisters every second for
//   BENCH_SECONDS (default 20) with three services unfolded on screen: the gaps
//   between animation frames (requestAnimationFrame), the page's own User Timing
//   measures ("rollcall frame": one frame's patching; "rollcall tick": the
//   once-a-second countdown), and how long a registration takes to show as a row;
// - the frame that applies a filter typed into the box (all 10,000 instances);
// - the page's memory: JS heap (Chrome DevTools Protocol), the wasm module's
//   linear memory, DOM nodes.
// Figures go to stdout and to E2E_OUT_DIR/dashboard-bench.json.

import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import {
  OUT_DIR, launchChromium, pageErrors, required, serveDirectory, startRegistry, stopAll,
} from './harness.mjs';
import { deregister, instancesOf, plan, register, seed } from './fleet.mjs';

const env = process.env;
const SECONDS = Number(env.BENCH_SECONDS ?? 20);
const SERVICES = 100;
const PER_SERVICE = 100;
const OPEN = ['svc-00', 'svc-01', 'svc-02'];

/** Records every animation frame's time and the page's User Timing measures. */
function recorder() {
  window.__bench = { frames: [], measures: {} };
  const frame = (t) => {
    window.__bench.frames.push(t);
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      (window.__bench.measures[entry.name] ??= []).push(entry.duration);
    }
  }).observe({ entryTypes: ['measure'] });
}

const quantile = (sorted, q) => sorted.length === 0 ? NaN
  : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length, mean: sum / sorted.length, p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? NaN,
  };
};
const ms = (x) => `${x.toFixed(1)} ms`;
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function main() {
  const rollcall = required('ROLLCALL_BIN', import.meta.filename);
  const dashboardDir = required('DASHBOARD_DIR', import.meta.filename);
  const browser = await launchChromium(['--enable-precise-memory-info']);
  const registry = await startRegistry(
    'registry-bench', rollcall, ['--warmup', '0'], dashboardDir, env.ROLLCALL_DASHBOARD_FLAG);
  let pageUrl = `${registry.url}/`;
  let server;
  if (!env.ROLLCALL_DASHBOARD_FLAG) {
    server = await serveDirectory(dashboardDir);
    pageUrl = `http://127.0.0.1:${server.address().port}/?registry=${encodeURIComponent(registry.url)}`;
  }
  const seedMs = await seed(registry.url, plan(Array(SERVICES).fill(PER_SERVICE)));
  console.error(`seeded ${SERVICES * PER_SERVICE} instances in ${Math.round(seedMs)} ms`);

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = pageErrors(page);
  await page.addInitScript(recorder);
  await page.goto(pageUrl);
  const firstRender = await page.waitForFunction(() => {
    const done = document.querySelector('#services[data-loaded]')
      || /10,?000 instances in 100 services/.test(document.getElementById('status')?.textContent);
    return done && performance.now();
  }, null, { polling: 'raf', timeout: 60_000 }).then((h) => h.jsonValue());

  for (const name of OPEN) {
    // (A page without folding, such as an older dashboard, shows them already.)
    await (await page.$(`section.service[data-service="${name}"] > header.service-head`))?.click();
  }
  await page.waitForTimeout(2_000);
  await page.evaluate(() => {
    window.__bench.frames = [];
    window.__bench.measures = {};
  });

  // One registration and one deregistration a second; every other registration
  // lands at the top of an unfolded service, where its row must appear.
  const latencies = [];
  const started = Date.now();
  for (let second = 0; second < SECONDS; second++) {
    const tick = started + second * 1_000;
    const visible = second % 2 === 0;
    const s = visible ? second % OPEN.length : 10 + (second % (SERVICES - 10));
    const service = `svc-${String(s).padStart(2, '0')}`;
    const addr = `10.${s}.0.0:${9000 + second}`;
    await register(registry.url, service, { addr, metadata: { zone: 'eu-1' }, ttl_ms: 600_000 });
    const registered = Date.now();
    const gone = instancesOf(50 + (second % 40), PER_SERVICE)[second + 1];
    await deregister(registry.url, `svc-${50 + (second % 40)}`, gone.addr);
    if (visible) {
      await page.waitForSelector(`.instance[data-addr="${addr}"]`, { timeout: 10_000 });
      latencies.push(Date.now() - registered);
    }
    const wait = tick + 1_000 - Date.now();
    if (wait > 0) await page.waitForTimeout(wait);
  }

  const recorded = await page.evaluate(() => window.__bench);
  const gaps = recorded.frames.slice(1).map((t, i) => t - recorded.frames[i]);

  // Typing a filter: each keystroke redraws every service's line and the rows in
  // view of those unfolded.
  const filtered = [];
  if (await page.$('#filter')) {
    for (const q of ['zone=eu-1', '10.4', '']) {
      await page.evaluate(() => { window.__bench.measures = {}; });
      await page.fill('#filter', q);
      await page.waitForTimeout(300);
      filtered.push(...await page.evaluate(() => window.__bench.measures['rollcall frame'] ?? []));
    }
  }
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  const metrics = Object.fromEntries(
    (await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const wasmBytes = await page.evaluate(async () => {
    try {
      const module = await import(new URL('web_demo.js', document.baseURI).href);
      const exports = await module.default();
      return exports.memory.buffer.byteLength;
    } catch {
      return NaN;
    }
  });
  const rows = await page.$$eval('.instance', (els) => els.length);

  const result = {
    instances: SERVICES * PER_SERVICE,
    services: SERVICES,
    seconds: SECONDS,
    seed_ms: seedMs,
    first_full_render_ms: firstRender,
    frame_gap_ms: stats(gaps),
    frame_patch_ms: stats(recorded.measures['rollcall frame'] ?? []),
    tick_ms: stats(recorded.measures['rollcall tick'] ?? []),
    change_to_row_ms: stats(latencies),
    filter_frame_ms: stats(filtered),
    js_heap_used_bytes: metrics.JSHeapUsedSize,
    js_heap_total_bytes: metrics.JSHeapTotalSize,
    wasm_memory_bytes: wasmBytes,
    dom_nodes: metrics.Nodes,
    rendered_rows: rows,
    page_errors: errors,
  };
  await writeFile(path.join(OUT_DIR, 'dashboard-bench.json'), JSON.stringify(result, null, 2));
  const g = result.frame_gap_ms;
  const tk = result.tick_ms;
  const fp = result.frame_patch_ms;
  const lat = result.change_to_row_ms;
  console.log(`dashboard, ${result.instances.toLocaleString('en-US')} instances in ${SERVICES} services, ${SECONDS} s of one registration and one deregistration a second:
| measure | figure | target |
|---|---:|---|
| first full render | ${ms(firstRender)} | ≤ 1 s |
| frame gap while changes stream in: worst / p99 / p50 | ${ms(g.max)} / ${ms(g.p99)} / ${ms(g.p50)} (${g.n} frames) | worst ≤ 50 ms |
| countdown tick, per second: worst / mean | ${ms(tk.max)} / ${ms(tk.mean)} (${tk.n} ticks) | ≤ 5 ms |
| patching a frame with changes: worst / p99 | ${ms(fp.max)} / ${ms(fp.p99)} (${fp.n} frames written) | |
| registration to its row on screen: worst / p50 | ${ms(lat.max)} / ${ms(lat.p50)} | ≤ 1 s |
| a filter typed (zone=eu-1, 10.4, cleared): the frame that applies it, worst | ${ms(result.filter_frame_ms.max)} | |
| memory: JS heap used / total, wasm memory, DOM nodes | ${mib(result.js_heap_used_bytes)} / ${mib(result.js_heap_total_bytes)}, ${mib(wasmBytes)}, ${result.dom_nodes} (${rows} rows rendered) | report |`);
  if (errors.length) console.log(`page errors: ${errors.join('; ')}`);
  await browser.close();
  server?.close();
}

try {
  await main();
} finally {
  stopAll();
}
