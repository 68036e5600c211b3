//! The registry's state, polled each tick: its list and its change log.

use std::collections::BTreeSet;
use std::time::Duration;

use rollcall_protocol::{ChangeBatch, WatchQuery};
use rollcall_server::Registry;

use crate::event::{Change, Event};
use crate::observer::Observer;

/// Compares the registry's list of `service` with the previous one every `every`
/// and records what appeared ([`Event::Registered`]) and what left
/// ([`Event::Expired`]), then the changes its change log recorded since the last
/// look ([`Event::RegistryChanged`]), read in the same instant (no other task runs
/// in between), so the two always agree. Runs until the host stops.
///
/// Must be called from within the registry's simulation host.
pub async fn poll_registry(
    registry: Registry,
    service: String,
    observer: Observer,
    every: Duration,
) {
    let mut known = BTreeSet::new();
    let mut log = LogReader::default();
    loop {
        let now: BTreeSet<String> = registry
            .leases(&service)
            .leases
            .into_iter()
            .map(|lease| lease.addr)
            .collect();
        for addr in now.difference(&known) {
            observer.record(Event::Registered { addr: addr.clone() });
        }
        for addr in known.difference(&now) {
            observer.record(Event::Expired { addr: addr.clone() });
        }
        known = now;
        log.read(&registry, &service, &observer).await;
        tokio::time::sleep(every).await;
    }
}

/// Follows the registry's change log of one service, as the change feed does.
#[derive(Default)]
struct LogReader {
    /// The registry revision last looked at: the log is read only when it moved.
    registry_revision: u64,
    /// The service's revision read up to: the next `since`.
    after: u64,
}

impl LogReader {
    /// Records the changes logged since the last read. The feed answers at once
    /// with `wait=0` (no jitter drawn, nothing held), so the read does not
    /// change what the registry does.
    async fn read(&mut self, registry: &Registry, service: &str, observer: &Observer) {
        let revision = registry.revision();
        if revision == self.registry_revision {
            return;
        }
        self.registry_revision = revision;
        let epoch = registry.epoch();
        let query = WatchQuery {
            after: self.after,
            wait: Duration::ZERO,
            epoch: Some(epoch),
        };
        let batch = registry
            .watch_changes(service, &query)
            .await
            .map_err(|error| error.to_string())
            .and_then(|answer| {
                serde_json::from_slice::<ChangeBatch>(&answer.body).map_err(|e| e.to_string())
            });
        match batch {
            Ok(batch) => {
                self.after = batch.revision;
                for event in &batch.events {
                    let change = Change::from(event);
                    observer.record(Event::RegistryChanged { epoch, change });
                }
            }
            // The log no longer holds what was not read (it keeps thousands of
            // events; a tick sees a handful): say so, so the gap is seen.
            Err(error) => observer.record(Event::Note {
                host: crate::api::REGISTRY.to_owned(),
                text: format!("change log unreadable after {}: {error}", self.after),
            }),
        }
    }
}
