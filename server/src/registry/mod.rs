//! The registry's state: services, their instances and leases, the deadline queue
//! that expires them, and cached list snapshots.
//!
//! [`Registry`] is a cheap `Clone` handle over one `std::sync::Mutex`. A std mutex,
//! not tokio's: every critical section is short and synchronous (a hash lookup, a
//! heap push, at worst one list serialisation after a change), and the lock is never
//! held across `.await`. Time is `tokio::time::Instant`, so paused-time tests and a
//! simulator move it.
//!
//! - `instance`: the compact stored instance; `service`: one service's slab and
//!   index; `state`: everything behind the lock; `expiry`: the deadline queue's task;
//!   `snapshot`: serialised lists; `ttl`: which TTL a request is granted; `warmup`:
//!   the window after a start in which lists may lack live instances; `stats`:
//!   counts for metrics; `changelog`: the bounded log of changes; `feed`: change
//!   batches and the index as served; `blocking`: blocking queries, held until a
//!   change or their wait ends; `mirror`: the mode in which the registry mirrors
//!   a store kept elsewhere (etcd): changes and revisions come from the store's
//!   events, there is no expiry timer, and a blocking query whose index is ahead
//!   of the mirror waits for it to catch up.
//!
//! Every change is logged under the lock; once the lock is released, the watchers
//! of the services it touched are woken through the watch hub.

mod blocking;
mod changelog;
mod expiry;
mod feed;
mod instance;
mod mirror;
mod prepare;
mod service;
mod snapshot;
mod state;
mod stats;
#[cfg(test)]
mod tests;
mod ttl;
mod warmup;

pub use feed::Answer;
pub(crate) use mirror::{Held, Mirror, MirrorChange};
pub use snapshot::Snapshot;
pub(crate) use state::Update;
pub use stats::RegistryStats;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use http::HeaderValue;
use rollcall_protocol::{
    DEFAULT_SERVICE, Lease, LeaseList, RegisterRequest, RegisterResponse, ServiceIndex,
    validate_addr, validate_service,
};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::watch::hub::Hub;
use crate::{ApiError, RegistryConfig};
use state::{Limits, State};
use ttl::TtlPolicy;

/// The registry: a handle to shared state. Clones share it; the expiry task stops
/// once the last clone is dropped.
#[derive(Clone)]
pub struct Registry {
    shared: Arc<Shared>,
}

impl fmt::Debug for Registry {
    /// Configuration only: the state may hold a million instances.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

struct Shared {
    state: Mutex<State>,
    /// Wakes the expiry task: an earlier deadline arrived, or the registry is gone.
    wake: Arc<Notify>,
    /// Held requests and what they wait on.
    hub: Arc<Hub>,
    /// Origin of every stored time, kept as u64 ms to save memory per instance.
    start: Instant,
    /// This run's epoch (see [`InstanceList::epoch`](rollcall_protocol::InstanceList)).
    epoch: u64,
    warmup: warmup::Warmup,
    ttl: TtlPolicy,
    config: RegistryConfig,
    /// Set when the registry mirrors a store kept elsewhere: how far the mirror
    /// has caught up, and how to ask it to catch up further.
    mirror: Option<mirror::Progress>,
    /// `State::stale`, readable without the lock.
    stale: std::sync::atomic::AtomicBool,
}

impl Drop for Shared {
    fn drop(&mut self) {
        // The expiry task holds a weak reference: wake it so it sees we are gone.
        self.wake.notify_one();
    }
}

impl Shared {
    /// The state of a registry with `config`, mirroring a store if `mirror` is set.
    fn new(config: RegistryConfig, mirror: Option<mirror::Progress>) -> Shared {
        let limits = Limits {
            max_services: config.max_services,
            max_instances: config.max_instances,
            change_log: config.watch.change_log,
        };
        let hub = Hub::new(config.watch.max_watchers, config.watch.rng_seed);
        let start = Instant::now();
        Shared {
            state: Mutex::new(State::new(limits)),
            wake: Arc::new(Notify::new()),
            hub: Arc::new(hub),
            start,
            epoch: config.epoch.unwrap_or_else(random_epoch),
            warmup: warmup::Warmup::new(start, config.warmup()),
            ttl: TtlPolicy::new(&config),
            config,
            mirror,
            stale: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // No code panics while holding the lock; if some did, the state is still
        // consistent between operations, so carry on rather than fail every request.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now_ms(&self) -> u64 {
        crate::error::millis(self.start.elapsed())
    }

    /// Runs `op` under the lock, then wakes the watchers of what it changed.
    fn change<R>(&self, op: impl FnOnce(&mut State) -> R) -> R {
        let (out, touched) = {
            let mut state = self.lock();
            let out = op(&mut state);
            (out, state.log.take_touched())
        };
        self.hub.notify(&touched);
        out
    }
}

impl Registry {
    /// A registry with `config`'s TTL policy and limits. TTLs beyond what can be
    /// stored are clamped; use [`RegistryConfig::validate`] to refuse them instead.
    ///
    /// Must be called from within a tokio runtime (or a turmoil host): it spawns the
    /// expiry task there.
    pub fn new(config: RegistryConfig) -> Registry {
        let shared = Arc::new(Shared::new(config, None));
        expiry::spawn(&shared);
        Registry { shared }
    }

    /// This run's epoch: lists carry it, so clients can tell a restart (and its
    /// revisions starting again) from a change.
    pub fn epoch(&self) -> u64 {
        self.shared.epoch
    }

    /// The configuration this registry was created with.
    pub fn config(&self) -> &RegistryConfig {
        &self.shared.config
    }

    /// Registers or renews an instance through the JSON API. Metadata and weight are
    /// replaced by the request's (absent: empty and the default weight); the TTL is
    /// the request's if within bounds, else an error naming the bound. Metadata over
    /// [`RegistryConfig::max_metadata_bytes`] in total is refused.
    pub fn register(
        &self,
        service: &str,
        request: RegisterRequest,
    ) -> Result<RegisterResponse, ApiError> {
        let update = self.prepare(service, &request)?;
        let ttl_ms = update.ttl_ms;
        let upserted = self.upsert(service, &request.addr, update)?;
        Ok(RegisterResponse {
            service: service.to_owned(),
            addr: request.addr,
            ttl_ms: u64::from(ttl_ms),
            created: upserted.created,
            revision: upserted.revision,
        })
    }

    /// A seed-protocol heartbeat: registers or renews `addr` in service `default`
    /// with the server's default TTL, keeping any metadata and weight it registered
    /// with through the JSON API. Returns the TTL granted (zero: never expires).
    pub fn renew_seed(&self, addr: &str) -> Result<Duration, ApiError> {
        let update = self.prepare_seed(addr)?;
        let ttl_ms = update.ttl_ms;
        self.upsert(DEFAULT_SERVICE, addr, update)?;
        Ok(Duration::from_millis(u64::from(ttl_ms)))
    }

    fn upsert(
        &self,
        service: &str,
        addr: &str,
        update: Update,
    ) -> Result<state::Upserted, ApiError> {
        self.refuse_if_mirror()?;
        let now_ms = self.shared.now_ms();
        let upserted = self
            .shared
            .change(|state| state.upsert(service, addr, update, now_ms))?;
        // The lock is released: wake the task without making it wait for us.
        if upserted.wake {
            self.shared.wake.notify_one();
        }
        Ok(upserted)
    }

    /// Removes an instance now. [`ApiError::NotRegistered`] if it is not registered.
    pub fn deregister(&self, service: &str, addr: &str) -> Result<(), ApiError> {
        validate_service(service)?;
        validate_addr(addr)?;
        self.refuse_if_mirror()?;
        if self.shared.change(|state| state.remove(service, addr)) {
            Ok(())
        } else {
            Err(ApiError::NotRegistered {
                service: service.to_owned(),
                addr: addr.to_owned(),
            })
        }
    }

    /// The service's alive instances, sorted by address, as a shared snapshot: built
    /// on the first call after a change, then the same `Arc` until the next change.
    /// A service nobody registered is an empty list at revision 0 (or, once empty
    /// services have been forgotten to make room, at the revision of that, so a
    /// service's revision never goes backwards). While the registry warms up, lists
    /// say so (and their version differs from the same revision's once warm).
    pub fn list(&self, service: &str) -> Arc<Snapshot> {
        let warming = self.warming();
        let mut state = self.shared.lock();
        let (forgotten, stale) = (state.forgotten, state.stale);
        let epoch = self.shared.epoch;
        match state.service_mut(service) {
            Some(svc) => svc.json_snapshot(epoch, warming, stale),
            None => snapshot::json_empty(service, epoch, forgotten, warming, stale),
        }
    }

    /// The seed's `X-rpc-Servers` value for `service`: alive addresses, sorted and
    /// comma-joined (empty when none). Cached like [`Registry::list`], separately, so
    /// seed clients never pay for JSON and JSON clients never for the header.
    pub fn servers_header(&self, service: &str) -> HeaderValue {
        let mut state = self.shared.lock();
        match state.service_mut(service) {
            Some(svc) => svc.servers_header(),
            None => HeaderValue::from_static(""),
        }
    }

    /// Per instance of `service`, sorted by address: time since its last heartbeat
    /// and time left before it expires.
    pub fn leases(&self, service: &str) -> LeaseList {
        let now_ms = self.shared.now_ms();
        let state = self.shared.lock();
        let Some(svc) = state.service(service) else {
            return LeaseList {
                service: service.to_owned(),
                revision: state.forgotten,
                leases: Vec::new(),
            };
        };
        let leases = svc
            .sorted()
            .into_iter()
            .map(|i| Lease {
                addr: i.addr.to_string(),
                since_heartbeat_ms: now_ms.saturating_sub(i.renewed_ms),
                expires_in_ms: i.deadline_ms().map(|d| d.saturating_sub(now_ms)),
            })
            .collect();
        LeaseList {
            service: service.to_owned(),
            revision: svc.revision,
            leases,
        }
    }

    /// Every known service (including ones whose instances all left, until their
    /// slot is reclaimed) with its revision and instance count, sorted by name.
    pub fn index(&self) -> ServiceIndex {
        let warming = self.warming();
        self.shared.lock().index(self.shared.epoch, warming)
    }

    /// Alive instances, all services together.
    pub fn len(&self) -> usize {
        self.shared.lock().instances()
    }

    /// Whether no instance is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The registry-wide revision: bumped on every membership change anywhere.
    pub fn revision(&self) -> u64 {
        self.shared.lock().revision()
    }
}

/// Epochs keep to 53 bits, so JavaScript reads them exactly as JSON numbers.
const EPOCH_MASK: u64 = (1 << 53) - 1;

/// A random, non-zero epoch, from the standard library's per-process hash keys (the
/// operating system's randomness), so the server needs no RNG of its own. A
/// simulation sets [`RegistryConfig::epoch`] instead, to stay deterministic.
fn random_epoch() -> u64 {
    use std::hash::BuildHasher;
    epoch_of(std::collections::hash_map::RandomState::new().hash_one(0u8))
}

/// The epoch of `raw` (random bits, or a store's cluster id): its low 53 bits, never
/// zero.
pub(crate) fn epoch_of(raw: u64) -> u64 {
    (raw & EPOCH_MASK) | 1
}
