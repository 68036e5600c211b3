// What the dashboard's browser tests and benchmark share: starting the registry
// and other processes (killed when the run ends), free ports, waiting for a
// server, serving the bundle from another origin, and Debian's Chromium.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';

import { chromium } from 'playwright-core';

/** Headless flags that work as root on a closed network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync',
];

const env = process.env;

/** Where logs and screenshots go: E2E_OUT_DIR, else target/e2e. */
export const OUT_DIR = path.resolve(
  env.E2E_OUT_DIR ?? path.join(import.meta.dirname, '../../target/e2e'));

/** The absolute path in the environment variable `name`, which must be set. */
export function required(name, file) {
  const value = env[name];
  assert.ok(value, `${name} must be set (see the top of ${path.basename(file)})`);
  return path.resolve(value);
}

/** Every process started here, killed by `stopAll` whatever happened. */
const children = new Set();

/** Starts `bin` with `args`; stderr (logs) goes to OUT_DIR/<name>.log. */
export function start(name, bin, args) {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const log = createWriteStream(path.join(OUT_DIR, `${name}.log`));
  child.stderr.pipe(log);
  child.on('exit', () => children.delete(child));
  return child;
}

/** Kills every process still running. */
export function stopAll() {
  for (const child of children) child.kill('SIGKILL');
}

/** Resolves with the rest of the first `count` stdout lines starting with `prefix`. */
export function linesFrom(child, prefix, count, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const found = [];
    const timer = setTimeout(
      () => reject(new Error(`got ${found.length} of ${count} "${prefix}" lines`)), timeoutMs);
    child.once('exit', (code) => reject(new Error(`exited (${code}) before printing its address`)));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith(prefix)) found.push(line.slice(prefix.length).trim());
      if (found.length === count) {
        clearTimeout(timer);
        resolve(found);
      }
    });
  });
}

/** A free TCP port on 127.0.0.1. */
export async function freePort() {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/** Waits until `url`, served by `child`, answers 200; fails at once if it exits. */
export async function waitForHttp(url, child, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`the server for ${url} exited (${child.exitCode}): see ${OUT_DIR}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts `rollcall serve` on a free loopback port with `args`, serving
 * `dashboardDir` at / when `dashboardFlag` (the registry's option for it) is set;
 * on `port` if given (a restart); resolves once it answers, with
 * `{ child, url, port }`.
 */
export async function startRegistry(
  name, rollcall, args = [], dashboardDir, dashboardFlag, port = undefined) {
  port ??= await freePort();
  const serveArgs = ['serve', '--listen', `127.0.0.1:${port}`, ...args];
  if (dashboardFlag && dashboardDir) serveArgs.push(dashboardFlag, dashboardDir);
  const child = start(name, rollcall, serveArgs);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, child);
  return { child, url, port };
}

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm', '.css': 'text/css; charset=utf-8',
};

/** Serves the files directly inside `dir` on a loopback port; returns the server. */
export async function serveDirectory(dir) {
  const server = createServer(async (req, res) => {
    const name = path.basename(new URL(req.url, 'http://x').pathname) || 'index.html';
    try {
      const body = await readFile(path.join(dir, name));
      res.writeHead(200, { 'content-type': CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

/** Debian's Chromium, headless (CHROMIUM overrides the path). */
export async function launchChromium(extraArgs = []) {
  await mkdir(OUT_DIR, { recursive: true });
  return chromium.launch({
    executablePath: env.CHROMIUM ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}

/** Collects uncaught errors and Rust panics of `page` into the returned array. */
export function pageErrors(page) {
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => {
    if (message.text().includes('panicked at')) errors.push(message.text());
  });
  return errors;
}

/**
 * Starts a one-member etcd (ETCD_BIN, default `etcd`: Debian's etcd-server) on free
 * loopback ports with a fresh data directory under OUT_DIR; resolves once it
 * answers its health check, with `{ child, endpoint, dir }`. `stopAll` kills it;
 * the caller removes `dir`.
 */
export async function startEtcd(name) {
  const [client, peer] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const dir = path.join(OUT_DIR, `${name}-data`);
  await rm(dir, { recursive: true, force: true });
  const child = start(name, env.ETCD_BIN ?? 'etcd', [
    '--name', name, '--data-dir', dir,
    '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
    '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `${name}=${peerUrl}`, '--initial-cluster-state', 'new',
  ]);
  await waitForHttp(`${endpoint}/health`, child);
  return { child, endpoint, dir };
}
