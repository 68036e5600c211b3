//! The load generator: keep-alive HTTP/1.1 connections, each sending its next
//! request as soon as the previous answer is read (closed loop, like `wrk`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;

/// Builds request number `seq` (counted over all connections).
pub type MakeRequest = Arc<dyn Fn(u64) -> Request<Full<Bytes>> + Send + Sync>;

/// How long one request may take before the connection is dropped and reopened:
/// keeps a stuck server from stalling the benchmark.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// When a run stops.
#[derive(Debug, Clone, Copy)]
pub enum Stop {
    /// After exactly this many requests (setup, such as registering instances).
    Count(u64),
    /// After a warm-up that is not counted, then this long measured.
    Timed { warmup: Duration, measure: Duration },
}

/// One request: when it was sent, how long its answer took, whether it was good.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub sent: Instant,
    pub latency: Duration,
    pub ok: bool,
}

/// What a run achieved.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Requests answered `2xx` (within the measured window for a timed run).
    pub ok: u64,
    /// Requests that failed or were answered with another status.
    pub failed: u64,
    /// The measured window (the whole run for [`Stop::Count`]).
    pub elapsed: Duration,
    /// Every request of the run, warm-up included, in no particular order.
    pub samples: Vec<Sample>,
}

impl Outcome {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }
}

/// Shared by the connections of one run.
struct Shared {
    next: AtomicU64,
    ok: AtomicU64,
    failed: AtomicU64,
    make: MakeRequest,
    stop: Stop,
    measure_from: Instant,
    end: Option<Instant>,
}

/// Drives `connections` connections to `addr` until `stop`, on a runtime of
/// `threads` worker threads of its own.
pub fn run(
    addr: SocketAddr,
    connections: usize,
    threads: usize,
    stop: Stop,
    make: MakeRequest,
) -> Result<Outcome, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .map_err(|e| format!("load runtime: {e}"))?;
    let started = Instant::now();
    let (measure_from, end) = match stop {
        Stop::Count(_) => (started, None),
        Stop::Timed { warmup, measure } => (started + warmup, Some(started + warmup + measure)),
    };
    let shared = Arc::new(Shared {
        next: AtomicU64::new(0),
        ok: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        make,
        stop,
        measure_from,
        end,
    });
    let samples = runtime.block_on(async {
        let tasks: Vec<_> = (0..connections)
            .map(|_| tokio::spawn(connection(addr, Arc::clone(&shared))))
            .collect();
        let mut samples = Vec::new();
        for task in tasks {
            samples.extend(task.await.unwrap_or_default());
        }
        samples
    });
    let elapsed = match stop {
        Stop::Count(_) => started.elapsed(),
        Stop::Timed { measure, .. } => measure,
    };
    Ok(Outcome {
        ok: shared.ok.load(Ordering::Relaxed),
        failed: shared.failed.load(Ordering::Relaxed),
        elapsed,
        samples,
    })
}

/// One keep-alive connection, reopened after an error; returns its samples (kept
/// per connection, so recording them shares nothing).
async fn connection(addr: SocketAddr, shared: Arc<Shared>) -> Vec<Sample> {
    let mut samples = Vec::new();
    'reconnect: loop {
        let Ok(mut sender) = connect(addr).await else {
            shared.failed.fetch_add(1, Ordering::Relaxed);
            if shared.end.is_some_and(|end| Instant::now() >= end) {
                return samples;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        loop {
            if shared.end.is_some_and(|end| Instant::now() >= end) {
                return samples;
            }
            let seq = shared.next.fetch_add(1, Ordering::Relaxed);
            if matches!(shared.stop, Stop::Count(n) if seq >= n) {
                return samples;
            }
            let request = (shared.make)(seq);
            let sent = Instant::now();
            let answered = tokio::time::timeout(REQUEST_TIMEOUT, async {
                sender.ready().await.ok()?;
                let response = sender.send_request(request).await.ok()?;
                let status = response.status();
                response.into_body().collect().await.ok()?;
                Some(status)
            })
            .await;
            let done = Instant::now();
            let counted = done >= shared.measure_from && shared.end.is_none_or(|end| done <= end);
            let ok = matches!(answered, Ok(Some(status))
                if status.is_success() || status == StatusCode::NOT_MODIFIED);
            samples.push(Sample {
                sent,
                latency: done - sent,
                ok,
            });
            match answered {
                Ok(Some(status)) if status.is_success() || status == StatusCode::NOT_MODIFIED => {
                    if counted {
                        shared.ok.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Ok(Some(_)) => {
                    shared.failed.fetch_add(1, Ordering::Relaxed);
                }
                _ => {
                    shared.failed.fetch_add(1, Ordering::Relaxed);
                    continue 'reconnect;
                }
            }
        }
    }
}

async fn connect(addr: SocketAddr) -> Result<http1::SendRequest<Full<Bytes>>, String> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// One `GET path` on a connection of its own: for checks between scenarios.
pub fn fetch(addr: SocketAddr, path: &str) -> Result<Bytes, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("fetch runtime: {e}"))?;
    runtime.block_on(async {
        let mut sender = connect(addr).await?;
        let mut request = Request::new(Full::new(Bytes::new()));
        *request.uri_mut() = path.parse().map_err(|e| format!("{path}: {e}"))?;
        let host = http::HeaderValue::try_from(addr.to_string()).map_err(|e| e.to_string())?;
        request.headers_mut().insert(http::header::HOST, host);
        let response = tokio::time::timeout(REQUEST_TIMEOUT, sender.send_request(request))
            .await
            .map_err(|_| format!("GET {path}: timed out"))?
            .map_err(|e| format!("GET {path}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("GET {path}: {}", response.status()));
        }
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?;
        Ok(body.to_bytes())
    })
}
