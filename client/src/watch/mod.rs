//! Following a service as it changes: [`RegistryClient::watch`] gives a stream
//! that lists the service once, then follows its change feed with blocking
//! queries, so a change arrives in milliseconds instead of at the next refresh.
//!
//! The stream never ends and never goes backwards. It yields:
//! - [`WatchEvent::Reset`]: the whole list; replace what you hold. First, and again
//!   whenever the stream had to start over: the registry restarted (another epoch),
//!   the change feed no longer held the changes after what was seen (`410`), or an
//!   answer did not follow on from the last one;
//! - [`WatchEvent::Changes`]: the changes since the previous item, oldest first;
//! - [`WatchEvent::Unchanged`]: nothing changed, the view is current (at least once
//!   per wait while the registry is reachable: what freshness is measured by);
//! - [`WatchEvent::Failed`]: a request failed; the stream tries again after
//!   `retry_in` (jittered exponential backoff) and what you hold is stale
//!   meanwhile. The retry asks to be answered at once (`wait=0`), so a registry
//!   that is back says the view is current without holding it another wait.
//!
//! Against a registry that cannot watch (the seed protocol, the Go seed, or a
//! rollcall without the change feed), it polls the list every
//! [`WatchOptions::poll_interval`] and yields a `Reset` when it changed.
//!
//! Each blocking query's timeout is its wait plus the server's largest jitter plus
//! [`WatchOptions::timeout_margin`], so a held request is never cut by the client;
//! polls are spaced at least [`WatchOptions::min_interval`] apart (with jitter), so
//! a burst of changes is fetched in batches rather than one request each.
//! [`ServiceView`] folds the items into a current list.
//!
//! With several registry URLs
//! ([`RegistryEndpoint::json_many`](crate::RegistryEndpoint::json_many)), a held
//! request goes to one frontend; if it fails, the next frontend is asked
//! for the same changes at once, and the next held request goes to the frontend
//! that answered. Frontends share revisions, so the index is valid on any of them.
//!
//! The stream does its work only while polled; dropping it cancels the request in
//! flight at once. Natively it is `Send`; in the browser it runs on the page's
//! timers and fetch.
//!
//! [`RegistryClient::watch_services`] follows the service index the same way, for
//! dashboards: an [`IndexEvent::Index`] after every change anywhere; such a caller
//! catches up on a service whose revision moved with one
//! [`RegistryClient::changes_since`] (no request held) instead of a watch of its own.

mod changes;
mod follow;
mod index;
mod pacing;
mod view;

#[cfg(test)]
mod failover_tests;
#[cfg(test)]
mod index_tests;
#[cfg(test)]
pub(crate) mod script;
#[cfg(test)]
mod tests;

pub use index::IndexEvent;
pub use view::ServiceView;

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{Stream, StreamExt};

use crate::error::Error;
use crate::protocol::{
    self, ChangeBatch, DEFAULT_REFRESH, DEFAULT_SERVICE, DEFAULT_WAIT, InstanceList, ListVersion,
};
use crate::registry_client::{DEFAULT_REQUEST_TIMEOUT, RegistryClient};
use crate::transport::{MaybeSend, Transport};
use follow::Follower;
use pacing::Pacer;

/// Shortest wait before retrying after a failed request.
pub const DEFAULT_WATCH_BACKOFF_MIN: Duration = Duration::from_millis(500);

/// Longest wait between retries: a watcher that lost the registry finds it again
/// within this of its return.
pub const DEFAULT_WATCH_BACKOFF_MAX: Duration = Duration::from_secs(15);

/// Least time between the starts of two polls. After a change the next poll waits
/// out the rest of it (plus up to a quarter more, at random), so a burst of changes
/// comes in a few batches, and thousands of watchers woken by one change do not
/// come back in the same instant.
pub const DEFAULT_MIN_INTERVAL: Duration = Duration::from_millis(100);

/// How a watch waits, retries and falls back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchOptions {
    /// How long the server holds each request when nothing changes
    /// ([`DEFAULT_WAIT`]); the server may cap it.
    pub wait: Duration,
    /// Added to the wait and the server's largest jitter to make each request's
    /// timeout ([`DEFAULT_REQUEST_TIMEOUT`]); a plain list uses the client's timeout.
    pub timeout_margin: Duration,
    /// See [`DEFAULT_MIN_INTERVAL`].
    pub min_interval: Duration,
    /// First retry delay after a failure ([`DEFAULT_WATCH_BACKOFF_MIN`]).
    pub backoff_min: Duration,
    /// Largest retry delay ([`DEFAULT_WATCH_BACKOFF_MAX`]).
    pub backoff_max: Duration,
    /// Time between polls of a registry that cannot watch ([`DEFAULT_REFRESH`], the
    /// seed's refresh).
    pub poll_interval: Duration,
    /// Seed of the jitter RNG, for reproducible runs; `None` seeds from the OS.
    pub rng_seed: Option<u64>,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            wait: DEFAULT_WAIT,
            timeout_margin: DEFAULT_REQUEST_TIMEOUT,
            min_interval: DEFAULT_MIN_INTERVAL,
            backoff_min: DEFAULT_WATCH_BACKOFF_MIN,
            backoff_max: DEFAULT_WATCH_BACKOFF_MAX,
            poll_interval: DEFAULT_REFRESH,
            rng_seed: None,
        }
    }
}

impl WatchOptions {
    /// The timeout of one blocking query: wait, plus the server's jitter, plus the
    /// margin.
    pub fn request_timeout(&self) -> Duration {
        self.wait
            .saturating_add(protocol::max_jitter(self.wait))
            .saturating_add(self.timeout_margin)
    }
}

/// One item of a [`WatchStream`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEvent {
    /// The whole list: replace the view with it.
    Reset(InstanceList),
    /// Changes after the previous item, oldest first: apply them in order.
    Changes(ChangeBatch),
    /// Nothing changed: what you hold is current as of now, at this version. Given
    /// when a held request's wait runs out (once a wait, 60 s by default) or a poll
    /// finds the same list, so a quiet watch is told from a silent one.
    Unchanged(ListVersion),
    /// A request failed; the next one goes out after `retry_in`.
    Failed { error: Error, retry_in: Duration },
}

#[cfg(not(target_arch = "wasm32"))]
type Boxed<I> = futures_util::stream::BoxStream<'static, I>;
#[cfg(target_arch = "wasm32")]
type Boxed<I> = futures_util::stream::LocalBoxStream<'static, I>;

/// A never-ending [`Stream`]: the changes of one service ([`WatchEvent`]s), or of
/// the service index ([`IndexEvent`]s).
pub struct WatchStream<I = WatchEvent> {
    inner: Boxed<I>,
}

impl<I: 'static> WatchStream<I> {
    fn new(stream: impl Stream<Item = I> + MaybeSend + 'static) -> WatchStream<I> {
        #[cfg(not(target_arch = "wasm32"))]
        let inner = stream.boxed();
        #[cfg(target_arch = "wasm32")]
        let inner = stream.boxed_local();
        WatchStream { inner }
    }
}

impl<I> std::fmt::Debug for WatchStream<I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchStream").finish_non_exhaustive()
    }
}

impl<I> Stream for WatchStream<I> {
    type Item = I;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<I>> {
        self.inner.poll_next_unpin(cx)
    }
}

impl<T: Transport> RegistryClient<T> {
    /// Follows `service` of this client's registry with [`WatchOptions::default`].
    /// Refuses an invalid service name, and on a seed-protocol endpoint any service
    /// but its one ([`DEFAULT_SERVICE`]), before anything is sent.
    pub fn watch(&self, service: &str) -> Result<WatchStream, Error> {
        self.watch_with(service, WatchOptions::default())
    }

    /// Follows `service` with `options`.
    pub fn watch_with(&self, service: &str, options: WatchOptions) -> Result<WatchStream, Error> {
        protocol::validate_service(service)?;
        if self.endpoint().is_seed() && service != DEFAULT_SERVICE {
            return Err(Error::InvalidUrl(format!(
                "the seed protocol has one service, {DEFAULT_SERVICE}, not {service}"
            )));
        }
        let pacer = Pacer::new(options);
        let follower = Follower::new(self.for_service(service), service.to_owned(), pacer);
        Ok(WatchStream::new(futures_util::stream::unfold(
            follower,
            |mut follower| async move {
                let event = follower.next().await;
                Some((event, follower))
            },
        )))
    }
}

/// Natively a watch can be driven from any tokio task: checked at compile time.
#[cfg(not(target_arch = "wasm32"))]
const _: fn(WatchStream) = |stream| {
    fn assert_send<S: Send>(_: S) {}
    assert_send(stream);
};
