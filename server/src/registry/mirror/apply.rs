//! Applying a store's changes to the registry's state: the mirror's half of
//! `state.rs`, with revisions taken from the store and no expiry queue.

use std::collections::BTreeMap;
use std::sync::Arc;

use rollcall_protocol::{ChangeKind, Instance};
use tracing::error;

use crate::registry::instance::{self, Metadata, NOT_QUEUED};
use crate::registry::state::State;

impl State {
    /// `instance` of `service` was written at `revision`. The same data as held is
    /// no change (a renewal that moved the instance to another lease, say); new
    /// data is an update, an instance not held a registration. Limits do not apply:
    /// the store already holds it.
    pub(super) fn apply_put(&mut self, revision: u64, service: &str, instance: Instance) {
        let Some(idx) = self.service_for_mirror(service) else {
            return;
        };
        let revision = revision.max(self.revision);
        let ttl_ms = u32::try_from(instance.ttl_ms).unwrap_or(u32::MAX);
        let Some(svc) = self.services[idx as usize].as_mut() else {
            return;
        };
        let (kind, slot) = match svc.find(&instance.addr) {
            Some(slot) => {
                let Some(stored) = svc.get_mut(slot) else {
                    return;
                };
                let same = stored.ttl_ms == ttl_ms
                    && stored.weight == instance.weight
                    && Metadata::same(stored.metadata.as_deref(), &instance.metadata);
                if same {
                    return;
                }
                stored.ttl_ms = ttl_ms;
                stored.weight = instance.weight;
                stored.metadata = Metadata::from_map(instance.metadata);
                (ChangeKind::Update, slot)
            }
            None => {
                let Some(slot) = svc.insert(stored(instance, ttl_ms)) else {
                    error!(
                        service,
                        "a service holds more instances than it can address"
                    );
                    return;
                };
                self.instances += 1;
                self.counts.registrations += 1;
                (ChangeKind::Register, slot)
            }
        };
        self.revision = revision;
        svc.changed(revision);
        if let Some(changed) = svc.get(slot) {
            self.log.record(revision, &svc.name, kind, changed);
        }
    }

    /// `addr` left `service` at `revision`, as `kind` says.
    pub(super) fn apply_delete(
        &mut self,
        revision: u64,
        service: &str,
        addr: &str,
        kind: ChangeKind,
    ) {
        let revision = revision.max(self.revision);
        let Some(svc) = self.service_mut(service) else {
            return;
        };
        let Some(removed) = svc.find(addr).and_then(|slot| svc.remove(slot)) else {
            return;
        };
        svc.changed(revision);
        let name = Arc::clone(&svc.name);
        self.revision = revision;
        self.instances -= 1;
        match kind {
            ChangeKind::Deregister => self.counts.deregistrations += 1,
            _ => self.counts.expirations += 1,
        }
        self.log.record(revision, &name, kind, &removed);
    }

    /// Replaces the content with `listing`, the store's whole content at
    /// `revision`. A service whose instances or data differ takes `revision`; one
    /// the same keeps its own. Services not held, and every `since` before
    /// `revision`, now answer as of `revision`.
    pub(super) fn reload(&mut self, revision: u64, listing: Vec<(String, Instance)>) {
        let mut wanted: BTreeMap<String, Vec<Instance>> = BTreeMap::new();
        for (service, instance) in listing {
            wanted.entry(service).or_default().push(instance);
        }
        let revision = revision.max(self.revision);
        for svc in self.services.iter_mut().flatten() {
            let desired = wanted.remove(&*svc.name).unwrap_or_default();
            if !svc.holds_exactly(&desired) {
                svc.clear();
                for instance in desired {
                    let ttl_ms = u32::try_from(instance.ttl_ms).unwrap_or(u32::MAX);
                    svc.insert(stored(instance, ttl_ms));
                }
                svc.changed(revision);
            }
        }
        for (name, desired) in wanted {
            let Some(idx) = self.service_for_mirror(&name) else {
                continue;
            };
            if let Some(svc) = self.services[idx as usize].as_mut() {
                for instance in desired {
                    let ttl_ms = u32::try_from(instance.ttl_ms).unwrap_or(u32::MAX);
                    svc.insert(stored(instance, ttl_ms));
                }
                svc.changed(revision);
            }
        }
        self.instances = self.services().map(|s| s.len()).sum();
        self.revision = revision;
        self.synced = self.synced.max(revision);
        self.forgotten = self.forgotten.max(revision);
        self.log.reset(revision);
        self.index_cache = None;
    }

    /// Marks answers stale or current; cached answers say which, so they go.
    pub(super) fn set_stale(&mut self, stale: bool) {
        if self.stale == stale {
            return;
        }
        self.stale = stale;
        for svc in self.services.iter_mut().flatten() {
            svc.drop_json();
        }
        self.index_cache = None;
    }

    /// The index of `name`, created if needed: a mirror holds whatever the store
    /// holds, so the service limit only makes it forget empty services first.
    fn service_for_mirror(&mut self, name: &str) -> Option<u32> {
        if let Some(idx) = self.index_of(name) {
            return Some(idx);
        }
        if self.services().count() >= self.limits.max_services {
            self.reclaim_empty_services();
        }
        match self.insert_service(name) {
            Ok(idx) => Some(idx),
            Err(err) => {
                error!(%err, service = name, "the mirror cannot hold another service");
                None
            }
        }
    }
}

/// An instance as the registry stores it; a mirror keeps no deadlines.
fn stored(instance: Instance, ttl_ms: u32) -> instance::Instance {
    instance::Instance {
        addr: Arc::from(instance.addr),
        metadata: Metadata::from_map(instance.metadata),
        renewed_ms: 0,
        queued_ms: NOT_QUEUED,
        ttl_ms,
        weight: instance.weight,
    }
}
