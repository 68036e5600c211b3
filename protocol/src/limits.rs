//! How large what clients send may be: names, addresses, metadata and weights.
//! Both ends check against these, so a client refuses what the server would.

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
