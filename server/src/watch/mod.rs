//! Watching the registry: what a held request waits on, and the limits of holding.
//!
//! A blocking query (`?index=N&wait=D`, or the change feed's `?since=N`) that finds
//! nothing newer subscribes to a *topic* in the [`hub`]: one per watched service,
//! created when its first watcher arrives and dropped with its last, plus one for
//! the service index. A change notifies only the topics of the services it touched
//! (and the index's), so churn elsewhere wakes nobody. Held requests are timers and
//! wakers, nothing polls; each counts against [`WatchConfig::max_watchers`] through
//! a guard that a dropped request (a client gone away) releases at once.
//!
//! What the woken requests answer is built once per change and shared: the list
//! snapshot, the change batch (cached per `since`), the index (see
//! `registry::blocking`).

pub(crate) mod hub;

use std::time::Duration;

use rollcall_protocol::DEFAULT_MAX_WAIT;

/// Changes the registry remembers for the change feed, across services. At a
/// hundred changes a second that is over a minute and a half of history, enough
/// for a watcher that lost a round trip or two; one further behind lists again
/// (`410 Gone`). About 200 bytes each.
pub const DEFAULT_CHANGE_LOG: usize = 10_000;

/// Requests held at once, all kinds together. Each costs a connection and a few KiB
/// (the benchmark measures it); past the limit a blocking query answers `503` at
/// once rather than exhaust file descriptors.
pub const DEFAULT_MAX_WATCHERS: usize = 10_000;

/// How the registry holds blocking queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchConfig {
    /// See [`DEFAULT_CHANGE_LOG`]. `0` keeps no history: a watcher that falls behind
    /// always lists again.
    pub change_log: usize,
    /// Longest `wait` granted; a longer one is cut to this ([`DEFAULT_MAX_WAIT`]).
    pub max_wait: Duration,
    /// See [`DEFAULT_MAX_WATCHERS`].
    pub max_watchers: usize,
    /// Seed of the RNG that draws each held request's jitter; `None` seeds it from
    /// the operating system. A simulation sets it, to replay runs exactly.
    pub rng_seed: Option<u64>,
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig {
            change_log: DEFAULT_CHANGE_LOG,
            max_wait: DEFAULT_MAX_WAIT,
            max_watchers: DEFAULT_MAX_WATCHERS,
            rng_seed: None,
        }
    }
}

/// Why the change feed cannot answer from where the client is: it must list again.
/// Answered `410 Gone`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangesGone {
    /// The client's revisions belong to another run of the registry.
    #[error(
        "epoch {asked} is not this registry's ({current}): it restarted; list the service again"
    )]
    OtherEpoch { asked: u64, current: u64 },
    /// `since` is ahead of every revision this run has given out: it belongs to
    /// another run.
    #[error(
        "since {since} is ahead of this registry (revision {revision}): it restarted; list the service again"
    )]
    Ahead { since: u64, revision: u64 },
    /// The log no longer holds every change after `since`.
    #[error(
        "changes after {since} are no longer in the log (it holds those after {floor}); list the service again"
    )]
    Compacted { since: u64, floor: u64 },
}
