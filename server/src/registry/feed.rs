//! What held requests answer, read from the state under its lock: a service's
//! revision, its change batches and the service index, each built once per change
//! and then shared by every watcher that asks.

use bytes::Bytes;
use rollcall_protocol::{ServiceIndex, ServiceSummary};
use tracing::error;

use super::changelog::{Flags, batch_json};
use super::state::State;
use crate::watch::ChangesGone;

/// Change batches cached per service at one revision: the `since` values that
/// watchers woken together ask with (usually one).
const CACHED_BATCHES: usize = 4;

/// An answer built once and shared by every request that asks for it: a change
/// batch, or the service index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The revision it shows: the `index` (or `since`) of the next request.
    pub revision: u64,
    /// The [`ChangeBatch`](rollcall_protocol::ChangeBatch) or
    /// [`ServiceIndex`] as JSON.
    pub body: Bytes,
}

impl State {
    /// The revision `service` lists at: its last change, or for a service the
    /// registry does not hold, the revision at which empty services were last
    /// forgotten (0 if never), which is at least that of its last change.
    pub(super) fn service_revision(&self, service: &str) -> u64 {
        self.service(service)
            .map_or(self.forgotten, |svc| svc.revision)
    }

    /// The changes of `service` after `since`, for a client in this run of the
    /// registry (`since` no higher than [`State::revision`]).
    pub(super) fn changes(
        &mut self,
        service: &str,
        since: u64,
        epoch: u64,
        warming: bool,
    ) -> Result<Answer, ChangesGone> {
        let revision = self.service_revision(service);
        let flags = Flags {
            warming,
            stale: self.stale,
        };
        if revision <= since {
            // Nothing new: the client already has every change up to `since`.
            return Ok(Answer {
                revision: since,
                body: batch_json(epoch, since, flags, std::iter::empty()),
            });
        }
        let idx = self.index_of(service);
        let log = &self.log;
        let held = idx.and_then(|idx| self.services.get_mut(idx as usize));
        let Some(svc) = held.and_then(Option::as_mut) else {
            // Forgotten since the client looked: its changes may still be logged.
            let body = log.batch(service, since, epoch, revision, flags)?;
            return Ok(Answer { revision, body });
        };
        if let Some((_, body)) = svc.batches.iter().find(|(s, _)| *s == since) {
            return Ok(Answer {
                revision,
                body: body.clone(),
            });
        }
        let body = log.batch(service, since, epoch, revision, flags)?;
        if svc.batches.len() == CACHED_BATCHES {
            svc.batches.remove(0);
        }
        svc.batches.push((since, body.clone()));
        Ok(Answer { revision, body })
    }

    /// The service index as JSON, built once per registry revision.
    /// (Until the warm-up's end, which is a change, an index built while warming
    /// says so.)
    pub(super) fn index_json(&mut self, epoch: u64, warming: bool) -> Answer {
        if let Some(cached) = &self.index_cache
            && cached.revision == self.revision
        {
            return cached.clone();
        }
        let index = self.index(epoch, warming);
        let body = serde_json::to_vec(&index).unwrap_or_else(|err| {
            // Plain strings and integers: cannot fail.
            error!(%err, "serialising the service index failed");
            Vec::new()
        });
        let answer = Answer {
            revision: self.revision,
            body: Bytes::from(body),
        };
        self.index_cache = Some(answer.clone());
        answer
    }

    /// Every service held (including ones left empty, until forgotten), sorted by
    /// name.
    pub(super) fn index(&self, epoch: u64, warming: bool) -> ServiceIndex {
        let mut services: Vec<ServiceSummary> = self
            .services()
            .map(|s| ServiceSummary {
                service: s.name.to_string(),
                revision: s.revision,
                instances: s.len(),
            })
            .collect();
        services.sort_unstable_by(|a, b| a.service.cmp(&b.service));
        ServiceIndex {
            epoch,
            revision: self.revision,
            warming,
            stale: self.stale,
            services,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::state::{Limits, Update};
    use rollcall_protocol::{ChangeBatch, ChangeKind};

    fn state(max_services: usize, change_log: usize) -> State {
        State::new(Limits {
            max_services,
            max_instances: 100,
            change_log,
        })
    }

    fn upsert(state: &mut State, service: &str, addr: &str, weight: u32) {
        let update = Update {
            metadata: None,
            weight: Some(weight),
            ttl_ms: 1000,
        };
        state.upsert(service, addr, update, 0).expect("upsert");
    }

    fn read(changes: &Answer) -> ChangeBatch {
        serde_json::from_slice(&changes.body).expect("a ChangeBatch")
    }

    #[test]
    fn every_kind_of_change_is_logged_with_its_revision() {
        let mut state = state(4, 100);
        upsert(&mut state, "s", "a:1", 1);
        upsert(&mut state, "s", "a:1", 1); // a plain renewal: nothing
        upsert(&mut state, "s", "a:1", 5);
        upsert(&mut state, "other", "b:1", 1);
        assert!(state.remove("s", "a:1"));
        upsert(&mut state, "s", "c:1", 1);
        assert_eq!(
            state.expire(5000, usize::MAX),
            super::super::expiry::Next::Idle
        );
        let batch = read(&state.changes("s", 0, 7, false).expect("held"));
        let kinds: Vec<(u64, ChangeKind)> =
            batch.events.iter().map(|e| (e.revision, e.kind)).collect();
        assert_eq!(
            kinds,
            [
                (1, ChangeKind::Register),
                (2, ChangeKind::Update),
                (4, ChangeKind::Deregister),
                (5, ChangeKind::Register),
                (6, ChangeKind::Expire),
            ]
        );
        assert_eq!(batch.events[1].instance.weight, 5);
        assert_eq!(
            (batch.epoch, batch.revision),
            (7, 6),
            "other's expiry took 7"
        );
    }

    #[test]
    fn batches_are_built_once_per_since() {
        let mut state = state(4, 100);
        upsert(&mut state, "s", "a:1", 1);
        let first = state.changes("s", 0, 1, false).expect("held");
        let again = state.changes("s", 0, 1, false).expect("held");
        assert_eq!(
            first.body.as_ptr(),
            again.body.as_ptr(),
            "shared, not rebuilt"
        );
        upsert(&mut state, "s", "b:1", 1);
        let after = state.changes("s", 0, 1, false).expect("held");
        assert_eq!(read(&after).events.len(), 2, "a change drops the cache");
    }

    #[test]
    fn nothing_new_answers_empty_at_since() {
        let mut state = state(4, 100);
        upsert(&mut state, "s", "a:1", 1);
        upsert(&mut state, "t", "a:1", 1);
        let changes = state.changes("s", 2, 1, false).expect("held");
        assert_eq!(changes.revision, 2, "never below the since asked for");
        assert!(read(&changes).events.is_empty());
    }

    #[test]
    fn a_forgotten_service_never_lists_at_a_lower_revision() {
        let mut state = state(1, 100);
        upsert(&mut state, "a", "x:1", 1);
        assert!(state.remove("a", "x:1"));
        assert_eq!(state.service_revision("a"), 2);
        upsert(&mut state, "b", "x:1", 1); // forgets `a` to make room
        assert!(state.service("a").is_none());
        assert_eq!(state.service_revision("a"), 2);
        assert_eq!(state.service_revision("never-seen"), 2);
        let batch = read(&state.changes("a", 0, 1, false).expect("still logged"));
        assert_eq!(batch.events.len(), 2);
    }

    #[test]
    fn the_index_is_cached_per_revision() {
        let mut state = state(4, 100);
        upsert(&mut state, "s", "a:1", 1);
        let answer = state.index_json(9, false);
        let index: ServiceIndex = serde_json::from_slice(&answer.body).expect("index");
        assert_eq!((answer.revision, index.epoch, index.revision), (1, 9, 1));
        assert_eq!(index.services[0].instances, 1);
        assert_eq!(
            state.index_json(9, false).body.as_ptr(),
            answer.body.as_ptr()
        );
        upsert(&mut state, "t", "a:1", 1);
        assert_eq!(state.index_json(9, false).revision, 2);
    }
}
