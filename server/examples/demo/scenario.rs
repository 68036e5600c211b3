//! The seed's day-7 scenario, shared by `cargo run --example demo` and the
//! integration test `tests/demo.rs`: a registry, two servers of `Foo` that announce
//! themselves with heartbeats, and calls and broadcasts through an [`XClient`] that
//! finds them with a [`RegistryDiscovery`] over the seed's header protocol.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rollcall_client::transport::HyperTransport;
use rollcall_client::{
    Deadline, Discovery, DiscoveryOptions, Error, Heartbeat, HeartbeatOptions, RegistryClient,
    RegistryDiscovery, RegistryEndpoint, RpcClient, SelectMode, XClient,
};
use rollcall_protocol::{DEFAULT_PATH, RegisterRequest};
use rollcall_server::{ConnOptions, HttpConfig, Registry, RegistryConfig, RegistryService, serve};
use tokio::net::TcpListener;

pub use crate::foo::{Args, foo_service};
use tokio::sync::oneshot;
use tokio::task::JoinSet;

/// Any setup failure; the demo only reports it.
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// The deadline of each broadcast of `Foo.Sleep`, as in the seed: servers asked to
/// sleep 2 s or more cannot answer in time.
pub const SLEEP_DEADLINE: Duration = Duration::from_secs(2);

/// The deadline of the plain calls. The seed gives them none
/// (`context.Background()`); a bound keeps a broken run from hanging.
pub const CALL_DEADLINE: Duration = Duration::from_secs(10);

/// How long a server may take to finish requests in flight once the demo is over:
/// short, because the `Foo.Sleep` calls abandoned at their deadline may still run.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(200);

/// How long to wait for the servers' first heartbeats to land.
const REGISTRATION_WAIT: Duration = Duration::from_secs(5);

/// What the demo prints: the seed's `log.Println` lines and call outcomes.
pub type Report = Arc<dyn Fn(String) + Send + Sync>;

/// A running registry and its two `Foo` servers.
pub struct Demo {
    /// The registry's seed-protocol URL, e.g. `http://127.0.0.1:39111/_rpc_/registry`.
    pub registry_url: String,
    heartbeats: Vec<Heartbeat>,
    stops: Vec<oneshot::Sender<()>>,
    tasks: JoinSet<std::io::Result<()>>,
    report: Report,
}

/// Serves `handler` on `listener` until the returned sender fires (or drops).
fn spawn_server<H: rollcall_server::Handler>(
    tasks: &mut JoinSet<std::io::Result<()>>,
    listener: TcpListener,
    handler: H,
) -> oneshot::Sender<()> {
    let (stop, stopped) = oneshot::channel::<()>();
    let options = ConnOptions {
        shutdown_grace: SHUTDOWN_GRACE,
        ..ConnOptions::default()
    };
    tasks.spawn(serve(listener, handler, options, async move {
        let _ = stopped.await;
    }));
    stop
}

impl Demo {
    /// Starts the registry and two `Foo` servers on loopback ports chosen by the OS,
    /// and waits until both servers are registered.
    ///
    /// Must be called from within a multi-threaded tokio runtime.
    pub async fn start(report: Report) -> Result<Demo, BoxError> {
        let mut tasks = JoinSet::new();
        let mut stops = Vec::new();

        let registry = Registry::new(RegistryConfig::default());
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let registry_url = format!("http://{}{DEFAULT_PATH}", listener.local_addr()?);
        let service = RegistryService::new(registry.clone(), HttpConfig::default());
        stops.push(spawn_server(&mut tasks, listener, service));
        report(format!("rpc registry path: {DEFAULT_PATH}"));

        let mut heartbeats = Vec::new();
        for _ in 0..2 {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?.to_string();
            stops.push(spawn_server(&mut tasks, listener, foo_service()?));
            report(format!("{addr} send heart beat to registry {registry_url}"));
            let client =
                RegistryClient::new(HyperTransport::new(), RegistryEndpoint::seed(&registry_url));
            let request = RegisterRequest {
                addr,
                metadata: Default::default(),
                weight: None,
                ttl_ms: None,
            };
            heartbeats.push(Heartbeat::start(
                client,
                request,
                HeartbeatOptions::default(),
            ));
        }

        // The seed sleeps a second here; we wait exactly until both are listed.
        let registered = async {
            while registry.len() < heartbeats.len() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(REGISTRATION_WAIT, registered)
            .await
            .map_err(|_| "the servers did not register in time")?;

        Ok(Demo {
            registry_url,
            heartbeats,
            stops,
            tasks,
            report,
        })
    }

    /// A fresh [`XClient`] picking at random from the registry's list, as the seed's
    /// `call` and `broadcast` each make one. Fetches the list once, with the seed's
    /// log line.
    async fn xclient(&self) -> Result<Arc<Foo>, Error> {
        let endpoint = RegistryEndpoint::seed(&self.registry_url);
        let registry = RegistryClient::new(HyperTransport::new(), endpoint);
        let discovery = RegistryDiscovery::new(registry, DiscoveryOptions::default());
        (self.report)(format!(
            "rpc registry: refresh servers from registry {}",
            self.registry_url
        ));
        discovery.refresh().await?;
        let rpc = RpcClient::new(HyperTransport::new());
        Ok(Arc::new(XClient::new(discovery, SelectMode::Random, rpc)))
    }

    /// The seed's `call`: five concurrent calls of `Foo.Sum`, each to one server.
    pub async fn call(&self) -> Result<Vec<Outcome>, Error> {
        let xc = self.xclient().await?;
        let mut calls = JoinSet::new();
        for i in 0..5 {
            let (xc, report) = (Arc::clone(&xc), Arc::clone(&self.report));
            calls.spawn(async move {
                let deadline = Deadline::after(CALL_DEADLINE);
                run(&xc, &report, Kind::Call, "Foo.Sum", square(i), deadline).await
            });
        }
        Ok(collect(calls).await)
    }

    /// The seed's `broadcast`: five concurrent tasks, each broadcasting `Foo.Sum`,
    /// then `Foo.Sleep` under a [`SLEEP_DEADLINE`].
    pub async fn broadcast(&self) -> Result<Vec<Outcome>, Error> {
        let xc = self.xclient().await?;
        let mut calls = JoinSet::new();
        for i in 0..5 {
            let (xc, report) = (Arc::clone(&xc), Arc::clone(&self.report));
            calls.spawn(async move {
                let args = square(i);
                let deadline = Deadline::after(CALL_DEADLINE);
                let sum = run(&xc, &report, Kind::Broadcast, "Foo.Sum", args, deadline).await;
                let deadline = Deadline::after(SLEEP_DEADLINE);
                let sleep = run(&xc, &report, Kind::Broadcast, "Foo.Sleep", args, deadline).await;
                [sum, sleep]
            });
        }
        let mut outcomes: Vec<Outcome> = collect(calls).await.into_iter().flatten().collect();
        outcomes.sort_by_key(|o| (o.method, o.args.num1));
        Ok(outcomes)
    }

    /// Stops the heartbeats and the servers.
    pub async fn stop(mut self) {
        for heartbeat in self.heartbeats.drain(..) {
            // The seed protocol has no deregistration; a refusal here is expected.
            let _ = heartbeat.stop().await;
        }
        for stop in self.stops.drain(..) {
            let _ = stop.send(());
        }
        while self.tasks.join_next().await.is_some() {}
    }
}

/// The XClient the demo uses.
type Foo = XClient<RegistryDiscovery<HyperTransport>, HyperTransport>;

/// The seed's arguments for task `i`: `i + i*i`.
fn square(i: i64) -> Args {
    Args {
        num1: i,
        num2: i * i,
    }
}

/// Collects the tasks' outcomes; a task that panicked is left out (and the
/// test's count check catches it).
async fn collect<T: 'static>(mut tasks: JoinSet<T>) -> Vec<T> {
    let mut out = Vec::new();
    while let Some(done) = tasks.join_next().await {
        if let Ok(value) = done {
            out.push(value);
        }
    }
    out
}

/// Whether a method went to one server or to all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Call,
    Broadcast,
}

/// One call's result, printed in the seed's form.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub kind: Kind,
    pub method: &'static str,
    pub args: Args,
    pub result: Result<i64, Error>,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            Kind::Call => "call",
            Kind::Broadcast => "broadcast",
        };
        match &self.result {
            Ok(reply) => write!(
                f,
                "{kind} {} success: {} + {} = {reply}",
                self.method, self.args.num1, self.args.num2
            ),
            Err(error) => write!(f, "{kind} {} error: {error}", self.method),
        }
    }
}

/// Makes one call or broadcast and reports its outcome as it completes.
async fn run(
    xc: &Foo,
    report: &Report,
    kind: Kind,
    method: &'static str,
    args: Args,
    deadline: Deadline,
) -> Outcome {
    let result = match kind {
        Kind::Call => xc.call(method, &args, deadline).await,
        Kind::Broadcast => xc.broadcast(method, &args, deadline).await,
    };
    let outcome = Outcome {
        kind,
        method,
        args,
        result,
    };
    report(outcome.to_string());
    outcome
}
