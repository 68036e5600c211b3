//! The record of one simulation: every event any host or the driver saw, stamped
//! with simulated time, and a hash of the whole trace.
//!
//! All hosts of one simulation share one [`Observer`]. turmoil runs hosts one after
//! another on the test's thread, so the order of records is the simulation's own
//! and two runs of one seed give the same trace, byte for byte.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Something that happened, seen by a host (through the probes) or done by the
/// driver (crashes, partitions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The driver started or restarted a host's software (`bounce`).
    Started { host: String },
    /// The driver crashed a host: its state is gone.
    Crashed { host: String },
    /// The driver cut the link between two hosts.
    Partitioned { a: String, b: String },
    /// The driver restored the link between two hosts.
    Repaired { a: String, b: String },
    /// A server sent a heartbeat (each retry counts).
    BeatSent { server: String },
    /// The registry answered a heartbeat with success.
    BeatAcked { server: String },
    /// A heartbeat got no answer or an error status.
    BeatFailed { server: String, error: String },
    /// The registry accepted a renewal of `addr` (seen inside the registry).
    Renewed { addr: String },
    /// `addr` appeared in the registry's list (seen by polling the registry).
    Registered { addr: String },
    /// `addr` left the registry's list (expiry or deregistration).
    Expired { addr: String },
    /// A client fetched the list from the registry.
    Refreshed { client: String, servers: usize },
    /// A client's fetch of the list failed.
    RefreshFailed { client: String, error: String },
    /// A client's discovery now hands out this list, with the error of its last
    /// refresh if that failed (`last_error()`: the list is stale). Recorded when
    /// either changes.
    Served {
        client: String,
        servers: Vec<String>,
        last_error: Option<String>,
    },
    /// A client's discovery refused to hand out a list.
    ServeFailed { client: String, error: String },
    /// A client sent one RPC request to `server` (`host:port`); a broadcast sends
    /// one per server.
    RpcSent { client: String, server: String },
    /// That request's outcome: the status, or the transport's error.
    RpcDone {
        client: String,
        server: String,
        outcome: Result<u16, String>,
    },
    /// A client finished a call or broadcast.
    Called {
        client: String,
        method: String,
        outcome: Result<String, String>,
        took: Duration,
    },
}

/// One event at one simulated time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub at: Duration,
    pub event: Event,
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:>12.3?} {:?}", self.at, self.event)
    }
}

/// How many records a failure report shows.
pub const REPORT_TAIL: usize = 20;

/// The shared record of one simulation: a cheap `Clone` handle.
///
/// A `std::sync::Mutex` because no lock is held across `.await` and hosts run on one
/// thread anyway; the `Arc` lets the host factories (which turmoil may call again
/// on a restart) each hold a handle.
#[derive(Debug, Clone, Default)]
pub struct Observer(Arc<Mutex<Log>>);

#[derive(Debug)]
struct Log {
    records: Vec<Record>,
    /// FNV-1a of every record's text so far, so the hash costs nothing at the end.
    hash: u64,
    /// Whether records are kept (they always go into the hash). The hour benchmark
    /// turns keeping off so memory stays flat.
    keep: bool,
}

impl Default for Log {
    fn default() -> Self {
        Log {
            records: Vec::new(),
            hash: FNV_OFFSET,
            keep: true,
        }
    }
}

impl Observer {
    /// A new, empty record.
    pub fn new() -> Self {
        Observer::default()
    }

    /// Stops keeping records (the hash still covers them); for long benchmarks.
    pub fn discard_records(&self) {
        self.lock().keep = false;
    }

    /// Records `event` at the current host's simulated time.
    ///
    /// Must be called from within a simulation host.
    pub fn record(&self, event: Event) {
        let at = turmoil::sim_elapsed().expect("Observer::record outside a simulation host");
        self.record_at(at, event);
    }

    /// Records `event` at `at`: for the driver, which reads `sim.elapsed()`.
    pub fn record_at(&self, at: Duration, event: Event) {
        let record = Record { at, event };
        let mut log = self.lock();
        log.hash = fnv1a_extend(log.hash, format!("{record}\n").as_bytes());
        if log.keep {
            log.records.push(record);
        }
    }

    /// Records from index `from` on (to feed the invariants incrementally).
    pub fn records_since(&self, from: usize) -> Vec<Record> {
        self.lock().records.get(from..).unwrap_or_default().to_vec()
    }

    /// All records so far.
    pub fn records(&self) -> Vec<Record> {
        self.records_since(0)
    }

    /// The trace hash: FNV-1a over every record's text, in order.
    pub fn trace_hash(&self) -> u64 {
        self.lock().hash
    }

    /// The last [`REPORT_TAIL`] records, one per line, for a failure report.
    pub fn tail(&self) -> String {
        let log = self.lock();
        let start = log.records.len().saturating_sub(REPORT_TAIL);
        log.records[start..]
            .iter()
            .map(|r| format!("  {r}\n"))
            .collect()
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
/// unlike `std`'s randomly keyed hasher.
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
}
