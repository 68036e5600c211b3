//! A real etcd for one test binary, shared by its tests (one key prefix each):
//! Debian's `etcd` on free loopback ports with a fresh data directory, started by
//! the first test that asks for it. A watchdog shell started beside it kills it and
//! removes the directory once the test binary has exited, whether it passed,
//! panicked or was killed.
//!
//! Fault tests can stop (`SIGSTOP`), continue and restart it; they take
//! [`Etcd::exclusive`] so the tests that share it do not see each other's faults.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use super::etcd_member::{
    START_ATTEMPTS, START_PATIENCE, free_ports, healthy, member, start_single, wait_started,
};

/// The watchdog: waits for the test binary (`$2`) to exit, then kills the etcd
/// whose pid is in `$1/pid` and removes `$1`.
const WATCHDOG: &str = r#"
while kill -0 "$2" 2>/dev/null; do sleep 0.2; done
if [ -f "$1/pid" ]; then kill -9 "$(cat "$1/pid")" 2>/dev/null; fi
rm -rf "$1"
"#;

/// The binary's etcd.
#[derive(Debug)]
pub struct Etcd {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    client_port: u16,
    peer_port: u16,
    dir: PathBuf,
    child: Mutex<Child>,
    faults: tokio::sync::Mutex<()>,
    /// Outlives this process on purpose: it cleans up after it.
    _watchdog: Child,
}

static SHARED: OnceLock<Etcd> = OnceLock::new();
static PREFIXES: AtomicU64 = AtomicU64::new(0);

impl Etcd {
    /// The binary's etcd, started on first use.
    pub fn shared() -> &'static Etcd {
        SHARED.get_or_init(Etcd::start)
    }

    /// A key prefix no other test of this run uses.
    pub fn prefix(name: &str) -> String {
        let n = PREFIXES.fetch_add(1, Ordering::Relaxed);
        format!("/test/{name}-{n}")
    }

    /// Held by a test that stops or restarts etcd, and by every test of the same
    /// binary that needs it well meanwhile (an async lock: it is held across the
    /// test's awaits).
    pub async fn exclusive(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.faults.lock().await
    }

    fn start() -> Etcd {
        let dir = std::env::temp_dir().join(format!("rollcall-etcd-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("etcd data directory");
        let watchdog = Command::new("sh")
            .args(["-c", WATCHDOG, "watchdog"])
            .arg(&dir)
            .arg(std::process::id().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the etcd watchdog");
        let (child, client_port, peer_port) =
            start_single("test", &dir.join("data"), |child| write_pid(&dir, child))
                .unwrap_or_else(|e| panic!("{e}"));
        Etcd {
            endpoint: format!("http://127.0.0.1:{client_port}"),
            client_port,
            peer_port,
            dir,
            child: Mutex::new(child),
            faults: tokio::sync::Mutex::new(()),
            _watchdog: watchdog,
        }
    }

    fn pid(&self) -> u32 {
        self.child
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .id()
    }

    /// Freezes etcd (`SIGSTOP`): connections stay open, nothing is answered.
    pub fn pause(&self) {
        signal("STOP", self.pid());
    }

    /// Lets a frozen etcd run again (`SIGCONT`).
    pub fn resume(&self) {
        signal("CONT", self.pid());
    }

    /// Kills etcd and starts it again on the same ports and data.
    pub fn restart(&self) {
        let mut child = self.child.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = child.kill();
        let _ = child.wait();
        let initial = format!("test=http://127.0.0.1:{}", self.peer_port);
        let data = self.dir.join("data");
        *child = member("test", &data, self.client_port, self.peer_port, &initial)
            .unwrap_or_else(|e| panic!("{e}"));
        write_pid(&self.dir, &child);
        drop(child);
        self.wait_healthy();
    }

    /// Waits until etcd answers `{"health":"true"}`.
    pub fn wait_healthy(&self) {
        let started = Instant::now();
        while started.elapsed() < START_PATIENCE {
            if healthy(self.client_port) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("etcd on port {} did not become healthy", self.client_port);
    }
}

/// Notes `child`'s pid where the watchdog looks for it.
fn write_pid(dir: &Path, child: &Child) {
    std::fs::write(dir.join("pid"), child.id().to_string()).expect("etcd pid file");
}

fn signal(name: &str, pid: u32) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .expect("kill");
    assert!(status.success(), "kill -{name} {pid}");
}

/// Three etcd members on loopback, for a leader change: killed and removed when
/// dropped (a test that uses one has it to itself).
#[derive(Debug)]
pub struct EtcdCluster {
    /// The members' client URLs, `http://127.0.0.1:<port>`.
    pub endpoints: Vec<String>,
    members: Vec<Child>,
    dir: PathBuf,
}

impl EtcdCluster {
    /// Starts three members and waits until each answers healthy (again on
    /// fresh ports if one exits at start).
    pub fn start(name: &str) -> EtcdCluster {
        let dir = std::env::temp_dir().join(format!("rollcall-etcd-{name}-{}", std::process::id()));
        for _ in 0..START_ATTEMPTS {
            let _ = std::fs::remove_dir_all(&dir);
            let ports = free_ports::<6>().unwrap_or_else(|e| panic!("{e}"));
            let (clients, peers) = ports.split_at(3);
            let initial = peers
                .iter()
                .enumerate()
                .map(|(n, peer)| format!("m{n}=http://127.0.0.1:{peer}"))
                .collect::<Vec<_>>()
                .join(",");
            let members = clients
                .iter()
                .zip(peers)
                .enumerate()
                .map(|(n, (client, peer))| {
                    let name = format!("m{n}");
                    member(&name, &dir.join(&name), *client, *peer, &initial)
                        .unwrap_or_else(|e| panic!("{e}"))
                })
                .collect();
            let mut cluster = EtcdCluster {
                endpoints: clients
                    .iter()
                    .map(|client| format!("http://127.0.0.1:{client}"))
                    .collect(),
                members,
                dir: dir.clone(),
            };
            let all_up = cluster
                .members
                .iter_mut()
                .zip(clients)
                .all(|(member, client)| {
                    wait_started(member, *client).unwrap_or_else(|e| panic!("{e}"))
                });
            if all_up {
                return cluster;
            }
        }
        panic!("an etcd member exited at start on fresh ports every time");
    }

    /// Each member's `(its id, the leader's id)`, `None` for one that does not
    /// answer or knows no leader.
    pub fn statuses(&self) -> Vec<Option<(u64, u64)>> {
        self.endpoints.iter().map(|url| status(url)).collect()
    }

    /// The index of the member that leads now, as the members that answer say.
    pub fn leader(&self) -> Option<usize> {
        let statuses = self.statuses();
        let leader = statuses
            .iter()
            .flatten()
            .map(|(_, leader)| *leader)
            .next()?;
        statuses
            .iter()
            .position(|s| s.is_some_and(|(member, _)| member == leader))
    }

    /// Kills member `n` (`SIGKILL`): the rest elect a leader if it led.
    pub fn kill(&mut self, n: usize) {
        let _ = self.members[n].kill();
        let _ = self.members[n].wait();
    }
}

impl Drop for EtcdCluster {
    fn drop(&mut self) {
        for member in &mut self.members {
            let _ = member.kill();
            let _ = member.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `(this member's id, the leader's id)` from etcd's JSON gateway
/// (`POST /v3/maintenance/status`), or `None` if the member does not answer.
fn status(url: &str) -> Option<(u64, u64)> {
    let port: u16 = url.rsplit(':').next()?.parse().ok()?;
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let request = "POST /v3/maintenance/status HTTP/1.1\r\nHost: etcd\r\n\
                   Content-Type: application/json\r\nContent-Length: 2\r\n\
                   Connection: close\r\n\r\n{}";
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let body = answer.split("\r\n\r\n").nth(1)?;
    let json: serde_json::Value = serde_json::from_str(body.trim()).ok()?;
    let id = |v: &serde_json::Value| v.as_str()?.parse::<u64>().ok();
    Some((id(&json["header"]["member_id"])?, id(&json["leader"])?))
}
