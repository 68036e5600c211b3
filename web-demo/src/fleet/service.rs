//! One service as the page holds it.

use std::collections::BTreeMap;

use rollcall_protocol::{ChangeBatch, Instance, InstanceList, LeaseList, ListVersion};

use super::{Changes, Fetch, RowChange};
use crate::addr::AddrKey;
use crate::drop::{CountHistory, Drop};

/// Shortest time between two reads of a service's leases while it is on screen.
pub const LEASE_REREAD_MIN_MS: f64 = 1_000.0;

/// Longest time the leases of a service on screen go unread: heartbeats are not
/// watched, so a heartbeat age shown may be this much too old.
pub const LEASE_REREAD_MAX_MS: f64 = 30_000.0;

/// A service: what the index says of it, and the instances fetched.
#[derive(Debug)]
pub struct ServiceState {
    pub name: String,
    /// The name lowercased, for the filter.
    pub name_lower: String,
    /// The service's revision as the latest index gave it.
    latest: u64,
    /// Its instance count as the latest index gave it (shown until it is fetched).
    indexed_count: usize,
    /// The version of `instances`; `None`: not fetched, or void (a restart).
    held: Option<ListVersion>,
    /// Fetched at least once.
    loaded: bool,
    /// Changes to it are shown as changes (it appeared after the page's first
    /// index, or it has been loaded once); a first load of what was already there
    /// is not.
    noisy: bool,
    pub instances: BTreeMap<String, InstanceState>,
    /// When the page last saw it change.
    pub changed_at: Option<f64>,
    history: CountHistory,
    /// When its leases were last read.
    pub leases_read_at: Option<f64>,
}

/// One alive instance.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceState {
    pub instance: Instance,
    pub key: AddrKey,
    /// The address lowercased, for the filter.
    pub addr_lower: String,
    pub lease: Option<LeaseStamp>,
    /// When the page last saw it change (register or update).
    pub changed_at: Option<f64>,
}

/// An instance's lease as absolute times on the page's clock, so it counts down
/// without being read again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeaseStamp {
    /// When it last beat.
    pub beat_at: f64,
    /// When it expires without another beat; `None`: never.
    pub expires_at: Option<f64>,
}

impl LeaseStamp {
    /// A lease renewed at `at_ms` for `ttl_ms` (`0`: never expires): what a
    /// registration or an update means, before any lease is read.
    pub fn renewed(at_ms: f64, ttl_ms: u64) -> LeaseStamp {
        LeaseStamp {
            beat_at: at_ms,
            // TTLs are far below 2^52 ms: exact.
            expires_at: (ttl_ms > 0).then_some(at_ms + ttl_ms as f64),
        }
    }
}

impl InstanceState {
    fn new(instance: Instance, lease: Option<LeaseStamp>, changed_at: Option<f64>) -> Self {
        InstanceState {
            key: AddrKey::of(&instance.addr),
            addr_lower: instance.addr.to_lowercase(),
            instance,
            lease,
            changed_at,
        }
    }
}

impl ServiceState {
    pub(super) fn new(name: &str, noisy: bool, now_ms: f64) -> Self {
        let mut history = CountHistory::default();
        history.record(now_ms, 0);
        ServiceState {
            name: name.to_owned(),
            name_lower: name.to_lowercase(),
            latest: 0,
            indexed_count: 0,
            held: None,
            loaded: false,
            noisy,
            instances: BTreeMap::new(),
            changed_at: None,
            history,
            leases_read_at: None,
        }
    }

    /// Alive instances: as fetched, or as the index counts them until then.
    pub fn count(&self) -> usize {
        if self.loaded {
            self.instances.len()
        } else {
            self.indexed_count
        }
    }

    /// Whether its instances have been fetched at least once.
    pub fn is_loaded(&self) -> bool {
        self.loaded
    }

    /// The sharp drop to mark at `now_ms`, if any.
    pub fn drop_at(&self, now_ms: f64) -> Option<Drop> {
        self.history.drop_at(now_ms)
    }

    /// The shortest TTL among its instances (`None`: none expires).
    pub fn shortest_ttl_ms(&self) -> Option<u64> {
        self.instances
            .values()
            .map(|i| i.instance.ttl_ms)
            .filter(|ttl| *ttl > 0)
            .min()
    }

    /// Whether the leases shown are due to be read again at `now_ms`: never read,
    /// or older than a tenth of the shortest TTL of its instances (so a heartbeat
    /// age is never off by more than a tenth of a lease), within
    /// [`LEASE_REREAD_MIN_MS`] and [`LEASE_REREAD_MAX_MS`]. Only asked of services
    /// unfolded on screen: no other service's leases are ever read.
    pub fn leases_due(&self, now_ms: f64) -> bool {
        let Some(read_at) = self.leases_read_at else {
            return true;
        };
        let every = self.shortest_ttl_ms().map_or(LEASE_REREAD_MAX_MS, |ttl| {
            // TTLs are far below 2^52 ms: exact.
            (ttl as f64 / 10.0).clamp(LEASE_REREAD_MIN_MS, LEASE_REREAD_MAX_MS)
        });
        now_ms - read_at >= every
    }

    pub(super) fn forget_version(&mut self) {
        self.held = None;
    }

    /// Records the index's word on it; `true` if the page is behind.
    pub(super) fn note_index(&mut self, revision: u64, count: usize, epoch: u64) -> bool {
        self.latest = revision;
        self.indexed_count = count;
        self.held
            .is_none_or(|held| held.epoch != epoch || held.revision < revision)
    }

    pub(super) fn next_fetch(&self) -> Option<Fetch> {
        match self.held {
            None => Some(Fetch::List),
            Some(held) if held.revision < self.latest => Some(Fetch::ChangesSince(held)),
            Some(_) => None,
        }
    }

    pub(super) fn apply_list(&mut self, list: InstanceList, now_ms: f64) -> Changes {
        if let Some(held) = self.held
            && held.epoch == list.epoch
            && held.revision >= list.revision
        {
            return Vec::new(); // not newer than what is held
        }
        let stamp = self.noisy.then_some(now_ms);
        let version = list.version();
        let mut next: BTreeMap<String, InstanceState> = BTreeMap::new();
        let mut changes = Vec::new();
        for instance in list.instances {
            let addr = instance.addr.clone();
            let state = match self.instances.remove(&addr) {
                Some(old) if old.instance == instance => old,
                Some(old) => {
                    changes.push((addr.clone(), RowChange::Updated));
                    InstanceState::new(instance, old.lease, stamp)
                }
                None => {
                    changes.push((addr.clone(), RowChange::Added));
                    InstanceState::new(instance, None, stamp)
                }
            };
            next.insert(addr, state);
        }
        changes.extend(
            std::mem::take(&mut self.instances)
                .into_keys()
                .map(|addr| (addr, RowChange::Removed)),
        );
        self.instances = next;
        self.held = Some(version);
        self.latest = self.latest.max(version.revision);
        self.settle(!changes.is_empty(), now_ms);
        changes
    }

    pub(super) fn apply_changes(&mut self, batch: &ChangeBatch, now_ms: f64) -> Changes {
        let Some(held) = self.held.filter(|h| h.epoch == batch.epoch) else {
            return Vec::new(); // nothing to apply them to: the service is listed instead
        };
        let mut changes = Vec::new();
        for event in batch.events.iter().filter(|e| e.revision > held.revision) {
            let addr = event.instance.addr.clone();
            if event.kind.is_listed() {
                let lease = Some(LeaseStamp::renewed(now_ms, event.instance.ttl_ms));
                let state = InstanceState::new(event.instance.clone(), lease, Some(now_ms));
                let kind = match self.instances.insert(addr.clone(), state) {
                    Some(_) => RowChange::Updated,
                    None => RowChange::Added,
                };
                changes.push((addr, kind));
            } else if self.instances.remove(&addr).is_some() {
                changes.push((addr, RowChange::Removed));
            }
        }
        self.held = Some(ListVersion {
            epoch: batch.epoch,
            revision: batch.revision.max(held.revision),
            warming: batch.warming,
        });
        self.latest = self.latest.max(batch.revision);
        self.settle(!changes.is_empty(), now_ms);
        changes
    }

    pub(super) fn apply_leases(&mut self, leases: &LeaseList, now_ms: f64) {
        let mut read: BTreeMap<&str, LeaseStamp> = BTreeMap::new();
        for lease in &leases.leases {
            // Lease ages are far below 2^52 ms: exact.
            let stamp = LeaseStamp {
                beat_at: now_ms - lease.since_heartbeat_ms as f64,
                expires_at: lease.expires_in_ms.map(|left| now_ms + left as f64),
            };
            read.insert(lease.addr.as_str(), stamp);
        }
        for (addr, instance) in &mut self.instances {
            // An instance missing from the leases registered after they were read.
            if let Some(stamp) = read.get(addr.as_str()) {
                instance.lease = Some(*stamp);
            }
        }
        self.leases_read_at = Some(now_ms);
    }

    /// After a fetch: loaded, its count recorded, and marked changed if it did.
    fn settle(&mut self, changed: bool, now_ms: f64) {
        if changed && self.noisy {
            self.changed_at = Some(now_ms);
        }
        self.loaded = true;
        self.noisy = true;
        self.history.record(now_ms, self.instances.len());
    }
}
