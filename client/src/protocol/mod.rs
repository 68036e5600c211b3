//! The wire protocol, with no I/O: paths, header names, defaults, JSON bodies and
//! input validation.
//!
//! Both ends use this module: the client to build requests and read answers, the
//! server to route and to validate what it is sent. Keeping it in one place, free of
//! sockets and runtimes, keeps the two ends agreeing and lets it build for the browser.
//!
//! Two protocols share one registry:
//! - the **seed protocol** of GeeRPC day 7, at [`DEFAULT_PATH`]: `POST` with the header
//!   [`HEADER_SERVER`] registers or renews an address, `GET` answers every alive address
//!   comma-joined in the header [`HEADER_SERVERS`];
//! - the **JSON API** under [`API_PREFIX`], for what a header cannot carry: named
//!   services, metadata, weights, per-instance TTLs, deregistration, revisions, and
//!   lists far larger than a header allows (see [`paths`]).

mod address;
mod json;
pub mod paths;

pub use address::{
    ProtocolError, split_addr, validate_addr, validate_metadata, validate_service, validate_weight,
};
pub use json::{
    ErrorBody, Instance, InstanceList, Lease, LeaseList, ListVersion, RegisterRequest,
    RegisterResponse, ServiceIndex, ServiceSummary,
};

use std::time::Duration;

/// Where the seed's registry answers (`defaultPath` in the seed).
pub const DEFAULT_PATH: &str = "/_rpc_/registry";

/// How long an address stays registered after its last heartbeat (`defaultTimeout` in
/// the seed: 5 minutes). A TTL of zero means "never expires", as in the seed.
pub const DEFAULT_TTL: Duration = Duration::from_secs(5 * 60);

/// How old a discovered list may grow before it is fetched again
/// (`defaultUpdateTimeout` in the seed: 10 seconds).
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(10);

/// The seed's heartbeat period is the TTL minus this margin, so a beat lands before
/// the registry forgets the address (`defaultTimeout - 1 minute` in the seed).
pub const HEARTBEAT_MARGIN: Duration = Duration::from_secs(60);

/// Request header of the seed protocol that carries the address to register or renew.
pub const HEADER_SERVER: &str = "X-rpc-Server";

/// Response header of the seed protocol with every alive address, comma-joined.
pub const HEADER_SERVERS: &str = "X-rpc-Servers";

/// Response header added to a seed-protocol `POST`: the TTL, in milliseconds, the
/// registry granted. Seed clients ignore it; rollcall's heartbeat derives its period
/// from it.
pub const HEADER_TTL_MS: &str = "X-rpc-Ttl-Ms";

/// The service the seed protocol reads and writes: the seed has a single, unnamed one.
pub const DEFAULT_SERVICE: &str = "default";

/// Path prefix of the JSON API.
pub const API_PREFIX: &str = "/v1";

/// Longest address accepted, in bytes.
pub const MAX_ADDR_LEN: usize = 255;

/// Longest service name accepted, in bytes.
pub const MAX_SERVICE_LEN: usize = 128;

/// Most metadata entries on one instance.
pub const MAX_METADATA_ENTRIES: usize = 64;

/// Longest metadata key, in bytes.
pub const MAX_METADATA_KEY_LEN: usize = 128;

/// Longest metadata value, in bytes.
pub const MAX_METADATA_VALUE_LEN: usize = 1024;

/// Weight given to an instance that registers without one.
pub const DEFAULT_WEIGHT: u32 = 1;

/// Largest weight accepted. Weight 0 keeps an instance listed but never picked by
/// weighted selection (draining).
pub const MAX_WEIGHT: u32 = 10_000;

/// Path prefix of the JSON-over-HTTP RPC: `POST /_rpc_/call/Service.Method`.
pub const RPC_PATH_PREFIX: &str = "/_rpc_/call/";
