//! A real etcd for one test binary, shared by its tests (one key prefix each):
//! Debian's `etcd` on free loopback ports with a fresh data directory, started by
//! the first test that asks for it. A watchdog shell started beside it kills it and
//! removes the directory once the test binary has exited, whether it passed,
//! panicked or was killed.
//!
//! Fault tests can stop (`SIGSTOP`), continue and restart it; they take
//! [`Etcd::exclusive`] so the tests that share it do not see each other's faults.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// Longest wait for etcd to answer its health check after a start.
const START_PATIENCE: Duration = Duration::from_secs(30);

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
        let (client_port, peer_port) = (free_port(), free_port());
        let child = spawn(&dir, client_port, peer_port);
        let etcd = Etcd {
            endpoint: format!("http://127.0.0.1:{client_port}"),
            client_port,
            peer_port,
            dir,
            child: Mutex::new(child),
            faults: tokio::sync::Mutex::new(()),
            _watchdog: watchdog,
        };
        etcd.wait_healthy();
        etcd
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
        *child = spawn(&self.dir, self.client_port, self.peer_port);
        drop(child);
        self.wait_healthy();
    }

    /// Waits until etcd answers `{"health":"true"}`.
    pub fn wait_healthy(&self) {
        let started = Instant::now();
        while started.elapsed() < START_PATIENCE {
            if health(self.client_port) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("etcd on port {} did not become healthy", self.client_port);
    }
}

fn spawn(dir: &std::path::Path, client: u16, peer: u16) -> Child {
    let client_url = format!("http://127.0.0.1:{client}");
    let peer_url = format!("http://127.0.0.1:{peer}");
    let child = Command::new("etcd")
        .args(["--name", "test", "--data-dir"])
        .arg(dir.join("data"))
        .args(["--listen-client-urls", &client_url])
        .args(["--advertise-client-urls", &client_url])
        .args(["--listen-peer-urls", &peer_url])
        .args(["--initial-advertise-peer-urls", &peer_url])
        .args(["--initial-cluster", &format!("test={peer_url}")])
        .args(["--initial-cluster-state", "new"])
        .args(["--logger", "zap", "--log-level", "error"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start etcd (Debian's etcd-server; cargo xtask test installs it)");
    std::fs::write(dir.join("pid"), child.id().to_string()).expect("etcd pid file");
    child
}

fn signal(name: &str, pid: u32) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .expect("kill");
    assert!(status.success(), "kill -{name} {pid}");
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

fn health(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET /health HTTP/1.1\r\nHost: etcd\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.contains(r#""health":"true""#)
}
