//! # rollcall-protocol
//!
//! The wire protocol of the rollcall registry, with no I/O: paths, header names,
//! defaults, JSON bodies and input validation.
//!
//! Both ends depend on this crate: the client to build requests and read answers,
//! the server to route and to validate what it is sent, the dashboard to show it.
//! Keeping it in one place, free of sockets and runtimes, keeps the ends agreeing
//! and lets it build for the browser. A change to a wire type is made here once.
//!
//! Two protocols share one registry:
//! - the **seed protocol** of GeeRPC day 7, at [`DEFAULT_PATH`]: `POST` with the header
//!   [`HEADER_SERVER`] registers or renews an address, `GET` answers every alive address
//!   comma-joined in the header [`HEADER_SERVERS`] ([`seed`]);
//! - the **JSON API** under [`API_PREFIX`], for what a header cannot carry: named
//!   services, metadata, weights, per-instance TTLs, deregistration, revisions, and
//!   lists far larger than a header allows ([`paths`], [`json`]).
//!
//! The modules:
//! - [`seed`]: the seed's path, headers and defaults (TTL, refresh, heartbeat margin).
//! - [`limits`]: how long names and addresses may be, metadata and weight bounds.
//! - [`paths`]: the JSON API's, the probes' and the RPC's paths.
//! - [`json`]: the JSON bodies both sides exchange.
//! - [`validate`]: checks of what clients send, with [`ProtocolError`].
//! - [`method`]: the `Service.Method` rule of RPC method names.
//! - [`token`]: bearer tokens, for registries that let only some clients write.
//! - [`watch`]: blocking queries and the change feed: [`HEADER_INDEX`], defaults,
//!   [`ChangeBatch`] and its paths.
//! - [`query`]: the `index`, `since`, `wait` and `epoch` parameters ([`WatchQuery`]).
//! - [`duration`]: durations as `500ms`, `30s`, `5m` (`wait`, and the server's flags).
//! - [`stale`]: [`HEADER_STALE`], on reads a frontend answers from a cache that may be
//!   behind its store.

pub mod duration;
pub mod json;
pub mod limits;
pub mod method;
pub mod paths;
pub mod query;
pub mod seed;
pub mod stale;
pub mod token;
pub mod validate;
pub mod watch;

pub use duration::{DurationError, format_duration, parse_duration};

pub use json::{
    ErrorBody, Instance, InstanceList, Lease, LeaseList, ListVersion, RegisterRequest,
    RegisterResponse, ServiceIndex, ServiceSummary,
};
pub use limits::{
    DEFAULT_WEIGHT, MAX_ADDR_LEN, MAX_METADATA_ENTRIES, MAX_METADATA_KEY_LEN,
    MAX_METADATA_VALUE_LEN, MAX_SERVICE_LEN, MAX_WEIGHT,
};
pub use method::validate_method;
pub use paths::{API_PREFIX, METRICS_PATH, READY_PATH, RPC_PATH_PREFIX, call_url};
pub use query::{QueryError, WatchQuery};
pub use seed::{
    DEFAULT_PATH, DEFAULT_REFRESH, DEFAULT_SERVICE, DEFAULT_TTL, HEADER_SERVER, HEADER_SERVERS,
    HEADER_TTL_MS, HEADER_WARMING, HEARTBEAT_MARGIN,
};
pub use stale::HEADER_STALE;
pub use token::{
    AUTHORIZATION, BEARER, MAX_TOKEN_LEN, MIN_TOKEN_LEN, Token, parse_bearer, validate_token,
};
pub use validate::{
    ProtocolError, split_addr, validate_addr, validate_metadata, validate_service, validate_weight,
};
pub use watch::{
    ChangeBatch, ChangeEvent, ChangeKind, DEFAULT_MAX_WAIT, DEFAULT_WAIT, HEADER_INDEX,
    WAIT_JITTER_DIVISOR, max_jitter,
};
