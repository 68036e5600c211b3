//! The simulated hosts: the registry (the real one; or several frontends over one
//! store, [`frontends`]), servers running your server code, clients running your
//! calling code, and any other host you add.
//!
//! Every host's software is a factory turmoil calls on each (re)start, handed a
//! context: [`Host`] for any host, [`ServerHost`] and [`ClientHost`] with the
//! registration and discovery wired up. Watcher hosts run the kit's own watch
//! loop. Only the sockets ([`crate::net`]) and the
//! probes ([`crate::probes`]) are the simulation's; the rest is production code.

mod client;
mod frontends;
mod registry;
mod server;
mod watcher;

pub use client::{ClientHost, SimDiscovery, SimXClient, error_kind};
pub use server::ServerHost;

pub(crate) use client::client;
pub(crate) use frontends::{StoreSlot, frontend, store};
pub(crate) use registry::registry;
pub(crate) use server::server;
pub(crate) use watcher::watcher;

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use rollcall_client::transport::HyperTransport;
use rollcall_client::{DiscoveryOptions, HeartbeatOptions, RegistryEndpoint, WatchOptions};

use crate::api::Api;
use crate::event::Event;
use crate::net::{SimConnector, SimListener};
use crate::observer::Observer;
use crate::probes::ObservedTransport;
use crate::seeds::derive;

/// What a host's software returns: `Err` fails the run (a panic does too).
pub type HostResult = turmoil::Result;

/// The transport every simulated host uses: hyper's pooled client (the one
/// production uses) on turmoil sockets, observed.
pub type SimTransport = ObservedTransport<HyperTransport<SimConnector>>;

/// Software of a host: a factory of its future, taking the host's context.
pub(crate) type Software<H> = Arc<dyn Fn(H) -> Pin<Box<dyn Future<Output = HostResult>>>>;

/// Boxes your `async` closure (or `async fn`) as host software.
pub(crate) fn software<H, F, Fut>(f: F) -> Software<H>
where
    F: Fn(H) -> Fut + 'static,
    Fut: Future<Output = HostResult> + 'static,
{
    Arc::new(move |host| Box::pin(f(host)))
}

/// A turmoil host factory: called on the start and on every restart.
pub(crate) type Factory = Box<dyn Fn() -> Pin<Box<dyn Future<Output = HostResult>>>>;

/// What every host of one run shares: the run's seed and record, the protocol,
/// the production settings.
#[derive(Debug, Clone)]
pub(crate) struct HostConfig {
    pub seed: u64,
    pub observer: Observer,
    pub api: Api,
    /// Where servers and clients find the registry: the registry host, or every
    /// frontend.
    pub endpoint: RegistryEndpoint,
    /// The TTL the registry grants.
    pub ttl: Duration,
    /// The registry's warm-up after each start (`None`: its default).
    pub warmup: Option<Duration>,
    /// How often the registry host polls its registry, and each client samples
    /// its discovery, for the record (one tick).
    pub poll: Duration,
    pub heartbeat: HeartbeatOptions,
    pub discovery: DiscoveryOptions,
    pub watch: WatchOptions,
}

/// What any host's software gets: its name, its seed, the run's record and the
/// simulated network. Server and client hosts get more ([`ServerHost`],
/// [`ClientHost`], both of which dereference to this).
#[derive(Debug, Clone)]
pub struct Host {
    name: Arc<str>,
    seed: u64,
    observer: Observer,
}

impl Host {
    pub(crate) fn new(name: &Arc<str>, config: &HostConfig) -> Host {
        Host {
            name: name.clone(),
            seed: config.seed,
            observer: config.observer.clone(),
        }
    }

    /// The host's name, as the scenario declared it (`server-1`, `client-2`, ..).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A seed for one RNG of this host (`label`: what it is for), derived from the
    /// run's seed: seed every RNG of your code from here, and a replay draws the
    /// same numbers.
    pub fn seed_for(&self, label: &str) -> u64 {
        derive(self.seed, &format!("{label}/{}", self.name))
    }

    /// The run's record, to add your own events to.
    pub fn observer(&self) -> &Observer {
        &self.observer
    }

    /// Adds `text` to the trace as an [`Event::Note`] of this host, for your own
    /// invariants to find.
    ///
    /// Must be called from within this host's software.
    pub fn note(&self, text: impl Into<String>) {
        self.observer.record(Event::Note {
            host: self.name.to_string(),
            text: text.into(),
        });
    }

    /// A new HTTP transport (its own connection pool) for this host: what
    /// [`RegistryClient`](rollcall_client::RegistryClient) and
    /// [`RpcClient`](rollcall_client::RpcClient) take. Heartbeats, list fetches
    /// and RPC requests through it are recorded.
    ///
    /// Use it within this host's software: connections open from the host that
    /// polls them.
    pub fn transport(&self) -> SimTransport {
        ObservedTransport::new(
            HyperTransport::with_connector(SimConnector),
            &self.name,
            self.observer.clone(),
        )
    }

    /// Binds `port` on this host, for software that serves without registering.
    ///
    /// Must be called from within this host's software.
    pub async fn bind(&self, port: u16) -> io::Result<SimListener> {
        SimListener::bind(port).await
    }
}

/// Any other host named `name`, running `software`.
pub(crate) fn other(name: &str, config: &HostConfig, software: Software<Host>) -> Factory {
    let name: Arc<str> = name.into();
    let config = config.clone();
    Box::new(move || software(Host::new(&name, &config)))
}
