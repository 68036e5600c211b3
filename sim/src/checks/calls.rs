//! Invariants of calling code: what calls may fail, and where they may go.

use std::collections::{BTreeMap, BTreeSet};

use super::Check;
use crate::event::Event;

/// No call fails while a live server is listed: a call your client code recorded
/// ([`ClientHost::record_call`](crate::ClientHost::record_call)) may fail only if,
/// for its whole duration, no server on the client's list was both up and
/// reachable from the client (not crashed, hung, partitioned or held), or the
/// list was older than the discovery's maximum stale age (then the discovery
/// refuses it, [`Error::Stale`](rollcall_client::Error::Stale)).
///
/// This is the promise of failover, and of serving a stale list while the
/// registry is away: with a server alive on a list younger than `max_stale`, a
/// caller that retries elsewhere gets an answer, whatever the registry does. It
/// assumes a call's deadline leaves room to try the listed servers in turn, that a
/// server answers from the moment its host (re)starts (as one that listens first
/// thing does), and judges no call that overlaps random loss or a latency spike
/// (a connection broken by loss looks alive to the driver).
///
/// The list's age is measured from the client's last successful fetch
/// ([`World::last_refresh_before`](crate::World::last_refresh_before)) before the call started: a call is judged
/// only if that list was still younger than `max_stale` when the call ended.
pub fn no_call_fails_while_listed() -> Check {
    Check::new("no call fails while a live server is listed", |world| {
        for record in world.new_records() {
            let Event::Called {
                client,
                method,
                outcome: Err(error),
                took,
            } = &record.event
            else {
                continue;
            };
            let (end, start) = (record.at, record.at.saturating_sub(*took));
            if world.disturbed_during(start, end) {
                continue;
            }
            let max_stale = world.timing().max_stale;
            let fresh = world
                .last_refresh_before(client, start)
                .is_some_and(|at| end <= at + max_stale);
            if !fresh {
                continue;
            }
            for (host, addr) in world.servers() {
                let listed = world.listed_since(client, addr);
                let reachable = world.reachable_since(client, host);
                if let (Some(listed), Some(reachable)) = (listed, reachable)
                    && listed <= start
                    && reachable <= start
                {
                    return Err(format!(
                        "{client}: {method} started at {start:?} failed at {end:?} ({error}), while {host} ({addr}) was listed (since {listed:?}, on a list younger than {max_stale:?}) and reachable (since {reachable:?})"
                    ));
                }
            }
        }
        Ok(())
    })
}

/// What [`calls_only_to_listed`] knows of each client between steps.
#[derive(Default)]
struct Listed {
    /// What each client served at the end of the last step.
    before: BTreeMap<String, BTreeSet<String>>,
    /// Requests of the last step not matched yet: client, server, and the
    /// addresses the client served around it so far.
    pending: Vec<(String, String, BTreeSet<String>)>,
}

/// `host:port` of an address in either protocol's form (`tcp@host:port`).
fn authority(addr: &str) -> &str {
    addr.rsplit('@').next().unwrap_or(addr)
}

/// Every RPC request a client sends goes to a server its discovery hands out:
/// selection picks only from the list (a dead server kept on it counts, one
/// never on it does not).
///
/// The kit samples each client's list once a tick, and a request may be picked
/// from a list that changed in the same tick before or after the sample: a
/// request is matched against every list the client served from the end of the
/// step before it to the end of the step after it.
pub fn calls_only_to_listed() -> Check {
    Check::with_state(
        "calls only to listed servers",
        Listed::default,
        |listed, world| {
            let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for client in world.clients() {
                let now = world.served(client).into_iter().flatten();
                seen.entry(client.to_owned())
                    .or_default()
                    .extend(now.map(|a| authority(a).to_owned()));
            }
            for record in world.new_records() {
                if let Event::Served {
                    client, servers, ..
                } = &record.event
                {
                    seen.entry(client.clone())
                        .or_default()
                        .extend(servers.iter().map(|a| authority(a).to_owned()));
                }
            }
            for (client, server, mut around) in std::mem::take(&mut listed.pending) {
                around.extend(seen.get(&client).into_iter().flatten().cloned());
                if !around.contains(&server) {
                    return Err(format!(
                        "{client} sent a request to {server} by {:?}, which it did not list (it listed {around:?})",
                        world.now()
                    ));
                }
            }
            for record in world.new_records() {
                if let Event::RpcSent { client, server } = &record.event {
                    let mut around = listed.before.get(client).cloned().unwrap_or_default();
                    around.extend(seen.get(client).into_iter().flatten().cloned());
                    listed
                        .pending
                        .push((client.clone(), server.clone(), around));
                }
            }
            listed.before = world
                .clients()
                .map(|c| {
                    let now = world.served(c).into_iter().flatten();
                    (c.to_owned(), now.map(|a| authority(a).to_owned()).collect())
                })
                .collect();
            Ok(())
        },
    )
}
