//! What the registry has done since it started, for metrics: plain counters kept
//! behind the registry's lock (they are bumped inside critical sections that exist
//! anyway, so they cost no lock of their own), read together on a scrape.

use super::Registry;

/// Operation counts, updated under the registry's lock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Counts {
    pub(super) registrations: u64,
    pub(super) renewals: u64,
    pub(super) deregistrations: u64,
    pub(super) expirations: u64,
}

/// A consistent view of the registry's size and activity, read in one lock hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegistryStats {
    /// Alive instances, all services together.
    pub instances: usize,
    /// Services with at least one alive instance.
    pub services: usize,
    /// Registrations of an instance not registered before (either protocol).
    pub registrations: u64,
    /// Registrations of an instance already registered: heartbeats.
    pub renewals: u64,
    /// Instances removed by a `DELETE`.
    pub deregistrations: u64,
    /// Instances removed because their TTL ran out.
    pub expirations: u64,
    /// Whether the registry is warming up.
    pub warming: bool,
    /// Whether answers may be behind the store the registry mirrors.
    pub stale: bool,
}

impl Registry {
    /// Size and activity counts since the start, read together.
    pub fn stats(&self) -> RegistryStats {
        let warming = self.warming();
        let state = self.shared.lock();
        let counts = state.counts;
        RegistryStats {
            instances: state.instances(),
            services: state.services().filter(|s| s.len() > 0).count(),
            registrations: counts.registrations,
            renewals: counts.renewals,
            deregistrations: counts.deregistrations,
            expirations: counts.expirations,
            warming,
            stale: state.stale,
        }
    }
}
