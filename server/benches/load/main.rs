//! The load benchmark: how close the registry comes to the speed of hyper itself,
//! and what an instance costs in memory. `cargo xtask bench` runs it (release).
//!
//! Every scenario runs a fresh server process (see [`server`]) and loads it from
//! this one over loopback with 64 keep-alive connections on 2 threads, so figures
//! are comparable with `wrk -t2 -c64` runs of the Go seed. Absolute numbers depend
//! on the machine; the ratios to the no-op ceiling are what to compare.
//!
//! The throughput scenarios end with a mass expiry ([`mass_expiry`]): latency of
//! other services while 100,000 instances expire at once.
//!
//! Then the watch fan-out ([`fanout`]): 1,000 and 10,000 watchers held on one
//! service, one registration, the time until each watcher has its answer, and the
//! memory an idle watcher costs.
//!
//! Then the etcd store ([`etcd_scenarios`]), against an etcd the benchmark starts:
//! heartbeats through a frontend, a cached list against the memory store's, a
//! change's way from one frontend to a watcher on another, memory per instance.
//!
//! Arguments: `--duration SECS` (measured time per scenario, default 3),
//! `--connections N` (default 64), `--only throughput|watchers|etcd` (one part),
//! `--longpoll-go PATH` (also measure the Go long-poll peer built at PATH).
//! `cargo bench` adds `--bench`, which is ignored.

#[path = "../../tests/common/etcd_member.rs"]
mod etcd_member;
mod etcd_process;
mod etcd_scenarios;
mod fanout;
mod loadgen;
mod mass_expiry;
mod peer;
mod scenarios;
mod server;
mod watchers;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Load settings shared by every scenario.
#[derive(Debug, Clone)]
pub struct Settings {
    pub connections: usize,
    pub threads: usize,
    pub warmup: Duration,
    pub measure: Duration,
    /// Run the throughput scenarios (a-f).
    pub throughput: bool,
    /// Run the watch fan-out (h).
    pub watchers: bool,
    /// Run the etcd store's scenarios (h-k).
    pub etcd: bool,
    /// The Go long-poll peer's binary, to measure it too.
    pub longpoll_go: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            connections: 64,
            threads: 2,
            warmup: Duration::from_millis(500),
            measure: Duration::from_secs(3),
            throughput: true,
            watchers: true,
            etcd: true,
            longpoll_go: None,
        }
    }
}

fn parse_args() -> Result<Settings, String> {
    let mut settings = Settings::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .and_then(|v| v.parse::<u64>().ok())
                .filter(|v| *v > 0)
                .ok_or_else(|| format!("{name} wants a positive number"))
        };
        match arg.as_str() {
            "--duration" => settings.measure = Duration::from_secs(value("--duration")?),
            "--connections" => {
                settings.connections =
                    usize::try_from(value("--connections")?).map_err(|e| e.to_string())?
            }
            "--only" => {
                let only = args.next();
                settings.throughput = only.as_deref() == Some("throughput");
                settings.watchers = only.as_deref() == Some("watchers");
                settings.etcd = only.as_deref() == Some("etcd");
                if !(settings.throughput || settings.watchers || settings.etcd) {
                    return Err(format!(
                        "--only wants throughput, watchers or etcd, not {only:?}"
                    ));
                }
            }
            "--longpoll-go" => {
                let path = args.next().ok_or("--longpoll-go wants a path")?;
                settings.longpoll_go = Some(PathBuf::from(path));
            }
            // Added by `cargo bench`.
            "--bench" => {}
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(settings)
}

fn main() -> ExitCode {
    let result = match server::child_main() {
        Some(child) => child,
        None => parse_args().and_then(|settings| {
            if settings.throughput {
                scenarios::run_all(&settings)?;
            }
            if settings.watchers {
                fanout::run_all(&settings)?;
            }
            if settings.etcd {
                etcd_scenarios::run_all(&settings)?;
            }
            Ok(())
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench: {message}");
            ExitCode::FAILURE
        }
    }
}
