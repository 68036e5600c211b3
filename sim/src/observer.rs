//! The shared record of one simulation, and its trace hash.
//!
//! All hosts of one simulation share one [`Observer`]. turmoil runs hosts one after
//! another on the test's thread, so the order of records is the simulation's own
//! and two runs of one seed give the same trace, byte for byte.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::event::{Event, Record};

/// Where hosts report what they see: a cheap `Clone` handle on one run's record.
///
/// A `std::sync::Mutex` because no lock is held across `.await` and hosts run on
/// one thread anyway; the `Arc` lets the host factories (which turmoil calls again
/// on every restart) each hold a handle.
#[derive(Debug, Clone, Default)]
pub struct Observer(Arc<Mutex<Log>>);

#[derive(Debug)]
struct Log {
    /// Records not yet taken by the driver.
    fresh: Vec<Record>,
    /// While set, records are dropped: see [`Observer::muted`].
    muted: bool,
    /// FNV-1a of every record's text so far, so the hash costs nothing at the end.
    hash: u64,
}

impl Default for Log {
    fn default() -> Self {
        Log {
            fresh: Vec::new(),
            muted: false,
            hash: FNV_OFFSET,
        }
    }
}

impl Observer {
    /// A new, empty record.
    pub fn new() -> Self {
        Observer::default()
    }

    /// Records `event` at the current host's simulated time.
    ///
    /// # Panics
    /// Outside a simulation host: only code running in one has a simulated time.
    pub fn record(&self, event: Event) {
        let at = turmoil::sim_elapsed().expect("Observer::record outside a simulation host");
        self.record_at(at, event);
    }

    /// Records `event` at the current host's simulated time, if there is one (a
    /// probe's drop guard may run outside a host).
    pub fn try_record(&self, event: Event) {
        if let Some(at) = turmoil::sim_elapsed() {
            self.record_at(at, event);
        }
    }

    /// Records `event` at `at`: for the driver, which reads `Sim::elapsed`.
    pub fn record_at(&self, at: Duration, event: Event) {
        let record = Record { at, event };
        let mut log = self.lock();
        if log.muted {
            return;
        }
        log.hash = fnv1a_extend(log.hash, format!("{record}\n").as_bytes());
        log.fresh.push(record);
    }

    /// Runs `f` (the driver crashing a host) with every record dropped: tokio
    /// drops a crashed host's tasks in an order set by process-global task ids,
    /// so what their drop guards would record would differ from run to run.
    pub(crate) fn muted<R>(&self, f: impl FnOnce() -> R) -> R {
        self.lock().muted = true;
        let result = f();
        self.lock().muted = false;
        result
    }

    /// Takes the records made since the last call, in order.
    pub fn take(&self) -> Vec<Record> {
        std::mem::take(&mut self.lock().fresh)
    }

    /// The trace hash: FNV-1a over every record's text, in order.
    pub fn trace_hash(&self) -> u64 {
        self.lock().hash
    }

    fn lock(&self) -> MutexGuard<'_, Log> {
        // A host that panicked while recording leaves a usable log: keep going so the
        // failure report can show it.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// 64-bit FNV-1a of `bytes`: stable across platforms, Rust versions and processes,
/// unlike `std`'s randomly keyed hasher, so a trace hash printed today matches
/// tomorrow's replay.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    fnv1a_extend(FNV_OFFSET, bytes)
}

fn fnv1a_extend(mut hash: u64, bytes: &[u8]) -> u64 {
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn the_hash_follows_every_record_in_order() {
        let (a, b) = (Observer::new(), Observer::new());
        let started = |host: &str| Event::Started {
            host: host.to_owned(),
        };
        a.record_at(Duration::ZERO, started("x"));
        a.record_at(Duration::ZERO, started("y"));
        b.record_at(Duration::ZERO, started("y"));
        b.record_at(Duration::ZERO, started("x"));
        assert_ne!(a.trace_hash(), b.trace_hash());
        assert_eq!(a.take().len(), 2);
        assert!(a.take().is_empty(), "take drains");
    }
}
