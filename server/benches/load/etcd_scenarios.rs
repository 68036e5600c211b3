//! (h-k) The etcd store, against an etcd of the benchmark's own (Debian's 3.4),
//! run in the order (j), (k), (i), (l): the heartbeat runs leave 20,000 leases
//! that etcd expires (busily) a while later, and (l) leaves etcd 100,000 keys
//! larger.
//! - (i) seed heartbeats through one frontend over 10,000 instances: with a 20 s
//!   TTL nearly every beat is a lease keep-alive (an instance beats about once a
//!   second, more than TTL/32 apart); with the default 5 min TTL a beat within
//!   9.4 s of the last renewal through the frontend costs no etcd round trip. The
//!   frontend's counters say which share was which. Also the rate at which the
//!   10,000 registered (a read, a lease grant and a put each).
//! - (j) a JSON list GET of 1,000 from a frontend's cache, beside the memory store
//!   measured the same way in the same run.
//! - (k) a registration on frontend A seen by a change-feed watcher on frontend B.
//! - (l) memory per cached instance: a frontend's VmRSS before and after 100,000
//!   instances written straight into etcd (its watch loads them).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use etcd_client::{Client, PutOptions, Txn, TxnOp};
use rollcall_protocol::{ChangeBatch, ChangeKind, DEFAULT_SERVICE, Instance, InstanceList, paths};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::Settings;
use crate::etcd_process::BenchEtcd;
use crate::loadgen::Outcome;
use crate::scenarios::{addr, get, heartbeats, list_len, register, timed, verdict};
use crate::server::{ETCD_VAR, PREFIX_VAR, Role, ServerProcess, TTL_VAR};

/// Instances the heartbeat runs beat over, as in (b).
const FLEET: u64 = 10_000;
/// Heartbeats per second through one frontend the target asks for.
const HEARTBEAT_TARGET: f64 = 10_000.0;
/// A frontend's cached list GET against the memory store's.
const LIST_TARGET: f64 = 0.8;
/// p99 of a change on A reaching a watcher on B.
const PROPAGATION_TARGET: Duration = Duration::from_millis(100);
/// Instances in the list scenario.
const LIST: u64 = 1_000;
/// Changes timed in the propagation scenario, one every [`PROPAGATION_GAP`].
const CHANGES: usize = 200;
const PROPAGATION_GAP: Duration = Duration::from_millis(20);
/// Instances written for the memory figure, and per etcd transaction (its limit).
const CACHED: u64 = 100_000;
const PER_TXN: u64 = 128;
/// A fresh frontend's time to settle before its baseline memory is read.
const SETTLE: Duration = Duration::from_millis(500);
const MIB: f64 = 1024.0 * 1024.0;

fn frontend(etcd: &BenchEtcd, prefix: &str, ttl: Duration) -> Result<ServerProcess, String> {
    let env = [
        (ETCD_VAR, etcd.endpoint.clone()),
        (PREFIX_VAR, prefix.to_owned()),
        (TTL_VAR, ttl.as_millis().to_string()),
    ];
    ServerProcess::spawn_with(Role::EtcdFrontend, &env)
}

/// (i)'s figures for one TTL.
struct Beats {
    /// Time to register the fleet.
    registered: Duration,
    outcome: Outcome,
    /// Of the heartbeats sent (warm-up included), how many were keep-alives and
    /// how many were answered within the coalescing window.
    keepalives: u64,
    coalesced: u64,
}

/// Registers [`FLEET`] instances through a fresh frontend with default TTL `ttl`,
/// then times seed heartbeats over them, reading the frontend's counters around.
fn heartbeat_run(
    settings: &Settings,
    etcd: &BenchEtcd,
    prefix: &str,
    ttl: Duration,
) -> Result<Beats, String> {
    let front = frontend(etcd, prefix, ttl)?;
    let registered = register(settings, &front, FLEET)?;
    let before = counters(&front)?;
    let outcome = timed(settings, front.addr, heartbeats(&front, FLEET)?)?;
    let after = counters(&front)?;
    let listed = list_len(&front)?;
    if listed != FLEET as usize {
        return Err(format!(
            "{listed} of {FLEET} instances listed after beating ({} beats failed)",
            outcome.failed
        ));
    }
    Ok(Beats {
        registered,
        outcome,
        keepalives: after.0 - before.0,
        coalesced: after.1 - before.1,
    })
}

/// The frontend's keep-alive and coalesced-renewal counters.
fn counters(front: &ServerProcess) -> Result<(u64, u64), String> {
    let text = crate::loadgen::fetch(front.addr, "/metrics")?;
    let text = String::from_utf8_lossy(&text);
    let read = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .ok_or_else(|| format!("no {name} in /metrics"))
    };
    Ok((
        read("rollcall_etcd_keepalives_total")?,
        read("rollcall_etcd_coalesced_renewals_total")?,
    ))
}

/// Runs (i) to (l) and prints their report.
pub fn run_all(settings: &Settings) -> Result<(), String> {
    let etcd = BenchEtcd::start()?;
    let json_path = paths::service(DEFAULT_SERVICE);

    eprintln!("(j) lists of 1,000, memory and etcd ...");
    let memory = ServerProcess::spawn(Role::Registry)?;
    register(settings, &memory, LIST)?;
    let front = frontend(&etcd, "/bench/i", Duration::from_secs(300))?;
    register(settings, &front, LIST)?;
    // Taken in turns, twice, the better of each kept: the machine's load drifts.
    let (mut memory_list, mut etcd_list) = (0.0_f64, 0.0_f64);
    for _ in 0..2 {
        let outcome = timed(settings, memory.addr, get(&memory, &json_path)?)?;
        memory_list = memory_list.max(outcome.per_second());
        let outcome = timed(settings, front.addr, get(&front, &json_path)?)?;
        etcd_list = etcd_list.max(outcome.per_second());
    }
    drop((memory, front));

    eprintln!("(k) a change on frontend A seen on frontend B ...");
    let a = frontend(&etcd, "/bench/j", Duration::from_secs(300))?;
    let b = frontend(&etcd, "/bench/j", Duration::from_secs(300))?;
    let propagation = runtime()?.block_on(propagation(a.addr, b.addr))?;
    drop((a, b));

    // Before (l), whose 100,000 keys make etcd slower to serve; the 20,000 leases
    // these runs leave expire (keeping etcd busy) while (l) loads.
    eprintln!("(i) heartbeats through an etcd frontend, TTL 20 s ...");
    let short = heartbeat_run(settings, &etcd, "/bench/h20", Duration::from_secs(20))?;
    eprintln!("(i) heartbeats through an etcd frontend, TTL 5 min ...");
    let long = heartbeat_run(settings, &etcd, "/bench/h300", Duration::from_secs(300))?;

    eprintln!("(l) 100,000 instances cached by a frontend ...");
    let front = frontend(&etcd, "/bench/k", Duration::from_secs(300))?;
    std::thread::sleep(SETTLE);
    let before = front.rss_bytes()?;
    let loading = Instant::now();
    runtime()?.block_on(write_instances(&etcd.endpoint, "/bench/k", CACHED))?;
    while list_len(&front)? < CACHED as usize {
        if loading.elapsed() > Duration::from_secs(120) {
            return Err("the frontend did not load 100,000 instances in 2 minutes".to_owned());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let loaded = loading.elapsed();
    let after = front.rss_bytes()?;
    drop(front);

    println!(
        "\netcd store (etcd of the benchmark's own on loopback; one frontend process unless said)"
    );
    println!(
        "(i) registrations through a frontend, 10,000: {:.0}/s (a read, a lease grant and a put each)",
        FLEET as f64 / short.registered.as_secs_f64().max(f64::EPSILON)
    );
    for (label, beats, target) in [
        (
            "(i) seed heartbeats, 10,000 instances, TTL 20 s",
            &short,
            true,
        ),
        (
            "(i) seed heartbeats, 10,000 instances, TTL 5 min",
            &long,
            false,
        ),
    ] {
        let rate = beats.outcome.per_second();
        let sent = beats.outcome.samples.len().max(1) as f64;
        let target = if target {
            format!(
                "  target >= {HEARTBEAT_TARGET:.0}/s: {}",
                verdict(rate >= HEARTBEAT_TARGET)
            )
        } else {
            String::new()
        };
        let share = beats.keepalives as f64 / sent;
        println!(
            "{label}: {rate:.0} req/s, {:.0} keep-alives/s ({:.0}% of beats; {:.0}% within TTL/32 of the last){}{target}",
            rate * share,
            100.0 * share,
            100.0 * beats.coalesced as f64 / sent,
            failures(&beats.outcome)
        );
    }
    let ratio = etcd_list / memory_list.max(f64::EPSILON);
    println!(
        "(j) JSON GET list, 1,000 (better of two turns each): memory {memory_list:.0} req/s, etcd frontend {etcd_list:.0} req/s = {ratio:.2} x  target >= {LIST_TARGET:.2}: {}",
        verdict(ratio >= LIST_TARGET)
    );
    println!("{propagation}");
    let per_instance = after.saturating_sub(before) as f64 / CACHED as f64;
    println!(
        "(l) memory per cached instance at 100,000: {per_instance:.0} B  (VmRSS {:.1} MiB -> {:.1} MiB; loaded through the watch in {:.2} s)",
        before as f64 / MIB,
        after as f64 / MIB,
        loaded.as_secs_f64()
    );
    Ok(())
}

fn failures(outcome: &Outcome) -> String {
    if outcome.failed > 0 {
        format!("  ({} failed)", outcome.failed)
    } else {
        String::new()
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))
}

/// (k)'s figures.
struct Propagation {
    /// From sending the registration to A until B's watcher had it.
    from_request: Vec<Duration>,
    /// From A's answer until B's watcher had it (0 if B had it first).
    from_answer: Vec<Duration>,
}

impl std::fmt::Display for Propagation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let at = |v: &[Duration], p: usize| v[(v.len() * p / 100).min(v.len() - 1)];
        let (req, ans) = (&self.from_request, &self.from_answer);
        write!(
            f,
            "(k) a registration on frontend A seen by a change-feed watcher on B, {} changes: from A's request p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; from A's answer p50 {:.1} ms, p99 {:.1} ms  target p99 < {} ms: {}",
            req.len(),
            ms(at(req, 50)),
            ms(at(req, 99)),
            ms(req[req.len() - 1]),
            ms(at(ans, 50)),
            ms(at(ans, 99)),
            PROPAGATION_TARGET.as_millis(),
            verdict(at(req, 99) < PROPAGATION_TARGET)
        )
    }
}

async fn propagation(a: SocketAddr, b: SocketAddr) -> Result<Propagation, String> {
    let service = "propagation";
    let list: InstanceList = json(&http(b, "GET", &paths::service(service), "").await?)?;
    let seen: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let watcher = {
        let seen = Arc::clone(&seen);
        let (mut since, epoch) = (list.revision, list.epoch);
        tokio::spawn(async move {
            while seen.lock().map_or(0, |s| s.len()) < CHANGES {
                let path = format!(
                    "{}?since={since}&wait=30s&epoch={epoch}",
                    rollcall_protocol::watch::changes(service)
                );
                let batch: ChangeBatch = json(&http(b, "GET", &path, "").await?)?;
                let now = Instant::now();
                if let Ok(mut seen) = seen.lock() {
                    for event in batch
                        .events
                        .iter()
                        .filter(|e| e.kind == ChangeKind::Register)
                    {
                        seen.entry(event.instance.addr.clone()).or_insert(now);
                    }
                }
                since = batch.revision;
            }
            Ok::<(), String>(())
        })
    };
    let mut sent = Vec::new();
    let path = format!("{}/instances", paths::service(service));
    for n in 0..CHANGES {
        let body = format!(r#"{{"addr":"{}","ttl_ms":60000}}"#, addr(n as u64));
        let at = Instant::now();
        http(a, "POST", &path, &body).await?;
        sent.push((addr(n as u64), at, Instant::now()));
        tokio::time::sleep(PROPAGATION_GAP).await;
    }
    tokio::time::timeout(Duration::from_secs(30), watcher)
        .await
        .map_err(|_| "the watcher on B did not see every change".to_owned())?
        .map_err(|e| e.to_string())??;
    let seen = seen.lock().map_err(|_| "poisoned")?.clone();
    let mut from_request = Vec::new();
    let mut from_answer = Vec::new();
    for (addr, at, answered) in sent {
        let got = seen.get(&addr).ok_or("a change was not seen")?;
        from_request.push(got.saturating_duration_since(at));
        from_answer.push(got.saturating_duration_since(answered));
    }
    from_request.sort();
    from_answer.sort();
    Ok(Propagation {
        from_request,
        from_answer,
    })
}

/// Writes `count` instances of `default` straight into etcd under `prefix`, in
/// the layout the etcd store uses, all under one lease.
async fn write_instances(endpoint: &str, prefix: &str, count: u64) -> Result<(), String> {
    let mut client = Client::connect([endpoint], None)
        .await
        .map_err(|e| e.to_string())?;
    let lease = client
        .lease_grant(600, None)
        .await
        .map_err(|e| e.to_string())?
        .id();
    let mut n = 0;
    while n < count {
        let puts: Vec<TxnOp> = (n..(n + PER_TXN).min(count))
            .map(|i| {
                let instance = Instance::from_addr(addr(i));
                let instance = Instance {
                    ttl_ms: 300_000,
                    ..instance
                };
                let key = format!("{prefix}/services/{DEFAULT_SERVICE}/{}", instance.addr);
                let value = serde_json::to_vec(&instance).unwrap_or_default();
                TxnOp::put(key, value, Some(PutOptions::new().with_lease(lease)))
            })
            .collect();
        client
            .txn(Txn::new().and_then(puts))
            .await
            .map_err(|e| e.to_string())?;
        n += PER_TXN;
    }
    Ok(())
}

/// One request with `Connection: close`; the body of a `2xx` answer.
async fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> Result<Vec<u8>, String> {
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut answer = Vec::new();
        stream
            .read_to_end(&mut answer)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(answer)
    };
    let answer = tokio::time::timeout(Duration::from_secs(60), exchange)
        .await
        .map_err(|_| format!("{method} {path}: timed out"))??;
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("{method} {path}: no answer"))?;
    let head = String::from_utf8_lossy(&answer[..split]);
    if !(head.starts_with("HTTP/1.1 2")) {
        return Err(format!(
            "{method} {path}: {}",
            head.lines().next().unwrap_or_default()
        ));
    }
    Ok(answer[split + 4..].to_vec())
}

fn json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| e.to_string())
}
