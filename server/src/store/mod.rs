//! The seam between the routes and where the registry's truth is kept.
//!
//! Every read (lists, the seed header, the index, blocking queries, the change
//! feed, `/readyz`, metrics) is answered from a [`Registry`]: the in-memory state,
//! its snapshots, change log and watch hub. Every write (registrations, seed
//! heartbeats, deregistrations) and the leases view go through a [`Store`], which
//! owns the truth:
//!
//! - the memory store (`memory`): the [`Registry`] itself, one process, expiry by
//!   its own timer (the default);
//! - the etcd store ([`EtcdStore`](crate::EtcdStore)): etcd holds the instances
//!   under leases; the [`Registry`] it hands out is a mirror of the key prefix fed by
//!   one prefix watch, so reads stay local and exactly as in memory mode.
//!
//! Why split reads from writes rather than put every route behind the trait: the
//! read side is the same code on both stores (that is what keeps ETags, blocking
//! queries and the change feed identical), so only what differs sits behind it.
//! A trait object rather than an enum or a generic: the routes are not generic
//! over it (one `RegistryService` type whatever the store), and tests can put a
//! store of their own behind the routes.

mod memory;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use rollcall_protocol::{LeaseList, RegisterRequest, RegisterResponse};

use crate::{ApiError, Registry};

/// What a store's operations return: boxed, so [`Store`] can be a trait object.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ApiError>> + Send + 'a>>;

/// Where writes go and what reads are served from. Implementations validate as
/// the memory registry does (the same [`ApiError`]s for the same bad input), and
/// answer [`ApiError::StoreUnavailable`] (`503` with `Retry-After`) when they
/// cannot reach their truth.
pub trait Store: Send + Sync + fmt::Debug + 'static {
    /// The registry reads are answered from: the store itself in memory, the
    /// store's local mirror otherwise.
    fn registry(&self) -> &Registry;

    /// Registers or renews an instance through the JSON API (see
    /// [`Registry::register`] for the rules).
    fn register<'a>(
        &'a self,
        service: &'a str,
        request: RegisterRequest,
    ) -> StoreFuture<'a, RegisterResponse>;

    /// A seed-protocol heartbeat for `addr` in service `default`; the TTL granted.
    fn renew_seed<'a>(&'a self, addr: &'a str) -> StoreFuture<'a, Duration>;

    /// Removes an instance now ([`ApiError::NotRegistered`] if it is not).
    fn deregister<'a>(&'a self, service: &'a str, addr: &'a str) -> StoreFuture<'a, ()>;

    /// Per instance of `service`: time since its last heartbeat and time left.
    fn leases<'a>(&'a self, service: &'a str) -> StoreFuture<'a, LeaseList>;

    /// The store's own counters, for `/metrics` (none for the memory store).
    fn counters(&self) -> Vec<StoreCounter> {
        Vec::new()
    }
}

/// One counter a store reports at `/metrics`: a name ending in `_total` is
/// written without it and typed as a counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreCounter {
    /// `rollcall_...`, without `_total`.
    pub name: &'static str,
    pub help: &'static str,
    pub value: u64,
}
