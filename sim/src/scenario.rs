//! A scenario: the hosts, the network, the production settings, the faults and
//! the invariants of a simulation; run with one seed or swept over many.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use rollcall_client::{DiscoveryOptions, FAILED_REFRESH_RETRY, HeartbeatOptions, period_for_ttl};

use crate::api::{Api, REGISTRY, SERVER_PORT, STORE};
use crate::checks::Check;
use crate::failure::Failure;
use crate::hosts::{self, ClientHost, Host, HostResult, ServerHost, Software};
use crate::network::Network;
use crate::plan::Plan;
use crate::random::RandomFaults;
use crate::seeds;
use crate::timing::Timing;

/// Segments a simulated socket buffers before turmoil panics (its default is 64):
/// a registry with 100 servers and 10 clients starting at once takes more.
const TCP_CAPACITY: usize = 4096;

/// Default TTL the registry grants: short, so expiry happens within seconds of
/// simulated time (production's default is 5 minutes).
pub const DEFAULT_SIM_TTL: Duration = Duration::from_secs(10);

/// Default length of a run.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(60);

/// A simulation to run: a registry, servers running your server code, clients
/// running your calling code, on a simulated network, with a fault plan and
/// invariants. Build it once, run it with many seeds.
///
/// Defaults: the seed protocol ([`Api::Seed`]), the default [`Network`], a
/// [`DEFAULT_SIM_TTL`] TTL, heartbeat requests timing out after 2 s, discovery
/// refreshing every 2 s (stale after 15 s, requests timing out after 1 s), a
/// [`DEFAULT_DURATION`] run, the [`checks::rollcall`](crate::checks::rollcall)
/// invariants.
#[derive(Clone)]
pub struct Scenario {
    name: String,
    api: Api,
    /// Frontends of one registry in place of the registry host; 0: the registry host.
    frontends: usize,
    network: Network,
    ttl: Duration,
    heartbeat: HeartbeatOptions,
    discovery: DiscoveryOptions,
    duration: Duration,
    servers: Vec<(String, Software<ServerHost>)>,
    clients: Vec<(String, Option<Software<ClientHost>>)>,
    others: Vec<(String, Software<Host>)>,
    plan: Plan,
    random: Option<RandomFaults>,
    default_checks: bool,
    checks: Vec<Check>,
}

impl fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field("api", &self.api)
            .field("hosts", &self.host_names())
            .field("duration", &self.duration)
            .finish_non_exhaustive()
    }
}

impl Scenario {
    /// A scenario named `name` (the test's name: the replay command selects the
    /// test by it), with no host but the registry yet.
    pub fn new(name: &str) -> Scenario {
        Scenario {
            name: name.to_owned(),
            api: Api::Seed,
            frontends: 0,
            network: Network::default(),
            ttl: DEFAULT_SIM_TTL,
            heartbeat: HeartbeatOptions {
                request_timeout: Duration::from_secs(2),
                ..HeartbeatOptions::default()
            },
            discovery: DiscoveryOptions {
                refresh: Duration::from_secs(2),
                max_stale: Duration::from_secs(15),
                request_timeout: Some(Duration::from_secs(1)),
                ..DiscoveryOptions::default()
            },
            duration: DEFAULT_DURATION,
            servers: Vec::new(),
            clients: Vec::new(),
            others: Vec::new(),
            plan: Plan::new(),
            random: None,
            default_checks: true,
            checks: Vec::new(),
        }
    }

    /// Speaks `api`: the seed protocol or the JSON API.
    pub fn api(mut self, api: Api) -> Scenario {
        self.api = api;
        self
    }

    /// Serves the registry from `count` interchangeable frontends, hosts
    /// `frontend-1`, `frontend-2`.., in place of the [`REGISTRY`] host: each
    /// answers the registry's routes on its own address, all over one registry
    /// held by host [`STORE`] (as frontends over one etcd cluster). Servers and
    /// clients are given every frontend's URL, each starting at one drawn from its
    /// seed, and move on to the next when one fails. Crash, hang, restart or cut
    /// off any frontend; the store is not to be faulted. A server counts as able to
    /// renew, and a client as connected, while it reaches at least one frontend.
    pub fn frontends(mut self, count: usize) -> Scenario {
        self.frontends = count;
        self
    }

    /// Runs on `network`.
    pub fn network(mut self, network: Network) -> Scenario {
        self.network = network;
        self
    }

    /// The TTL the registry grants.
    pub fn ttl(mut self, ttl: Duration) -> Scenario {
        self.ttl = ttl;
        self
    }

    /// The servers' heartbeat settings (each server's RNG seed is derived from
    /// the run's).
    pub fn heartbeat(mut self, options: HeartbeatOptions) -> Scenario {
        self.heartbeat = options;
        self
    }

    /// The clients' discovery settings (each client's RNG seed is derived from
    /// the run's).
    pub fn discovery(mut self, options: DiscoveryOptions) -> Scenario {
        self.discovery = options;
        self
    }

    /// How long [`run`](Scenario::run) and [`sweep`](Scenario::sweep) run.
    pub fn duration(mut self, duration: Duration) -> Scenario {
        self.duration = duration;
        self
    }

    /// Adds a server host named `name` running `software`: your server code, handed
    /// a [`ServerHost`] to [`listen`](ServerHost::listen) on.
    pub fn server<F, Fut>(mut self, name: &str, software: F) -> Scenario
    where
        F: Fn(ServerHost) -> Fut + 'static,
        Fut: Future<Output = HostResult> + 'static,
    {
        self.servers
            .push((name.to_owned(), hosts::software(software)));
        self
    }

    /// Adds `count` server hosts running `software`, named `server-1`, `server-2`..
    /// (numbered on from the servers already added).
    pub fn servers<F, Fut>(mut self, count: usize, software: F) -> Scenario
    where
        F: Fn(ServerHost) -> Fut + 'static,
        Fut: Future<Output = HostResult> + 'static,
    {
        let software = hosts::software(software);
        let first = self.servers.len() + 1;
        for i in first..first + count {
            self.servers.push((format!("server-{i}"), software.clone()));
        }
        self
    }

    /// Adds a client host named `name` running `software`: your calling code,
    /// handed a [`ClientHost`] with a discovery of the scenario's service.
    pub fn client<F, Fut>(mut self, name: &str, software: F) -> Scenario
    where
        F: Fn(ClientHost) -> Fut + 'static,
        Fut: Future<Output = HostResult> + 'static,
    {
        self.clients
            .push((name.to_owned(), Some(hosts::software(software))));
        self
    }

    /// Adds `count` client hosts running `software`, named `client-1`, `client-2`..
    pub fn clients<F, Fut>(mut self, count: usize, software: F) -> Scenario
    where
        F: Fn(ClientHost) -> Fut + 'static,
        Fut: Future<Output = HostResult> + 'static,
    {
        let software = hosts::software(software);
        let first = self.clients.len() + 1;
        for i in first..first + count {
            self.clients
                .push((format!("client-{i}"), Some(software.clone())));
        }
        self
    }

    /// Adds `count` client hosts that only keep their discovery fresh (and
    /// sampled), named on from the clients already added.
    pub fn idle_clients(mut self, count: usize) -> Scenario {
        let first = self.clients.len() + 1;
        for i in first..first + count {
            self.clients.push((format!("client-{i}"), None));
        }
        self
    }

    /// Adds a host of your own (a proxy, a load generator, a second frontend)
    /// named `name`, running `software`. Faults apply to it like to any host.
    pub fn host<F, Fut>(mut self, name: &str, software: F) -> Scenario
    where
        F: Fn(Host) -> Fut + 'static,
        Fut: Future<Output = HostResult> + 'static,
    {
        self.others
            .push((name.to_owned(), hosts::software(software)));
        self
    }

    /// Applies `plan`'s faults in every run (replacing any plan set before).
    pub fn plan(mut self, plan: Plan) -> Scenario {
        self.plan = plan;
        self
    }

    /// Adds to every run a fault plan drawn from its seed within `limits`.
    pub fn random_faults(mut self, limits: RandomFaults) -> Scenario {
        self.random = Some(limits);
        self
    }

    /// Runs `check` after every step, besides the others.
    pub fn check(mut self, check: Check) -> Scenario {
        self.checks.push(check);
        self
    }

    /// Drops the default checks ([`checks::rollcall`](crate::checks::rollcall)),
    /// keeping only those added with [`check`](Scenario::check).
    pub fn no_default_checks(mut self) -> Scenario {
        self.default_checks = false;
        self
    }

    /// The scenario's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How long [`run`](Scenario::run) runs.
    pub fn run_length(&self) -> Duration {
        self.duration
    }

    /// The server hosts' names, in order.
    pub fn server_names(&self) -> Vec<String> {
        self.servers.iter().map(|(n, _)| n.clone()).collect()
    }

    /// The client hosts' names, in order.
    pub fn client_names(&self) -> Vec<String> {
        self.clients.iter().map(|(n, _)| n.clone()).collect()
    }

    /// The hosts that answer the registry's routes: the [`REGISTRY`] host, or the
    /// frontends ([`frontends`](Scenario::frontends)).
    pub fn registry_names(&self) -> Vec<String> {
        if self.frontends == 0 {
            vec![REGISTRY.to_owned()]
        } else {
            (1..=self.frontends)
                .map(|i| format!("frontend-{i}"))
                .collect()
        }
    }

    /// The host that holds the registry's state: the [`REGISTRY`] host, or the
    /// [`STORE`] behind the frontends.
    pub fn store_name(&self) -> &'static str {
        if self.frontends == 0 { REGISTRY } else { STORE }
    }

    /// Every host's name: the registry (or the store and the frontends), servers,
    /// clients, your own.
    pub fn host_names(&self) -> Vec<String> {
        let store = (self.frontends > 0).then(|| STORE.to_owned());
        store
            .into_iter()
            .chain(self.registry_names())
            .chain(self.server_names())
            .chain(self.client_names())
            .chain(self.others.iter().map(|(n, _)| n.clone()))
            .collect()
    }

    /// The address server `host` registers.
    pub fn server_addr(&self, host: &str) -> String {
        self.api.server_addr(host, SERVER_PORT)
    }

    /// The time constants of this scenario, which the built-in checks bound
    /// things with.
    pub fn timing(&self) -> Timing {
        let period = if self.heartbeat.period.is_zero() {
            period_for_ttl(self.ttl)
        } else {
            self.heartbeat.period
        };
        let max_latency = self
            .plan
            .max_latency()
            .map_or(self.network.max_latency, |spike| {
                spike.max(self.network.max_latency)
            });
        Timing {
            tick: self.network.tick,
            ttl: self.ttl,
            period,
            backoff: self.heartbeat.backoff_max.min(self.ttl / 2) + self.heartbeat.request_timeout,
            refresh: self.discovery.refresh,
            max_stale: self.discovery.max_stale,
            refresh_retry: FAILED_REFRESH_RETRY.min(self.discovery.refresh),
            max_latency,
        }
    }

    /// Runs `seed` for the scenario's duration; its trace hash if every check
    /// held throughout.
    pub fn run(&self, seed: u64) -> Result<u64, Failure> {
        let mut run = self.start(seed);
        run.until(self.duration)?;
        Ok(run.finish())
    }

    /// Runs `fixed` seeds then the sweep (see [`seeds::seeds`]: `SIM_SEED` runs one
    /// seed, `SIM_SEEDS` sets the sweep's size), stopping at the first failure.
    pub fn sweep(&self, fixed: &[u64]) -> Result<(), Failure> {
        for seed in seeds::seeds(fixed) {
            self.run(seed)?;
        }
        Ok(())
    }
}

mod start;
