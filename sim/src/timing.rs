//! The time constants of a simulation, and the bounds the built-in invariants
//! derive from them.

use std::time::Duration;

use rollcall_client::WatchOptions;

/// The time constants of one scenario: what the hosts were configured with and
/// what the network may add. [`Scenario::timing`](crate::Scenario::timing) derives
/// them; the built-in [`checks`](crate::checks) bound what may happen with them.
#[derive(Debug, Clone)]
pub struct Timing {
    /// `Builder::tick_duration`: the granularity of message delivery and timers.
    pub tick: Duration,
    /// The TTL the registry grants.
    pub ttl: Duration,
    /// How long the registry warms up after each (re)start.
    pub warmup: Duration,
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
    /// Timeout of a client's list request (its discovery's request timeout; a
    /// watcher's lists use it too).
    pub list_timeout: Duration,
    /// The largest one-way message latency of any link, spikes included.
    pub max_latency: Duration,
    /// The watchers' settings.
    pub watch: WatchOptions,
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

impl Timing {
    /// How long after a change of the registry's list a watcher that follows it
    /// without trouble shows it: the watch may be waiting out its least interval
    /// between requests (`min_interval`, plus up to a quarter of jitter) before it
    /// asks; its request travels and is answered at once, as the change is newer
    /// (2 latencies); the answer is recorded on a tick, and the change was seen by
    /// polling the registry on one (2 ticks).
    pub fn watch_delay(&self) -> Duration {
        self.watch.min_interval + self.watch.min_interval / 4 + self.max_latency * 2 + self.tick * 2
    }

    /// How long after a watcher can reach the registry again (a partition healed,
    /// a loss window over, the registry back) its view may still differ from the
    /// registry's list, before [`watch_delay`](Timing::watch_delay) covers what
    /// changed since.
    ///
    /// A request sent before the repair may be lost with its connection (turmoil
    /// does not retransmit): it fails at its timeout, at most the longer of a
    /// blocking query's (wait, plus the server's jitter of a sixteenth, plus the
    /// margin) and a list's. Then the stream backs off, at most `backoff_max`.
    /// The next request goes out on a new connection (2 latencies) and is
    /// answered at once, the view being behind (2 latencies); if the feed says
    /// the stream must start over (a restarted registry, `410`) one list follows,
    /// spaced by `min_interval` plus a quarter and again 4 latencies. Ticks: the
    /// failure, the backoff's end and the two requests each start on one.
    pub fn watch_recovery(&self) -> Duration {
        let lost = self.watch.request_timeout().max(self.list_timeout);
        let spacing = self.watch.min_interval + self.watch.min_interval / 4;
        lost + self.watch.backoff_max + spacing + self.max_latency * 8 + self.tick * 4
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
