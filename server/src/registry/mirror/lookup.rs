//! What a store asks its mirror before writing: is this instance held, with
//! which data? And the renewals it answers, counted for metrics.

use super::{Held, Mirror};
use crate::registry::instance::{self, Metadata};
use crate::registry::state::{State, Update};

impl Mirror {
    /// Counts a heartbeat answered through this frontend (for metrics).
    pub(crate) fn renewed(&self) {
        self.registry.shared.lock().counts.renewals += 1;
    }

    /// How `update` for `addr` in `service` compares with what the mirror holds.
    pub(crate) fn compare(&self, service: &str, addr: &str, update: &Update) -> Held {
        let state = self.registry.shared.lock();
        let Some(stored) = state.instance(service, addr) else {
            return Held::Absent;
        };
        let same = stored.ttl_ms == update.ttl_ms
            && update.weight.is_none_or(|w| w == stored.weight)
            && update
                .metadata
                .as_ref()
                .is_none_or(|m| Metadata::same(stored.metadata.as_deref(), m));
        if same { Held::Same } else { Held::Differs }
    }

    /// The revision `service` lists at now.
    pub(crate) fn service_revision(&self, service: &str) -> u64 {
        self.registry.shared.lock().service_revision(service)
    }

    /// Whether a new instance of `service` fits the registry's limits as the
    /// mirror sees them (other frontends' registrations not yet seen aside).
    pub(crate) fn room_for(&self, service: &str) -> Result<(), crate::ApiError> {
        let state = self.registry.shared.lock();
        let limits = state.limits;
        if state.instances() >= limits.max_instances {
            return Err(crate::ApiError::TooManyInstances {
                max: limits.max_instances,
            });
        }
        let held = state.service(service).is_some_and(|s| s.len() > 0);
        if !held && state.services().filter(|s| s.len() > 0).count() >= limits.max_services {
            return Err(crate::ApiError::TooManyServices {
                max: limits.max_services,
            });
        }
        Ok(())
    }

    /// The addresses of `service`'s instances, sorted, with their TTLs in ms, and
    /// the service's revision: what the leases view asks etcd about.
    pub(crate) fn instances_of(&self, service: &str) -> (u64, Vec<(String, u32)>) {
        let state = self.registry.shared.lock();
        let revision = state.service_revision(service);
        let instances = state
            .service(service)
            .map(|svc| {
                svc.sorted()
                    .into_iter()
                    .map(|i| (i.addr.to_string(), i.ttl_ms))
                    .collect()
            })
            .unwrap_or_default();
        (revision, instances)
    }
}

impl State {
    /// The stored instance `addr` of `service`.
    pub(super) fn instance(&self, service: &str, addr: &str) -> Option<&instance::Instance> {
        let svc = self.service(service)?;
        svc.get(svc.find(addr)?)
    }
}
