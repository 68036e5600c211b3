//! Shared helpers: a registry served on a real loopback socket (port 0), on either
//! store (the etcd one over the binary's shared etcd, see `etcd`), and a tiny raw
//! HTTP/1.1 client so tests control every byte they send.

pub mod etcd;
pub mod etcd_member;
pub mod frontend;
pub mod process;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rollcall_server::{
    ETCD_MIN_TTL, EtcdConfig, EtcdStore, HttpConfig, Registry, RegistryConfig, RegistryService,
    Store, serve,
};
use serde::de::DeserializeOwned;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Every exchange must finish within this.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// Which store a test server keeps its registry in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backing {
    Memory,
    /// The binary's shared etcd, under a prefix of its own named after the test.
    Etcd(&'static str),
}

/// Runs each named `async fn(Backing)` as two tests, `memory::<name>` and
/// `etcd::<name>`: the same behaviour, checked on both stores.
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::common::Backing::Memory).await
                }
            )*
        }
        mod etcd {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::common::Backing::Etcd(stringify!($name))).await
                }
            )*
        }
    };
}

/// A registry served on `127.0.0.1:0`; stops when dropped.
#[derive(Debug)]
pub struct TestServer {
    pub addr: SocketAddr,
    pub registry: Registry,
    pub backing: Backing,
    /// The etcd key prefix, over etcd.
    pub prefix: Option<String>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::with(RegistryConfig::default(), HttpConfig::default()).await
    }

    pub async fn with(registry_config: RegistryConfig, http: HttpConfig) -> TestServer {
        TestServer::on(Backing::Memory, registry_config, http).await
    }

    /// A server on `backing`. Over etcd, a `min_ttl` below what etcd grants is
    /// raised to it (as `rollcall serve --store etcd` does by default).
    pub async fn on(
        backing: Backing,
        registry_config: RegistryConfig,
        http: HttpConfig,
    ) -> TestServer {
        let mut prefix = None;
        let store: Arc<dyn Store> = match backing {
            Backing::Memory => Arc::new(Registry::new(registry_config)),
            Backing::Etcd(name) => {
                let etcd = etcd::Etcd::shared();
                let config = EtcdConfig {
                    prefix: etcd::Etcd::prefix(name),
                    ..EtcdConfig::new(vec![etcd.endpoint.clone()])
                };
                prefix = Some(config.prefix.clone());
                let registry_config = RegistryConfig {
                    min_ttl: registry_config.min_ttl.max(ETCD_MIN_TTL),
                    ..registry_config
                };
                let store = EtcdStore::connect(config, registry_config)
                    .await
                    .expect("a frontend over the test etcd");
                Arc::new(store)
            }
        };
        let mut server = TestServer::serving(store, backing, http).await;
        server.prefix = prefix;
        server
    }

    /// Serves `store` on `127.0.0.1:0`.
    pub async fn serving(store: Arc<dyn Store>, backing: Backing, http: HttpConfig) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let registry = store.registry().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let service = RegistryService::with_store(store, http.clone());
        let task = tokio::spawn(serve(listener, service, http.conn, async move {
            let _ = stopped.await;
        }));
        TestServer {
            addr,
            registry,
            backing,
            prefix: None,
            stop: Some(stop),
            task,
        }
    }

    /// Sends one request and reads the whole answer.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        request(self.addr, method, path, headers, body)
            .await
            .expect("answer in time")
    }

    /// Whether the registry is the memory store.
    pub fn in_memory(&self) -> bool {
        self.backing == Backing::Memory
    }

    /// Every key the registry holds in etcd but the barrier (which catching-up
    /// writes), with its revision, lease and value; empty in memory.
    pub async fn etcd_keys(&self) -> Vec<(String, i64, i64, Vec<u8>)> {
        let Some(prefix) = &self.prefix else {
            return Vec::new();
        };
        let endpoint = etcd::Etcd::shared().endpoint.clone();
        let mut client = etcd_client::Client::connect([endpoint], None)
            .await
            .expect("connect to the test etcd");
        let options = etcd_client::GetOptions::new().with_prefix();
        let got = client
            .get(format!("{prefix}/"), Some(options))
            .await
            .expect("list the test prefix");
        got.kvs()
            .iter()
            .map(|kv| {
                let key = String::from_utf8_lossy(kv.key()).into_owned();
                (key, kv.mod_revision(), kv.lease(), kv.value().to_vec())
            })
            .filter(|(key, ..)| !key.ends_with("/barrier"))
            .collect()
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, &[], b"").await
    }

    pub async fn post_json(&self, path: &str, body: &str) -> Reply {
        self.send(
            "POST",
            path,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
        .await
    }

    /// Sends `bytes` as they are and reads until the server closes.
    pub async fn send_raw(&self, bytes: &[u8]) -> Reply {
        exchange(self.addr, bytes).await.expect("answer in time")
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Sends `bytes` to `addr` as they are and reads until the server closes; an error
/// if it cannot connect or does not answer within [`IO_TIMEOUT`].
pub async fn exchange(addr: SocketAddr, bytes: &[u8]) -> Result<Reply, String> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        // The server may answer (and close) before reading everything, e.g. 413.
        let _ = stream.write_all(bytes).await;
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        Ok::<_, String>(answer)
    };
    let answer = tokio::time::timeout(IO_TIMEOUT, exchange)
        .await
        .map_err(|_| format!("no answer from {addr} within {IO_TIMEOUT:?}"))??;
    if answer.is_empty() {
        return Err(format!("{addr} closed without answering"));
    }
    Ok(Reply::parse(&answer))
}

/// One request to `addr` (`Connection: close`); an error if it cannot be sent or
/// is not answered.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Reply, String> {
    let mut raw = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    for (name, value) in headers {
        raw.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        raw.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    raw.push_str("\r\n");
    let mut bytes = raw.into_bytes();
    bytes.extend_from_slice(body);
    exchange(addr, &bytes).await
}

/// Polls `check` every 50 ms until it holds; panics naming `what` if it has not
/// within `within` (generous: tests run on loaded machines).
pub async fn eventually(what: &str, within: Duration, mut check: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + within;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not within {within:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The addresses `discovery` serves now.
pub async fn served(discovery: &impl rollcall_client::Discovery) -> Vec<String> {
    let all = discovery.get_all().await.expect("a list");
    all.into_iter().map(|i| i.addr).collect()
}

/// A registration of `addr` with nothing else: the registry's default TTL.
pub fn registration(addr: &str) -> rollcall_protocol::RegisterRequest {
    rollcall_protocol::RegisterRequest {
        addr: addr.to_owned(),
        metadata: Default::default(),
        weight: None,
        ttl_ms: None,
    }
}

/// A registration of `addr` in zone `eu-1` with `weight` and a 30 s TTL.
pub fn in_eu(addr: &str, weight: u32) -> rollcall_protocol::RegisterRequest {
    rollcall_protocol::RegisterRequest {
        addr: addr.to_owned(),
        metadata: [("zone".to_owned(), "eu-1".to_owned())].into(),
        weight: Some(weight),
        ttl_ms: Some(30_000),
    }
}

/// A memory registry of run `epoch` (warming up for `warmup`, `None`: the
/// registry's default) on a fixed `addr`,
/// served until `stop` is sent or dropped: a registry a test can restart on the
/// same address. The previous run may hold the port for a moment: binding is
/// retried for up to 20 s.
pub async fn serve_at(
    addr: SocketAddr,
    epoch: u64,
    warmup: Option<Duration>,
) -> (Registry, oneshot::Sender<()>) {
    let mut bound = TcpListener::bind(addr).await;
    let start = tokio::time::Instant::now();
    while bound.is_err() && start.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        bound = TcpListener::bind(addr).await;
    }
    let listener = bound.expect("bind");
    let registry = Registry::new(RegistryConfig {
        epoch: Some(epoch),
        warmup,
        ..RegistryConfig::default()
    });
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(rollcall_server::serve_registry(
        listener,
        registry.clone(),
        HttpConfig::default(),
        async {
            let _ = stopped.await;
        },
    ));
    (registry, stop)
}

/// A parsed HTTP response.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    /// Names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    fn parse(raw: &[u8]) -> Reply {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().expect("status line");
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Reply {
            status,
            headers,
            body: raw[split + 4..].to_vec(),
        }
    }

    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", self.text()))
    }

    /// The `{"error": ...}` message of a JSON error.
    pub fn error(&self) -> String {
        self.json::<rollcall_protocol::ErrorBody>().error
    }
}

/// An RPC server on a fresh loopback port whose `Who.Am` answers `name`, served
/// until `shutdown` completes; its address.
pub async fn who_am_server(
    name: &'static str,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let methods = rollcall_server::RpcServer::new()
        .register("Who.Am", move |(): ()| async move {
            Ok::<_, rollcall_server::RpcError>(name)
        })
        .expect("valid method");
    let options = rollcall_server::ConnOptions::default();
    tokio::spawn(rollcall_server::serve(listener, methods, options, shutdown));
    addr
}
