//! The registry as a mirror of a store kept elsewhere (etcd): the same services,
//! snapshots, change log and watch hub, fed by the store's events instead of by
//! requests.
//!
//! - Changes come with the store's revisions ([`Mirror::apply`]); a put whose data
//!   the mirror already holds changes nothing, so every mirror fed the same events
//!   holds the same lists at the same revisions (and ETags).
//! - Removals come from the store (a deletion event says whether it was a
//!   deregistration or an expiry): a mirror runs no expiry timer and no warm-up
//!   (the store lost nothing when this process started).
//! - [`Mirror::reload`] replaces the content with a fresh listing at one revision
//!   (at start, after a compaction): services whose content changed take that
//!   revision, so no index goes backwards, and the change log starts again there
//!   (older `since` values answer `410`).
//! - The mirror's *horizon* is the revision up to which it has every change. A
//!   blocking query whose index is beyond it may come from a frontend further
//!   ahead: it waits until this mirror has caught up (the store writes a barrier
//!   and the mirror waits to see it), never answering older data. If the barrier
//!   shows the index is beyond the store itself, it is another run's and is
//!   answered at once, as the memory registry does. A catch-up that cannot finish
//!   in time answers `503`.
//! - [`Mirror::set_stale`]: while the store cannot be reached, answers say so.

mod apply;
mod lookup;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rollcall_protocol::{ChangeKind, Instance, WatchQuery};
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use super::{Registry, Shared};
use crate::{ApiError, RegistryConfig};

/// The least time a blocking query behind the mirror is given to catch up, even
/// with `wait=0`: one barrier write and its watch event take milliseconds when the
/// store is well; past this, the frontend answers `503` so the client can try
/// another one.
pub(crate) const CATCH_UP_FLOOR: Duration = Duration::from_secs(1);

/// One change of the store, as the mirror applies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MirrorChange {
    /// `instance` of `service` was written (registered, or its data changed).
    Put { service: String, instance: Instance },
    /// `addr` left `service`: `kind` is [`ChangeKind::Deregister`] or
    /// [`ChangeKind::Expire`].
    Delete {
        service: String,
        addr: String,
        kind: ChangeKind,
    },
}

/// How a registration compares with what the mirror holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Held {
    /// Not registered.
    Absent,
    /// Registered with the same data: a plain renewal.
    Same,
    /// Registered with other metadata, weight or TTL.
    Differs,
}

/// How far a mirror has caught up, and the barriers asked of its store.
#[derive(Debug)]
pub(super) struct Progress {
    seen: watch::Sender<Seen>,
    /// Barriers asked for so far: each catch-up takes the next number.
    asked: AtomicU64,
    /// Wakes the store's barrier task.
    wanted: Notify,
}

/// What catching up waits on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Seen {
    /// The mirror's horizon.
    synced: u64,
    /// The highest barrier number the mirror has seen come back.
    barriers: u64,
}

/// The handle a store feeds its mirror through. Clones share the registry.
#[derive(Debug, Clone)]
pub(crate) struct Mirror {
    registry: Registry,
}

impl Registry {
    /// A registry mirroring a store kept elsewhere, and the handle that feeds it.
    /// `epoch` identifies the store (its revisions), not this process. No expiry
    /// task and no warm-up: removals come from the store, which lost nothing when
    /// this process started.
    pub(crate) fn mirrored(config: RegistryConfig, epoch: u64) -> (Registry, Mirror) {
        let config = RegistryConfig {
            epoch: Some(epoch),
            warmup: Some(Duration::ZERO),
            ..config
        };
        let progress = Progress {
            seen: watch::Sender::new(Seen::default()),
            asked: AtomicU64::new(0),
            wanted: Notify::new(),
        };
        let registry = Registry {
            shared: Arc::new(Shared::new(config, Some(progress))),
        };
        let mirror = Mirror {
            registry: registry.clone(),
        };
        (registry, mirror)
    }

    /// Whether answers may be behind the store this registry mirrors (never for the
    /// memory store).
    pub fn stale(&self) -> bool {
        // An atomic beside the state's flag: every read route asks, and must not
        // take the state's lock to learn the (nearly always) same answer.
        self.shared.stale.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Writes go to the store a mirror reflects, never to the mirror itself.
    pub(super) fn refuse_if_mirror(&self) -> Result<(), ApiError> {
        match self.shared.mirror {
            Some(_) => Err(ApiError::StoreUnavailable {
                reason: "a mirror is written through its store",
            }),
            None => Ok(()),
        }
    }

    /// For a blocking query on a mirror whose horizon is below the query's index:
    /// waits until the mirror has caught up with its store (or learnt that the index
    /// is beyond the store), then returns the deadline the query was given, which
    /// the rest of its wait keeps. `None` when nothing needed catching up.
    /// [`ApiError::StoreUnavailable`] if it could not catch up in time.
    pub(super) async fn catch_up(&self, query: &WatchQuery) -> Result<Option<Instant>, ApiError> {
        let Some(progress) = &self.shared.mirror else {
            return Ok(None);
        };
        if query.epoch.is_some_and(|epoch| epoch != self.shared.epoch)
            || query.after <= self.shared.lock().horizon()
        {
            return Ok(None);
        }
        let behind = ApiError::StoreUnavailable {
            reason: "this frontend's cache is behind the index asked for and could not catch up",
        };
        if self.shared.hub.is_closing() {
            return Err(behind);
        }
        let until = self.hold_until(query.wait);
        let deadline = until.max(Instant::now() + CATCH_UP_FLOOR);
        let mut seen = progress.seen.subscribe();
        let ticket = progress.asked.fetch_add(1, Ordering::AcqRel) + 1;
        progress.wanted.notify_one();
        let caught = seen.wait_for(|s| s.synced >= query.after || s.barriers >= ticket);
        match tokio::time::timeout_at(deadline, caught).await {
            Ok(Ok(_)) => Ok(Some(until)),
            _ => Err(behind),
        }
    }
}

impl Mirror {
    /// The registry this mirror feeds.
    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }

    fn progress(&self) -> &Progress {
        // `Mirror`s are made only by `Registry::mirrored`, which sets it.
        match &self.registry.shared.mirror {
            Some(progress) => progress,
            None => unreachable!("a Mirror's registry is always mirrored"),
        }
    }

    /// Applies `changes` (each at its store revision, in order), then moves the
    /// horizon to `synced`: the store's revision these changes bring the mirror to.
    pub(crate) fn apply(&self, changes: Vec<(u64, MirrorChange)>, synced: u64) {
        let shared = &self.registry.shared;
        let synced = shared.change(|state| {
            for (revision, change) in changes {
                match change {
                    MirrorChange::Put { service, instance } => {
                        state.apply_put(revision, &service, instance);
                    }
                    MirrorChange::Delete {
                        service,
                        addr,
                        kind,
                    } => state.apply_delete(revision, &service, &addr, kind),
                }
            }
            state.synced = state.synced.max(synced).max(state.revision);
            state.synced
        });
        self.progress()
            .seen
            .send_if_modified(|seen| raise(&mut seen.synced, synced));
    }

    /// Replaces the mirror's content with `instances` (service, instance), the
    /// store's whole content at `revision`.
    pub(crate) fn reload(&self, revision: u64, instances: Vec<(String, Instance)>) {
        let shared = &self.registry.shared;
        let synced = {
            let mut state = shared.lock();
            state.reload(revision, instances);
            state.synced
        };
        shared.hub.notify_all();
        self.progress()
            .seen
            .send_if_modified(|seen| raise(&mut seen.synced, synced));
    }

    /// Marks answers stale (the store cannot be reached) or current again.
    pub(crate) fn set_stale(&self, stale: bool) {
        let shared = &self.registry.shared;
        let mut state = shared.lock();
        state.set_stale(stale);
        shared
            .stale
            .store(stale, std::sync::atomic::Ordering::Release);
    }

    /// Waits until the mirror's horizon reaches `revision` (a write of this
    /// frontend is then visible in its lists), or `until`; whether it did.
    pub(crate) async fn wait_synced(&self, revision: u64, until: Instant) -> bool {
        let mut seen = self.progress().seen.subscribe();
        let reached = seen.wait_for(|s| s.synced >= revision);
        matches!(tokio::time::timeout_at(until, reached).await, Ok(Ok(_)))
    }

    /// Waits until a blocking query asks the store for a barrier; returns the
    /// highest barrier number asked so far, which the next barrier answers.
    pub(crate) async fn barrier_wanted(&self) -> u64 {
        let progress = self.progress();
        loop {
            let asked = progress.asked.load(Ordering::Acquire);
            if asked > progress.seen.borrow().barriers {
                return asked;
            }
            progress.wanted.notified().await;
        }
    }

    /// A barrier written after every catch-up up to `ticket` asked for it has come
    /// back through the store's watch.
    pub(crate) fn barrier_done(&self, ticket: u64) {
        self.progress()
            .seen
            .send_if_modified(|seen| raise(&mut seen.barriers, ticket));
    }
}

/// Raises `value` to `to`; whether it moved.
fn raise(value: &mut u64, to: u64) -> bool {
    let moved = to > *value;
    *value = (*value).max(to);
    moved
}
