//! Answers from a cache that may be behind its store.
//!
//! A registry frontend over a shared store (etcd) answers every read from a local
//! cache kept current by a watch. While the store cannot be reached, the cache may
//! be behind: the frontend still answers, and says so, with the header
//! [`HEADER_STALE`] and a `stale: true` field in lists, the service index and
//! change batches. The field is left out when `false`, so the memory registry's
//! answers are unchanged and older clients read a missing field as `false`.
//! A client that can reach another frontend may prefer it; one that cannot keeps
//! the stale list, which is still the last known truth.

/// Response header on reads answered from a cache that may be behind its store:
/// `true`. Absent when the answer is current.
pub const HEADER_STALE: &str = "X-Rollcall-Stale";

/// Serde's `skip_serializing_if` for the `stale` fields: written only when set.
pub fn is_false(value: &bool) -> bool {
    !*value
}
