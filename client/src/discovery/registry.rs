//! Servers listed by the registry, the seed's `RegistryDiscovery`, made safe under
//! concurrency and failure.
//!
//! As in the seed, the list is fetched again once older than the refresh interval.
//! Unlike the seed:
//! - no caller waits on a registry while it has a list within `max_stale`: a due
//!   refresh starts in the background (`poll`) and the caller is served the list it
//!   has (stale-while-revalidate). Only a caller with no usable list waits, for as
//!   long as its own deadline allows; the refresh carries on without it;
//! - one fetch at a time, owned by no caller; its failure is recorded
//!   ([`RegistryDiscovery::last_error`]) and the next fetch waits
//!   [`FAILED_REFRESH_RETRY`](super::FAILED_REFRESH_RETRY) (capped at the refresh
//!   interval), so a hung registry sees one request at a time and callers none of
//!   its delay;
//! - a failed refresh keeps the last good list served until `max_stale` after the
//!   last success, then [`Error::Stale`]; before any success the error itself;
//! - a registry that warms up after a restart keeps the servers of the previous
//!   list merged in until they re-register (`carry`);
//! - on the JSON API the known version (epoch, revision, warm-up) is sent, and a
//!   `304` keeps the list as it is.
//!
//! The rules live in `state` (no I/O); the fetches in `poll`. In watch mode
//! ([`ListSource::Watch`]) a background watch (`watch`) keeps the list current
//! instead, recording into the same state through [`Shared::record`], and no call
//! starts a poll.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures_channel::oneshot;

use super::state::{Plan, State, Want};
use super::watch::Watcher;
use super::{Discovery, DiscoveryOptions, ListSource, poll};
use crate::error::Error;
use crate::protocol::Instance;
use crate::registry_client::RegistryClient;
use crate::rt::Instant;
use crate::select::{SelectMode, Selector};
use crate::transport::Transport;

/// Servers fetched from a registry through a [`RegistryClient`], cached for
/// [`DiscoveryOptions::refresh`], or kept current by a watch
/// ([`ListSource::Watch`]). Natively must be used within a tokio runtime:
/// refreshes and the watch run as tasks of their own.
#[derive(Debug)]
pub struct RegistryDiscovery<T> {
    shared: Arc<Shared<T>>,
    /// The watch, in watch mode; dropped with the discovery, which stops it.
    watch: Option<Watcher>,
}

/// What the discovery and its background fetches share.
#[derive(Debug)]
pub(super) struct Shared<T> {
    pub(super) client: RegistryClient<T>,
    pub(super) options: DiscoveryOptions,
    /// A `std` mutex: only short bookkeeping and picks happen under it, never a
    /// fetch.
    state: Mutex<State>,
}

impl<T> Shared<T> {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // Every update under the lock leaves the state valid, even cut short by a
        // panic: carry on rather than fail every caller.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: Transport> RegistryDiscovery<T> {
    /// Discovery through `client`; nothing is fetched (and no watch starts) until
    /// the first call.
    pub fn new(client: RegistryClient<T>, options: DiscoveryOptions) -> Self {
        let client = match options.request_timeout {
            Some(timeout) => client.with_timeout(timeout),
            None => client,
        };
        let state = State::new(Selector::seeded(options.rng_seed));
        let watch = (options.source == ListSource::Watch).then(Watcher::default);
        RegistryDiscovery {
            shared: Arc::new(Shared {
                client,
                options,
                state: Mutex::new(state),
            }),
            watch,
        }
    }

    /// The error of the last refresh (in watch mode: of the watch's last request),
    /// `None` once one succeeds again.
    pub fn last_error(&self) -> Option<Error> {
        self.shared.lock().last_error()
    }

    /// When the list was last fetched successfully (in watch mode: when the watch
    /// last heard from the registry), or set by `update`.
    pub fn last_refresh(&self) -> Option<Instant> {
        self.shared.lock().last_success()
    }

    /// The registry revision of the list held; `None` for a list set by hand or not
    /// yet fetched (the seed protocol always reports 0).
    pub fn revision(&self) -> Option<u64> {
        self.shared.lock().version().map(|v| v.revision)
    }

    /// Whether the registry said, on its last list, that it is warming up.
    pub fn warming(&self) -> bool {
        self.shared.lock().version().is_some_and(|v| v.warming)
    }

    /// How many of the servers handed out are kept from before a registry restart,
    /// not re-registered yet.
    pub fn carried(&self) -> usize {
        self.shared.lock().carried()
    }

    /// The options this discovery runs with.
    pub fn options(&self) -> &DiscoveryOptions {
        &self.shared.options
    }

    /// Fetches now, whatever the list's age (joining a fetch already in flight),
    /// and waits for it. `Ok` means the list may be served, as for
    /// [`Discovery::refresh`]. In watch mode the watch keeps the list current:
    /// this waits only for its first list, as `refresh` does.
    pub async fn force_refresh(&self) -> Result<(), Error> {
        self.serve(Want::Force, |_| Ok(())).await
    }

    /// Plans for `want`, starts a fetch if one is due, waits if it must, then
    /// `read`s the state.
    async fn serve<R>(
        &self,
        want: Want,
        read: impl Fn(&mut State) -> Result<R, Error>,
    ) -> Result<R, Error> {
        if let Some(watch) = &self.watch {
            watch.ensure(&self.shared);
        }
        let (plan, fetch) = {
            let mut state = self.shared.lock();
            let (plan, fetch) = state.plan(Instant::now(), &self.shared.options, want);
            let next = match plan {
                Plan::Ready(Ok(())) => Next::Answer(read(&mut state)),
                Plan::Ready(Err(error)) => Next::Answer(Err(error)),
                Plan::Wait(rx) => Next::Wait(rx),
            };
            (next, fetch)
        };
        // Started once the lock is released.
        if let Some(fetch) = fetch {
            poll::spawn(Arc::clone(&self.shared), fetch);
        }
        let rx = match plan {
            Next::Answer(answer) => return answer,
            Next::Wait(rx) => rx,
        };
        // Woken when the fetch is recorded (or abandoned): either way, look again.
        let _ = rx.await;
        let mut state = self.shared.lock();
        state.judge(Instant::now(), &self.shared.options)?;
        read(&mut state)
    }
}

/// What a caller does once the lock is released.
enum Next<R> {
    Answer(Result<R, Error>),
    Wait(oneshot::Receiver<()>),
}

impl<T: Transport> Discovery for RegistryDiscovery<T> {
    /// Waits for a refresh if the list is older than [`DiscoveryOptions::refresh`]
    /// (in watch mode: for the watch's first list only). `Ok` means the list may be
    /// served: fresh, or stale within `max_stale` (see
    /// [`RegistryDiscovery::last_error`] for why it is stale).
    async fn refresh(&self) -> Result<(), Error> {
        self.serve(Want::Fresh, |_| Ok(())).await
    }

    /// In watch mode, the watch's next item replaces the list again.
    fn update(&self, instances: Vec<Instance>) {
        self.shared.lock().set(instances, Instant::now());
    }

    async fn get(&self, mode: SelectMode) -> Result<Instance, Error> {
        self.serve(Want::Serve, |state| state.pick(mode)).await
    }

    async fn get_all(&self) -> Result<Vec<Instance>, Error> {
        self.serve(Want::Serve, |state| Ok(state.all())).await
    }
}
