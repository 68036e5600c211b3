//! Invariants: checks over the [`World`], run after every simulated step.
//!
//! A [`Check`] is a name and a closure over the [`World`]; `Err(reason)` fails the
//! run at that step, with the seed, the time, the last events and the replay
//! command. Write your own with [`Check::new`]; the built-in ones follow.
//!
//! [`rollcall`] (the default set of every scenario) holds for any service that
//! keeps itself registered with a heartbeat and is found through the registry:
//! - [`registry_expiry`]: an address leaves the registry no earlier than the TTL
//!   after its last accepted renewal (unless deregistered), and no later than
//!   that plus two ticks;
//! - [`no_dead_server_served`]: no client hands out a server that cannot renew
//!   later than [`Timing::safety_bound`](crate::Timing::safety_bound) after its
//!   last accepted renewal;
//! - [`live_servers_discovered`]: a server that can renew is on every connected
//!   client's list within [`Timing::liveness_bound`](crate::Timing::liveness_bound)
//!   of both becoming healthy.
//!
//! For calling code: [`no_call_fails_while_listed`]; for a discovery deadline of
//! your own: [`discoverable_within`]; for a discovery facing a sick registry:
//! [`one_list_request_at_a_time`] and [`refresh_errors_clear_within`]; for watch
//! streams: [`watch`].

use std::time::Duration;

use crate::event::Event;
use crate::world::World;

pub use crate::check::Check;

/// The checks every scenario runs unless told otherwise:
/// [`registry_expiry`], [`no_dead_server_served`], [`live_servers_discovered`].
pub fn rollcall() -> Vec<Check> {
    vec![
        registry_expiry(),
        no_dead_server_served(),
        live_servers_discovered(),
    ]
}

/// An address leaves the registry no earlier than the TTL after its last accepted
/// renewal (a deregistration may remove it at once), and no later than that plus
/// two ticks (one for the expiry timer's granularity, one for the poll that sees
/// it).
pub fn registry_expiry() -> Check {
    Check::new("registry expiry", |world| {
        let ttl = world.timing().ttl;
        for expiry in world.expiries().iter().filter(|e| !e.deregistered) {
            let (at, addr) = (expiry.at, &expiry.addr);
            let renewed = expiry.renewed.unwrap_or_default();
            if at < renewed + ttl {
                return Err(format!(
                    "{addr} expired at {at:?}, before its TTL ({ttl:?}) after its last renewal at {renewed:?}"
                ));
            }
        }
        let now = world.now();
        for addr in world.registered() {
            let renewed = world.last_renewal(addr).unwrap_or_default();
            let latest = renewed + ttl + world.timing().tick * 2;
            if now > latest {
                return Err(format!(
                    "{addr} still registered at {now:?}, past its TTL after its last renewal at {renewed:?} (+2 ticks: {latest:?})"
                ));
            }
        }
        Ok(())
    })
}

/// No client hands out a server that cannot renew (crashed, hung, cut off from
/// the registry) later than [`Timing::safety_bound`](crate::Timing::safety_bound)
/// after that server's last renewal the registry accepted; and no client hands
/// out an address no server registers.
pub fn no_dead_server_served() -> Check {
    Check::new("safety", |world| {
        let now = world.now();
        for client in world.clients() {
            for addr in world.served(client).into_iter().flatten() {
                let Some(host) = world.host_of(addr) else {
                    return Err(format!(
                        "{client} hands out {addr}, which no server registers"
                    ));
                };
                if world.healthy_since(host).is_some() {
                    continue;
                }
                let anchor = world.last_renewal(addr).unwrap_or_default();
                let cut_off = world
                    .connected_since(client)
                    .is_none_or(|since| since > anchor)
                    || world
                        .last_failed_refresh(client)
                        .is_some_and(|failed| failed > anchor);
                let bound = world.timing().safety_bound(anchor, cut_off);
                if now > bound {
                    return Err(format!(
                        "{client} still hands out {addr} at {now:?}: it cannot renew and last renewed at {anchor:?} (bound {bound:?}, client cut off: {cut_off})"
                    ));
                }
            }
        }
        Ok(())
    })
}

/// A server that can renew is on every connected client's list within
/// [`Timing::liveness_bound`](crate::Timing::liveness_bound) of the moment both
/// reached the registry.
pub fn live_servers_discovered() -> Check {
    liveness("liveness", |world, since| {
        world.timing().liveness_bound(since)
    })
}

/// A server that can renew is on every connected client's list within `bound` of
/// the moment both reached the registry: your own discovery deadline.
pub fn discoverable_within(bound: Duration) -> Check {
    liveness("discoverable within", move |_, since| since + bound)
}

fn liveness(name: &str, deadline: impl Fn(&World, Duration) -> Duration + 'static) -> Check {
    Check::new(name, move |world| {
        let now = world.now();
        for client in world.clients() {
            let Some(connected) = world.connected_since(client) else {
                continue;
            };
            for (host, addr) in world.servers() {
                let Some(healthy) = world.healthy_since(host) else {
                    continue;
                };
                let since = healthy.max(connected);
                let bound = deadline(world, since);
                let listed = world.served(client).is_some_and(|s| s.contains(addr));
                if now > bound && !listed {
                    return Err(format!(
                        "{client} does not hand out {host} ({addr}) at {now:?}, though both reach the registry since {since:?} (bound {bound:?})"
                    ));
                }
            }
        }
        Ok(())
    })
}

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
/// ([`World::last_refresh_before`]) before the call started: a call is judged
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

/// No client has more than one list request in flight: a discovery fetches in
/// one background task at a time, whoever asks, so a sick registry sees one
/// request per client, however many callers wait (and a hung one is not piled
/// with requests that each caller's deadline abandons).
///
/// Counts every list request of the host ([`Event::ListSent`] until its answer):
/// use it where only the discovery lists.
pub fn one_list_request_at_a_time() -> Check {
    Check::new("one list request at a time", |world| {
        for client in world.clients() {
            let in_flight = world.lists_in_flight(client);
            if in_flight > 1 {
                return Err(format!(
                    "{client} has {in_flight} list requests in flight at {:?}",
                    world.now()
                ));
            }
        }
        Ok(())
    })
}

/// A client that can reach the registry again reports no refresh error (its
/// discovery's `last_error()` is `None`, the list is served) later than `bound`
/// after both: the moment it could reach the registry, and the moment the error
/// began. Holds while the network is undisturbed (no random loss or latency
/// spike since the client could reach the registry, or since the error began).
pub fn refresh_errors_clear_within(bound: Duration) -> Check {
    Check::new("refresh errors clear", move |world| {
        let now = world.now();
        for client in world.clients() {
            let (Some(connected), Some(since)) = (
                world.connected_since(client),
                world.refresh_error_since(client),
            ) else {
                continue;
            };
            let from = connected.max(since);
            if now > from + bound && !world.disturbed_during(from, now) {
                return Err(format!(
                    "{client} still reports a refresh error at {now:?}, since {since:?}, though it reaches the registry since {connected:?} (bound {bound:?})"
                ));
            }
        }
        Ok(())
    })
}

pub mod watch;
