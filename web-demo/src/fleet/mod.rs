//! What the page knows of the registry: every service with its instances and
//! leases, kept current from the service index and each service's change feed.
//!
//! The glue feeds it what the registry answered ([`Fleet::apply_index`],
//! [`Fleet::apply_list`], [`Fleet::apply_changes`], [`Fleet::apply_leases`]); each
//! answers what it changed, keyed by service and address, so the page touches only
//! those rows. [`Fleet::next_fetch`] says what a service needs next.
//!
//! Times are milliseconds on the page's clock, given by the caller: nothing here
//! reads a clock, so every state can be built in a test.

mod service;

#[cfg(test)]
mod tests;

pub use service::{
    InstanceState, LEASE_REREAD_MAX_MS, LEASE_REREAD_MIN_MS, LeaseStamp, ServiceState,
};

use std::collections::BTreeMap;

use rollcall_protocol::{ChangeBatch, InstanceList, LeaseList, ListVersion, ServiceIndex};

/// Every service the registry's index lists.
#[derive(Debug, Default)]
pub struct Fleet {
    /// The registry run of the last index; `None` before the first.
    epoch: Option<u64>,
    services: BTreeMap<String, ServiceState>,
}

/// What an index changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct IndexUpdate {
    /// Services new to the page, by name.
    pub added: Vec<String>,
    /// Services no longer listed (emptied and forgotten by the registry).
    pub removed: Vec<String>,
    /// Services whose revision is ahead of what the page holds: fetch them.
    pub behind: Vec<String>,
    /// The registry restarted (another epoch): every service is listed again.
    pub restarted: bool,
}

/// What a service needs from the registry to be current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    /// Its list (first time, after a restart, or the change feed lost track).
    List,
    /// Its changes after this version.
    ChangesSince(ListVersion),
}

/// What happened to one instance, for the rows to update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowChange {
    Added,
    Updated,
    Removed,
}

/// The instances of one service that changed: `(address, what)`.
pub type Changes = Vec<(String, RowChange)>;

impl Fleet {
    /// The services, by name.
    pub fn services(&self) -> impl Iterator<Item = &ServiceState> {
        self.services.values()
    }

    /// One service.
    pub fn service(&self, name: &str) -> Option<&ServiceState> {
        self.services.get(name)
    }

    /// Services and instances, as the index counts them.
    pub fn totals(&self) -> (usize, usize) {
        let instances = self.services.values().map(ServiceState::count).sum();
        (self.services.len(), instances)
    }

    /// Whether every listed service has been fetched at least once.
    pub fn is_loaded(&self) -> bool {
        self.epoch.is_some() && self.services.values().all(ServiceState::is_loaded)
    }

    /// Takes in the service index: new and gone services, and which moved.
    pub fn apply_index(&mut self, index: &ServiceIndex, now_ms: f64) -> IndexUpdate {
        let first = self.epoch.is_none();
        let restarted = self.epoch.is_some_and(|epoch| epoch != index.epoch);
        self.epoch = Some(index.epoch);
        let mut update = IndexUpdate {
            restarted,
            ..IndexUpdate::default()
        };
        let listed: std::collections::BTreeSet<&str> =
            index.services.iter().map(|s| s.service.as_str()).collect();
        self.services.retain(|name, _| {
            let keep = listed.contains(name.as_str());
            if !keep {
                update.removed.push(name.clone());
            }
            keep
        });
        for summary in &index.services {
            let service = self
                .services
                .entry(summary.service.clone())
                .or_insert_with(|| {
                    update.added.push(summary.service.clone());
                    ServiceState::new(&summary.service, !first, now_ms)
                });
            if restarted {
                service.forget_version();
            }
            if service.note_index(summary.revision, summary.instances, index.epoch) {
                update.behind.push(summary.service.clone());
            }
        }
        update
    }

    /// What `name` needs fetched, if anything.
    pub fn next_fetch(&self, name: &str) -> Option<Fetch> {
        self.services.get(name)?.next_fetch()
    }

    /// Makes `name` list again: its change feed could not go on from what is held.
    pub fn relist(&mut self, name: &str) {
        if let Some(service) = self.services.get_mut(name) {
            service.forget_version();
        }
    }

    /// Replaces a service's instances with its list; answers what changed (an
    /// instance's `changed_at` says whether to show it as a change: the first load
    /// of what was there before the page is not one).
    pub fn apply_list(&mut self, list: InstanceList, now_ms: f64) -> Changes {
        match self.services.get_mut(&list.service) {
            Some(service) => service.apply_list(list, now_ms),
            None => Vec::new(), // gone from the index meanwhile
        }
    }

    /// Applies a service's changes, in order; answers what changed.
    pub fn apply_changes(&mut self, name: &str, batch: &ChangeBatch, now_ms: f64) -> Changes {
        match self.services.get_mut(name) {
            Some(service) => service.apply_changes(batch, now_ms),
            None => Vec::new(),
        }
    }

    /// Takes in a service's leases, read at `now_ms`.
    pub fn apply_leases(&mut self, leases: &LeaseList, now_ms: f64) {
        if let Some(service) = self.services.get_mut(&leases.service) {
            service.apply_leases(leases, now_ms);
        }
    }
}
