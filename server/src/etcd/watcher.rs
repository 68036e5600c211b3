//! Following the prefix: one listing (in pages, all at one revision), then one
//! watch from the revision after it. A lost stream is resumed from the revision
//! after the last event seen, so nothing is missed; a start revision etcd has
//! compacted away cancels the watch, and the prefix is listed again.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use etcd_client::{Client, Event, EventType, GetOptions, WatchOptions};
use rollcall_protocol::{ChangeKind, Instance};
use tracing::{info, warn};

use super::Inner;
use super::error::{EtcdError, bounded, revision};
use super::keys::{self, KeyKind, Keys};
use crate::registry::MirrorChange;

/// Keys read per page of a listing: values reach about 5 KB (the largest metadata),
/// so a page stays under the 16 MiB the client accepts.
const LIST_PAGE: i64 = 500;

/// Largest answer accepted from etcd (its default is 4 MiB).
const MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// First and longest pause before watching again after a lost stream.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(2));

/// The prefix's instances at one revision.
#[derive(Debug)]
pub(super) struct Listing {
    pub(super) revision: u64,
    pub(super) cluster_id: u64,
    /// (service, instance, lease)
    pub(super) instances: Vec<(String, Instance, i64)>,
}

/// Reads every instance under the prefix, page by page, at the revision of the
/// first page (so the pages agree).
pub(super) async fn list(
    client: &Client,
    keys: &Keys,
    timeout: Duration,
) -> Result<Listing, EtcdError> {
    let mut kv = client.kv_client().max_decoding_message_size(MAX_MESSAGE);
    let prefix = keys.instances();
    let end = keys::range_end(&prefix);
    let mut from = prefix.clone().into_bytes();
    let mut at = None;
    let mut listing = Listing {
        revision: 0,
        cluster_id: 0,
        instances: Vec::new(),
    };
    loop {
        let mut options = GetOptions::new()
            .with_range(end.clone())
            .with_limit(LIST_PAGE);
        if let Some(at) = at {
            options = options.with_revision(at);
        }
        let page = bounded(timeout, kv.get(from.clone(), Some(options))).await?;
        let header = page.header().ok_or(EtcdError::NoHeader)?;
        if at.is_none() {
            listing.revision = revision(Some(header))?;
            listing.cluster_id = header.cluster_id();
            at = Some(header.revision());
        }
        for kv in page.kvs() {
            if let KeyKind::Instance { service, addr } = keys.parse(kv.key()) {
                match keys::decode(addr, kv.value()) {
                    Some(instance) => {
                        listing
                            .instances
                            .push((service.to_owned(), instance, kv.lease()))
                    }
                    None => {
                        warn!(key = %String::from_utf8_lossy(kv.key()), "skipping a key that does not hold an instance")
                    }
                }
            }
        }
        match page.kvs().last() {
            Some(last) if page.more() => {
                from = last.key().to_vec();
                from.push(0);
            }
            _ => return Ok(listing),
        }
    }
}

/// Puts a listing into the mirror and the lease book.
pub(super) fn load(inner: &Inner, listing: Listing) {
    let leases = listing
        .instances
        .iter()
        .map(|(service, instance, lease)| (service.clone(), instance.addr.clone(), *lease))
        .collect::<Vec<_>>();
    inner.book.reload(leases);
    let instances = listing
        .instances
        .into_iter()
        .map(|(service, instance, _)| (service, instance))
        .collect();
    inner.mirror.reload(listing.revision, instances);
}

/// How a watch ended.
enum Ended {
    /// Its start revision was compacted away: list again.
    Compacted,
    /// The stream failed or was cancelled: watch again from where it was.
    Lost(String),
}

/// Follows the prefix from revision `from` for as long as the store lives.
pub(super) async fn run(inner: Arc<Inner>, mut from: u64) {
    let mut pause = BACKOFF.0;
    loop {
        let ended = watch(&inner, &mut from, &mut pause).await;
        inner.health.watch_lost(&inner.mirror);
        match ended {
            Ended::Lost(reason) => {
                warn!(%reason, from, "the watch on etcd was lost; watching again");
            }
            Ended::Compacted => loop {
                info!(
                    from,
                    "etcd compacted the revisions after the last one seen: listing again"
                );
                match list(&inner.client, &inner.keys, inner.timeout).await {
                    Ok(listing) => {
                        from = listing.revision + 1;
                        load(&inner, listing);
                        break;
                    }
                    Err(err) => {
                        warn!(%err, "cannot list the registry in etcd; retrying");
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(BACKOFF.1);
                    }
                }
            },
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(BACKOFF.1);
    }
}

/// One watch stream, from `from` until it ends; `from` follows the events seen.
async fn watch(inner: &Inner, from: &mut u64, pause: &mut Duration) -> Ended {
    let options = WatchOptions::new()
        .with_prefix()
        .with_start_revision(i64::try_from(*from).unwrap_or(i64::MAX));
    let mut client = inner
        .client
        .watch_client()
        .max_decoding_message_size(MAX_MESSAGE);
    let mut stream =
        match bounded(inner.timeout, client.watch(inner.keys.all(), Some(options))).await {
            Ok(stream) => stream,
            Err(err) => return Ended::Lost(err.to_string()),
        };
    loop {
        // No timeout: a quiet prefix is normal. The probe notices a silent etcd,
        // and gRPC pings a dead connection.
        let answer = match stream.message().await {
            Ok(Some(answer)) => answer,
            Ok(None) => return Ended::Lost("the stream ended".to_owned()),
            Err(err) => return Ended::Lost(err.to_string()),
        };
        if answer.compact_revision() > 0 {
            return Ended::Compacted;
        }
        if answer.canceled() {
            return Ended::Lost(format!("cancelled: {}", answer.cancel_reason()));
        }
        if answer.created() {
            inner.health.watch_started(&inner.mirror);
            *pause = BACKOFF.0;
        }
        if let Some(last) = apply(inner, answer.events()) {
            *from = (*from).max(last + 1);
        }
    }
}

/// Applies one watch answer's events to the lease book and the mirror; the highest
/// revision among them. A deletion of an instance's key comes with a marker put at
/// the same revision when it was deregistered; without one it expired.
fn apply(inner: &Inner, events: &[Event]) -> Option<u64> {
    let keys = &inner.keys;
    let deregistered: HashSet<(&str, &str, i64)> = events
        .iter()
        .filter(|e| e.event_type() == EventType::Put)
        .filter_map(Event::kv)
        .filter_map(|kv| match keys.parse(kv.key()) {
            KeyKind::Left { service, addr } => Some((service, addr, kv.mod_revision())),
            _ => None,
        })
        .collect();
    let mut changes = Vec::new();
    let mut last = None;
    for event in events {
        let Some(kv) = event.kv() else {
            continue;
        };
        let at = u64::try_from(kv.mod_revision()).unwrap_or(0);
        last = last.max(Some(at));
        let KeyKind::Instance { service, addr } = keys.parse(kv.key()) else {
            continue;
        };
        match event.event_type() {
            EventType::Put => match keys::decode(addr, kv.value()) {
                Some(instance) => {
                    inner.book.set(service, addr, kv.lease());
                    let service = service.to_owned();
                    changes.push((at, MirrorChange::Put { service, instance }));
                }
                None => {
                    warn!(key = %String::from_utf8_lossy(kv.key()), "skipping a key that does not hold an instance")
                }
            },
            EventType::Delete => {
                inner.book.remove(service, addr);
                let kind = if deregistered.contains(&(service, addr, kv.mod_revision())) {
                    ChangeKind::Deregister
                } else {
                    ChangeKind::Expire
                };
                changes.push((
                    at,
                    MirrorChange::Delete {
                        service: service.to_owned(),
                        addr: addr.to_owned(),
                        kind,
                    },
                ));
            }
        }
    }
    if let Some(last) = last {
        inner.mirror.apply(changes, last);
    }
    last
}
