//! Which lease holds each instance, and when this frontend last saw it renewed:
//! what a heartbeat needs to send one keep-alive (or none) without asking etcd.
//!
//! Fed by the watch (an instance's key names its lease) and by this frontend's
//! own writes and keep-alives. Renewals made through other frontends are not seen
//! here, so "renewed recently" only ever errs towards one keep-alive too many.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::time::Instant;

/// One instance's lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Entry {
    /// The lease id (`0`: the key has none, it never expires).
    pub(super) lease: i64,
    /// When a keep-alive or grant through this frontend last answered for it.
    pub(super) renewed: Option<Instant>,
}

/// Leases by address, within one service.
type Addrs = HashMap<Box<str>, Entry>;

/// Leases by service, then address (nested, so a lookup borrows its strings).
#[derive(Debug, Default)]
pub(super) struct LeaseBook {
    services: Mutex<HashMap<Box<str>, Addrs>>,
}

impl LeaseBook {
    fn lock(&self) -> MutexGuard<'_, HashMap<Box<str>, Addrs>> {
        // Map inserts and removals only: consistent after any panic.
        self.services.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn get(&self, service: &str, addr: &str) -> Option<Entry> {
        self.lock().get(service)?.get(addr).copied()
    }

    /// The key of `addr` now names `lease` (a renewal time for another lease no
    /// longer applies).
    pub(super) fn set(&self, service: &str, addr: &str, lease: i64) {
        let mut services = self.lock();
        let addrs = services.entry(service.into()).or_default();
        match addrs.get_mut(addr) {
            Some(entry) if entry.lease == lease => {}
            Some(entry) => {
                *entry = Entry {
                    lease,
                    renewed: None,
                }
            }
            None => {
                addrs.insert(
                    addr.into(),
                    Entry {
                        lease,
                        renewed: None,
                    },
                );
            }
        }
    }

    /// `lease` was renewed (or granted) through this frontend at `at`.
    pub(super) fn renewed(&self, service: &str, addr: &str, lease: i64, at: Instant) {
        let mut services = self.lock();
        let addrs = services.entry(service.into()).or_default();
        addrs.insert(
            addr.into(),
            Entry {
                lease,
                renewed: Some(at),
            },
        );
    }

    pub(super) fn remove(&self, service: &str, addr: &str) {
        let mut services = self.lock();
        if let Some(addrs) = services.get_mut(service) {
            addrs.remove(addr);
            if addrs.is_empty() {
                services.remove(service);
            }
        }
    }

    /// Replaces the book with a fresh listing's leases, keeping the renewal times
    /// of leases that did not change.
    pub(super) fn reload(&self, listing: impl IntoIterator<Item = (String, String, i64)>) {
        let mut services = self.lock();
        let mut fresh: HashMap<Box<str>, Addrs> = HashMap::new();
        for (service, addr, lease) in listing {
            let renewed = services
                .get(service.as_str())
                .and_then(|addrs| addrs.get(addr.as_str()))
                .filter(|entry| entry.lease == lease)
                .and_then(|entry| entry.renewed);
            fresh
                .entry(service.into_boxed_str())
                .or_default()
                .insert(addr.into_boxed_str(), Entry { lease, renewed });
        }
        *services = fresh;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_new_lease_forgets_the_old_renewal() {
        let book = LeaseBook::default();
        let now = Instant::now();
        book.renewed("s", "a:1", 7, now);
        book.set("s", "a:1", 7);
        assert_eq!(book.get("s", "a:1").and_then(|e| e.renewed), Some(now));
        book.set("s", "a:1", 8);
        assert_eq!(
            book.get("s", "a:1"),
            Some(Entry {
                lease: 8,
                renewed: None
            })
        );
        book.renewed("s", "b:1", 9, now);
        book.reload([
            ("s".to_owned(), "b:1".to_owned(), 9),
            ("t".to_owned(), "c:1".to_owned(), 3),
        ]);
        assert_eq!(book.get("s", "a:1"), None);
        assert_eq!(book.get("s", "b:1").and_then(|e| e.renewed), Some(now));
        book.remove("t", "c:1");
        assert_eq!(book.get("t", "c:1"), None);
    }
}
