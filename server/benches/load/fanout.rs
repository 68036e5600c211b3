//! (h) Watch fan-out scenarios: 1,000 and then 10,000 watchers on a service of
//! 1,000 instances, on the change feed and, for comparison, on the full list; the
//! same against the Go long-poll peer when it is given (`--longpoll-go PATH`).

use rollcall_protocol::{DEFAULT_SERVICE, InstanceList, WatchQuery, paths, watch};

use crate::Settings;
use crate::loadgen;
use crate::peer::GoPeer;
use crate::server::{Role, ServerProcess};
use crate::watchers::{self, Fanout, Target};

/// Watcher counts, each with the p99 the change feed must meet (ms).
const RUNS: [(usize, u128); 2] = [(1_000, 50), (10_000, 250)];

/// Instances of the watched service.
const FLEET: u64 = 1_000;

/// The wait each watcher asks for: far longer than the run, so only the change
/// answers it.
const WAIT: std::time::Duration = std::time::Duration::from_secs(300);

/// Open files the run needs: one per watcher, plus the rest.
const FILES: u64 = 10_000 + 1_024;

/// What the watchers wait on.
#[derive(Debug, Clone, Copy)]
enum Feed {
    Changes,
    List,
    Peer,
}

impl Feed {
    fn label(self) -> &'static str {
        match self {
            Feed::Changes => "rollcall change feed",
            Feed::List => "rollcall full list",
            Feed::Peer => "Go long-poll peer",
        }
    }
}

struct Row {
    feed: Feed,
    target_ms: Option<u128>,
    fanout: Fanout,
}

/// Runs every fan-out scenario and prints their table.
pub fn run_all(settings: &Settings) -> Result<(), String> {
    let limit = rlimit::increase_nofile_limit(FILES).map_err(|e| format!("open files: {e}"))?;
    if limit < FILES {
        eprintln!("warning: open-file limit {limit} < {FILES}: the 10,000-watcher runs may fail");
    }
    let mut rows = Vec::new();
    for (watchers, target_ms) in RUNS {
        for feed in [Feed::Changes, Feed::List] {
            eprintln!("(h) {watchers} watchers on the {} ...", feed.label());
            let fanout = rollcall(settings, feed, watchers)?;
            let target_ms = matches!(feed, Feed::Changes).then_some(target_ms);
            rows.push(Row {
                feed,
                target_ms,
                fanout,
            });
        }
    }
    match &settings.longpoll_go {
        Some(binary) => {
            for (watchers, _) in RUNS {
                eprintln!("(h) {watchers} watchers on the Go peer ...");
                let peer = GoPeer::spawn(binary)?;
                let target = Target {
                    addr: peer.addr,
                    pid: peer.pid(),
                    held: None,
                };
                let path = format!("{}?since=0&wait=5m", watch::changes(DEFAULT_SERVICE));
                let register = watchers::post("/", r#"{"addr":"10.200.0.1:8080"}"#);
                let fanout = watchers::run(target, watchers, &path, &register)?;
                rows.push(Row {
                    feed: Feed::Peer,
                    target_ms: None,
                    fanout,
                });
            }
        }
        None => eprintln!("(h) Go peer not measured: pass --longpoll-go PATH"),
    }
    print(&rows);
    Ok(())
}

/// One run against a fresh registry holding `FLEET` instances.
fn rollcall(settings: &Settings, feed: Feed, watchers: usize) -> Result<Fanout, String> {
    let mut server = ServerProcess::spawn(Role::Registry)?;
    crate::scenarios::register(settings, &server, FLEET)?;
    let body = loadgen::fetch(server.addr, &paths::service(DEFAULT_SERVICE))?;
    let list: InstanceList = serde_json::from_slice(&body).map_err(|e| format!("list: {e}"))?;
    let query = WatchQuery {
        after: list.revision,
        wait: WAIT,
        epoch: Some(list.epoch),
    };
    let path = match feed {
        Feed::List => watch::watch_service(DEFAULT_SERVICE, &query),
        Feed::Changes | Feed::Peer => watch::watch_changes(DEFAULT_SERVICE, &query),
    };
    let register = watchers::post(
        &paths::instances(DEFAULT_SERVICE),
        r#"{"addr":"10.200.0.1:8080"}"#,
    );
    let (addr, pid) = (server.addr, server.pid());
    let mut held = || server.watchers();
    let target = Target {
        addr,
        pid,
        held: Some(&mut held),
    };
    watchers::run(target, watchers, &path, &register)
}

fn ms(duration: std::time::Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

fn print(rows: &[Row]) {
    println!(
        "(h) watch fan-out: one registration, N watchers held on a service of {FLEET} instances; \
         time from the registration's answer to each watcher's answer (early: answers that \
         came before it, counted as 0; req: time from sending the registration)"
    );
    println!(
        "{:<22} {:>8} {:>8} {:>6} {:>9} {:>9} {:>9}  {:<22} {:>9} {:>9}  idle watcher",
        "feed",
        "watchers",
        "answered",
        "early",
        "p50",
        "p99",
        "max",
        "target",
        "req p50",
        "req p99"
    );
    for row in rows {
        let fanout = &row.fanout;
        let p99 = fanout.percentile(99);
        let target = match row.target_ms {
            Some(ms) => {
                let met = fanout.answered == fanout.watchers && p99.as_millis() <= ms;
                format!("p99 <= {ms} ms: {}", if met { "met" } else { "MISSED" })
            }
            None => String::new(),
        };
        println!(
            "{:<22} {:>8} {:>8} {:>6} {:>9} {:>9} {:>9}  {:<22} {:>9} {:>9}  {:.1} KiB",
            row.feed.label(),
            fanout.watchers,
            fanout.answered,
            fanout.early,
            ms(fanout.percentile(50)),
            ms(p99),
            ms(fanout.max()),
            target,
            ms(fanout.request_percentile(50)),
            ms(fanout.request_percentile(99)),
            fanout.bytes_per_watcher / 1024.0
        );
    }
}
