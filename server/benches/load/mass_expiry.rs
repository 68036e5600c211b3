//! (g) A mass expiry: 100,000 instances of one service expire at once (a zone
//! lost) while clients keep beating and listing another service. Those requests
//! must still be answered: p99 latency under 50 ms while the expiry runs.
//!
//! The server child registers the 100,000 itself, in-process and with the same
//! short TTL, so their deadlines fall within a few milliseconds of each other (the
//! worst case: over HTTP they would spread over the second registering takes).
//! Meanwhile a watcher polls the service index to see when the expiry starts and
//! ends; the latencies reported are those of the requests in flight then.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use http::Method;
use rollcall_protocol::{DEFAULT_PATH, DEFAULT_SERVICE, ServiceIndex, paths};

use crate::Settings;
use crate::loadgen::{self, MakeRequest, Sample, Stop};
use crate::scenarios::{heartbeats, host, register, request, uri, verdict};
use crate::server::{Role, ServerProcess};

/// Instances that expire together.
pub const MASS: u64 = 100_000;
/// Their TTL: long enough for the load to be running when it ends.
pub const MASS_TTL: Duration = Duration::from_secs(2);
/// The service they are in.
pub const MASS_SERVICE: &str = "zone";

/// Addresses in the other service (`default`) that keep beating, and whose list
/// is read.
const OTHERS: u64 = 100;
/// How often the watcher looks at the index.
const POLL: Duration = Duration::from_millis(5);
/// Load after the expiry should have ended, to see it end.
const AFTER: Duration = Duration::from_secs(3);
/// The target: p99 of the requests in flight during the expiry.
const P99_TARGET: Duration = Duration::from_millis(50);

/// What the scenario measured.
#[derive(Debug)]
pub struct Report {
    /// From the last poll that saw all instances to the first that saw none.
    expiry: Duration,
    during: Percentiles,
    outside: Percentiles,
}

#[derive(Debug, Default)]
struct Percentiles {
    requests: usize,
    failed: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

impl Percentiles {
    fn of<'a>(samples: impl Iterator<Item = &'a Sample>) -> Percentiles {
        let mut failed = 0;
        let mut latencies: Vec<Duration> = samples
            .inspect(|s| failed += usize::from(!s.ok))
            .map(|s| s.latency)
            .collect();
        latencies.sort_unstable();
        let at = |q: f64| {
            let rank = ((latencies.len() as f64 * q).ceil() as usize).max(1);
            latencies.get(rank - 1).copied().unwrap_or_default()
        };
        Percentiles {
            requests: latencies.len(),
            failed,
            p50: at(0.50),
            p99: at(0.99),
            max: latencies.last().copied().unwrap_or_default(),
        }
    }
}

impl fmt::Display for Percentiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} requests ({} failed), p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            self.requests,
            self.failed,
            ms(self.p50),
            ms(self.p99),
            ms(self.max)
        )
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "(g) mass expiry: {MASS} instances expired within {:.0} ms; heartbeats and lists \
             of another service meanwhile: {}",
            ms(self.expiry),
            self.during
        )?;
        write!(
            f,
            "    target p99 < {} ms: {}; the rest of the run: {}",
            P99_TARGET.as_millis(),
            verdict(self.during.p99 < P99_TARGET),
            self.outside
        )
    }
}

/// Seed heartbeats and JSON lists of `default`, alternately.
fn mixed(server: &ServerProcess) -> Result<MakeRequest, String> {
    let beat = heartbeats(server, OTHERS)?;
    let (list, host) = (uri(&paths::service(DEFAULT_SERVICE))?, host(server)?);
    Ok(Arc::new(move |seq| {
        if seq % 2 == 0 {
            beat(seq / 2)
        } else {
            request(Method::GET, &list, &host)
        }
    }))
}

/// How many instances the index lists in [`MASS_SERVICE`].
fn mass_left(addr: SocketAddr) -> Result<usize, String> {
    let body = loadgen::fetch(addr, &paths::services())?;
    let index: ServiceIndex = serde_json::from_slice(&body).map_err(|e| format!("index: {e}"))?;
    Ok(index
        .services
        .iter()
        .find(|s| s.service == MASS_SERVICE)
        .map_or(0, |s| s.instances))
}

/// Polls until the mass is gone: (last instant all were there, first with none).
fn watch(addr: SocketAddr, give_up: Instant) -> Result<(Instant, Instant), String> {
    let mut all_there = Instant::now();
    loop {
        let polled = Instant::now();
        let left = mass_left(addr)?;
        if left == MASS as usize {
            all_there = polled;
        } else if left == 0 {
            return Ok((all_there, Instant::now()));
        }
        if polled > give_up {
            return Err(format!("{left} of {MASS} instances still there"));
        }
        thread::sleep(POLL);
    }
}

/// Runs the scenario on a fresh server.
pub fn run(settings: &Settings) -> Result<Report, String> {
    let server = ServerProcess::spawn(Role::MassExpiry)?;
    let started = Instant::now();
    register(settings, &server, OTHERS).map_err(|e| format!("{DEFAULT_PATH}: {e}"))?;
    let addr = server.addr;
    let give_up = started + MASS_TTL + AFTER * 3;
    let watcher = thread::spawn(move || watch(addr, give_up));
    let stop = Stop::Timed {
        warmup: Duration::ZERO,
        measure: MASS_TTL + AFTER,
    };
    let load = loadgen::run(
        addr,
        settings.connections,
        settings.threads,
        stop,
        mixed(&server)?,
    )?;
    let (from, to) = watcher
        .join()
        .map_err(|_| "the watcher panicked".to_owned())??;
    let overlaps = |s: &&Sample| s.sent <= to && s.sent + s.latency >= from;
    Ok(Report {
        expiry: to - from,
        during: Percentiles::of(load.samples.iter().filter(overlaps)),
        outside: Percentiles::of(load.samples.iter().filter(|s| !overlaps(s))),
    })
}
