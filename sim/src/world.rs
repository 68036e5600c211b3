//! What the invariants see: the state of a simulation as its records tell it.
//!
//! The [`World`] follows what the driver did (crashes, restarts, partitions, holds,
//! loss and latency) and what the hosts saw (renewals the registry accepted, the
//! registry's list, the lists clients handed out), and answers the questions an
//! invariant asks: is this server alive and reachable, since when; what does this
//! client hand out, since when; what happened since the last check.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::event::{Change, Record};
use crate::network::Network;
use crate::timing::{Timing, pair};

#[derive(Debug)]
struct Server {
    addr: String,
    /// Since when it can renew (up, registry up, link intact); `None`: it cannot.
    healthy_since: Option<Duration>,
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
    /// The watch streams followed, by host.
    watchers: BTreeMap<String, Watcher>,
    /// The registry's change log of the scenario's service, per run (epoch).
    changes: BTreeMap<u64, Vec<Change>>,
    /// When the registry's list last changed (as polled, or as its log tells),
    /// or the registry last went down or came back.
    list_changed: Duration,
    /// How many times the registry started: its current epoch.
    registry_runs: u64,
}

impl World {
    /// The world of a scenario with `registry` (the host holding its state, and
    /// those answering its routes), `servers` (host name, address), `clients` and
    /// `watchers`, every host down until its
    /// [`Event::Started`](crate::Event::Started), on `network`.
    pub(crate) fn new(
        timing: Timing,
        registry: (&str, &[String]),
        hosts: Hosts<'_>,
        network: &Network,
    ) -> Self {
        let Hosts {
            servers,
            clients,
            watchers,
        } = hosts;
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
            watchers: watchers
                .iter()
                .map(|w| (w.clone(), Watcher::default()))
                .collect(),
            changes: BTreeMap::new(),
            list_changed: Duration::ZERO,
            registry_runs: 0,
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

    /// Since when `host`'s software has run without a crash or restart; `None`
    /// while it is down.
    pub fn up_since(&self, host: &str) -> Option<Duration> {
        self.up.get(host).copied()
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

    /// Whether random loss or a latency spike was in force at any time in
    /// `[from, to]`: then timing guarantees are off.
    pub fn disturbed_during(&self, from: Duration, to: Duration) -> bool {
        self.disturbed
            .iter()
            .any(|&(start, end)| start <= to && end.is_none_or(|end| end >= from))
    }

    /// Since when neither random loss nor a latency spike has been in force;
    /// `None` while one is.
    pub fn undisturbed_since(&self) -> Option<Duration> {
        match self.disturbed.last() {
            None => Some(Duration::ZERO),
            Some((_, end)) => *end,
        }
    }
}

/// The hosts a [`World`] follows, by kind.
pub(crate) struct Hosts<'a> {
    /// Server hosts and the address each registers.
    pub servers: &'a [(String, String)],
    /// Client hosts (a discovery each).
    pub clients: &'a [String],
    /// Watcher hosts (a watch stream each).
    pub watchers: &'a [String],
}

mod apply;
mod clients;
mod registry;
mod watchers;

use clients::Client;
use watchers::Watcher;
