//! How each record changes the [`World`].

use std::time::Duration;

use super::{Expiry, Watcher, World};
use crate::event::{Event, Record};
use crate::timing::pair;

impl World {
    pub(super) fn apply(&mut self, record: &Record) {
        let at = record.at;
        match &record.event {
            Event::Started { host } => {
                self.up.insert(host.clone(), at);
                if *host == self.store {
                    self.list_changed = at;
                    self.registry_runs += 1;
                }
                self.reassess(at);
            }
            Event::Crashed { host } => {
                self.up.remove(host);
                if *host == self.store {
                    self.registered.clear();
                    self.list_changed = at;
                }
                if let Some(client) = self.clients.get_mut(host) {
                    client.served = None;
                    client.listed_since.clear();
                    client.lists_in_flight = 0;
                    client.error_since = None;
                }
                if let Some(watcher) = self.watchers.get_mut(host) {
                    *watcher = Watcher::default();
                }
                self.reassess(at);
            }
            Event::Partitioned { a, b } => {
                self.cut.insert(pair(a, b));
                self.reassess(at);
            }
            Event::Repaired { a, b } => {
                self.cut.remove(&pair(a, b));
                self.link_back.insert(pair(a, b), at);
                self.reassess(at);
            }
            Event::Held { a, b } => {
                self.held.insert(pair(a, b));
                self.reassess(at);
            }
            Event::Released { a, b } => {
                self.held.remove(&pair(a, b));
                self.link_back.insert(pair(a, b), at);
                self.reassess(at);
            }
            Event::Hung { host } => {
                self.hung.insert(host.clone());
                self.reassess(at);
            }
            Event::Resumed { host } => {
                self.hung.remove(host);
                self.resumed.insert(host.clone(), at);
                self.reassess(at);
            }
            Event::Loss { per_million } => {
                self.loss = *per_million > 0;
                self.mark_disturbance(at);
            }
            Event::Latency { max } => {
                self.spike = *max > self.base_latency;
                self.mark_disturbance(at);
            }
            Event::Renewed { addr } => {
                self.renewed.insert(addr.clone(), at);
            }
            Event::Deregistered { addr } => {
                self.deregistered.insert(addr.clone());
            }
            Event::Registered { addr } => {
                self.registered.insert(addr.clone());
                self.list_changed = at;
            }
            Event::Expired { addr } => {
                self.registered.remove(addr);
                self.list_changed = at;
                self.expiries.push(Expiry {
                    at,
                    addr: addr.clone(),
                    renewed: self.renewed.get(addr).copied(),
                    deregistered: self.deregistered.remove(addr),
                });
            }
            Event::ListSent { client } => {
                if let Some(c) = self.clients.get_mut(client) {
                    c.lists_in_flight += 1;
                }
            }
            Event::RefreshFailed { client, .. }
            | Event::Refreshed { client, .. }
            | Event::Unchanged { client } => {
                if let Some(c) = self.clients.get_mut(client) {
                    c.lists_in_flight = c.lists_in_flight.saturating_sub(1);
                    match &record.event {
                        // An empty answer counts as failed too: discovery keeps
                        // serving its last list then, as when the registry is
                        // unreachable.
                        Event::RefreshFailed { .. } | Event::Refreshed { servers: 0, .. } => {
                            c.last_failed_refresh = Some(at);
                        }
                        _ => c.refreshed.push(at),
                    }
                }
            }
            Event::Served {
                client,
                servers,
                last_error,
            } => {
                if let Some(c) = self.clients.get_mut(client) {
                    c.listed_since.retain(|addr, _| servers.contains(addr));
                    for addr in servers {
                        c.listed_since.entry(addr.clone()).or_insert(at);
                    }
                    c.served = Some(servers.iter().cloned().collect());
                    c.error_since = last_error.as_ref().map(|_| c.error_since.unwrap_or(at));
                }
            }
            Event::ServeFailed { client, .. } => {
                if let Some(c) = self.clients.get_mut(client) {
                    c.served = None;
                    c.listed_since.clear();
                    c.error_since.get_or_insert(at);
                }
            }
            Event::RegistryChanged { epoch, change } => {
                self.changes.entry(*epoch).or_default().push(change.clone());
                // A server that expires and comes back between two polls leaves
                // the polled list as it was, yet it changed twice.
                self.list_changed = at;
            }
            Event::Watched {
                watcher,
                item,
                view,
            } => {
                let watcher = self.watchers.entry(watcher.clone()).or_default();
                watcher.view = view.iter().cloned().collect();
                if let Some(version) = item.version() {
                    watcher.version = Some(version);
                }
            }
            Event::BeatSent { .. }
            | Event::BeatAcked { .. }
            | Event::BeatFailed { .. }
            | Event::RpcSent { .. }
            | Event::RpcDone { .. }
            | Event::Called { .. }
            | Event::Note { .. } => {}
        }
    }

    /// Opens or closes a span of disturbance after loss or latency changed.
    fn mark_disturbance(&mut self, at: Duration) {
        let disturbed = self.loss || self.spike;
        match self.disturbed.last_mut() {
            Some((_, end @ None)) if !disturbed => *end = Some(at),
            Some((_, None)) => {}
            _ if disturbed => self.disturbed.push((at, None)),
            _ => {}
        }
    }

    /// Recomputes who can reach the registry (any host answering its routes)
    /// after the driver changed something.
    fn reassess(&mut self, at: Duration) {
        let reach: Vec<(String, bool)> = self
            .servers
            .keys()
            .chain(self.clients.keys())
            .map(|host| {
                let ok = self
                    .registries
                    .iter()
                    .any(|registry| self.reachable_since(host, registry).is_some());
                (host.clone(), ok)
            })
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
}
