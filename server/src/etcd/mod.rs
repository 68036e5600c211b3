//! The etcd store: several rollcall frontends over one etcd cluster, each serving
//! every route, none holding state the others need.
//!
//! How the registry maps onto etcd (see `keys` for the key layout):
//! - one lease per instance, with the instance's TTL (rounded up to whole seconds,
//!   at least [`ETCD_MIN_TTL`]); the instance's key, holding its data as JSON, is
//!   attached to it;
//! - a heartbeat is one lease keep-alive, no write (`keepalive`); one that renews
//!   a lease this frontend renewed less than a [`COALESCE_DIVISOR`]th of its TTL ago
//!   sends nothing. A put happens only when the data changes (`writes`);
//! - deregistration deletes the key and writes a marker under the same lease in one
//!   transaction, then revokes the lease; expiry is etcd's, seen as a deletion
//!   without a marker, so the change feed tells `deregister` from `expire`;
//! - revisions are etcd's: a service lists at the revision of its last change; the
//!   epoch is etcd's cluster id, so every frontend of one cluster has the same;
//! - each frontend mirrors the prefix in a [`Registry`] (`watcher`: one listing,
//!   then one prefix watch, resumed from its last revision when the stream is lost,
//!   listed again after a compaction), and answers every read from it;
//! - a frontend asked for an index it has not reached writes a barrier key and
//!   waits to see it in its watch (`health`), so no index from another frontend
//!   ever gets older data; etcd 3.4's progress notifications are not used, since
//!   they may overtake events still in flight (etcd-io/etcd#15220, fixed in later
//!   releases);
//! - the leases view asks etcd each lease's time to live (`leases`);
//! - while etcd cannot be reached, reads are served from the mirror marked stale,
//!   writes and heartbeats answer `503` with `Retry-After`, `/readyz` `503`
//!   (`health`). Every etcd call has a timeout;
//! - on a cluster with authentication on, the frontend is an etcd user
//!   (`config`); etcd's client authenticates again when etcd drops its token, and
//!   a refusal (credentials, permission) stops the start at once, and later is
//!   answered `503` with its own reason and logged (`health`);
//! - with several endpoints, a member that does not answer its own probe while
//!   another does gets no requests until it answers (`members`), so one member
//!   down out of three costs nothing while the others hold a quorum.

mod book;
mod config;
mod counters;
mod error;
mod health;
mod keepalive;
mod keys;
mod leases;
mod members;
mod watcher;
mod writes;

pub use config::{DEFAULT_ETCD_START_TIMEOUT, DEFAULT_ETCD_TIMEOUT, EtcdConfig, EtcdCredentials};
pub use error::{ETCD_MIN_TTL, EtcdError};
pub use keys::{DEFAULT_ETCD_PREFIX, PrefixError};

use std::sync::Arc;
use std::time::Duration;

use etcd_client::Client;
use rollcall_protocol::{LeaseList, RegisterRequest, RegisterResponse};
use tokio::task::AbortHandle;
use tokio::time::Instant;
use tracing::{info, warn};

use crate::registry::Mirror;
use crate::store::{Store, StoreCounter, StoreFuture};
use crate::{Registry, RegistryConfig};
use book::LeaseBook;
use counters::Counters;
use health::Health;
use keepalive::Keepalives;
use keys::Keys;

/// A lease renewed through this frontend less than TTL / this ago is not kept alive
/// again: its expiry moves by at most 1/32 of the TTL (under 10 s of a 5-minute
/// one), well within the margin heartbeats leave, and a client beating faster than
/// its TTL needs costs no etcd round trip.
pub const COALESCE_DIVISOR: u32 = 32;

/// Pause between two attempts to load the registry at start.
const START_RETRY: Duration = Duration::from_millis(500);

/// A registry frontend over etcd: reads from a local mirror of the prefix, writes
/// to etcd. Cheap to clone; the background tasks (watch, probe, barriers) stop
/// when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct EtcdStore {
    inner: Arc<Inner>,
    _tasks: Arc<Tasks>,
}

struct Inner {
    client: Client,
    keys: Keys,
    mirror: Mirror,
    book: LeaseBook,
    keepalives: Keepalives,
    health: Health,
    counters: Counters,
    timeout: Duration,
}

impl std::fmt::Debug for Inner {
    /// Not the client (no `Debug`), nor the mirror's contents.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdStore")
            .field("keys", &self.keys)
            .field("health", &self.health)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The store's tasks, aborted when the last handle goes.
#[derive(Debug)]
struct Tasks(Vec<AbortHandle>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

impl EtcdStore {
    /// Connects to etcd, loads the registry under `config.prefix` into a mirror
    /// (retrying until `config.start_timeout`), and starts following it. `registry`
    /// gives the TTL policy and limits; its `min_ttl` must be at least
    /// [`ETCD_MIN_TTL`], and its epoch and warm-up do not apply (the epoch is the
    /// cluster's, and nothing was lost).
    ///
    /// Must be called from within a tokio runtime.
    pub async fn connect(
        config: EtcdConfig,
        registry: RegistryConfig,
    ) -> Result<EtcdStore, EtcdError> {
        config.check(&registry)?;
        let keys = Keys::new(&config.prefix)?;
        let timeout = config.timeout;
        let options = config.connect_options();
        let started = Instant::now();
        let (client, listing) = loop {
            let attempt = async {
                let connect = Client::connect(&config.endpoints, Some(options.clone()));
                let client = error::bounded(timeout, connect).await?;
                let listing = watcher::list(&client, &keys, timeout).await?;
                Ok::<_, EtcdError>((client, listing))
            };
            match attempt.await {
                Ok(loaded) => break loaded,
                Err(ref err) if let Some(why) = err.refusal() => {
                    return Err(EtcdError::Refused(why.to_owned()));
                }
                Err(err) if started.elapsed() + START_RETRY < config.start_timeout => {
                    warn!(%err, "cannot load the registry from etcd yet; retrying");
                    tokio::time::sleep(START_RETRY).await;
                }
                Err(err) => {
                    return Err(EtcdError::Start {
                        timeout: config.start_timeout,
                        last: err.to_string(),
                    });
                }
            }
        };
        let epoch = crate::registry::epoch_of(listing.cluster_id);
        let (_, mirror) = Registry::mirrored(registry, epoch);
        let from = listing.revision + 1;
        let instances = listing.instances.len();
        let inner = Arc::new(Inner {
            keepalives: Keepalives::new(client.lease_client(), timeout),
            client,
            keys,
            mirror,
            book: LeaseBook::default(),
            health: Health::default(),
            counters: Counters::default(),
            timeout,
        });
        watcher::load(&inner, listing);
        let mut tasks = vec![
            tokio::spawn(watcher::run(Arc::clone(&inner), from)).abort_handle(),
            tokio::spawn(health::probe(Arc::clone(&inner))).abort_handle(),
            tokio::spawn(health::barriers(Arc::clone(&inner))).abort_handle(),
        ];
        let members = members::follow(&inner, &config.endpoints, &options);
        tasks.extend(members.map(|task| task.abort_handle()));
        let store = EtcdStore {
            inner,
            _tasks: Arc::new(Tasks(tasks)),
        };
        let deadline = Instant::now() + config.start_timeout.saturating_sub(started.elapsed());
        if !store.inner.health.watching(deadline).await {
            return Err(EtcdError::Start {
                timeout: config.start_timeout,
                last: "the watch on the prefix did not start".to_owned(),
            });
        }
        info!(
            epoch,
            instances, "loaded the registry from etcd; following its changes"
        );
        Ok(store)
    }
}

impl Store for EtcdStore {
    fn registry(&self) -> &Registry {
        self.inner.mirror.registry()
    }

    fn register<'a>(
        &'a self,
        service: &'a str,
        request: RegisterRequest,
    ) -> StoreFuture<'a, RegisterResponse> {
        Box::pin(self.inner.register(service, request))
    }

    fn renew_seed<'a>(&'a self, addr: &'a str) -> StoreFuture<'a, Duration> {
        Box::pin(self.inner.renew_seed(addr))
    }

    fn deregister<'a>(&'a self, service: &'a str, addr: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(self.inner.deregister(service, addr))
    }

    fn leases<'a>(&'a self, service: &'a str) -> StoreFuture<'a, LeaseList> {
        Box::pin(self.inner.leases(service))
    }

    fn counters(&self) -> Vec<StoreCounter> {
        self.inner.counters.report()
    }
}
