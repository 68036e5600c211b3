//! The registry, as its host's probes tell it: its list, its change log, its
//! runs, its expiries.

use std::collections::BTreeSet;
use std::time::Duration;

use super::{Expiry, World};
use crate::event::Change;

impl World {
    /// When the registry's current run started (a restart is a new run, with a
    /// new epoch and a new warm-up); `None` while it is down. Its warm-up ends
    /// [`Timing::warmup`](crate::Timing::warmup) after that, give or take a tick (the run starts on the
    /// step after).
    pub fn registry_started(&self) -> Option<Duration> {
        self.up_since(&self.store)
    }

    /// The registry's list, as last polled.
    pub fn registered(&self) -> &BTreeSet<String> {
        &self.registered
    }

    /// When the registry's list last changed (as polled each tick, or as its
    /// change log tells: a server that expires and registers again between two
    /// polls changes it twice), or the registry last went down or came back.
    pub fn registered_since(&self) -> Duration {
        self.list_changed
    }

    /// The registry's current run: its epoch, which the kit's registry host
    /// counts from 1 at the start, one more on every restart.
    pub fn registry_epoch(&self) -> u64 {
        self.registry_runs
    }

    /// The changes the registry's run `epoch` logged for the scenario's service,
    /// in order ([`Event::RegistryChanged`](crate::Event::RegistryChanged)).
    pub fn registry_changes(&self, epoch: u64) -> &[Change] {
        self.changes.get(&epoch).map_or(&[], Vec::as_slice)
    }

    /// When the registry last accepted a renewal of `addr`.
    pub fn last_renewal(&self, addr: &str) -> Option<Duration> {
        self.renewed.get(addr).copied()
    }

    /// The expiries of the last step.
    pub fn expiries(&self) -> &[Expiry] {
        &self.expiries
    }
}
