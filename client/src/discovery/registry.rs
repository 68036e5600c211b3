//! Servers listed by the registry, the seed's `RegistryDiscovery`, made safe under
//! concurrency and failure.
//!
//! As in the seed, `get` and `get_all` refresh first when the list is older than the
//! refresh interval. Unlike the seed:
//! - no lock is held while fetching; concurrent callers share one fetch in flight
//!   (the first becomes the *leader* and fetches, the others wait on a oneshot; if
//!   the leader's future is dropped, the waiters wake and one of them leads again);
//! - when a fetch fails, the last good list keeps being served until `max_stale` after
//!   the last success, then [`Error::Stale`]; before any success the error itself is
//!   returned; [`RegistryDiscovery::last_error`] shows what went wrong;
//! - on the JSON API the known version (epoch and revision) is sent, and a `304`
//!   keeps the list as it is.

use std::sync::{Mutex, MutexGuard, PoisonError};

use futures_channel::oneshot;

use super::{Discovery, DiscoveryOptions, FAILED_REFRESH_RETRY, MultiServersDiscovery};
use crate::error::Error;
use crate::protocol::{Instance, InstanceList, ListVersion};
use crate::registry_client::RegistryClient;
use crate::rt::Instant;
use crate::select::SelectMode;
use crate::transport::Transport;

/// Servers fetched from a registry through a [`RegistryClient`], cached for
/// [`DiscoveryOptions::refresh`].
#[derive(Debug)]
pub struct RegistryDiscovery<T> {
    servers: MultiServersDiscovery,
    client: RegistryClient<T>,
    options: DiscoveryOptions,
    /// A `std` mutex: only short bookkeeping happens under it, never a fetch.
    state: Mutex<RefreshState>,
}

/// What a refresh outcome is shared as: `Ok` when the list may be served.
type Outcome = Result<(), Error>;

#[derive(Debug, Default)]
struct RefreshState {
    last_success: Option<Instant>,
    last_failure: Option<Instant>,
    last_error: Option<Error>,
    version: Option<ListVersion>,
    /// `Some` while a leader fetches: the followers waiting for its outcome.
    waiters: Option<Vec<oneshot::Sender<Outcome>>>,
}

/// What a caller does next, decided under the lock.
enum Step {
    Done(Outcome),
    Follow(oneshot::Receiver<Outcome>),
    Lead(Option<ListVersion>),
}

impl<T: Transport> RegistryDiscovery<T> {
    /// Discovery through `client`; nothing is fetched until the first `get`.
    pub fn new(client: RegistryClient<T>, options: DiscoveryOptions) -> Self {
        let client = match options.request_timeout {
            Some(timeout) => client.with_timeout(timeout),
            None => client,
        };
        let servers = MultiServersDiscovery::new(Vec::new());
        let servers = match options.rng_seed {
            Some(seed) => servers.with_seed(seed),
            None => servers,
        };
        RegistryDiscovery {
            servers,
            client,
            options,
            state: Mutex::default(),
        }
    }

    /// The error of the last refresh, `None` once a refresh succeeds again.
    pub fn last_error(&self) -> Option<Error> {
        self.lock().last_error.clone()
    }

    /// When the list was last fetched successfully (or set by `update`).
    pub fn last_refresh(&self) -> Option<Instant> {
        self.lock().last_success
    }

    /// The registry revision of the list held; `None` for a list set by hand or not
    /// yet fetched (the seed protocol always reports 0).
    pub fn revision(&self) -> Option<u64> {
        self.lock().version.map(|v| v.revision)
    }

    /// The options this discovery runs with.
    pub fn options(&self) -> &DiscoveryOptions {
        &self.options
    }

    /// Fetches now, whatever the list's age (joining a fetch already in flight).
    /// `Ok` means the list may be served, as for [`Discovery::refresh`].
    pub async fn force_refresh(&self) -> Result<(), Error> {
        self.refresh_if(true).await
    }

    async fn refresh_if(&self, force: bool) -> Outcome {
        loop {
            match self.next_step(force) {
                Step::Done(outcome) => return outcome,
                Step::Follow(rx) => match rx.await {
                    Ok(outcome) => return outcome,
                    // The leader was dropped mid-fetch: decide again.
                    Err(oneshot::Canceled) => continue,
                },
                Step::Lead(version) => return self.lead(version).await,
            }
        }
    }

    fn next_step(&self, force: bool) -> Step {
        let now = Instant::now();
        let mut state = self.lock();
        if !force {
            if let Some(at) = state.last_success {
                if now.saturating_duration_since(at) < self.options.refresh {
                    return Step::Done(Ok(()));
                }
            }
            let retry_gap = FAILED_REFRESH_RETRY.min(self.options.refresh);
            if let (Some(at), Some(error)) = (state.last_failure, &state.last_error) {
                if now.saturating_duration_since(at) < retry_gap {
                    return Step::Done(self.judge(&state, error.clone(), now));
                }
            }
        }
        match &mut state.waiters {
            Some(waiters) => {
                let (tx, rx) = oneshot::channel();
                waiters.push(tx);
                Step::Follow(rx)
            }
            None => {
                state.waiters = Some(Vec::new());
                Step::Lead(state.version)
            }
        }
    }

    async fn lead(&self, version: Option<ListVersion>) -> Outcome {
        let mut guard = LeaderGuard {
            state: &self.state,
            armed: true,
        };
        tracing::debug!(
            service = self.client.endpoint().service(),
            "refreshing servers from registry"
        );
        let fetched = self.client.list(version).await;
        let now = Instant::now();
        let (outcome, waiters) = {
            let mut state = self.lock();
            let outcome = self.record(&mut state, fetched, now);
            (outcome, state.waiters.take().unwrap_or_default())
        };
        guard.armed = false;
        for waiter in waiters {
            // A follower that gave up has dropped its receiver: nothing to tell it.
            let _ = waiter.send(outcome.clone());
        }
        outcome
    }

    fn record(
        &self,
        state: &mut RefreshState,
        fetched: Result<Option<InstanceList>, Error>,
        now: Instant,
    ) -> Outcome {
        match fetched {
            Ok(Some(list)) if self.suspect_empty(state, &list, now) => {
                // The registry restarted and lost its state; servers re-register
                // within a heartbeat period. Serve the last list as if the registry
                // were unreachable (up to `max_stale`, retrying meanwhile) rather
                // than drop to none.
                let error = Error::NoServers;
                state.last_failure = Some(now);
                state.last_error = Some(error.clone());
                self.judge(state, error, now)
            }
            Ok(list) => {
                if let Some(list) = list {
                    state.version = Some(list.version());
                    self.servers.set(list.instances);
                }
                state.last_success = Some(now);
                state.last_failure = None;
                state.last_error = None;
                Ok(())
            }
            Err(error) => {
                tracing::warn!(%error, "rpc registry refresh failed");
                state.last_failure = Some(now);
                state.last_error = Some(error.clone());
                self.judge(state, error, now)
            }
        }
    }

    /// Whether `list` is an empty answer from a registry that restarted, replacing a
    /// non-empty list still within `max_stale`: then it is treated as a failed
    /// refresh. On the JSON API a restart shows as another epoch, so a service that
    /// really drained to nobody is believed at once. The seed protocol cannot tell
    /// the two apart, so there any sudden drop to nobody is doubted. Past
    /// `max_stale` an empty registry has lasted long enough to be believed.
    fn suspect_empty(&self, state: &RefreshState, list: &InstanceList, now: Instant) -> bool {
        if !list.instances.is_empty() || self.servers.all().is_empty() {
            return false;
        }
        let restarted = match state.version {
            Some(known) if known.epoch != 0 || list.epoch != 0 => known.epoch != list.epoch,
            _ => true,
        };
        restarted
            && state
                .last_success
                .is_some_and(|at| now.saturating_duration_since(at) <= self.options.max_stale)
    }

    /// After a failed refresh: serve the last good list while it is young enough.
    fn judge(&self, state: &RefreshState, error: Error, now: Instant) -> Outcome {
        match state.last_success {
            None => Err(error),
            Some(at) if now.saturating_duration_since(at) <= self.options.max_stale => Ok(()),
            Some(_) => Err(Error::Stale {
                last: Box::new(error),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, RefreshState> {
        lock(&self.state)
    }
}

fn lock(state: &Mutex<RefreshState>) -> MutexGuard<'_, RefreshState> {
    // Every update under the lock is a plain assignment: the state is valid after a panic.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Makes a leader's cancellation safe: if its future is dropped mid-fetch, the
/// waiters are dropped with it, which wakes them to retry.
struct LeaderGuard<'a> {
    state: &'a Mutex<RefreshState>,
    armed: bool,
}

impl Drop for LeaderGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            drop(lock(self.state).waiters.take());
        }
    }
}

impl<T: Transport> Discovery for RegistryDiscovery<T> {
    /// Fetches if the list is older than [`DiscoveryOptions::refresh`]. `Ok` means the
    /// list may be served: fresh, or stale within `max_stale` (see
    /// [`RegistryDiscovery::last_error`] for why it is stale).
    async fn refresh(&self) -> Result<(), Error> {
        self.refresh_if(false).await
    }

    fn update(&self, instances: Vec<Instance>) {
        self.servers.set(instances);
        let mut state = self.lock();
        state.last_success = Some(Instant::now());
        state.last_failure = None;
        state.last_error = None;
        state.version = None;
    }

    async fn get(&self, mode: SelectMode) -> Result<Instance, Error> {
        self.refresh_if(false).await?;
        self.servers.pick(mode)
    }

    async fn get_all(&self) -> Result<Vec<Instance>, Error> {
        self.refresh_if(false).await?;
        Ok(self.servers.all())
    }
}
