//! The time constants of a simulation, and the bounds the built-in invariants
//! derive from them.

use std::time::Duration;

/// The time constants of one scenario: what the hosts were configured with and
/// what the network may add. [`Scenario::timing`](crate::Scenario::timing) derives
/// them; the built-in [`checks`](crate::checks) bound what may happen with them.
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
    /// ([`FAILED_REFRESH_RETRY`](rollcall_client::FAILED_REFRESH_RETRY), capped at
    /// the refresh interval).
    pub refresh_retry: Duration,
    /// The largest one-way message latency of any link, spikes included.
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
pub(crate) fn pair(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_owned(), b.to_owned())
    } else {
        (b.to_owned(), a.to_owned())
    }
}

/// `secs(30)`: a duration in whole seconds, for plans that read as prose.
pub const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// `millis(500)`: a duration in milliseconds.
pub const fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms)
}
