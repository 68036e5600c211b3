//! The log of recent changes behind the change feed: every registration, update,
//! deregistration and expiry, at the revision it took, across services, bounded.
//!
//! Events are serialised once, when they happen, so a batch is a concatenation of
//! stored bytes; the log also collects the names of the services each operation
//! touched, which the registry hands the watch hub once its lock is released.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use rollcall_protocol::ChangeKind;
use serde::Serialize;
use serde::ser::SerializeStruct;
use tracing::error;

use super::instance::Instance;
use super::snapshot::InstanceView;
use crate::watch::ChangesGone;

/// One logged change.
#[derive(Debug)]
struct Entry {
    revision: u64,
    service: Arc<str>,
    /// The [`ChangeEvent`](rollcall_protocol::ChangeEvent) as JSON.
    event: Bytes,
}

/// The most recent changes, oldest first, at most `capacity` of them.
#[derive(Debug)]
pub(super) struct ChangeLog {
    entries: VecDeque<Entry>,
    capacity: usize,
    /// Revision of the newest change dropped to make room (0: none yet). The log
    /// holds every change after it.
    floor: u64,
    /// Services changed since the last [`ChangeLog::take_touched`].
    touched: Vec<Arc<str>>,
}

impl ChangeLog {
    pub(super) fn new(capacity: usize) -> ChangeLog {
        ChangeLog {
            entries: VecDeque::with_capacity(capacity.min(1024)),
            capacity,
            floor: 0,
            touched: Vec::new(),
        }
    }

    /// Records a change of `instance` in `service` at `revision` (which must be above
    /// every revision recorded before).
    pub(super) fn record(
        &mut self,
        revision: u64,
        service: &Arc<str>,
        kind: ChangeKind,
        instance: &Instance,
    ) {
        if self.touched.last() != Some(service) {
            self.touched.push(Arc::clone(service));
        }
        if self.capacity == 0 {
            self.floor = revision;
            return;
        }
        if self.entries.len() == self.capacity
            && let Some(oldest) = self.entries.pop_front()
        {
            self.floor = oldest.revision;
        }
        let view = EventView {
            revision,
            kind,
            instance,
        };
        let event = serde_json::to_vec(&view).unwrap_or_else(|err| {
            // Borrowed strings and integers into a Vec: cannot fail.
            error!(%err, "serialising a change failed");
            b"null".to_vec()
        });
        self.entries.push_back(Entry {
            revision,
            service: Arc::clone(service),
            // Boxed first: no spare capacity kept for ten thousand entries.
            event: Bytes::from(event.into_boxed_slice()),
        });
    }

    /// Forgets every change: the log starts again after `floor` (a mirror that
    /// listed its store afresh at `floor` cannot say what changed before).
    pub(super) fn reset(&mut self, floor: u64) {
        self.entries.clear();
        self.floor = self.floor.max(floor);
    }

    /// The services changed since the last call, each named once per run of
    /// consecutive changes.
    pub(super) fn take_touched(&mut self) -> Vec<Arc<str>> {
        std::mem::take(&mut self.touched)
    }

    /// The [`ChangeBatch`](rollcall_protocol::ChangeBatch) of `service`'s changes
    /// after `since`, up to `revision` (the service's current revision, which must
    /// be above `since`), as JSON.
    pub(super) fn batch(
        &self,
        service: &str,
        since: u64,
        epoch: u64,
        revision: u64,
        flags: Flags,
    ) -> Result<Bytes, ChangesGone> {
        if since < self.floor {
            return Err(ChangesGone::Compacted {
                since,
                floor: self.floor,
            });
        }
        let start = self.entries.partition_point(|e| e.revision <= since);
        let events = self
            .entries
            .range(start..)
            .filter(|e| &*e.service == service)
            .map(|e| &e.event);
        Ok(batch_json(epoch, revision, flags, events))
    }
}

/// What a batch says beside its events: the registry's warm-up state, and whether
/// it comes from a cache that may be behind its store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Flags {
    pub(super) warming: bool,
    pub(super) stale: bool,
}

/// `{"epoch":E,"revision":M,"warming":W,"events":[...]}` from events already
/// serialised (with `"stale":true` before the events when stale).
pub(super) fn batch_json<'a>(
    epoch: u64,
    revision: u64,
    flags: Flags,
    events: impl Iterator<Item = &'a Bytes>,
) -> Bytes {
    let Flags { warming, stale } = flags;
    let stale = if stale { r#","stale":true"# } else { "" };
    let mut body =
        format!(r#"{{"epoch":{epoch},"revision":{revision},"warming":{warming}{stale},"events":["#)
            .into_bytes();
    for (n, event) in events.enumerate() {
        if n > 0 {
            body.push(b',');
        }
        body.extend_from_slice(event);
    }
    body.extend_from_slice(b"]}");
    Bytes::from(body)
}

/// Serialises as a `ChangeEvent`, borrowing the stored instance.
struct EventView<'a> {
    revision: u64,
    kind: ChangeKind,
    instance: &'a Instance,
}

impl Serialize for EventView<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("ChangeEvent", 3)?;
        s.serialize_field("revision", &self.revision)?;
        s.serialize_field("type", &self.kind)?;
        s.serialize_field("instance", &InstanceView(self.instance))?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::instance::NOT_QUEUED;
    use rollcall_protocol::{ChangeBatch, ChangeKind};

    fn instance(addr: &str) -> Instance {
        Instance {
            addr: addr.into(),
            metadata: None,
            renewed_ms: 0,
            queued_ms: NOT_QUEUED,
            ttl_ms: 1000,
            weight: 1,
        }
    }

    fn read(bytes: &Bytes) -> ChangeBatch {
        serde_json::from_slice(bytes).expect("a ChangeBatch")
    }

    #[test]
    fn batches_hold_one_service_in_order() {
        let (a, b): (Arc<str>, Arc<str>) = (Arc::from("a"), Arc::from("b"));
        let mut log = ChangeLog::new(10);
        log.record(1, &a, ChangeKind::Register, &instance("h:1"));
        log.record(2, &b, ChangeKind::Register, &instance("h:2"));
        log.record(3, &a, ChangeKind::Expire, &instance("h:1"));
        assert_eq!(log.take_touched(), [a.clone(), b.clone(), a.clone()]);
        assert!(log.take_touched().is_empty());
        let batch = read(&log.batch("a", 0, 9, 3, Flags::default()).expect("held"));
        assert_eq!((batch.epoch, batch.revision), (9, 3));
        let kinds: Vec<(u64, ChangeKind)> =
            batch.events.iter().map(|e| (e.revision, e.kind)).collect();
        assert_eq!(kinds, [(1, ChangeKind::Register), (3, ChangeKind::Expire)]);
        assert_eq!(batch.events[1].instance.addr, "h:1");
        let later = read(&log.batch("a", 1, 9, 3, Flags::default()).expect("held"));
        assert_eq!(later.events.len(), 1);
    }

    #[test]
    fn a_since_older_than_the_log_is_gone() {
        let a: Arc<str> = Arc::from("a");
        let mut log = ChangeLog::new(2);
        for revision in 1..=5 {
            log.record(revision, &a, ChangeKind::Update, &instance("h:1"));
        }
        assert_eq!(
            log.batch("a", 2, 1, 5, Flags::default()),
            Err(ChangesGone::Compacted { since: 2, floor: 3 })
        );
        assert_eq!(
            read(&log.batch("a", 3, 1, 5, Flags::default()).expect("held"))
                .events
                .len(),
            2
        );
        let mut none = ChangeLog::new(0);
        none.record(1, &a, ChangeKind::Register, &instance("h:1"));
        assert!(none.batch("a", 0, 1, 1, Flags::default()).is_err());
        assert_eq!(none.take_touched(), [a]);
    }
}
