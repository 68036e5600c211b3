//! What a frontend asked of etcd, for `/metrics`: how heartbeats were answered
//! (keep-alives sent, or renewals within the coalescing window answered without
//! one), writes, listings after a compaction, barriers, members taken out of use.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::StoreCounter;

/// Relaxed atomic counters, bumped where the operation happens.
#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) keepalives: AtomicU64,
    pub(super) coalesced: AtomicU64,
    pub(super) writes: AtomicU64,
    pub(super) relists: AtomicU64,
    pub(super) barriers: AtomicU64,
    pub(super) members_excluded: AtomicU64,
}

impl Counters {
    pub(super) fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn report(&self) -> Vec<StoreCounter> {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        vec![
            StoreCounter {
                name: "rollcall_etcd_keepalives",
                help: "Lease keep-alives sent to etcd for heartbeats.",
                value: read(&self.keepalives),
            },
            StoreCounter {
                name: "rollcall_etcd_coalesced_renewals",
                help: "Heartbeats answered without a keep-alive: the lease was renewed through this frontend less than TTL/32 ago.",
                value: read(&self.coalesced),
            },
            StoreCounter {
                name: "rollcall_etcd_writes",
                help: "Writes to etcd for registrations, changes and deregistrations.",
                value: read(&self.writes),
            },
            StoreCounter {
                name: "rollcall_etcd_relists",
                help: "Listings of the prefix after etcd compacted the revisions the watch needed.",
                value: read(&self.relists),
            },
            StoreCounter {
                name: "rollcall_etcd_barriers",
                help: "Barrier writes made so a blocking query could wait for this frontend to catch up.",
                value: read(&self.barriers),
            },
            StoreCounter {
                name: "rollcall_etcd_member_exclusions",
                help: "Times an etcd member that did not answer its probe was taken out of the members requests go to.",
                value: read(&self.members_excluded),
            },
        ]
    }
}
