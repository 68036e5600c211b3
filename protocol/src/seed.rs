//! The seed's protocol (GeeRPC day 7): where its registry answers, the headers it
//! speaks, and the defaults it runs with, each named after the seed's own constant.

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

/// Response header added to a seed-protocol `GET` while the registry warms up after a
/// start (value `true`; absent once warm): the list may still lack live servers that
/// have not beaten since the start. Seed clients ignore it; rollcall's discovery then
/// keeps the servers of its previous list (the seed protocol has no epoch, so this
/// header is all it has to tell a restart from a drain).
pub const HEADER_WARMING: &str = "X-rpc-Warming";
