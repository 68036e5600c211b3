//! How each record changes the [`World`].

use std::time::Duration;

use super::{Expiry, World};
use crate::event::{Event, Record};
use crate::timing::pair;

impl World {
    pub(super) fn apply(&mut self, record: &Record) {
        let at = record.at;
        match &record.event {
            Event::Started { host } => {
                self.up.insert(host.clone(), at);
                self.reassess(at);
            }
            Event::Crashed { host } => {
                self.up.remove(host);
                if *host == self.store {
                    self.registered.clear();
                }
                if let Some(client) = self.clients.get_mut(host) {
                    client.served = None;
                    client.listed_since.clear();
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
            }
            Event::Expired { addr } => {
                self.registered.remove(addr);
                self.expiries.push(Expiry {
                    at,
                    addr: addr.clone(),
                    renewed: self.renewed.get(addr).copied(),
                    deregistered: self.deregistered.remove(addr),
                });
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
                    c.listed_since.retain(|addr, _| servers.contains(addr));
                    for addr in servers {
                        c.listed_since.entry(addr.clone()).or_insert(at);
                    }
                    c.served = Some(servers.iter().cloned().collect());
                }
            }
            Event::ServeFailed { client, .. } => {
                if let Some(c) = self.clients.get_mut(client) {
                    c.served = None;
                    c.listed_since.clear();
                }
            }
            Event::BeatSent { .. }
            | Event::BeatAcked { .. }
            | Event::BeatFailed { .. }
            | Event::Refreshed { .. }
            | Event::Unchanged { .. }
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
