//! Whether the frontend can vouch for its mirror: etcd answers (a probe every
//! [`PROBE_EVERY`], sooner after a failure, and every failed operation) and the watch runs. While either
//! is not so, the mirror's answers are marked stale, and writes fail at once
//! rather than each wait out a timeout.
//!
//! Also here: barriers, which let a blocking query behind the mirror catch up.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use etcd_client::{GetOptions, PutOptions};
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{error, info, warn};

use super::Inner;
use super::error::{EtcdError, bounded, revision};
use crate::ApiError;
use crate::registry::Mirror;

/// How often etcd is probed (a linearizable read, which needs a leader and a
/// quorum): an outage is seen within this plus the operation timeout.
pub(super) const PROBE_EVERY: Duration = Duration::from_secs(1);

/// How soon a failed probe is tried again: writes are refused until one succeeds,
/// and a failure may have been one request sent to a member that just died.
const PROBE_RETRY: Duration = Duration::from_millis(200);

/// What clients are told while etcd refuses this frontend.
pub(super) const REFUSED: &str = "etcd refused this frontend";

/// Pause after a barrier that could not be written.
const BARRIER_RETRY: Duration = Duration::from_millis(100);

/// The two things a current mirror needs.
#[derive(Debug)]
pub(super) struct Health {
    /// etcd answered the last probe or operation.
    reachable: AtomicBool,
    /// The last failure was etcd refusing this frontend (credentials or
    /// permission), not etcd being out of reach.
    refused: AtomicBool,
    /// When etcd last answered a probe or an operation.
    answered_at: Mutex<Option<Instant>>,
    /// The prefix watch is established (and was not lost since).
    watching: watch::Sender<bool>,
}

impl Default for Health {
    fn default() -> Health {
        Health {
            reachable: AtomicBool::new(true),
            refused: AtomicBool::new(false),
            answered_at: Mutex::new(None),
            watching: watch::Sender::new(false),
        }
    }
}

impl Health {
    /// `503` at once while etcd is known to be unreachable, or to refuse this
    /// frontend.
    pub(super) fn check(&self) -> Result<(), ApiError> {
        if self.reachable.load(Ordering::Acquire) {
            Ok(())
        } else if self.refused.load(Ordering::Acquire) {
            Err(ApiError::StoreUnavailable { reason: REFUSED })
        } else {
            Err(ApiError::StoreUnavailable {
                reason: "etcd unreachable",
            })
        }
    }

    /// Notes the outcome of an etcd operation: a failure to reach etcd marks the
    /// mirror stale until a probe succeeds. An operation that timed out after
    /// etcd answered something else begun later (it was caught in a leader
    /// change, or sent to a member since found dead) says nothing about now.
    pub(super) fn saw<T>(&self, mirror: &Mirror, outcome: &Result<T, EtcdError>) {
        match outcome {
            Ok(_) => self.answered(),
            Err(EtcdError::Timeout(waited)) if self.answered_within(*waited) => {}
            Err(error) if unreachable(error) || error.refusal().is_some() => {
                self.set_reachable(mirror, Err(error));
            }
            Err(_) => {}
        }
    }

    fn answered(&self) {
        let mut at = self
            .answered_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *at = Some(Instant::now());
    }

    /// Whether etcd answered something within the last `span`.
    fn answered_within(&self, span: Duration) -> bool {
        let at = *self
            .answered_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        at.is_some_and(|at| at.elapsed() < span)
    }

    /// Records whether etcd answered (`Ok`) or why not, logging each change.
    fn set_reachable(&self, mirror: &Mirror, outcome: Result<(), &EtcdError>) {
        let reachable = outcome.is_ok();
        if reachable {
            self.answered();
        }
        let refusal = outcome.err().and_then(EtcdError::refusal);
        let was_refused = self.refused.swap(refusal.is_some(), Ordering::AcqRel);
        let was = self.reachable.swap(reachable, Ordering::AcqRel);
        match (outcome, refusal) {
            (Ok(()), _) if !was => info!("etcd answers again"),
            // A refusal does not mend itself: the operator must act, so say it loudly.
            (Err(_), Some(why)) if was || !was_refused => error!(
                why,
                "{REFUSED}: check its etcd user and that user's role on the prefix; \
                 serving the cache marked stale, refusing writes"
            ),
            (Err(error), None) if was || was_refused => warn!(
                %error,
                "etcd does not answer: serving the cache marked stale, refusing writes"
            ),
            _ => {}
        }
        self.refresh(mirror);
    }

    pub(super) fn watch_started(&self, mirror: &Mirror) {
        self.watching.send_replace(true);
        self.refresh(mirror);
    }

    pub(super) fn watch_lost(&self, mirror: &Mirror) {
        self.watching.send_replace(false);
        self.refresh(mirror);
    }

    fn refresh(&self, mirror: &Mirror) {
        let current = self.reachable.load(Ordering::Acquire) && *self.watching.borrow();
        mirror.set_stale(!current);
    }

    /// Waits until the watch runs, or `deadline`; whether it does.
    pub(super) async fn watching(&self, deadline: Instant) -> bool {
        let mut watching = self.watching.subscribe();
        let started = watching.wait_for(|w| *w);
        matches!(tokio::time::timeout_at(deadline, started).await, Ok(Ok(_)))
    }
}

/// Whether `error` says etcd cannot be reached (or has no leader), rather than
/// refusing one request (a lease not found, say).
fn unreachable(error: &EtcdError) -> bool {
    use tonic::Code;
    match error {
        EtcdError::Timeout(_) | EtcdError::StreamLost => true,
        EtcdError::Client(etcd_client::Error::GRpcStatus(status)) => matches!(
            status.code(),
            Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::Unknown
        ),
        EtcdError::Client(
            etcd_client::Error::TransportError(_) | etcd_client::Error::IoError(_),
        ) => true,
        _ => false,
    }
}

/// Probes etcd every [`PROBE_EVERY`] (every [`PROBE_RETRY`] while it fails) for as
/// long as the store lives.
pub(super) async fn probe(inner: Arc<Inner>) {
    let mut kv = inner.client.kv_client();
    loop {
        let options = GetOptions::new().with_count_only();
        let probed = bounded(inner.timeout, kv.get(inner.keys.barrier(), Some(options))).await;
        inner
            .health
            .set_reachable(&inner.mirror, probed.as_ref().map(drop));
        let pause = if probed.is_ok() {
            PROBE_EVERY
        } else {
            PROBE_RETRY
        };
        tokio::time::sleep(pause).await;
    }
}

/// Writes a barrier whenever a blocking query behind the mirror asks for one, and
/// tells the mirror once its watch has brought the barrier back: everything etcd
/// held when the query asked is then in the mirror.
pub(super) async fn barriers(inner: Arc<Inner>) {
    let mut kv = inner.client.kv_client();
    loop {
        let ticket = inner.mirror.barrier_wanted().await;
        let written = bounded(
            inner.timeout,
            kv.put(inner.keys.barrier(), Vec::new(), Some(PutOptions::new())),
        )
        .await;
        inner.health.saw(&inner.mirror, &written);
        let at = written.and_then(|answer| revision(answer.header()));
        match at {
            Ok(at) => {
                let until = Instant::now() + inner.timeout;
                if inner.mirror.wait_synced(at, until).await {
                    inner.mirror.barrier_done(ticket);
                }
            }
            Err(err) => {
                warn!(%err, "cannot write a barrier to etcd");
                tokio::time::sleep(BARRIER_RETRY).await;
            }
        }
    }
}
