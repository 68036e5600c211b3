//! A scenario: the hosts, the network, the production settings, the faults and
//! the invariants of a simulation; run with one seed or swept over many.

use std::fmt;
use std::time::Duration;

use rollcall_client::{
    DiscoveryOptions, FAILED_REFRESH_RETRY, HeartbeatOptions, WatchOptions, period_for_ttl,
};

use crate::api::{Api, SERVER_PORT};
use crate::checks::Check;
use crate::failure::Failure;
use crate::hosts::{ClientHost, Host, ServerHost, Software};
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
/// [`DEFAULT_SIM_TTL`] TTL and as long a warm-up after each registry start (the
/// registry's own default), heartbeat requests timing out after 2 s, discovery
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
    warmup: Option<Duration>,
    heartbeat: HeartbeatOptions,
    discovery: DiscoveryOptions,
    watch: WatchOptions,
    duration: Duration,
    servers: Vec<(String, Software<ServerHost>)>,
    clients: Vec<(String, Option<Software<ClientHost>>)>,
    watchers: Vec<String>,
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
            warmup: None,
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
            watch: WatchOptions::default(),
            duration: DEFAULT_DURATION,
            servers: Vec::new(),
            clients: Vec::new(),
            watchers: Vec::new(),
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

    /// How long the registry says it warms up after each (re)start
    /// ([`RegistryConfig::warmup`](rollcall_server::RegistryConfig::warmup));
    /// by default the TTL, as the registry's own default.
    pub fn warmup(mut self, warmup: Duration) -> Scenario {
        self.warmup = Some(warmup);
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
            warmup: rollcall_server::RegistryConfig {
                default_ttl: self.ttl,
                warmup: self.warmup,
                ..rollcall_server::RegistryConfig::default()
            }
            .warmup(),
            period,
            backoff: self.heartbeat.backoff_max.min(self.ttl / 2) + self.heartbeat.request_timeout,
            refresh: self.discovery.refresh,
            max_stale: self.discovery.max_stale,
            refresh_retry: FAILED_REFRESH_RETRY.min(self.discovery.refresh),
            list_timeout: self
                .discovery
                .request_timeout
                .unwrap_or(rollcall_client::DEFAULT_REQUEST_TIMEOUT),
            max_latency,
            watch: self.watch.clone(),
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

mod hosts;
mod replay;
mod start;
