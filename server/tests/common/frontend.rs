//! `rollcall serve --store etcd` as a child process, and what the fault tests do
//! with it: list, register, and beat like a client with several registry URLs.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rollcall_protocol::InstanceList;

use super::process::Running;
use super::{Reply, request};

pub use super::process::PATIENCE;

/// A `rollcall serve --store etcd` process, killed (`SIGKILL`) when dropped.
#[derive(Debug)]
pub struct Frontend {
    running: Running,
    pub addr: SocketAddr,
}

impl Frontend {
    /// Starts one over the etcd members at `endpoints` (comma-separated), under
    /// `prefix`, and waits until it listens.
    pub fn start(endpoints: &str, prefix: &str) -> Frontend {
        Frontend::start_with(endpoints, prefix, &[])
    }

    /// As [`Frontend::start`], with more flags.
    pub fn start_with(endpoints: &str, prefix: &str, extra: &[&str]) -> Frontend {
        let mut args = vec![
            "--store",
            "etcd",
            "--etcd-endpoints",
            endpoints,
            "--etcd-prefix",
            prefix,
        ];
        args.extend_from_slice(extra);
        let running = Running::start(&args);
        let addr = running.addr;
        Frontend { running, addr }
    }

    pub fn kill(&mut self) {
        self.running.kill();
    }

    /// The next log line containing `text`.
    pub fn wait_for_log(&mut self, text: &str) -> String {
        self.running.wait_for(text)
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

pub fn addrs(list: &InstanceList) -> Vec<String> {
    list.instances.iter().map(|i| i.addr.clone()).collect()
}

/// Instances of the service `fleet` (TTL 5 s), each beating every 500 ms through
/// the first of the frontends that answers, starting at a frontend of its own
/// (round robin): what clients with several registry URLs do.
#[derive(Debug)]
pub struct Fleet {
    /// The instances' addresses, sorted as lists give them.
    pub addrs: Vec<String>,
    stop: Arc<AtomicBool>,
    beats: Vec<tokio::task::JoinHandle<()>>,
}

impl Fleet {
    /// Starts beating for every address in `addrs`.
    pub fn beat(frontends: &[SocketAddr], mut addrs: Vec<String>) -> Fleet {
        let stop = Arc::new(AtomicBool::new(false));
        let beats = addrs
            .iter()
            .enumerate()
            .map(|(n, addr)| {
                let first = n % frontends.len();
                heartbeat(frontends.to_vec(), first, addr.clone(), Arc::clone(&stop))
            })
            .collect();
        addrs.sort();
        Fleet { addrs, stop, beats }
    }

    /// Stops every heartbeat and waits for them.
    pub async fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for beat in self.beats {
            beat.await.expect("heartbeat task");
        }
    }
}

/// How often each instance of a [`Fleet`] beats.
const BEAT_EVERY: Duration = Duration::from_millis(500);

fn heartbeat(
    frontends: Vec<SocketAddr>,
    first: usize,
    addr: String,
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
            tokio::time::sleep(BEAT_EVERY).await;
        }
    })
}
