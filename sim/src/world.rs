//! What the invariants see: the state of a simulation as its records tell it.
//!
//! The [`World`] follows what the driver did (crashes, restarts, partitions, holds,
//! loss and latency) and what the hosts saw (renewals the registry accepted, the
//! registry's list, the lists clients handed out), and answers the questions an
//! invariant asks: is this server alive and reachable, since when; what does this
//! client hand out, since when; what happened since the last check.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::event::Record;
use crate::network::Network;
use crate::timing::{Timing, pair};

#[derive(Debug)]
struct Server {
    addr: String,
    /// Since when it can renew (up, registry up, link intact); `None`: it cannot.
    healthy_since: Option<Duration>,
}

#[derive(Debug, Default)]
struct Client {
    /// Since when it can reach the registry; `None`: it cannot.
    connected_since: Option<Duration>,
    /// Its last failed refresh, if any.
    last_failed_refresh: Option<Duration>,
    /// What it hands out now; `None` before its first answer or after an error.
    served: Option<BTreeSet<String>>,
    /// Since when each address it hands out has been on its list without a break.
    listed_since: BTreeMap<String, Duration>,
}

/// An expiry seen since the last check, with what was known when it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expiry {
    /// When the address left the registry's list.
    pub at: Duration,
    /// The address.
    pub addr: String,
    /// Its last renewal the registry accepted before that, if any.
    pub renewed: Option<Duration>,
    /// Whether it was deregistered (rather than left to expire).
    pub deregistered: bool,
}

/// The state of one simulation, rebuilt from its records; what every
/// [`Check`](crate::Check) reads.
#[derive(Debug)]
pub struct World {
    timing: Timing,
    /// The host holding the registry's state: its crash empties the registry.
    store: String,
    /// The hosts answering the registry's routes (the store itself, or its
    /// frontends): reaching any one of them is reaching the registry.
    registries: Vec<String>,
    now: Duration,
    records: Vec<Record>,
    /// Index of the first record not yet checked.
    checked: usize,
    up: BTreeMap<String, Duration>,
    cut: BTreeSet<(String, String)>,
    held: BTreeSet<(String, String)>,
    hung: BTreeSet<String>,
    /// When each pair of hosts last had its link healed or released.
    link_back: BTreeMap<(String, String), Duration>,
    /// When each host last resumed from a hang.
    resumed: BTreeMap<String, Duration>,
    servers: BTreeMap<String, Server>,
    by_addr: BTreeMap<String, String>,
    clients: BTreeMap<String, Client>,
    renewed: BTreeMap<String, Duration>,
    deregistered: BTreeSet<String>,
    registered: BTreeSet<String>,
    expiries: Vec<Expiry>,
    /// Spans with random loss or raised latency: `(from, until)`, open if `None`.
    disturbed: Vec<(Duration, Option<Duration>)>,
    loss: bool,
    spike: bool,
    /// The network's own largest latency: above it, a spike.
    base_latency: Duration,
}

impl World {
    /// The world of a scenario with `registry` (the host holding its state, and
    /// those answering its routes), `servers` (host name, address) and `clients`,
    /// every host down until its [`Event::Started`](crate::Event::Started), on
    /// `network`.
    pub(crate) fn new(
        timing: Timing,
        registry: (&str, &[String]),
        servers: &[(String, String)],
        clients: &[String],
        network: &Network,
    ) -> Self {
        let lossy = network.fail_rate > 0.0;
        World {
            timing,
            store: registry.0.to_owned(),
            registries: registry.1.to_vec(),
            now: Duration::ZERO,
            records: Vec::new(),
            checked: 0,
            up: BTreeMap::new(),
            cut: BTreeSet::new(),
            held: BTreeSet::new(),
            hung: BTreeSet::new(),
            link_back: BTreeMap::new(),
            resumed: BTreeMap::new(),
            servers: servers
                .iter()
                .map(|(host, addr)| {
                    let server = Server {
                        addr: addr.clone(),
                        healthy_since: None,
                    };
                    (host.clone(), server)
                })
                .collect(),
            by_addr: servers
                .iter()
                .map(|(host, addr)| (addr.clone(), host.clone()))
                .collect(),
            clients: clients
                .iter()
                .map(|c| (c.clone(), Client::default()))
                .collect(),
            renewed: BTreeMap::new(),
            deregistered: BTreeSet::new(),
            registered: BTreeSet::new(),
            expiries: Vec::new(),
            disturbed: if lossy {
                vec![(Duration::ZERO, None)]
            } else {
                Vec::new()
            },
            loss: lossy,
            spike: false,
            base_latency: network.max_latency,
        }
    }

    /// Takes in the records of one step, and the time the step ended.
    pub(crate) fn advance(&mut self, records: Vec<Record>, now: Duration) {
        self.expiries.clear();
        for record in &records {
            self.apply(record);
        }
        self.records.extend(records);
        self.now = now;
    }

    /// Marks every record so far as checked.
    pub(crate) fn checked(&mut self) {
        self.checked = self.records.len();
    }

    /// Simulated time now (the end of the last step).
    pub fn now(&self) -> Duration {
        self.now
    }

    /// The scenario's time constants.
    pub fn timing(&self) -> &Timing {
        &self.timing
    }

    /// Every record so far.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The records of the last step (since the checks last ran).
    pub fn new_records(&self) -> &[Record] {
        &self.records[self.checked.min(self.records.len())..]
    }

    /// The server hosts, by name, with the address each registers.
    pub fn servers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.servers
            .iter()
            .map(|(h, s)| (h.as_str(), s.addr.as_str()))
    }

    /// The client hosts' names.
    pub fn clients(&self) -> impl Iterator<Item = &str> {
        self.clients.keys().map(String::as_str)
    }

    /// The server host that registers `addr`.
    pub fn host_of(&self, addr: &str) -> Option<&str> {
        self.by_addr.get(addr).map(String::as_str)
    }

    /// Whether `host`'s software runs (started and not crashed since).
    pub fn is_up(&self, host: &str) -> bool {
        self.up.contains_key(host)
    }

    /// Since when `a` and `b` can exchange messages without a break: both up, not
    /// partitioned, not held, neither hung. `None`: they cannot now.
    pub fn reachable_since(&self, a: &str, b: &str) -> Option<Duration> {
        let link = pair(a, b);
        if self.cut.contains(&link) || self.held.contains(&link) {
            return None;
        }
        if self.hung.contains(a) || self.hung.contains(b) {
            return None;
        }
        let since = [
            *self.up.get(a)?,
            *self.up.get(b)?,
            self.link_back.get(&link).copied().unwrap_or_default(),
            self.resumed.get(a).copied().unwrap_or_default(),
            self.resumed.get(b).copied().unwrap_or_default(),
        ];
        since.into_iter().max()
    }

    /// Since when server `host` can renew its registration (it and the registry up,
    /// the link between them intact; with frontends, to at least one of them);
    /// `None`: it cannot.
    pub fn healthy_since(&self, host: &str) -> Option<Duration> {
        self.servers.get(host)?.healthy_since
    }

    /// Since when client `host` can reach the registry (with frontends: at least
    /// one of them); `None`: it cannot.
    pub fn connected_since(&self, host: &str) -> Option<Duration> {
        self.clients.get(host)?.connected_since
    }

    /// When client `host`'s last refresh failed (or came back empty, which a
    /// discovery treats as a failure), if one did.
    pub fn last_failed_refresh(&self, host: &str) -> Option<Duration> {
        self.clients.get(host)?.last_failed_refresh
    }

    /// The addresses client `host` hands out now; `None` before its first list or
    /// while its discovery answers an error.
    pub fn served(&self, host: &str) -> Option<&BTreeSet<String>> {
        self.clients.get(host)?.served.as_ref()
    }

    /// Since when client `host` has handed out `addr` without a break.
    pub fn listed_since(&self, host: &str, addr: &str) -> Option<Duration> {
        self.clients.get(host)?.listed_since.get(addr).copied()
    }

    /// The registry's list, as last polled.
    pub fn registered(&self) -> &BTreeSet<String> {
        &self.registered
    }

    /// When the registry last accepted a renewal of `addr`.
    pub fn last_renewal(&self, addr: &str) -> Option<Duration> {
        self.renewed.get(addr).copied()
    }

    /// The expiries of the last step.
    pub fn expiries(&self) -> &[Expiry] {
        &self.expiries
    }

    /// Whether random loss or a latency spike was in force at any time in
    /// `[from, to]`: then timing guarantees are off.
    pub fn disturbed_during(&self, from: Duration, to: Duration) -> bool {
        self.disturbed
            .iter()
            .any(|&(start, end)| start <= to && end.is_none_or(|end| end >= from))
    }
}

mod apply;
