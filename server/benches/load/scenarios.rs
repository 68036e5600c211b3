//! The scenarios, run one after another, and the report.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::HOST;
use http::{HeaderValue, Method, Request, Uri};
use http_body_util::Full;
use rollcall_protocol::{DEFAULT_PATH, DEFAULT_SERVICE, HEADER_SERVER, InstanceList, paths};

use crate::loadgen::{self, MakeRequest, Outcome, Stop};
use crate::server::{Role, ServerProcess};
use crate::{Settings, mass_expiry};

/// Targets, as ratios of the no-op ceiling and bytes per instance.
const HEARTBEAT_TARGET: f64 = 0.8;
const GET_1K_TARGET: f64 = 0.5;
const BYTES_PER_INSTANCE_TARGET: f64 = 300.0;

/// Distinct addresses the heartbeat scenario cycles over (as in the peers' figures).
const HEARTBEAT_ADDRS: u64 = 10_000;
/// Instances registered for the small and large list scenarios.
const SMALL_LIST: u64 = 1_000;
const LARGE_LIST: u64 = 100_000;

/// Time the fresh server gets to settle before its baseline memory is read.
const SETTLE: Duration = Duration::from_millis(300);

/// The `i`-th distinct address: `10.a.b.c:8080`, like a fleet in one private network.
pub fn addr(i: u64) -> String {
    format!("10.{}.{}.{}:8080", (i >> 16) & 255, (i >> 8) & 255, i & 255)
}

/// A request to `uri` with the `Host` header set and an empty body.
pub fn request(method: Method, uri: &Uri, host: &HeaderValue) -> Request<Full<Bytes>> {
    let mut request = Request::new(Full::new(Bytes::new()));
    *request.method_mut() = method;
    *request.uri_mut() = uri.clone();
    request.headers_mut().insert(HOST, host.clone());
    request
}

pub fn host(server: &ServerProcess) -> Result<HeaderValue, String> {
    HeaderValue::try_from(server.addr.to_string()).map_err(|e| e.to_string())
}

pub fn uri(path: &str) -> Result<Uri, String> {
    path.parse().map_err(|e| format!("{path}: {e}"))
}

/// `GET path`, the same request every time.
pub fn get(server: &ServerProcess, path: &str) -> Result<MakeRequest, String> {
    let (uri, host) = (uri(path)?, host(server)?);
    Ok(Arc::new(move |_| request(Method::GET, &uri, &host)))
}

/// Seed-protocol heartbeats: `POST /_rpc_/registry` for address `seq % count`.
pub fn heartbeats(server: &ServerProcess, count: u64) -> Result<MakeRequest, String> {
    let (uri, host) = (uri(DEFAULT_PATH)?, host(server)?);
    let addrs = (0..count)
        .map(|i| HeaderValue::try_from(addr(i)).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Arc::new(move |seq| {
        let mut request = request(Method::POST, &uri, &host);
        let index = usize::try_from(seq % count).unwrap_or(0);
        request
            .headers_mut()
            .insert(HEADER_SERVER, addrs[index % addrs.len()].clone());
        request
    }))
}

pub fn timed(settings: &Settings, addr: SocketAddr, make: MakeRequest) -> Result<Outcome, String> {
    let stop = Stop::Timed {
        warmup: settings.warmup,
        measure: settings.measure,
    };
    loadgen::run(addr, settings.connections, settings.threads, stop, make)
}

/// Registers `count` distinct addresses and checks they are all listed.
pub fn register(
    settings: &Settings,
    server: &ServerProcess,
    count: u64,
) -> Result<Duration, String> {
    let make = heartbeats(server, count)?;
    let outcome = loadgen::run(
        server.addr,
        settings.connections,
        settings.threads,
        Stop::Count(count),
        make,
    )?;
    let listed = list_len(server)?;
    if listed != count as usize {
        return Err(format!(
            "registered {count}, registry lists {listed} ({} failed)",
            outcome.failed
        ));
    }
    Ok(outcome.elapsed)
}

/// One JSON GET of the default service: how many instances it lists.
pub fn list_len(server: &ServerProcess) -> Result<usize, String> {
    let body = loadgen::fetch(server.addr, &paths::service(DEFAULT_SERVICE))?;
    let list: InstanceList = serde_json::from_slice(&body).map_err(|e| format!("list: {e}"))?;
    Ok(list.instances.len())
}

/// One line of the throughput table.
struct Row {
    label: &'static str,
    per_second: f64,
    failed: u64,
    target: Option<f64>,
}

impl Row {
    fn new(label: &'static str, outcome: &Outcome, target: Option<f64>) -> Row {
        Row {
            label,
            per_second: outcome.per_second(),
            failed: outcome.failed,
            target,
        }
    }
}

/// Runs every scenario and prints the report.
pub fn run_all(settings: &Settings) -> Result<(), String> {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "rollcall load benchmark: {} connections on {} load threads, {} s measured per scenario \
         (+{} ms warm-up), {cores} cores, loopback",
        settings.connections,
        settings.threads,
        settings.measure.as_secs(),
        settings.warmup.as_millis()
    );
    let json_path = paths::service(DEFAULT_SERVICE);
    let mut rows = Vec::new();

    eprintln!("(a) no-op ceiling ...");
    let noop = ServerProcess::spawn(Role::Noop)?;
    let ceiling = timed(settings, noop.addr, get(&noop, "/")?)?;
    drop(noop);
    rows.push(Row::new("(a) no-op handler (ceiling)", &ceiling, None));

    eprintln!("(b) heartbeats ...");
    let registry = ServerProcess::spawn(Role::Registry)?;
    let outcome = timed(
        settings,
        registry.addr,
        heartbeats(&registry, HEARTBEAT_ADDRS)?,
    )?;
    drop(registry);
    rows.push(Row::new(
        "(b) seed POST heartbeat, 10,000 addrs",
        &outcome,
        Some(HEARTBEAT_TARGET),
    ));

    eprintln!("(c, d) lists of 1,000 ...");
    let registry = ServerProcess::spawn(Role::Registry)?;
    register(settings, &registry, SMALL_LIST)?;
    let outcome = timed(settings, registry.addr, get(&registry, DEFAULT_PATH)?)?;
    rows.push(Row::new(
        "(c) seed GET list, 1,000 (header)",
        &outcome,
        Some(GET_1K_TARGET),
    ));
    let outcome = timed(settings, registry.addr, get(&registry, &json_path)?)?;
    rows.push(Row::new("(d) JSON GET list, 1,000", &outcome, None));
    drop(registry);

    eprintln!("(e, f) 100,000 instances ...");
    let registry = ServerProcess::spawn(Role::Registry)?;
    std::thread::sleep(SETTLE);
    let before = registry.rss_bytes()?;
    let took = register(settings, &registry, LARGE_LIST)?;
    let after = registry.rss_bytes()?;
    let outcome = timed(settings, registry.addr, get(&registry, &json_path)?)?;
    rows.push(Row::new("(e) JSON GET list, 100,000", &outcome, None));
    drop(registry);

    eprintln!("(g) mass expiry of 100,000 ...");
    let expiry = mass_expiry::run(settings)?;

    print_rows(&rows, ceiling.per_second());
    let per_instance = after.saturating_sub(before) as f64 / LARGE_LIST as f64;
    println!(
        "(f) memory per instance at 100,000: {per_instance:.0} B  (VmRSS {:.1} MiB -> {:.1} MiB; \
         registered in {:.2} s)  target < {BYTES_PER_INSTANCE_TARGET:.0} B: {}",
        before as f64 / MIB,
        after as f64 / MIB,
        took.as_secs_f64(),
        verdict(per_instance < BYTES_PER_INSTANCE_TARGET)
    );
    println!("{expiry}");
    Ok(())
}

const MIB: f64 = 1024.0 * 1024.0;

pub fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

fn print_rows(rows: &[Row], ceiling: f64) {
    println!(
        "{:<40} {:>10} {:>9}  target",
        "scenario", "req/s", "x ceiling"
    );
    for row in rows {
        let rate = row.per_second;
        let ratio = rate / ceiling.max(f64::EPSILON);
        let target = row
            .target
            .map(|t| format!(">= {t:.2}: {}", verdict(ratio >= t)))
            .unwrap_or_default();
        let failed = if row.failed > 0 {
            format!("  ({} failed)", row.failed)
        } else {
            String::new()
        };
        println!(
            "{:<40} {:>10.0} {:>9.2}  {target}{failed}",
            row.label, rate, ratio
        );
    }
}
