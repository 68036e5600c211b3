//! `rollcall serve --store etcd` as a child process, and what the fault tests do
//! with it: list, register, and beat like a client with several registry URLs.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use rollcall_protocol::InstanceList;

use super::{Reply, request};

const ROLLCALL: &str = env!("CARGO_BIN_EXE_rollcall");

/// Generous: a loaded two-core machine.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// A `rollcall serve --store etcd` process, killed (`SIGKILL`) when dropped.
#[derive(Debug)]
pub struct Frontend {
    child: Child,
    pub addr: SocketAddr,
}

impl Frontend {
    /// Starts one over the etcd members at `endpoints` (comma-separated), under
    /// `prefix`, and waits until it listens.
    pub fn start(endpoints: &str, prefix: &str) -> Frontend {
        let mut child = Command::new(ROLLCALL)
            .args(["serve", "--listen", "127.0.0.1:0", "--store", "etcd"])
            .args(["--etcd-endpoints", endpoints])
            .args(["--etcd-prefix", prefix])
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start rollcall");
        let stdout = child.stdout.take().expect("stdout");
        let (found, listening) = mpsc::channel();
        // Drains the log for the process's whole life, so it never blocks on it.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(after) = line.split("listening on ").nth(1) {
                    let addr = after.split_whitespace().next().unwrap_or_default();
                    let _ = found.send(addr.to_owned());
                }
            }
        });
        let addr = listening
            .recv_timeout(PATIENCE)
            .expect("the frontend listens")
            .parse()
            .expect("a socket address");
        Frontend { child, addr }
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub async fn get(&self, path: &str) -> Result<Reply, String> {
        request(self.addr, "GET", path, &[], b"").await
    }

    pub async fn register(&self, service: &str, addr: &str, ttl_ms: u64) -> Result<Reply, String> {
        let body = format!(r#"{{"addr":"{addr}","ttl_ms":{ttl_ms}}}"#);
        let path = format!("/v1/services/{service}/instances");
        let json = [("Content-Type", "application/json")];
        request(self.addr, "POST", &path, &json, body.as_bytes()).await
    }

    pub async fn list(&self, service: &str) -> InstanceList {
        let reply = self
            .get(&format!("/v1/services/{service}"))
            .await
            .expect("a list");
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()
    }
}

impl Drop for Frontend {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn addrs(list: &InstanceList) -> Vec<String> {
    list.instances.iter().map(|i| i.addr.clone()).collect()
}

/// An instance that beats every `period` through the first frontend that answers,
/// starting with `first`: what a client with several registry URLs does.
pub fn heartbeat(
    frontends: Vec<SocketAddr>,
    first: usize,
    addr: String,
    period: Duration,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut at = first;
        let body = format!(r#"{{"addr":"{addr}","ttl_ms":5000}}"#);
        let json = [("Content-Type", "application/json")];
        while !stop.load(Ordering::Relaxed) {
            for _ in 0..frontends.len() {
                let beat = request(
                    frontends[at],
                    "POST",
                    "/v1/services/fleet/instances",
                    &json,
                    body.as_bytes(),
                )
                .await;
                match beat {
                    Ok(reply) if reply.status < 500 => break,
                    _ => at = (at + 1) % frontends.len(),
                }
            }
            tokio::time::sleep(period).await;
        }
    })
}
