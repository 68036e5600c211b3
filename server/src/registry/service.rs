//! One service's instances: a slab (`Vec` of slots plus a free list) indexed by
//! address, so a renewal is one hash lookup and slots are reused without moving
//! anything the deadline queue points at.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use http::HeaderValue;

use super::instance::{Instance, Metadata};
use super::snapshot::{self, Snapshot};

/// A named service and its alive instances.
#[derive(Debug)]
pub(super) struct Service {
    /// Shared with the change log's entries.
    pub(super) name: Arc<str>,
    /// Registry revision at this service's last membership change.
    pub(super) revision: u64,
    slots: Vec<Option<Instance>>,
    free: Vec<u32>,
    index: HashMap<Arc<str>, u32>,
    /// JSON list, built on the first `GET` after a change.
    pub(super) snapshot: Option<Arc<Snapshot>>,
    /// Seed `X-rpc-Servers` value, built on the first seed `GET` after a change.
    pub(super) header: Option<HeaderValue>,
    /// Change batches since this revision, by the `since` they answer: the
    /// watchers woken by one change share one.
    pub(super) batches: Vec<(u64, Bytes)>,
}

impl Service {
    pub(super) fn new(name: &str) -> Service {
        Service {
            name: name.into(),
            revision: 0,
            slots: Vec::new(),
            free: Vec::new(),
            index: HashMap::new(),
            snapshot: None,
            header: None,
            batches: Vec::new(),
        }
    }

    /// Number of alive instances.
    pub(super) fn len(&self) -> usize {
        self.index.len()
    }

    /// The slot holding `addr`, if registered.
    pub(super) fn find(&self, addr: &str) -> Option<u32> {
        self.index.get(addr).copied()
    }

    pub(super) fn get_mut(&mut self, slot: u32) -> Option<&mut Instance> {
        self.slots.get_mut(slot as usize).and_then(Option::as_mut)
    }

    pub(super) fn get(&self, slot: u32) -> Option<&Instance> {
        self.slots.get(slot as usize).and_then(Option::as_ref)
    }

    /// Stores a new instance (its address must not be registered) and returns its
    /// slot, or `None` if the slab cannot address more slots.
    pub(super) fn insert(&mut self, instance: Instance) -> Option<u32> {
        let addr = Arc::clone(&instance.addr);
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(instance);
                slot
            }
            None => {
                let slot = u32::try_from(self.slots.len()).ok()?;
                self.slots.push(Some(instance));
                slot
            }
        };
        self.index.insert(addr, slot);
        Some(slot)
    }

    /// Removes the instance in `slot`, returning it.
    pub(super) fn remove(&mut self, slot: u32) -> Option<Instance> {
        let instance = self.slots.get_mut(slot as usize)?.take()?;
        self.index.remove(&*instance.addr);
        self.free.push(slot);
        Some(instance)
    }

    /// Records a membership change: the service takes the registry's new revision
    /// and its cached lists are dropped.
    pub(super) fn changed(&mut self, revision: u64) {
        self.revision = revision;
        self.snapshot = None;
        self.header = None;
        self.batches.clear();
    }

    /// Drops the cached JSON answers (not the seed header, which carries no
    /// freshness): they say whether the registry is stale, which just changed.
    pub(super) fn drop_json(&mut self) {
        self.snapshot = None;
        self.batches.clear();
    }

    /// The cached JSON list, built if a change dropped it or the warm-up state it
    /// shows is over (once per service, at the end of the warm-up).
    pub(super) fn json_snapshot(
        &mut self,
        epoch: u64,
        warming: bool,
        stale: bool,
    ) -> Arc<Snapshot> {
        if let Some(cached) = self.snapshot.as_ref().filter(|s| s.warming() == warming) {
            return Arc::clone(cached);
        }
        let built = snapshot::json(self, epoch, warming, stale);
        self.snapshot = Some(Arc::clone(&built));
        built
    }

    /// The cached seed header, built if a change dropped it.
    pub(super) fn servers_header(&mut self) -> HeaderValue {
        if let Some(cached) = &self.header {
            return cached.clone();
        }
        let built = snapshot::header(self);
        self.header = Some(built.clone());
        built
    }

    /// Forgets every instance (a mirror reloading its store's content).
    pub(super) fn clear(&mut self) {
        self.slots.clear();
        self.free.clear();
        self.index.clear();
    }

    /// Whether the service holds exactly `instances` (in any order), data included.
    pub(super) fn holds_exactly(&self, instances: &[rollcall_protocol::Instance]) -> bool {
        instances.len() == self.len()
            && instances.iter().all(|wanted| {
                self.find(&wanted.addr)
                    .and_then(|slot| self.get(slot))
                    .is_some_and(|held| {
                        u64::from(held.ttl_ms) == wanted.ttl_ms
                            && held.weight == wanted.weight
                            && Metadata::same(held.metadata.as_deref(), &wanted.metadata)
                    })
            })
    }

    /// Alive instances sorted by address: the order every list is served in.
    pub(super) fn sorted(&self) -> Vec<&Instance> {
        let mut instances: Vec<&Instance> = self.slots.iter().flatten().collect();
        instances.sort_unstable_by(|a, b| a.addr.cmp(&b.addr));
        instances
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::instance::NOT_QUEUED;

    fn instance(addr: &str) -> Instance {
        Instance {
            addr: addr.into(),
            metadata: None,
            renewed_ms: 0,
            queued_ms: NOT_QUEUED,
            ttl_ms: 0,
            weight: 1,
        }
    }

    #[test]
    fn slots_are_reused_and_lists_sorted() {
        let mut service = Service::new("s");
        let a = service.insert(instance("b:1"));
        let b = service.insert(instance("a:1"));
        assert_eq!((a, b), (Some(0), Some(1)));
        assert_eq!(service.find("a:1"), Some(1));
        let addrs: Vec<&str> = service.sorted().iter().map(|i| &*i.addr).collect();
        assert_eq!(addrs, ["a:1", "b:1"]);
        assert!(service.remove(0).is_some());
        assert!(service.remove(0).is_none());
        assert_eq!(service.find("b:1"), None);
        assert_eq!(service.insert(instance("c:1")), Some(0));
        assert_eq!(service.len(), 2);
    }
}
