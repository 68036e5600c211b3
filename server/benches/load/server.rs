//! The server side of the benchmark, in a process of its own so its memory can be
//! read alone and its threads do not share a runtime with the load generator.
//!
//! The benchmark binary re-executes itself with [`ROLE_VAR`] set; the child binds
//! loopback port 0, prints the address as its first line, and serves until its
//! stdin closes, which also happens when the parent dies. A registry child answers
//! the line `watchers` on stdin with the number of requests it holds.

use std::future::Future;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use rollcall_protocol::RegisterRequest;
use std::sync::Arc;
use std::time::Duration;

use rollcall_server::{
    ConnOptions, EtcdConfig, EtcdStore, Handler, HttpConfig, Registry, RegistryConfig, Store,
    serve, serve_store,
};

use crate::mass_expiry::{MASS, MASS_SERVICE, MASS_TTL};
use crate::scenarios::addr;

/// Environment variable that makes the benchmark binary a server: `noop`,
/// `registry`, `mass-expiry` or `etcd-frontend`.
pub const ROLE_VAR: &str = "ROLLCALL_BENCH_ROLE";

/// For `etcd-frontend`: the etcd endpoint, the key prefix, and the default TTL in
/// ms (what seed heartbeats are granted).
pub const ETCD_VAR: &str = "ROLLCALL_BENCH_ETCD";
pub const PREFIX_VAR: &str = "ROLLCALL_BENCH_PREFIX";
pub const TTL_VAR: &str = "ROLLCALL_BENCH_TTL_MS";

/// What the child serves.
#[derive(Debug, Clone, Copy)]
pub enum Role {
    /// An empty `200` for every request: the ceiling of the accept loop and hyper.
    Noop,
    /// The registry with its default configuration, as `rollcall serve` runs it.
    Registry,
    /// The registry, with [`MASS`] instances of [`MASS_SERVICE`] registered with a
    /// TTL of [`MASS_TTL`] just before its address is printed.
    MassExpiry,
    /// A frontend over etcd ([`ETCD_VAR`], [`PREFIX_VAR`], [`TTL_VAR`]), as
    /// `rollcall serve --store etcd` runs it.
    EtcdFrontend,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Noop => "noop",
            Role::Registry => "registry",
            Role::MassExpiry => "mass-expiry",
            Role::EtcdFrontend => "etcd-frontend",
        }
    }
}

/// A registry holding [`MASS`] instances that all expire [`MASS_TTL`] from now.
fn mass_registry() -> Result<Registry, String> {
    let registry = Registry::new(RegistryConfig::default());
    let ttl_ms = u64::try_from(MASS_TTL.as_millis()).map_err(|e| e.to_string())?;
    for i in 0..MASS {
        let request = RegisterRequest {
            addr: addr(i),
            metadata: Default::default(),
            weight: None,
            ttl_ms: Some(ttl_ms),
        };
        registry
            .register(MASS_SERVICE, request)
            .map_err(|e| format!("register: {e}"))?;
    }
    Ok(registry)
}

/// Connections a server child accepts at once: the fan-out holds 10,000 watchers,
/// each on a connection of its own, and its registration needs one more (the
/// default limit, 10,000, would keep it waiting).
const MAX_CONNECTIONS: usize = 20_000;

/// The registry's HTTP settings, as `rollcall serve` has them but for
/// [`MAX_CONNECTIONS`].
fn http_config() -> HttpConfig {
    let mut config = HttpConfig::default();
    config.conn.max_connections = MAX_CONNECTIONS;
    config
}

/// A frontend over the etcd the parent started.
async fn etcd_frontend() -> Result<EtcdStore, String> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let ttl_ms: u64 = var(TTL_VAR)?
        .parse()
        .map_err(|e| format!("{TTL_VAR}: {e}"))?;
    let config = EtcdConfig {
        prefix: var(PREFIX_VAR)?,
        ..EtcdConfig::new(vec![var(ETCD_VAR)?])
    };
    let registry = RegistryConfig {
        default_ttl: Duration::from_millis(ttl_ms),
        min_ttl: rollcall_server::ETCD_MIN_TTL,
        ..RegistryConfig::default()
    };
    EtcdStore::connect(config, registry)
        .await
        .map_err(|e| format!("etcd frontend: {e}"))
}

/// The trivial handler of the ceiling scenario.
#[derive(Debug, Clone)]
struct Noop;

impl Handler for Noop {
    fn handle(
        &self,
        _request: Request<Incoming>,
    ) -> impl Future<Output = Response<Full<Bytes>>> + Send {
        std::future::ready(Response::new(Full::new(Bytes::new())))
    }
}

/// Runs as the child if [`ROLE_VAR`] says so; `None` means "be the parent".
pub fn child_main() -> Option<Result<(), String>> {
    let role = std::env::var(ROLE_VAR).ok()?;
    // Warnings (an etcd frontend's watch lagging, say) reach the report's stderr.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("warn")
        .with_writer(std::io::stderr)
        .try_init();
    // The same runtime as `rollcall serve`: multi-threaded, one worker per core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build();
    Some(match runtime {
        Ok(runtime) => runtime.block_on(serve_role(&role)),
        Err(error) => Err(format!("runtime: {error}")),
    })
}

async fn serve_role(role: &str) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("bind: {e}"))?;
    let local = listener.local_addr().map_err(|e| format!("addr: {e}"))?;
    // What to serve, ready before the address tells the parent to start: the no-op
    // handler (`None`) or a registry.
    let store: Option<Arc<dyn Store>> = match role {
        "noop" => None,
        "registry" => Some(Arc::new(Registry::new(RegistryConfig::default()))),
        "mass-expiry" => Some(Arc::new(mass_registry()?)),
        "etcd-frontend" => Some(Arc::new(etcd_frontend().await?)),
        other => return Err(format!("unknown role {other:?}")),
    };
    let registry = store.as_ref().map(|store| store.registry().clone());
    println!("{local}");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    // Blocking read of stdin on a thread of its own: EOF means the parent is done.
    let asked = registry.clone();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if let (Some(registry), "watchers") = (&asked, line.trim()) {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{}", registry.watchers());
                let _ = out.flush();
            }
        }
        let _ = stop_tx.send(());
    });
    let shutdown = async move {
        let _ = stop_rx.await;
    };
    let served = match store {
        None => serve(listener, Noop, ConnOptions::default(), shutdown).await,
        Some(store) => serve_store(listener, store, http_config(), shutdown).await,
    };
    served.map_err(|e| format!("serve: {e}"))
}

/// A running server child; killed when dropped.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    /// Held open: closing it tells the child to stop.
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    pub addr: SocketAddr,
}

impl ServerProcess {
    /// Starts this binary as a server of `role` and waits for its address.
    pub fn spawn(role: Role) -> Result<ServerProcess, String> {
        ServerProcess::spawn_with(role, &[])
    }

    /// [`ServerProcess::spawn`] with more environment for the child.
    pub fn spawn_with(role: Role, env: &[(&str, String)]) -> Result<ServerProcess, String> {
        let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
        let mut child = Command::new(exe)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env(ROLE_VAR, role.name())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("spawn server: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or("server stdout missing")?;
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .map_err(|e| format!("read server address: {e}"))?;
        let addr = line
            .trim()
            .parse()
            .map_err(|e| format!("server address {line:?}: {e}"))?;
        Ok(ServerProcess {
            child,
            stdin,
            stdout,
            addr,
        })
    }

    /// The process id, to read its memory.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How many requests a registry child holds now.
    pub fn watchers(&mut self) -> Result<usize, String> {
        let stdin = self.stdin.as_mut().ok_or("server stdin closed")?;
        writeln!(stdin, "watchers")
            .and_then(|()| stdin.flush())
            .map_err(|e| format!("ask the server: {e}"))?;
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .map_err(|e| format!("read the server's answer: {e}"))?;
        line.trim()
            .parse()
            .map_err(|e| format!("watchers {line:?}: {e}"))
    }

    /// The child's resident set size in bytes.
    pub fn rss_bytes(&self) -> Result<u64, String> {
        rss_bytes(self.child.id())
    }
}

/// The resident set size of process `pid` in bytes, from `/proc/<pid>/status`
/// (Linux).
pub fn rss_bytes(pid: u32) -> Result<u64, String> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .ok_or_else(|| format!("no VmRSS in {path}"))?;
    Ok(kib * 1024)
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
