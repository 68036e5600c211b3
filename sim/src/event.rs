//! What a simulation records: every event any host saw or the driver did, stamped
//! with simulated time.

use std::fmt;
use std::time::Duration;

use rollcall_protocol::ChangeKind;

use crate::watch::WatchItem;

/// Something that happened, seen by a host (through the probes, or recorded by your
/// own code) or done by the driver (a fault of the plan).
///
/// Invariants read these; the trace hash covers their text, so two runs of one seed
/// record the same events in the same order. New kinds of events will be added (for
/// watch-based discovery, for instance): match with a `_` arm.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The driver started or restarted a host's software.
    Started {
        /// The host.
        host: String,
    },
    /// The driver crashed a host: its software and state are gone.
    Crashed {
        /// The host.
        host: String,
    },
    /// The driver cut the link between two hosts.
    Partitioned {
        /// One end.
        a: String,
        /// The other end.
        b: String,
    },
    /// The driver restored the link between two hosts.
    Repaired {
        /// One end.
        a: String,
        /// The other end.
        b: String,
    },
    /// The driver held every link of a host: messages to and from it wait
    /// undelivered, as with a hung process (turmoil's `hold`).
    Hung {
        /// The host.
        host: String,
    },
    /// The driver released a hung host's links: the held messages arrive.
    Resumed {
        /// The host.
        host: String,
    },
    /// The driver held the link between two hosts.
    Held {
        /// One end.
        a: String,
        /// The other end.
        b: String,
    },
    /// The driver released the link between two hosts.
    Released {
        /// One end.
        a: String,
        /// The other end.
        b: String,
    },
    /// The driver set the chance that a message breaks its link.
    Loss {
        /// The chance, in parts per million (0: no random loss).
        per_million: u32,
    },
    /// The driver set the largest latency of every link.
    Latency {
        /// The new largest one-way latency.
        max: Duration,
    },
    /// A server sent a heartbeat (each retry counts).
    BeatSent {
        /// The server host.
        server: String,
    },
    /// The registry answered a heartbeat with success.
    BeatAcked {
        /// The server host.
        server: String,
    },
    /// A heartbeat got no answer or an error status.
    BeatFailed {
        /// The server host.
        server: String,
        /// The status or the transport's error.
        error: String,
    },
    /// The registry accepted a renewal (seen inside the registry).
    Renewed {
        /// The address renewed.
        addr: String,
    },
    /// The registry accepted a deregistration.
    Deregistered {
        /// The address deregistered.
        addr: String,
    },
    /// An address appeared in the registry's list (seen by polling the registry).
    Registered {
        /// The address.
        addr: String,
    },
    /// An address left the registry's list (expiry or deregistration).
    Expired {
        /// The address.
        addr: String,
    },
    /// The registry recorded a change of the scenario's service in its change log
    /// (JSON API; read from the registry itself, as the change feed serves it).
    RegistryChanged {
        /// The registry run (epoch) the change belongs to.
        epoch: u64,
        /// The change.
        change: Change,
    },
    /// A client asked the registry for the list (its answer is one of
    /// [`Event::Refreshed`], [`Event::Unchanged`], [`Event::RefreshFailed`]).
    ListSent {
        /// The client host.
        client: String,
    },
    /// A client fetched the list from the registry.
    Refreshed {
        /// The client host.
        client: String,
        /// How many servers the list held.
        servers: usize,
    },
    /// A client asked the registry for the list and was told it had not changed
    /// (JSON API, `304 Not Modified`).
    Unchanged {
        /// The client host.
        client: String,
    },
    /// A client's fetch of the list failed.
    RefreshFailed {
        /// The client host.
        client: String,
        /// The status or the transport's error.
        error: String,
    },
    /// A client's discovery now hands out this list. Recorded when the list or
    /// the error changes.
    Served {
        /// The client host.
        client: String,
        /// The addresses handed out, in the registry's order.
        servers: Vec<String>,
        /// The error of the last refresh, if it failed (`last_error()`: the list
        /// is stale).
        last_error: Option<String>,
    },
    /// A client's discovery refused to hand out a list.
    ServeFailed {
        /// The client host.
        client: String,
        /// Why.
        error: String,
    },
    /// A client sent one RPC request (a broadcast sends one per server).
    RpcSent {
        /// The client host.
        client: String,
        /// The server called, as `host:port`.
        server: String,
    },
    /// That request's outcome.
    RpcDone {
        /// The client host.
        client: String,
        /// The server called, as `host:port`.
        server: String,
        /// The status, or the transport's error.
        outcome: Result<u16, String>,
    },
    /// A client finished a call (as your calling code defines one: with its
    /// retries, say), recorded with [`ClientHost::record_call`].
    ///
    /// [`ClientHost::record_call`]: crate::ClientHost::record_call
    Called {
        /// The client host.
        client: String,
        /// What was called.
        method: String,
        /// The reply, or why it failed, as text.
        outcome: Result<String, String>,
        /// How long the call took.
        took: Duration,
    },
    /// A host following the service with a watch stream got an item
    /// ([`Host::record_watch`](crate::Host::record_watch)).
    Watched {
        /// The watching host.
        watcher: String,
        /// The item.
        item: WatchItem,
        /// The addresses the host's view holds once the item is applied.
        view: Vec<String>,
    },
    /// Anything else your code wants in the trace, for your own invariants
    /// ([`Host::note`](crate::Host::note)).
    Note {
        /// The host that noted it.
        host: String,
        /// What it noted.
        text: String,
    },
}

/// One change of one instance, at the registry revision it took: a change-feed
/// event as the registry logged it or a watcher received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The registry revision of the change.
    pub revision: u64,
    /// What happened to the instance.
    pub kind: ChangeKind,
    /// The instance's address.
    pub addr: String,
}

impl From<&rollcall_protocol::ChangeEvent> for Change {
    fn from(event: &rollcall_protocol::ChangeEvent) -> Change {
        Change {
            revision: event.revision,
            kind: event.kind,
            addr: event.instance.addr.clone(),
        }
    }
}

/// One event at one simulated time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Simulated time since the start of the run.
    pub at: Duration,
    /// What happened.
    pub event: Event,
}

/// `   12.345s Crashed { host: "server-2" }`: the line the trace hash covers.
impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:>12.3?} {:?}", self.at, self.event)
    }
}
