//! Blocking queries: a list, the change feed or the index, answered once something
//! is newer than what the client has seen, or once its wait runs out.
//!
//! A query that can be answered now is answered without taking a place among the
//! held requests. One that must wait takes a place and subscribes to its topic,
//! then looks again (a change may have landed in between), then waits: for a
//! change, for its wait plus jitter, or for the server to shut down. Whatever woke
//! it, it answers what is current then. No lock is held while it waits.

use std::sync::Arc;
use std::time::Duration;

use rollcall_protocol::{WatchQuery, validate_service};
use tokio::time::Instant;

use super::Registry;
use super::feed::Answer;
use super::snapshot::Snapshot;
use super::state::State;
use crate::ApiError;
use crate::watch::ChangesGone;
use crate::watch::hub::Topic;

/// The longest a request is ever held, whatever `--max-wait` says: a year, beyond
/// any configuration that makes sense, and within what a clock can represent.
const FAR_AWAY: Duration = Duration::from_secs(365 * 24 * 3600);

impl Registry {
    /// The list of `service` once its revision is above `query.after`: at once if it
    /// already is, if `query.epoch` names another run of the registry, or if
    /// `query.after` is ahead of this run (the client's view is from another run);
    /// otherwise when it changes or the wait (capped at the configured maximum, plus
    /// jitter) ends. [`ApiError::TooManyWatchers`] if it would wait and the
    /// registry holds as many requests as it may. A mirror whose cache is behind
    /// `query.after` first catches up (see [`Registry::catch_up`]).
    pub async fn watch_list(
        &self,
        service: &str,
        query: &WatchQuery,
    ) -> Result<Arc<Snapshot>, ApiError> {
        validate_service(service)?;
        let until = self.catch_up(query).await?;
        let newer = |state: &State| state.service_revision(service) > query.after;
        if !self.ready(query, newer) {
            self.hold(Topic::Service(service), query, until, newer)
                .await?;
        }
        Ok(self.list(service))
    }

    /// The service index as JSON, built once per revision.
    pub fn index_answer(&self) -> Answer {
        let warming = self.warming();
        self.shared.lock().index_json(self.shared.epoch, warming)
    }

    /// The service index once the registry's revision is above `query.after`, by the
    /// rules of [`Registry::watch_list`]: any change of any service answers.
    pub async fn watch_index(&self, query: &WatchQuery) -> Result<Answer, ApiError> {
        let until = self.catch_up(query).await?;
        let newer = |state: &State| state.revision() > query.after;
        if !self.ready(query, newer) {
            self.hold(Topic::Index, query, until, newer).await?;
        }
        Ok(self.index_answer())
    }

    /// Every change of `service` after `query.after`, by the rules of
    /// [`Registry::watch_list`], except that a client from another run, or one
    /// whose `since` is older than the change log holds, is told to list again
    /// ([`ChangesGone`], `410`). After a wait with nothing new, the batch is empty.
    pub async fn watch_changes(
        &self,
        service: &str,
        query: &WatchQuery,
    ) -> Result<Answer, ApiError> {
        validate_service(service)?;
        let current = self.shared.epoch;
        if let Some(asked) = query.epoch.filter(|e| *e != current) {
            return Err(ChangesGone::OtherEpoch { asked, current }.into());
        }
        let until = self.catch_up(query).await?;
        let newer = |state: &State| state.service_revision(service) > query.after;
        if !self.ready(query, newer) {
            self.hold(Topic::Service(service), query, until, newer)
                .await?;
        }
        let warming = self.warming();
        let mut state = self.shared.lock();
        if query.after > state.horizon() {
            return Err(ChangesGone::Ahead {
                since: query.after,
                revision: state.horizon(),
            }
            .into());
        }
        Ok(state.changes(service, query.after, current, warming)?)
    }

    /// Requests held now (lists, change feeds and the index together).
    pub fn watchers(&self) -> usize {
        self.shared.hub.held()
    }

    /// Answers every held request now, and every blocking query from now on at
    /// once: for a graceful shutdown, which should not wait out a long-poll.
    pub fn close_watches(&self) {
        self.shared.hub.close();
    }

    /// Whether `query` is answered without waiting: nothing to wait for (`wait=0`,
    /// shutting down, another run's epoch, an `after` ahead of this run) or
    /// something `newer`.
    fn ready(&self, query: &WatchQuery, newer: impl Fn(&State) -> bool) -> bool {
        if query.wait.is_zero() || self.shared.hub.is_closing() {
            return true;
        }
        if query.epoch.is_some_and(|epoch| epoch != self.shared.epoch) {
            return true;
        }
        let state = self.shared.lock();
        query.after > state.horizon() || newer(&state)
    }

    /// Holds the request on `topic` until something is `newer`, `until` (or the
    /// query's own deadline) passes, or the server shuts down.
    async fn hold(
        &self,
        topic: Topic<'_>,
        query: &WatchQuery,
        until: Option<Instant>,
        newer: impl Fn(&State) -> bool,
    ) -> Result<(), ApiError> {
        let until = until.unwrap_or_else(|| self.hold_until(query.wait));
        let mut subscription = self.shared.hub.subscribe(topic)?;
        // Subscribed first, then looked: a change in between is seen here, and one
        // after wakes the subscription.
        if !self.ready(query, newer) {
            subscription.wait(until).await;
        }
        Ok(())
    }

    /// When a request asking to wait `wait` is answered at the latest: the wait,
    /// capped at the configured maximum, plus a random jitter of up to a sixteenth.
    /// A maximum too far away to represent holds for [`FAR_AWAY`] instead.
    pub(super) fn hold_until(&self, wait: Duration) -> Instant {
        let wait = wait.min(self.shared.config.watch.max_wait);
        let hold = wait.saturating_add(self.shared.hub.jitter(wait));
        let now = Instant::now();
        now.checked_add(hold).unwrap_or_else(|| now + FAR_AWAY)
    }
}

#[cfg(test)]
mod tests;
