//! The invariants every simulation checks after every step, from the observer's
//! records alone.
//!
//! The model follows what the driver did (crashes, restarts, partitions) and what
//! the hosts saw (renewals the registry accepted, lists the clients handed out), and
//! checks:
//! - **registry expiry**: an address leaves the registry no earlier than the TTL
//!   after its last accepted renewal, and no later than that plus two ticks (one for
//!   the expiry timer's granularity, one for the poll that notices);
//! - **safety**: no client hands out a server that cannot renew (crashed, or cut off
//!   from the registry) later than [`Timing::safety_bound`] after that server's last
//!   renewal the registry accepted;
//! - **liveness**: a server that can renew appears in every connected client's list
//!   within [`Timing::liveness_bound`] of the moment both became healthy.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::observer::{Event, Record};
use crate::setup::{Timing, pair};

/// A broken invariant: what, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub at: Duration,
    pub what: String,
}

#[derive(Debug, Default)]
struct Server {
    /// The address it registers.
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
}

/// The model of one simulation, fed the observer's records in order.
#[derive(Debug)]
pub struct Model {
    timing: Timing,
    registry: String,
    up: BTreeSet<String>,
    cut: BTreeSet<(String, String)>,
    servers: BTreeMap<String, Server>,
    clients: BTreeMap<String, Client>,
    /// Last renewal the registry accepted, per address.
    renewed: BTreeMap<String, Duration>,
    /// The registry's list as last polled.
    registered: BTreeSet<String>,
    /// How many records have been applied.
    cursor: usize,
}

impl Model {
    /// A model of `registry`, `servers` (host name, address) and `clients`, all
    /// down until their [`Event::Started`].
    pub fn new(
        timing: Timing,
        registry: &str,
        servers: &[(String, String)],
        clients: &[String],
    ) -> Self {
        Model {
            timing,
            registry: registry.to_owned(),
            up: BTreeSet::new(),
            cut: BTreeSet::new(),
            servers: servers
                .iter()
                .map(|(host, addr)| {
                    (
                        host.clone(),
                        Server {
                            addr: addr.clone(),
                            healthy_since: None,
                        },
                    )
                })
                .collect(),
            clients: clients
                .iter()
                .map(|c| (c.clone(), Client::default()))
                .collect(),
            renewed: BTreeMap::new(),
            registered: BTreeSet::new(),
            cursor: 0,
        }
    }

    /// How many records have been applied: the index of the next one to feed.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Applies `records` (the ones from [`Model::cursor`] on), then checks every
    /// invariant at `now`.
    pub fn check(&mut self, records: &[Record], now: Duration) -> Result<(), Violation> {
        for record in records {
            self.apply(record)?;
            self.cursor += 1;
        }
        self.check_registry(now)?;
        self.check_clients(now)
    }

    fn apply(&mut self, record: &Record) -> Result<(), Violation> {
        let at = record.at;
        match &record.event {
            Event::Started { host } => {
                self.up.insert(host.clone());
                self.reassess(at);
            }
            Event::Crashed { host } => {
                self.up.remove(host);
                if *host == self.registry {
                    self.registered.clear();
                }
                if let Some(client) = self.clients.get_mut(host) {
                    client.served = None;
                }
                self.reassess(at);
            }
            Event::Partitioned { a, b } => {
                self.cut.insert(pair(a, b));
                self.reassess(at);
            }
            Event::Repaired { a, b } => {
                self.cut.remove(&pair(a, b));
                self.reassess(at);
            }
            Event::Renewed { addr } => {
                self.renewed.insert(addr.clone(), at);
            }
            Event::Registered { addr } => {
                self.registered.insert(addr.clone());
            }
            Event::Expired { addr } => {
                self.registered.remove(addr);
                let renewed = self.renewed.get(addr).copied().unwrap_or_default();
                if at < renewed + self.timing.ttl {
                    return Err(Violation {
                        at,
                        what: format!(
                            "{addr} expired at {at:?}, before its TTL ({:?}) after its last renewal at {renewed:?}",
                            self.timing.ttl
                        ),
                    });
                }
            }
            // An empty answer counts as failed too: discovery keeps serving its
            // last list then, as when the registry is unreachable.
            Event::RefreshFailed { client, .. } | Event::Refreshed { client, servers: 0 } => {
                if let Some(c) = self.clients.get_mut(client) {
                    c.last_failed_refresh = Some(at);
                }
            }
            Event::Served {
                client, servers, ..
            } => {
                if let Some(c) = self.clients.get_mut(client) {
                    c.served = Some(servers.iter().cloned().collect());
                }
            }
            Event::ServeFailed { client, .. } => {
                if let Some(c) = self.clients.get_mut(client) {
                    c.served = None;
                }
            }
            Event::BeatSent { .. }
            | Event::BeatAcked { .. }
            | Event::BeatFailed { .. }
            | Event::Refreshed { .. }
            | Event::RpcSent { .. }
            | Event::RpcDone { .. }
            | Event::Called { .. } => {}
        }
        Ok(())
    }

    /// Recomputes who can reach the registry after the driver changed something.
    fn reassess(&mut self, at: Duration) {
        let reach: Vec<(String, bool)> = self
            .servers
            .keys()
            .chain(self.clients.keys())
            .map(|host| (host.clone(), self.reaches_registry(host)))
            .collect();
        for (host, ok) in reach {
            let since = if let Some(server) = self.servers.get_mut(&host) {
                &mut server.healthy_since
            } else if let Some(client) = self.clients.get_mut(&host) {
                &mut client.connected_since
            } else {
                continue;
            };
            match (ok, *since) {
                (true, None) => *since = Some(at),
                (false, Some(_)) => *since = None,
                _ => {}
            }
        }
    }

    fn reaches_registry(&self, host: &str) -> bool {
        self.up.contains(host)
            && self.up.contains(&self.registry)
            && !self.cut.contains(&pair(host, &self.registry))
    }

    fn check_registry(&self, now: Duration) -> Result<(), Violation> {
        for addr in &self.registered {
            let renewed = self.renewed.get(addr).copied().unwrap_or_default();
            let latest = renewed + self.timing.ttl + self.timing.tick * 2;
            if now > latest {
                return Err(Violation {
                    at: now,
                    what: format!(
                        "{addr} still registered at {now:?}, past its TTL after its last renewal at {renewed:?} (+2 ticks: {latest:?})"
                    ),
                });
            }
        }
        Ok(())
    }

    fn check_clients(&self, now: Duration) -> Result<(), Violation> {
        let by_addr: BTreeMap<&str, &Server> = self
            .servers
            .values()
            .map(|s| (s.addr.as_str(), s))
            .collect();
        for (name, client) in &self.clients {
            for addr in client.served.iter().flatten() {
                let Some(server) = by_addr.get(addr.as_str()) else {
                    return Err(Violation {
                        at: now,
                        what: format!("{name} hands out {addr}, which no server registers"),
                    });
                };
                if server.healthy_since.is_some() {
                    continue;
                }
                let anchor = self.renewed.get(addr).copied().unwrap_or_default();
                let cut_off = client.connected_since.is_none_or(|since| since > anchor)
                    || client
                        .last_failed_refresh
                        .is_some_and(|failed| failed > anchor);
                let bound = self.timing.safety_bound(anchor, cut_off);
                if now > bound {
                    return Err(Violation {
                        at: now,
                        what: format!(
                            "{name} still hands out {addr} at {now:?}: it cannot renew and last renewed at {anchor:?} (bound {bound:?}, client cut off: {cut_off})"
                        ),
                    });
                }
            }
            let Some(connected) = client.connected_since else {
                continue;
            };
            for (host, server) in &self.servers {
                let Some(healthy) = server.healthy_since else {
                    continue;
                };
                let bound = self.timing.liveness_bound(healthy.max(connected));
                let listed = client
                    .served
                    .as_ref()
                    .is_some_and(|s| s.contains(&server.addr));
                if now > bound && !listed {
                    return Err(Violation {
                        at: now,
                        what: format!(
                            "{name} does not hand out {host} ({}) at {now:?}, though both reach the registry since {:?} (bound {bound:?})",
                            server.addr,
                            healthy.max(connected)
                        ),
                    });
                }
            }
        }
        Ok(())
    }
}
