//! Everything behind the registry's lock: the services, the deadline queue and the
//! revision counter, with the operations that keep them consistent.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::Arc;

use rollcall_protocol::{ChangeKind, DEFAULT_SERVICE, DEFAULT_WEIGHT};

use super::changelog::ChangeLog;
use super::expiry::push;
use super::instance::{Instance, Metadata, NOT_QUEUED};
use super::service::Service;
use super::stats::Counts;
use crate::ApiError;

/// A deadline queue entry: `(deadline_ms, service index, slot)`, smallest first. It
/// may be stale (the instance renewed, left, or its slot was reused); it is checked
/// against the instance's `queued_ms` when it comes due.
pub(super) type QueueEntry = Reverse<(u64, u32, u32)>;

/// The registry's size limits.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub(super) max_services: usize,
    pub(super) max_instances: usize,
    /// Changes kept for the change feed.
    pub(super) change_log: usize,
}

/// What a registration sets on an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Update {
    /// New metadata, or `None` to keep what is stored (seed heartbeats).
    pub(crate) metadata: Option<BTreeMap<String, String>>,
    /// New weight, or `None` to keep what is stored ([`DEFAULT_WEIGHT`] if new).
    pub(crate) weight: Option<u32>,
    /// The TTL granted, in ms (`0`: never expires).
    pub(crate) ttl_ms: u32,
}

/// Outcome of a registration.
#[derive(Debug, Clone, Copy)]
pub(super) struct Upserted {
    pub(super) created: bool,
    pub(super) revision: u64,
    /// The queue has a new earliest deadline: the expiry task must be woken.
    pub(super) wake: bool,
}

#[derive(Debug)]
pub(super) struct State {
    pub(super) services: Vec<Option<Service>>,
    free_services: Vec<u32>,
    names: HashMap<Box<str>, u32>,
    /// Index of the seed's service, saving a hash lookup per heartbeat.
    default_service: Option<u32>,
    pub(super) queue: BinaryHeap<QueueEntry>,
    pub(super) revision: u64,
    pub(super) instances: usize,
    pub(super) counts: Counts,
    pub(super) limits: Limits,
    /// Every change, for the change feed and for waking watchers.
    pub(super) log: ChangeLog,
    /// Registry revision when empty services were last forgotten, or when the
    /// warm-up ended: what a service the registry does not hold lists at, so its
    /// revision never goes backwards and its list's end of warm-up is news too.
    pub(super) forgotten: u64,
    /// The service index as JSON, at the revision it shows.
    pub(super) index_cache: Option<super::feed::Answer>,
    /// Whether answers may be behind the store the registry mirrors (never, for
    /// the memory store): lists, batches and the index say so.
    pub(super) stale: bool,
    /// A mirror's horizon: it holds every change of its store up to this revision,
    /// which may be above the last change it holds (0 for the memory store).
    pub(super) synced: u64,
}

impl State {
    pub(super) fn new(limits: Limits) -> State {
        State {
            services: Vec::new(),
            free_services: Vec::new(),
            names: HashMap::new(),
            default_service: None,
            queue: BinaryHeap::new(),
            revision: 0,
            instances: 0,
            counts: Counts::default(),
            limits,
            log: ChangeLog::new(limits.change_log),
            forgotten: 0,
            index_cache: None,
            stale: false,
            synced: 0,
        }
    }

    pub(super) fn instances(&self) -> usize {
        self.instances
    }

    pub(super) fn revision(&self) -> u64 {
        self.revision
    }

    /// Every change up to this revision is held: a client's index beyond it comes
    /// from another run (or, in a mirror, from a frontend further ahead).
    pub(super) fn horizon(&self) -> u64 {
        self.revision.max(self.synced)
    }

    /// Known services in no particular order.
    pub(super) fn services(&self) -> impl Iterator<Item = &Service> {
        self.services.iter().flatten()
    }

    pub(super) fn index_of(&self, name: &str) -> Option<u32> {
        if name == DEFAULT_SERVICE && self.default_service.is_some() {
            return self.default_service;
        }
        self.names.get(name).copied()
    }

    pub(super) fn service(&self, name: &str) -> Option<&Service> {
        let idx = self.index_of(name)?;
        self.services.get(idx as usize)?.as_ref()
    }

    pub(super) fn service_mut(&mut self, name: &str) -> Option<&mut Service> {
        let idx = self.index_of(name)?;
        self.services.get_mut(idx as usize)?.as_mut()
    }

    /// Registers or renews `addr` in `service` at `now_ms`. A renewal that changes
    /// nothing costs one lookup and no allocation, and leaves the revision alone.
    pub(super) fn upsert(
        &mut self,
        service: &str,
        addr: &str,
        update: Update,
        now_ms: u64,
    ) -> Result<Upserted, ApiError> {
        if let Some(idx) = self.index_of(service) {
            let found = self.services[idx as usize]
                .as_ref()
                .and_then(|s| s.find(addr));
            if let Some(slot) = found {
                self.counts.renewals += 1;
                return Ok(self.renew(idx, slot, update, now_ms));
            }
        }
        if self.instances >= self.limits.max_instances {
            return Err(ApiError::TooManyInstances {
                max: self.limits.max_instances,
            });
        }
        let idx = self.service_for_write(service)?;
        let instance = Instance {
            addr: Arc::from(addr),
            metadata: update.metadata.and_then(Metadata::from_map),
            renewed_ms: now_ms,
            queued_ms: NOT_QUEUED,
            ttl_ms: update.ttl_ms,
            weight: update.weight.unwrap_or(DEFAULT_WEIGHT),
        };
        let deadline = instance.deadline_ms();
        let Some(svc) = self.services[idx as usize].as_mut() else {
            return Err(ApiError::NotFound);
        };
        let Some(slot) = svc.insert(instance) else {
            return Err(ApiError::TooManyInstances {
                max: self.limits.max_instances,
            });
        };
        self.instances += 1;
        self.counts.registrations += 1;
        self.revision += 1;
        svc.changed(self.revision);
        if let Some(instance) = svc.get(slot) {
            let log = &mut self.log;
            log.record(self.revision, &svc.name, ChangeKind::Register, instance);
        }
        let wake = match (deadline, svc.get_mut(slot)) {
            (Some(deadline), Some(instance)) => {
                instance.queued_ms = deadline;
                push(&mut self.queue, deadline, idx, slot)
            }
            _ => false,
        };
        Ok(Upserted {
            created: true,
            revision: self.revision,
            wake,
        })
    }

    fn renew(&mut self, idx: u32, slot: u32, update: Update, now_ms: u64) -> Upserted {
        let Some(svc) = self.services[idx as usize].as_mut() else {
            return Upserted {
                created: false,
                revision: self.revision,
                wake: false,
            };
        };
        let Some(instance) = svc.get_mut(slot) else {
            return Upserted {
                created: false,
                revision: svc.revision,
                wake: false,
            };
        };
        let mut changed = instance.ttl_ms != update.ttl_ms;
        instance.ttl_ms = update.ttl_ms;
        if let Some(weight) = update.weight {
            changed |= instance.weight != weight;
            instance.weight = weight;
        }
        if let Some(map) = update.metadata
            && !Metadata::same(instance.metadata.as_deref(), &map)
        {
            changed = true;
            instance.metadata = Metadata::from_map(map);
        }
        instance.renewed_ms = now_ms;
        let mut wake = false;
        // Lazy re-queue: only a deadline earlier than the queued one needs an entry.
        // The one it replaces goes stale; compaction bounds how many pile up, so a
        // client shortening its TTL in a loop cannot grow the queue.
        let mut pushed = false;
        if let Some(deadline) = instance.deadline_ms()
            && deadline < instance.queued_ms
        {
            instance.queued_ms = deadline;
            wake = push(&mut self.queue, deadline, idx, slot);
            pushed = true;
        }
        if changed {
            self.revision += 1;
            svc.changed(self.revision);
            if let Some(instance) = svc.get(slot) {
                let log = &mut self.log;
                log.record(self.revision, &svc.name, ChangeKind::Update, instance);
            }
        }
        let revision = svc.revision;
        if pushed {
            self.compact_queue();
        }
        Upserted {
            created: false,
            revision,
            wake,
        }
    }

    /// The index of `name`, creating the service if needed (reclaiming empty services
    /// when at the limit).
    fn service_for_write(&mut self, name: &str) -> Result<u32, ApiError> {
        if let Some(idx) = self.index_of(name) {
            return Ok(idx);
        }
        if self.names.len() >= self.limits.max_services {
            self.reclaim_empty_services();
        }
        if self.names.len() >= self.limits.max_services {
            return Err(ApiError::TooManyServices {
                max: self.limits.max_services,
            });
        }
        self.insert_service(name)
    }

    /// Creates service `name` (which must not be held) in a free slot.
    pub(super) fn insert_service(&mut self, name: &str) -> Result<u32, ApiError> {
        let service = Some(Service::new(name));
        let idx = match self.free_services.pop() {
            Some(idx) => {
                self.services[idx as usize] = service;
                idx
            }
            None => {
                let idx =
                    u32::try_from(self.services.len()).map_err(|_| ApiError::TooManyServices {
                        max: self.limits.max_services,
                    })?;
                self.services.push(service);
                idx
            }
        };
        self.names.insert(name.into(), idx);
        if name == DEFAULT_SERVICE {
            self.default_service = Some(idx);
        }
        Ok(idx)
    }

    /// Forgets services left without instances. They are kept until then so that a
    /// service emptied and refilled keeps a rising revision.
    pub(super) fn reclaim_empty_services(&mut self) {
        let empty: Vec<(Box<str>, u32)> = self
            .names
            .iter()
            .filter(|(_, idx)| {
                self.services[**idx as usize]
                    .as_ref()
                    .is_some_and(|s| s.len() == 0)
            })
            .map(|(name, idx)| (name.clone(), *idx))
            .collect();
        if !empty.is_empty() {
            self.forgotten = self.revision;
        }
        for (name, idx) in empty {
            self.names.remove(&name);
            self.services[idx as usize] = None;
            self.free_services.push(idx);
            if self.default_service == Some(idx) {
                self.default_service = None;
            }
        }
    }

    /// Removes `addr` from `service`; `false` if it was not registered.
    pub(super) fn remove(&mut self, service: &str, addr: &str) -> bool {
        let Some(svc) = self.service_mut(service) else {
            return false;
        };
        let Some(slot) = svc.find(addr) else {
            return false;
        };
        let Some(removed) = svc.remove(slot) else {
            return false;
        };
        self.revision += 1;
        let revision = self.revision;
        if let Some(idx) = self.index_of(service)
            && let Some(svc) = self.services[idx as usize].as_mut()
        {
            svc.changed(revision);
            let log = &mut self.log;
            log.record(revision, &svc.name, ChangeKind::Deregister, &removed);
        }
        self.instances -= 1;
        self.counts.deregistrations += 1;
        self.compact_queue();
        true
    }

    #[cfg(test)]
    pub(super) fn queue_len(&self) -> usize {
        self.queue.len()
    }
}
