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
//! your own: [`discoverable_within`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::event::Event;
use crate::world::World;

/// The test of a [`Check`]: why the world is wrong, if it is.
type Test = dyn Fn(&World) -> Result<(), String>;

/// An invariant: a name, and a test of the [`World`] after each step.
#[derive(Clone)]
pub struct Check {
    name: Arc<str>,
    test: Arc<Test>,
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Check").field(&self.name).finish()
    }
}

impl Check {
    /// A check named `name` (it prefixes the failure's reason): `test` sees the
    /// world after each step and returns why it is wrong, if it is.
    ///
    /// ```
    /// use rollcall_sim::{Check, Event};
    ///
    /// // No call ever answers with an error status.
    /// let check = Check::new("no error statuses", |world| {
    ///     for record in world.new_records() {
    ///         if let Event::Called { client, outcome: Err(e), .. } = &record.event {
    ///             if e.starts_with("status") {
    ///                 return Err(format!("{client} got {e} at {:?}", record.at));
    ///             }
    ///         }
    ///     }
    ///     Ok(())
    /// });
    /// assert_eq!(check.name(), "no error statuses");
    /// ```
    pub fn new(name: &str, test: impl Fn(&World) -> Result<(), String> + 'static) -> Check {
        Check {
            name: name.into(),
            test: Arc::new(test),
        }
    }

    /// The check's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs the check on `world`.
    pub fn run(&self, world: &World) -> Result<(), String> {
        (self.test)(world)
    }
}

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
/// reachable from the client (not crashed, hung, partitioned or held).
///
/// This is the promise of failover: with a server alive and listed, a caller that
/// retries elsewhere gets an answer. It assumes a call's deadline leaves room to
/// try the listed servers in turn, that a server answers from the moment its host
/// (re)starts (as one that listens first thing does), and judges no call that
/// overlaps random loss or a latency spike (a connection broken by loss looks
/// alive to the driver).
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
            for (host, addr) in world.servers() {
                let listed = world.listed_since(client, addr);
                let reachable = world.reachable_since(client, host);
                if let (Some(listed), Some(reachable)) = (listed, reachable)
                    && listed <= start
                    && reachable <= start
                {
                    return Err(format!(
                        "{client}: {method} started at {start:?} failed at {end:?} ({error}), while {host} ({addr}) was listed (since {listed:?}) and reachable (since {reachable:?})"
                    ));
                }
            }
        }
        Ok(())
    })
}
