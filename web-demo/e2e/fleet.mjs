// A fleet of instances registered through the JSON API, many requests at once,
// for the tests and the benchmark at 10,000 instances. Nothing heartbeats: the
// instances get a TTL longer than any run.

/** TTL of a seeded instance: longer than a test or a benchmark runs. */
export const SEED_TTL_MS = 30 * 60 * 1000;

/** Requests in flight while seeding: enough to keep a debug registry busy. */
const CONCURRENCY = 64;

/** Zones the instances are spread over, round-robin. */
export const ZONES = ['eu-1', 'eu-2', 'us-1'];

/**
 * The instances of service number `s` (of size `n`): `10.<s>.<i/100>.<i%100+1>:8080`,
 * so a service of more than 1,000 has addresses that sort differently as strings
 * (10.s.10.x after 10.s.9.x); zones round-robin, one in ten `version=v2`.
 */
export function instancesOf(s, n) {
  return Array.from({ length: n }, (_, i) => ({
    addr: `10.${s}.${Math.floor(i / 100)}.${(i % 100) + 1}:8080`,
    metadata: { zone: ZONES[i % ZONES.length], version: i % 10 === 0 ? 'v2' : 'v1' },
    ttl_ms: SEED_TTL_MS,
  }));
}

/** Registers (or renews) `instance` in `service`; throws on anything but 2xx. */
export async function register(registry, service, instance) {
  const response = await fetch(`${registry}/v1/services/${service}/instances`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(instance),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`register ${instance.addr}: ${response.status} ${await response.text()}`);
}

/** Deregisters `addr` from `service`; throws on anything but 2xx. */
export async function deregister(registry, service, addr) {
  const response = await fetch(
    `${registry}/v1/services/${service}/instances/${encodeURIComponent(addr)}`,
    { method: 'DELETE', signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`deregister ${addr}: ${response.status} ${await response.text()}`);
}

/**
 * Registers every `[service, instance]` of `plan`, CONCURRENCY at a time;
 * resolves with the milliseconds it took.
 */
export async function seed(registry, plan) {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < plan.length) {
      const [service, instance] = plan[next++];
      await register(registry, service, instance);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return performance.now() - started;
}

/** `[service, instance]` pairs for services of the given sizes, named `name(s)`. */
export function plan(sizes, name = (s) => `svc-${String(s).padStart(2, '0')}`) {
  return sizes.flatMap((n, s) => instancesOf(s, n).map((i) => [name(s), i]));
}
