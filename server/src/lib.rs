//! # rollcall-server
//!
//! The rollcall registry: services announce themselves with heartbeats, the registry
//! forgets the ones that go quiet, and clients list the ones alive. It speaks the
//! GeeRPC seed's header protocol at `/_rpc_/registry` and a JSON API under `/v1`
//! (both defined in [`rollcall_protocol`]).
//!
//! - [`Registry`]: the state, a cheap `Clone` handle: instances per service, their
//!   leases, a deadline queue that expires them, and cached list snapshots.
//! - [`RegistryConfig`]: default TTL, TTL bounds, size limits, warm-up, and
//!   [`WatchConfig`] (change log, longest wait, most held requests).
//! - `watch`: what blocking queries wait on (per-service topics), the bound on
//!   held requests, and [`ChangesGone`] (when the change feed says `410`).
//! - [`Store`]: the seam between the routes and where the truth is kept: reads
//!   come from a [`Registry`], writes go through the store (the [`Registry`] itself
//!   in memory).
//! - [`EtcdStore`]: the store for several frontends over one etcd cluster
//!   ([`EtcdConfig`]): writes to etcd, reads from a local mirror fed by one watch.
//! - [`RegistryService`]: the registry's HTTP routes (seed protocol, JSON API,
//!   probes) over a [`Store`], with its [`HttpConfig`].
//! - `metrics`: what `/metrics` reports ([`RegistryStats`] and per-route requests),
//!   owned by each [`RegistryService`].
//! - [`Auth`]: bearer tokens ([`Rules`]), off by default, reloadable while serving.
//! - `http`: what every handler shares: bounded body reads ([`BodyError`]), JSON and
//!   error answers, the CORS policy.
//! - [`ApiError`]: every refusal, mapped to its HTTP status.
//! - [`serve`]: the accept loop, generic over its [`Listener`] and [`Handler`], with
//!   its connection limit, write timeout and optional TLS ([`TlsConfig`]).
//! - [`RpcServer`]: a JSON-over-HTTP RPC host with typed `Service.Method` handlers.
//! - [`Dashboard`]: the browser dashboard's files, served at `/` when loaded.
//! - [`parse_duration`]: `30s`, `5m`, `0` as the CLI takes them (the protocol's
//!   syntax, re-exported).

mod auth;
mod config;
mod dashboard;
mod error;
mod etcd;
mod http;
mod metrics;
mod registry;
mod routes;
mod rpc;
mod serve;
mod store;
mod watch;

pub use auth::{Auth, AuthError, AuthOptions, Level, ReloadError, Rules, RulesError, TokenSource};
pub use config::{
    ConfigError, DEFAULT_CORS_ORIGIN, DEFAULT_MAX_INSTANCES, DEFAULT_MAX_METADATA_BYTES,
    DEFAULT_MAX_SERVICES, DEFAULT_MAX_TTL, DEFAULT_MIN_TTL, HttpConfig, RegistryConfig,
};
pub use dashboard::{Asset, Dashboard};
pub use error::{ApiError, ErrorFormat, RETRY_AFTER_SECS};
pub use etcd::{
    COALESCE_DIVISOR, DEFAULT_ETCD_PREFIX, DEFAULT_ETCD_START_TIMEOUT, DEFAULT_ETCD_TIMEOUT,
    ETCD_MIN_TTL, EtcdConfig, EtcdCredentials, EtcdError, EtcdStore, PrefixError,
};
pub use http::{BodyError, DEFAULT_BODY_READ_TIMEOUT, DEFAULT_MAX_BODY_BYTES, Reply};
pub use registry::{Answer, Registry, RegistryStats, Snapshot};
pub use rollcall_protocol::{DurationError, parse_duration};
pub use routes::{RegistryService, serve_registry, serve_store};
pub use rpc::{RpcError, RpcServer};
pub use serve::{
    ConnOptions, ConnOptionsError, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_SHUTDOWN_GRACE, DEFAULT_WRITE_TIMEOUT, Handler, Listener, TlsConfig, TlsError, serve,
};
pub use store::{Store, StoreCounter, StoreFuture};
pub use watch::{ChangesGone, DEFAULT_CHANGE_LOG, DEFAULT_MAX_WATCHERS, WatchConfig};
