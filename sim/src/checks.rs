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

mod calls;
mod discovery;
pub mod watch;

pub use calls::{calls_only_to_listed, no_call_fails_while_listed};
pub use discovery::{one_list_request_at_a_time, refresh_errors_clear_within};
