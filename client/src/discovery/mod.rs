//! Where the servers are: a fixed list, or one kept fresh from the registry.
//!
//! The [`Discovery`] trait is the seed's `Discovery` interface, made async where an
//! implementation may fetch, so [`XClient`](crate::XClient) works over either.
//!
//! - `multi`: [`MultiServersDiscovery`], a list set by hand.
//! - `registry`: [`RegistryDiscovery`], a list kept from the registry, over
//!   - `state`: the rules (what a caller gets, when a fetch starts, what an answer
//!     changes), with no I/O;
//!   - `poll`: the fetches, each in a task of its own ([`ListSource::Poll`]);
//!   - `watch`: one background watch per discovery, recording every change as it
//!     comes ([`ListSource::Watch`]);
//!   - `carry`: servers kept across a registry restart while it warms up.

mod carry;
mod multi;
mod poll;
mod registry;
mod state;
mod watch;

pub use multi::MultiServersDiscovery;
pub use registry::RegistryDiscovery;

use std::future::Future;
use std::time::Duration;

use crate::error::Error;
use crate::protocol::{DEFAULT_REFRESH, DEFAULT_TTL, Instance};
use crate::select::SelectMode;
use crate::transport::{MaybeSend, MaybeSync};

/// How long a list whose refreshes keep failing is still served after its last
/// successful refresh: the registry's default TTL (5 minutes, the seed's
/// `defaultTimeout`). Beyond that every instance on it would have expired from the
/// registry had it not beaten, so the list is no better than a guess.
pub const DEFAULT_MAX_STALE: Duration = DEFAULT_TTL;

/// After a failed refresh, how long before the registry is asked again (capped at
/// the refresh interval): callers in the meantime are served the last good list (or
/// the error) at once, and a sick registry is not asked more than one request at a
/// time, this far apart.
pub const FAILED_REFRESH_RETRY: Duration = Duration::from_secs(1);

/// A source of servers to call.
///
/// `get` and `get_all` may fetch when the implementation does (the seed's
/// `RegistryDiscovery` refreshes first; [`RegistryDiscovery`] refreshes in the
/// background and serves the list it has); the futures are `Send` natively so
/// calls can run on any tokio worker.
pub trait Discovery: MaybeSend + MaybeSync {
    /// Brings the list up to date if it is older than the implementation's refresh
    /// interval, waiting for the fetch.
    fn refresh(&self) -> impl Future<Output = Result<(), Error>> + MaybeSend;

    /// Replaces the list by hand (the seed's `Update`), and counts as fresh.
    fn update(&self, instances: Vec<Instance>);

    /// One instance, picked by `mode`; [`Error::NoServers`] when there is none.
    fn get(&self, mode: SelectMode) -> impl Future<Output = Result<Instance, Error>> + MaybeSend;

    /// Every instance (possibly none), in the registry's order.
    fn get_all(&self) -> impl Future<Output = Result<Vec<Instance>, Error>> + MaybeSend;
}

/// Where a [`RegistryDiscovery`] gets its lists from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ListSource {
    /// On demand, as the seed does: a call that finds the list older than
    /// [`DiscoveryOptions::refresh`] starts a fetch in the background (usually a
    /// `304`). Costs one request per `refresh` while callers call, nothing while
    /// they do not; a change shows up to `refresh` late.
    #[default]
    Poll,
    /// A background watch ([`RegistryClient::watch`](crate::RegistryClient::watch)),
    /// started by the first call and stopped when the discovery is dropped: a
    /// change shows in milliseconds, and once a first list came no call waits on
    /// the registry. Costs one held request (one connection) per discovery, all
    /// the time, answered once per change or once per wait (60 s, at most half of
    /// [`DiscoveryOptions::max_stale`]). Against a registry that cannot watch (the
    /// seed protocol, the Go seed, a rollcall without the change feed) the watch
    /// polls the list every `refresh` instead.
    Watch,
}

/// Settings of a [`RegistryDiscovery`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryOptions {
    /// Where lists come from: polled on demand ([`ListSource::Poll`], the default)
    /// or watched in the background ([`ListSource::Watch`]).
    pub source: ListSource,
    /// How old the list may grow before `get` fetches it again, in the background
    /// (the seed's `timeout`; [`DEFAULT_REFRESH`], 10 s). In watch mode: how often
    /// a registry that cannot watch is polled.
    pub refresh: Duration,
    /// How long after the last successful refresh the list is still served while
    /// refreshes fail; past it, callers wait for a refresh, and get [`Error::Stale`]
    /// if it fails. Also how long servers kept across a registry restart may stay
    /// after the previous run last listed them. [`DEFAULT_MAX_STALE`].
    pub max_stale: Duration,
    /// Timeout of each registry request (at each frontend tried); `None` keeps the
    /// [`RegistryClient`](crate::RegistryClient)'s own. In watch mode a held
    /// request's timeout is its wait plus the server's jitter plus this.
    pub request_timeout: Option<Duration>,
    /// Seed of the selection RNG (and of the watch's jitter), for reproducible
    /// runs; `None` seeds from the OS.
    pub rng_seed: Option<u64>,
}

impl Default for DiscoveryOptions {
    fn default() -> Self {
        DiscoveryOptions {
            source: ListSource::Poll,
            refresh: DEFAULT_REFRESH,
            max_stale: DEFAULT_MAX_STALE,
            request_timeout: None,
            rng_seed: None,
        }
    }
}

#[cfg(test)]
mod model;
#[cfg(test)]
mod restart_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod watch_task_tests;
#[cfg(test)]
mod watch_tests;
