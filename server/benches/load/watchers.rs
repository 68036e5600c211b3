//! Watch fan-out: N connections each hold a blocking query on one service of 1,000
//! instances; one instance registers; how long after the registration's answer
//! does each watcher have its own?
//!
//! Every watcher is a raw keep-alive TCP connection sending one `GET`; its answer
//! counts as arrived when its last byte (by `Content-Length`) is read. Connections
//! stay open until every watcher is done, so no close is timed. The registration
//! is sent from the main thread over a blocking socket, apart from the watchers'
//! runtime, so its answer is not queued behind theirs.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream as StdStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

/// Connections opened at once while parking watchers: below the listen backlog, so
/// no SYN is dropped and retried a second later.
const CONNECT_CONCURRENCY: usize = 256;

/// How long one connect or send may take.
const IO_TIMEOUT: Duration = Duration::from_secs(20);

/// How long a parked watcher waits for its answer once parked: far above any
/// figure we expect, so a lost wake-up shows as a missing answer, not a hang.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

/// How long parking N watchers may take before the run is abandoned.
const PARK_TIMEOUT: Duration = Duration::from_secs(120);

/// Pause after every watcher sent its request, for a server that cannot say how
/// many it holds (the Go peer): this much, plus [`SETTLE_PER_1000`] per thousand
/// watchers, so a loaded machine has read every request before the change.
const SETTLE: Duration = Duration::from_secs(2);
const SETTLE_PER_1000: Duration = Duration::from_secs(1);

/// What one run measured.
#[derive(Debug, Clone)]
pub struct Fanout {
    pub watchers: usize,
    /// Watchers that got a `200` answer.
    pub answered: usize,
    /// Time from the registration's answer to each watcher's answer, sorted (zero
    /// for an answer that came first: the server may wake watchers before it
    /// answers the registration).
    pub latencies: Vec<Duration>,
    /// Answers that came before the registration's.
    pub early: usize,
    /// Time from sending the registration to each watcher's answer, sorted: the
    /// same wave measured from the other end, which early answers do not distort.
    pub from_request: Vec<Duration>,
    /// Resident memory added by parking the watchers, per watcher.
    pub bytes_per_watcher: f64,
}

impl Fanout {
    /// The `p`-th percentile (0 to 100) of the latencies.
    pub fn percentile(&self, p: usize) -> Duration {
        percentile(&self.latencies, p)
    }

    pub fn max(&self) -> Duration {
        self.latencies.last().copied().unwrap_or_default()
    }

    /// The `p`-th percentile of the times from the registration's request.
    pub fn request_percentile(&self, p: usize) -> Duration {
        percentile(&self.from_request, p)
    }
}

/// The `p`-th percentile (0 to 100) of sorted `values`.
fn percentile(values: &[Duration], p: usize) -> Duration {
    if values.is_empty() {
        return Duration::ZERO;
    }
    let rank = (values.len() * p).div_ceil(100).max(1);
    values[rank.min(values.len()) - 1]
}

/// A server under test, as the fan-out needs it.
pub struct Target<'a> {
    pub addr: SocketAddr,
    pub pid: u32,
    /// How many requests the server holds, if it can say.
    pub held: Option<&'a mut dyn FnMut() -> Result<usize, String>>,
}

/// Parks `watchers` connections on `GET watch_path`, then sends `register` (a whole
/// HTTP request) and times every watcher's answer from the registration's.
pub fn run(
    target: Target<'_>,
    watchers: usize,
    watch_path: &str,
    register: &[u8],
) -> Result<Fanout, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("watcher runtime: {e}"))?;
    let request =
        Arc::<[u8]>::from(format!("GET {watch_path} HTTP/1.1\r\nHost: bench\r\n\r\n").into_bytes());
    let rss_before = crate::server::rss_bytes(target.pid)?;
    let sent = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
    let tasks: Vec<_> = (0..watchers)
        .map(|_| {
            let (request, sent, gate) =
                (Arc::clone(&request), Arc::clone(&sent), Arc::clone(&gate));
            runtime.spawn(watcher(target.addr, request, sent, gate))
        })
        .collect();
    let started = Instant::now();
    while sent.load(Ordering::Acquire) < watchers {
        if started.elapsed() > PARK_TIMEOUT {
            return Err(format!(
                "only {} of {watchers} watchers sent",
                sent.load(Ordering::Acquire)
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    match target.held {
        Some(held) => loop {
            let now = held()?;
            if now >= watchers {
                break;
            }
            if started.elapsed() > PARK_TIMEOUT {
                return Err(format!("the server holds {now} of {watchers} watchers"));
            }
            std::thread::sleep(Duration::from_millis(20));
        },
        None => {
            let thousands = u32::try_from(watchers / 1000).unwrap_or(u32::MAX);
            std::thread::sleep(SETTLE + SETTLE_PER_1000 * thousands);
        }
    }
    let rss_after = crate::server::rss_bytes(target.pid)?;
    let (sent_at, registered_at) = send_blocking(target.addr, register)?;
    let mut latencies = Vec::with_capacity(watchers);
    let mut answered = 0;
    let mut early = 0;
    let mut from_request = Vec::with_capacity(watchers);
    let mut open = Vec::with_capacity(watchers);
    for task in tasks {
        if let Ok((arrived, stream)) = runtime.block_on(task) {
            open.push(stream);
            if let Some(arrived) = arrived {
                answered += 1;
                early += usize::from(arrived < registered_at);
                latencies.push(arrived.saturating_duration_since(registered_at));
                from_request.push(arrived.saturating_duration_since(sent_at));
            }
        }
    }
    drop(open);
    latencies.sort_unstable();
    from_request.sort_unstable();
    Ok(Fanout {
        watchers,
        answered,
        latencies,
        early,
        from_request,
        bytes_per_watcher: rss_after.saturating_sub(rss_before) as f64 / watchers as f64,
    })
}

/// One watcher: connect, send, then wait for the whole answer; when it arrived, if
/// it was a `200`, and the connection, kept open.
async fn watcher(
    addr: SocketAddr,
    request: Arc<[u8]>,
    sent: Arc<AtomicUsize>,
    gate: Arc<Semaphore>,
) -> (Option<Instant>, Option<TcpStream>) {
    let stream = {
        let Ok(_permit) = gate.acquire().await else {
            return (None, None);
        };
        let connect = async {
            let mut stream = TcpStream::connect(addr).await.ok()?;
            stream.set_nodelay(true).ok()?;
            stream.write_all(&request).await.ok()?;
            Some(stream)
        };
        let stream = tokio::time::timeout(IO_TIMEOUT, connect)
            .await
            .ok()
            .flatten();
        sent.fetch_add(1, Ordering::AcqRel);
        stream
    };
    let Some(mut stream) = stream else {
        return (None, None);
    };
    let arrived = tokio::time::timeout(ANSWER_TIMEOUT, read_answer(&mut stream))
        .await
        .ok()
        .flatten();
    (arrived, Some(stream))
}

/// Reads one whole `200` answer with a `Content-Length`; when its last byte came.
async fn read_answer(stream: &mut TcpStream) -> Option<Instant> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = vec![0u8; 64 * 1024];
    let (head_len, body_len) = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            if !head.starts_with("http/1.1 200") {
                return None;
            }
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())?;
            break (end + 4, length);
        }
    };
    let mut left = (head_len + body_len).saturating_sub(buf.len());
    while left > 0 {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        left = left.saturating_sub(n);
    }
    Some(Instant::now())
}

/// Sends a whole request on a blocking socket and reads the answer to its end;
/// when it was sent, and when its answer was read.
fn send_blocking(addr: SocketAddr, request: &[u8]) -> Result<(Instant, Instant), String> {
    let mut stream = StdStream::connect_timeout(&addr, IO_TIMEOUT).map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(IO_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let sent_at = Instant::now();
    stream.write_all(request).map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .map_err(|e| format!("registration: {e}"))?;
    let at = Instant::now();
    if !(answer.starts_with(b"HTTP/1.1 200") || answer.starts_with(b"HTTP/1.1 201")) {
        let head = String::from_utf8_lossy(&answer[..answer.len().min(80)]).into_owned();
        return Err(format!("registration answered {head:?}"));
    }
    Ok((sent_at, at))
}

/// A `POST` of `body` to `path` with `Connection: close`.
pub fn post(path: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
