//! # rollcall-client
//!
//! The client side of the rollcall registry.
//! It runs natively (on tokio and hyper) and in the browser (on fetch); only
//! [`transport`] and [`rt`] differ between the two.
//!
//! - [`protocol`]: paths, headers, defaults, JSON bodies and validation, with no I/O
//!   (the `rollcall-protocol` crate, re-exported).
//! - [`transport`]: the [`Transport`] trait (one HTTP exchange) and its implementations
//!   (hyper natively, over HTTP or HTTPS; fetch in the browser).
//! - [`rt`]: clock, sleep, spawn and [`Deadline`], from tokio natively.
//! - [`RegistryClient`]: register, renew, deregister and list, over the seed's header
//!   protocol or the JSON API ([`RegistryEndpoint`]), with a bearer token if the
//!   registry wants one; with several registry URLs (frontends of one registry),
//!   a request moves on to the next when one fails.
//! - [`Heartbeat`]: keeps one instance registered, the seed's `HeartBeat` with retries.
//! - [`SelectMode`]: random, round-robin and weighted-random selection.
//! - [`Discovery`]: [`MultiServersDiscovery`] (a fixed list) and [`RegistryDiscovery`]
//!   (a list kept fresh from the registry, polled or watched: [`ListSource`]).
//! - [`RpcClient`] and [`XClient`]: JSON-over-HTTP calls, to one server picked by mode or
//!   broadcast to all, under a [`Deadline`].
//! - [`WatchStream`]: a service followed as it changes ([`RegistryClient::watch`]):
//!   a list, then its changes, in milliseconds; [`ServiceView`] keeps a list current
//!   from it.
//! - [`Error`]: what can go wrong, with predicates such as [`Error::is_timeout`].

/// The wire protocol, re-exported from [`rollcall_protocol`] so users of the client
/// need one dependency.
pub use rollcall_protocol as protocol;

pub mod rt;
pub mod transport;

mod discovery;
mod error;
mod heartbeat;
mod registry_client;
mod rpc;
mod select;
mod watch;
mod xclient;

pub use discovery::{
    DEFAULT_MAX_STALE, Discovery, DiscoveryOptions, FAILED_REFRESH_RETRY, ListSource,
    MultiServersDiscovery, RegistryDiscovery,
};
pub use error::Error;
pub use heartbeat::{
    DEFAULT_BACKOFF_MAX, DEFAULT_BACKOFF_MIN, Heartbeat, HeartbeatOptions, HeartbeatStatus,
    NEVER_EXPIRES_PERIOD, PERIOD_JITTER_PERCENT, period_for_ttl,
};
pub use protocol::Instance;
pub use registry_client::{
    DEFAULT_REQUEST_TIMEOUT, FRONTEND_RETRY_MAX, FRONTEND_RETRY_MIN, MAX_REGISTRY_URLS,
    RegistryClient, RegistryEndpoint,
};
pub use rpc::{DEFAULT_CALL_TIMEOUT, RpcClient};
pub use rt::Deadline;
pub use select::SelectMode;
pub use transport::{Transport, TransportError};
pub use watch::{
    DEFAULT_MIN_INTERVAL, DEFAULT_WATCH_BACKOFF_MAX, DEFAULT_WATCH_BACKOFF_MIN, IndexEvent,
    ServiceView, WatchEvent, WatchOptions, WatchStream,
};
pub use xclient::XClient;
