//! Invariants of a discovery facing a sick registry.

use std::time::Duration;

use super::Check;

/// No client has more than one list request in flight: a discovery fetches in
/// one background task at a time, whoever asks, so a sick registry sees one
/// request per client, however many callers wait (and a hung one is not piled
/// with requests that each caller's deadline abandons).
///
/// Counts every list request of the host ([`Event::ListSent`](crate::Event::ListSent) until its answer):
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
