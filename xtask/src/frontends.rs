//! `cargo xtask run --etcd [--demo] [ARGS..]`: rollcall as several frontends over
//! etcd, on one machine, to try by hand: a throwaway etcd (Debian's, on free
//! loopback ports, its data under the target directory, wiped at every start),
//! three frontends over it on [`FRONTEND_PORTS`], each serving the dashboard, and
//! the dashboard's address naming all three, so it moves to another frontend when
//! the one it uses is stopped.

use std::path::Path;
use std::process::Command;

use crate::processes::{Processes, free_loopback_port};

/// Where the frontends listen, on 127.0.0.1: the seed's port first.
pub const FRONTEND_PORTS: [u16; 3] = [9999, 10000, 10001];

/// The key prefix the frontends share.
const PREFIX: &str = "/rollcall-run";

/// What a run over etcd needs from the caller: the built binaries and bundle, and
/// where to keep etcd's data and the logs.
pub struct Frontends<'a> {
    /// `rollcall`'s directory (and, with `--demo`, `examples/demo_servers`'s).
    pub debug: &'a Path,
    /// The dashboard bundle every frontend serves.
    pub dist: &'a Path,
    /// etcd's data and every process's log go below it.
    pub work: &'a Path,
    /// More flags for every `rollcall serve`.
    pub args: &'a [&'a String],
    pub demo: bool,
}

impl Frontends<'_> {
    /// Starts everything, then waits until every process has exited (Ctrl-C stops
    /// them all; one stopped by hand leaves the others running). Everything started
    /// is killed when this returns early.
    pub fn run(&self) -> Result<(), String> {
        if let Some(listen) = self.args.iter().find(|a| a.starts_with("--listen")) {
            return Err(format!(
                "{listen}: with --etcd the frontends listen on 127.0.0.1:{}",
                ports_text()
            ));
        }
        let _ = std::fs::remove_dir_all(self.work);
        std::fs::create_dir_all(self.work)
            .map_err(|e| format!("cannot create {}: {e}", self.work.display()))?;
        let mut processes = Processes::default();

        let endpoint = start_etcd(&mut processes, self.work)?;
        let urls: Vec<String> = FRONTEND_PORTS
            .iter()
            .map(|port| format!("http://127.0.0.1:{port}"))
            .collect();
        let mut pids = Vec::new();
        for port in FRONTEND_PORTS {
            let mut serve = Command::new(self.debug.join("rollcall"));
            serve
                .args(["serve", "--store", "etcd", "--etcd-endpoints", &endpoint])
                .args(["--etcd-prefix", PREFIX])
                .args(["--listen", &format!("127.0.0.1:{port}")])
                .arg("--dashboard-dir")
                .arg(self.dist)
                .args(self.args);
            pids.push(processes.start_logged(serve, &self.log(&format!("frontend-{port}")))?);
        }
        for port in FRONTEND_PORTS {
            processes.wait_for_port(port)?;
        }
        if self.demo {
            let mut command = Command::new(self.debug.join("examples").join("demo_servers"));
            command.args(["--registry", &urls.join(",")]);
            let addrs = processes.start_until_lines(command, "serving ", 2)?;
            eprintln!("demo servers {addrs:?} heartbeat through the frontends");
        }
        let listed: Vec<String> = urls
            .iter()
            .zip(&pids)
            .map(|(url, pid)| format!("{url} (pid {pid})"))
            .collect();
        eprintln!(
            "\netcd: {endpoint} (data and logs in {})\nfrontends: {}\n\
             dashboard: open {}/?registry={}\n\
             Stop a frontend (`kill -9 {}`) and the page, the demo servers and the CLI \
             move to another; Ctrl-C stops everything.",
            self.work.display(),
            listed.join(", "),
            urls[0],
            urls.join(","),
            pids[0],
        );
        processes.wait_all();
        Ok(())
    }

    fn log(&self, name: &str) -> std::path::PathBuf {
        self.work.join(format!("{name}.log"))
    }
}

/// Starts a one-member etcd with its data in `work`; returns its client URL once
/// it accepts connections.
fn start_etcd(processes: &mut Processes, work: &Path) -> Result<String, String> {
    let (client, peer) = (free_loopback_port()?, free_loopback_port()?);
    let client_url = format!("http://127.0.0.1:{client}");
    let peer_url = format!("http://127.0.0.1:{peer}");
    let mut etcd = Command::new("etcd");
    etcd.args(["--name", "run", "--data-dir"])
        .arg(work.join("etcd"))
        .args(["--listen-client-urls", &client_url])
        .args(["--advertise-client-urls", &client_url])
        .args(["--listen-peer-urls", &peer_url])
        .args(["--initial-advertise-peer-urls", &peer_url])
        .args(["--initial-cluster", &format!("run={peer_url}")])
        .args(["--initial-cluster-state", "new"])
        // Every change and barrier is a revision: keep an hour of history.
        .args(["--auto-compaction-retention", "1"]);
    processes.start_logged(etcd, &work.join("etcd.log"))?;
    processes.wait_for_port(client)?;
    Ok(client_url)
}

fn ports_text() -> String {
    FRONTEND_PORTS
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", :")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listen_address_is_refused_before_anything_starts() {
        let listen = "--listen=127.0.0.1:1".to_owned();
        let args = [&listen];
        let work = std::env::temp_dir().join(format!("xtask-frontends-{}", std::process::id()));
        let frontends = Frontends {
            debug: Path::new("/nonexistent"),
            dist: Path::new("/nonexistent"),
            work: &work,
            args: &args,
            demo: false,
        };
        let refused = frontends.run().expect_err("--listen is refused");
        assert!(
            refused.contains("127.0.0.1:9999, :10000, :10001"),
            "{refused}"
        );
        assert!(!work.exists(), "nothing was created");
    }
}
