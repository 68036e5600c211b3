//! What a scenario sets up: hosts, network, the production settings, and the time
//! constants the invariants derive from them.

use std::time::Duration;

use rollcall_client::{DiscoveryOptions, FAILED_REFRESH_RETRY, HeartbeatOptions, period_for_ttl};

/// Everything a scenario chooses: hosts, network and the production settings.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The test's name, for the replay line.
    pub name: &'static str,
    pub servers: usize,
    pub clients: usize,
    /// Simulated time the scenario runs for.
    pub duration: Duration,
    /// `Builder::tick_duration`.
    pub tick: Duration,
    pub min_latency: Duration,
    /// The largest latency any link will have, spikes included: the invariants'
    /// bounds are computed with it.
    pub max_latency: Duration,
    /// turmoil's per-message chance of breaking a link, and of repairing a broken
    /// one (both zero: no random loss).
    pub fail_rate: f64,
    pub repair_rate: f64,
    /// The TTL the registry grants.
    pub ttl: Duration,
    pub heartbeat: HeartbeatOptions,
    pub discovery: DiscoveryOptions,
    pub call_every: Option<Duration>,
    pub call_deadline: Duration,
}

impl Setup {
    /// The sweep's usual shape: 3 servers, 2 clients, a 10 s TTL (so expiry happens
    /// within seconds of simulated time) with the default period, 20-200 ms latency
    /// on every link, a 50 ms tick.
    pub fn short(name: &'static str) -> Setup {
        Setup {
            name,
            servers: 3,
            clients: 2,
            duration: Duration::from_secs(60),
            tick: Duration::from_millis(50),
            min_latency: Duration::from_millis(20),
            max_latency: Duration::from_millis(200),
            fail_rate: 0.0,
            repair_rate: 0.0,
            ttl: Duration::from_secs(10),
            heartbeat: HeartbeatOptions {
                request_timeout: Duration::from_secs(2),
                ..HeartbeatOptions::default()
            },
            discovery: DiscoveryOptions {
                refresh: Duration::from_secs(2),
                max_stale: Duration::from_secs(15),
                request_timeout: Some(Duration::from_secs(1)),
                rng_seed: None,
            },
            call_every: None,
            call_deadline: Duration::from_secs(2),
        }
    }

    /// The heartbeat period the servers run with: the configured one, or the one
    /// the heartbeat derives from the TTL ([`period_for_ttl`]).
    pub fn period(&self) -> Duration {
        if self.heartbeat.period.is_zero() {
            period_for_ttl(self.ttl)
        } else {
            self.heartbeat.period
        }
    }

    /// The time constants the invariants check against.
    pub fn timing(&self) -> Timing {
        Timing {
            tick: self.tick,
            ttl: self.ttl,
            period: self.period(),
            backoff: self.heartbeat.backoff_max.min(self.ttl / 2) + self.heartbeat.request_timeout,
            refresh: self.discovery.refresh,
            max_stale: self.discovery.max_stale,
            refresh_retry: FAILED_REFRESH_RETRY.min(self.discovery.refresh),
            max_latency: self.max_latency,
        }
    }

    /// Host names: `server-1..`, `client-1..`.
    pub fn server_names(&self) -> Vec<String> {
        (1..=self.servers).map(|i| format!("server-{i}")).collect()
    }

    pub fn client_names(&self) -> Vec<String> {
        (1..=self.clients).map(|i| format!("client-{i}")).collect()
    }
}

/// The time constants of one scenario: what the hosts were configured with and
/// what the network may add.
#[derive(Debug, Clone)]
pub struct Timing {
    /// `Builder::tick_duration`: the granularity of message delivery and timers.
    pub tick: Duration,
    /// The TTL the registry grants.
    pub ttl: Duration,
    /// The heartbeat period.
    pub period: Duration,
    /// Longest a heartbeat takes to land once the registry is reachable again: its
    /// retries' backoff plus one request timeout.
    pub backoff: Duration,
    /// The discovery's refresh interval.
    pub refresh: Duration,
    /// The discovery's maximum stale age.
    pub max_stale: Duration,
    /// How long a discovery waits after a failed refresh before asking again
    /// ([`FAILED_REFRESH_RETRY`], capped at the refresh interval).
    pub refresh_retry: Duration,
    /// The largest one-way message latency of any link.
    pub max_latency: Duration,
}

impl Timing {
    /// Slack for requests in flight. A list fetched just before an expiry travels
    /// back (1 latency); the next refresh may need a new connection (SYN, SYN-ACK:
    /// 2), its request and its answer (2): 5 latencies. Ticks: the expiry timer
    /// fires on a tick, the client samples on a tick, and the refresh is started
    /// on one: 3.
    pub fn slack(&self) -> Duration {
        self.max_latency * 5 + self.tick * 3
    }

    /// How long after `anchor` (its last renewal) a server that can no longer renew
    /// may still be handed out: TTL, one tick of expiry granularity, then the
    /// client's refresh interval, or its maximum stale age if it could not reach the
    /// registry meanwhile, plus [`Timing::slack`].
    pub fn safety_bound(&self, anchor: Duration, client_cut_off: bool) -> Duration {
        let age = if client_cut_off {
            self.max_stale.max(self.refresh)
        } else {
            self.refresh
        };
        anchor + self.ttl + self.tick + age + self.slack()
    }

    /// How long after server, client and registry are all healthy the server must
    /// be on the client's list: one heartbeat period plus backoff, one refresh, the
    /// slack, and a failed refresh's retry pause.
    pub fn liveness_bound(&self, healthy_since: Duration) -> Duration {
        healthy_since
            + self.period
            + self.backoff
            + self.refresh
            + self.slack()
            + self.refresh_retry
    }
}

/// A link as a sorted pair of host names.
pub fn pair(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_owned(), b.to_owned())
    } else {
        (b.to_owned(), a.to_owned())
    }
}
