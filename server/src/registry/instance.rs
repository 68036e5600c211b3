//! One registered instance, stored compactly: the registry is sized for hundreds of
//! thousands of them, so every field is as small as its range allows.

use std::collections::BTreeMap;
use std::sync::Arc;

/// `queued_ms` of an instance with no entry in the deadline queue (TTL 0).
pub(super) const NOT_QUEUED: u64 = u64::MAX;

/// An alive instance of one service.
#[derive(Debug)]
pub(super) struct Instance {
    /// Shared with the service's address index, so the string is stored once.
    pub(super) addr: Arc<str>,
    /// `None` when empty, the common case: eight bytes instead of an empty map.
    pub(super) metadata: Option<Box<Metadata>>,
    /// Last registration or renewal, in ms since the registry started.
    pub(super) renewed_ms: u64,
    /// Deadline of this instance's entry in the deadline queue ([`NOT_QUEUED`] if
    /// none). Renewals only move `renewed_ms`; the queue entry is re-pushed lazily
    /// when it comes due, and entries whose deadline differs from this are stale.
    pub(super) queued_ms: u64,
    /// Granted TTL in ms; `0` never expires.
    pub(super) ttl_ms: u32,
    pub(super) weight: u32,
}

impl Instance {
    /// When the instance expires (it is removed once the clock is past this), or
    /// `None` if it never does.
    pub(super) fn deadline_ms(&self) -> Option<u64> {
        (self.ttl_ms != 0).then(|| self.renewed_ms.saturating_add(u64::from(self.ttl_ms)))
    }
}

/// Metadata entries sorted by key, as a boxed slice (no spare capacity, no tree nodes).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Metadata(pub(super) Box<[(Box<str>, Box<str>)]>);

impl Metadata {
    /// Compact form of a request's metadata; `None` for an empty map.
    pub(super) fn from_map(map: BTreeMap<String, String>) -> Option<Box<Metadata>> {
        if map.is_empty() {
            return None;
        }
        let entries = map
            .into_iter()
            .map(|(k, v)| (k.into_boxed_str(), v.into_boxed_str()))
            .collect();
        Some(Box::new(Metadata(entries)))
    }

    /// Whether stored metadata equals a request's, without converting the request.
    pub(super) fn same(stored: Option<&Metadata>, map: &BTreeMap<String, String>) -> bool {
        match stored {
            None => map.is_empty(),
            Some(Metadata(entries)) => {
                entries.len() == map.len()
                    && entries
                        .iter()
                        .zip(map)
                        .all(|((k1, v1), (k2, v2))| **k1 == **k2 && **v1 == **v2)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_round_trips_and_compares() {
        let mut map = BTreeMap::new();
        assert!(Metadata::from_map(map.clone()).is_none());
        assert!(Metadata::same(None, &map));
        map.insert("zone".to_owned(), "eu".to_owned());
        map.insert("a".to_owned(), "1".to_owned());
        let stored = Metadata::from_map(map.clone());
        assert!(Metadata::same(stored.as_deref(), &map));
        map.insert("zone".to_owned(), "us".to_owned());
        assert!(!Metadata::same(stored.as_deref(), &map));
        assert!(!Metadata::same(None, &map));
    }

    #[test]
    fn instance_stays_small() {
        assert!(std::mem::size_of::<Option<Instance>>() <= 48);
    }
}
