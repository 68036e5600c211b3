//! The little the client needs from a runtime: a clock, sleeping, spawning.
//!
//! Natively these are `tokio::time` and `tokio::spawn`, so a paused-time test or a
//! turmoil simulation drives the client's clock; in the browser they are the page's
//! timers and clock. Nothing else in the crate reads a clock or sleeps.
//!
//! [`Instant`] offers the same few methods on both targets: `now`, `elapsed`,
//! `saturating_duration_since`, `checked_add`, `+ Duration` and ordering.

#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(not(target_arch = "wasm32"))]
pub use native::{Instant, sleep, spawn};
#[cfg(target_arch = "wasm32")]
mod browser;
#[cfg(target_arch = "wasm32")]
pub use browser::{Instant, sleep, spawn};
// Used by the browser's sleep; built natively only to be tested.
#[cfg(any(target_arch = "wasm32", test))]
mod timer;

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use futures_util::future::{Either, select};

/// When an operation must be finished. Callers give one to calls and broadcasts; a
/// deadline is carried through retries and fan-out unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(Option<Instant>);

impl Deadline {
    /// A deadline `budget` from now.
    pub fn after(budget: Duration) -> Self {
        Deadline(Instant::now().checked_add(budget))
    }

    /// A deadline at `instant`.
    pub fn at(instant: Instant) -> Self {
        Deadline(Some(instant))
    }

    /// No deadline: wait as long as it takes (the seed's `context.Background()`).
    pub fn never() -> Self {
        Deadline(None)
    }

    /// Time left, `None` when there is no deadline; zero once it has passed.
    pub fn remaining(&self) -> Option<Duration> {
        self.0
            .map(|at| at.saturating_duration_since(Instant::now()))
    }

    /// The time left, capped at `cap`: the timeout for one request made under this
    /// deadline.
    pub fn cap(&self, cap: Duration) -> Duration {
        self.remaining().map_or(cap, |left| left.min(cap))
    }

    /// Whether the deadline has passed.
    pub fn is_expired(&self) -> bool {
        self.remaining() == Some(Duration::ZERO)
    }

    /// Runs `fut` until it completes or the deadline passes (`None`).
    pub async fn run<F: Future>(&self, fut: F) -> Option<F::Output> {
        match self.remaining() {
            None => Some(fut.await),
            Some(left) => timeout(left, fut).await,
        }
    }
}

/// Runs `fut` for at most `limit`; `None` if the time ran out first.
///
/// The timer is polled first: when a busy scheduler gets to this task only after both
/// the limit has passed and `fut` has become ready, the answer is "too late". A reply
/// can only be ready at the limit if it was produced after it began (a server asked
/// to sleep exactly the budget), so this keeps a deadline a deadline.
pub async fn timeout<F: Future>(limit: Duration, fut: F) -> Option<F::Output> {
    let fut = pin!(fut);
    let timer = pin!(sleep(limit));
    match select(timer, fut).await {
        Either::Left(((), _)) => None,
        Either::Right((out, _)) => Some(out),
    }
}
