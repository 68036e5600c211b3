//! The simulated hosts, as factories turmoil can call again after a crash: the
//! registry, RPC servers that heartbeat, and clients that discover and call. Each
//! runs the production code unchanged; only the sockets (see [`crate::net`]) and
//! the probes (see [`crate::probes`]) are the simulation's.

use std::future::{Future, pending};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rollcall_client::transport::HyperTransport;
use rollcall_client::{
    Deadline, Discovery, DiscoveryOptions, Error, Heartbeat, HeartbeatOptions, RegistryClient,
    RegistryDiscovery, RegistryEndpoint, RpcClient, SelectMode, XClient,
};
use rollcall_protocol::RegisterRequest;
use rollcall_server::{
    ConnOptions, HttpConfig, Registry, RegistryConfig, RegistryService, RpcError, RpcServer, serve,
};

use crate::net::{SimConnector, SimListener};
use crate::observer::{Event, Observer};
use crate::probes::{ObservedHandler, ObservedTransport, poll_registry};
use crate::seeds::derive;

/// The registry's host name.
pub const REGISTRY: &str = "registry";

/// The registry's port.
pub const REGISTRY_PORT: u16 = 9999;

/// The port every RPC server listens on.
pub const RPC_PORT: u16 = 8000;

/// The method every RPC server offers: the sum of two numbers.
pub const SUM: &str = "Arith.Sum";

/// A host's software: a factory turmoil calls on every (re)start.
pub type Software = Box<dyn Fn() -> Pin<Box<dyn Future<Output = turmoil::Result>>>>;

/// The transport every simulated host uses: hyper's pooled client on turmoil
/// sockets, observed.
pub type SimTransport = ObservedTransport<HyperTransport<SimConnector>>;

/// How the hosts of one simulation are configured.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// The run's seed, from which every host's RNG seed is derived.
    pub seed: u64,
    /// The TTL the registry grants every seed-protocol heartbeat.
    pub ttl: Duration,
    /// How often the registry host polls its registry for the observer (one tick).
    pub poll: Duration,
    /// The servers' heartbeat settings (`rng_seed` is derived per server).
    pub heartbeat: HeartbeatOptions,
    /// The clients' discovery settings (`rng_seed` is derived per client).
    pub discovery: DiscoveryOptions,
    /// How often a client samples the list its discovery hands out (one tick).
    pub sample: Duration,
    /// Time between a client's calls; `None`: the client only discovers.
    pub call_every: Option<Duration>,
    /// The deadline of each call and broadcast.
    pub call_deadline: Duration,
}

/// The seed protocol's URL of the simulated registry.
pub fn registry_url() -> String {
    format!(
        "http://{REGISTRY}:{REGISTRY_PORT}{}",
        rollcall_protocol::DEFAULT_PATH
    )
}

/// The address server `host` registers (the seed's `proto@host:port`).
pub fn server_addr(host: &str) -> String {
    format!("tcp@{host}:{RPC_PORT}")
}

fn transport(host: &str, observer: &Observer) -> SimTransport {
    ObservedTransport::new(
        HyperTransport::with_connector(SimConnector),
        host,
        observer.clone(),
    )
}

/// The registry host: a fresh, empty [`Registry`] on every (re)start, served on
/// [`REGISTRY_PORT`], polled every `config.poll` for registrations and expiries.
pub fn registry(config: &HostConfig, observer: &Observer) -> Software {
    let (ttl, poll, observer) = (config.ttl, config.poll, observer.clone());
    // Each (re)start is another run of the registry, with its own epoch; counted
    // rather than drawn, so a replay is identical.
    let runs = Arc::new(AtomicU64::new(0));
    Box::new(move || {
        let observer = observer.clone();
        let epoch = runs.fetch_add(1, Ordering::Relaxed) + 1;
        Box::pin(async move {
            let registry = Registry::new(RegistryConfig {
                default_ttl: ttl,
                epoch: Some(epoch),
                ..RegistryConfig::default()
            });
            tokio::spawn(poll_registry(registry.clone(), observer.clone(), poll));
            let service = RegistryService::new(registry, HttpConfig::default());
            let handler = ObservedHandler::new(service, observer);
            let listener = SimListener::bind(REGISTRY_PORT).await?;
            serve(listener, handler, ConnOptions::default(), pending()).await?;
            Ok(())
        })
    })
}

/// An RPC server host named `name`: serves [`SUM`] on [`RPC_PORT`] and keeps itself
/// registered with a real [`Heartbeat`] for as long as it runs.
pub fn server(name: &str, config: &HostConfig, observer: &Observer) -> Software {
    let name: Arc<str> = name.into();
    let (config, observer) = (config.clone(), observer.clone());
    Box::new(move || {
        let (name, config, observer) = (name.clone(), config.clone(), observer.clone());
        Box::pin(async move {
            let rpc = RpcServer::new().register(SUM, |(a, b): (i64, i64)| async move {
                a.checked_add(b)
                    .ok_or_else(|| RpcError::Handler("overflow".to_owned()))
            })?;
            let listener = SimListener::bind(RPC_PORT).await?;
            let client = RegistryClient::new(
                transport(&name, &observer),
                RegistryEndpoint::seed(registry_url()),
            );
            let request = RegisterRequest {
                addr: server_addr(&name),
                metadata: Default::default(),
                weight: None,
                ttl_ms: None,
            };
            let options = HeartbeatOptions {
                rng_seed: Some(derive(config.seed, &format!("heartbeat/{name}"))),
                ..config.heartbeat.clone()
            };
            // Held until the host stops: dropping it would stop the beats.
            let _heartbeat = Heartbeat::start(client, request, options);
            serve(listener, rpc, ConnOptions::default(), pending()).await?;
            Ok(())
        })
    })
}

/// A client host named `name`: samples its [`RegistryDiscovery`] every
/// `config.sample` and records each change of what it hands out; if
/// `config.call_every` is set, alternates [`XClient::call`] and
/// [`XClient::broadcast`] of [`SUM`] and records each outcome.
pub fn client(name: &str, config: &HostConfig, observer: &Observer) -> Software {
    let name: Arc<str> = name.into();
    let (config, observer) = (config.clone(), observer.clone());
    Box::new(move || {
        let (name, config, observer) = (name.clone(), config.clone(), observer.clone());
        Box::pin(async move {
            let registry = RegistryClient::new(
                transport(&name, &observer),
                RegistryEndpoint::seed(registry_url()),
            );
            let options = DiscoveryOptions {
                rng_seed: Some(derive(config.seed, &format!("discovery/{name}"))),
                ..config.discovery.clone()
            };
            let discovery = RegistryDiscovery::new(registry, options);
            let rpc = RpcClient::new(transport(&name, &observer));
            let xclient = Arc::new(XClient::new(discovery, SelectMode::RoundRobin, rpc));
            if let Some(every) = config.call_every {
                let calls = call_loop(
                    xclient.clone(),
                    name.clone(),
                    observer.clone(),
                    every,
                    config.call_deadline,
                );
                tokio::task::spawn_local(calls);
            }
            sample_loop(&xclient, &name, &observer, config.sample).await;
            Ok(())
        })
    })
}

type SimXClient = XClient<RegistryDiscovery<SimTransport>, SimTransport>;

/// Records what the discovery hands out whenever it changes.
async fn sample_loop(xclient: &SimXClient, name: &str, observer: &Observer, every: Duration) {
    let mut last: Option<Event> = None;
    loop {
        let event = match xclient.discovery().get_all().await {
            Ok(list) => Event::Served {
                client: name.to_owned(),
                servers: list.into_iter().map(|i| i.addr).collect(),
                last_error: xclient.discovery().last_error().map(|e| e.to_string()),
            },
            Err(error) => Event::ServeFailed {
                client: name.to_owned(),
                error: error.to_string(),
            },
        };
        if last.as_ref() != Some(&event) {
            observer.record(event.clone());
            last = Some(event);
        }
        tokio::time::sleep(every).await;
    }
}

/// Calls and broadcasts in turn, one every `every`, each under `deadline`.
async fn call_loop(
    xclient: Arc<SimXClient>,
    name: Arc<str>,
    observer: Observer,
    every: Duration,
    deadline: Duration,
) {
    for n in 0_i64.. {
        tokio::time::sleep(every).await;
        let start = tokio::time::Instant::now();
        let broadcast = n % 2 == 1;
        let deadline = Deadline::after(deadline);
        let outcome: Result<i64, Error> = if broadcast {
            xclient.broadcast(SUM, &(n, 1), deadline).await
        } else {
            xclient.call(SUM, &(n, 1), deadline).await
        };
        let outcome = match outcome {
            Ok(sum) if sum == n + 1 => Ok(sum.to_string()),
            Ok(sum) => Err(format!("wrong reply {sum} to {n} + 1")),
            Err(error) => Err(format!("{}: {error}", error_kind(&error))),
        };
        observer.record(Event::Called {
            client: name.to_string(),
            method: if broadcast { "broadcast" } else { "call" }.to_owned(),
            outcome,
            took: start.elapsed(),
        });
    }
}

/// A short class for an error, so a scenario can tell clean failures (timeouts,
/// refused connections, no servers) from broken ones.
pub fn error_kind(error: &Error) -> &'static str {
    match error {
        _ if error.is_timeout() => "timeout",
        _ if error.is_connect() => "connect",
        Error::Transport(_) => "transport",
        Error::NoServers => "no-servers",
        Error::Stale { .. } => "stale",
        Error::Status { .. } => "status",
        _ => "other",
    }
}
