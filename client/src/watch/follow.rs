//! The loop behind a [`WatchStream`](super::WatchStream): list, then follow the
//! change feed; start over when told to; back off on failure; poll a registry that
//! cannot watch.

use std::time::Duration;

use super::WatchEvent;
use super::pacing::Pacer;
use crate::error::Error;
use crate::protocol::{self, ChangeBatch, Instance, InstanceList, ListVersion, WatchQuery};
use crate::registry_client::{Answered, Call, RegistryClient, malformed};
use crate::transport::Transport;

/// What the follower does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// List, then follow the change feed from the list's version.
    Feed,
    /// The registry cannot watch: poll its list.
    Poll,
}

/// The outcome of one request.
enum Step {
    /// Give this to the consumer.
    Yield(WatchEvent),
    /// Nothing to give (a wait ran out, or the stream must start over): go again.
    Again,
    /// The request failed.
    Failed(Error),
}

/// The state of one watch, moved through the stream.
pub(super) struct Follower<T> {
    client: RegistryClient<T>,
    service: String,
    pacer: Pacer,
    mode: Mode,
    /// The version the consumer's view is at; `None`: list (again).
    at: Option<ListVersion>,
    /// The highest version given so far, kept across lists: nothing older in the
    /// same epoch is ever given.
    seen: Option<ListVersion>,
    /// The seed protocol's list as last given, since it has no versions.
    seed_list: Option<Vec<Instance>>,
    /// The last request failed: the next blocking query is answered at once
    /// (`wait=0`), so a registry that is back says the view is current without
    /// holding it for another wait.
    recovering: bool,
}

impl<T: Transport> Follower<T> {
    pub(super) fn new(client: RegistryClient<T>, service: String, pacer: Pacer) -> Follower<T> {
        let mode = if client.endpoint().is_seed() {
            Mode::Poll
        } else {
            Mode::Feed
        };
        Follower {
            client,
            service,
            pacer,
            mode,
            at: None,
            seen: None,
            seed_list: None,
            recovering: false,
        }
    }

    /// The next item: requests go out until one has something to give.
    pub(super) async fn next(&mut self) -> WatchEvent {
        loop {
            // The first poll goes at once; later ones are spaced by the interval.
            let (gap, jitter) = match self.mode {
                Mode::Poll if self.at.is_some() || self.seed_list.is_some() => self.pacer.polling(),
                _ => self.pacer.following(),
            };
            self.pacer.ready(gap, jitter).await;
            let step = match (self.mode, self.at) {
                (Mode::Feed, Some(at)) => self.follow(at).await,
                (Mode::Feed, None) => self.list().await,
                (Mode::Poll, _) => self.poll().await,
            };
            self.recovering = matches!(step, Step::Failed(_));
            match step {
                Step::Yield(event) => {
                    self.pacer.succeeded();
                    return event;
                }
                Step::Again => self.pacer.succeeded(),
                Step::Failed(error) => {
                    let retry_in = self.pacer.failed();
                    tracing::debug!(service = %self.service, %error, ?retry_in, "watch failed");
                    return WatchEvent::Failed { error, retry_in };
                }
            }
        }
    }

    /// Lists the service: the start, and every start over.
    async fn list(&mut self) -> Step {
        match self.client.list(None).await {
            Ok(Some(list)) => self.reset(list),
            Ok(None) => Step::Failed(malformed(
                &self.service,
                "304 to a list without a version".to_owned(),
            )),
            Err(error) => Step::Failed(error),
        }
    }

    /// The list as the new view, unless it would take the view backwards within an
    /// epoch (then: list again, after a backoff).
    fn reset(&mut self, list: InstanceList) -> Step {
        let version = list.version();
        if let Some(seen) = self.seen
            && seen.epoch == version.epoch
            && version.revision < seen.revision
        {
            return Step::Failed(malformed(
                &self.service,
                format!(
                    "list at revision {} after {}: the index went backwards",
                    version.revision, seen.revision
                ),
            ));
        }
        self.at = Some(version);
        self.seen = Some(version);
        Step::Yield(WatchEvent::Reset(list))
    }

    /// One blocking query on the change feed, from `at`. Should the frontend it
    /// goes to fail, the next is asked for the changes since `at` at once; after
    /// a failed request, the first is too.
    async fn follow(&mut self, at: ListVersion) -> Step {
        if let Err(error) = self.client.require_json("a change feed") {
            return Step::Failed(error);
        }
        let options = self.pacer.options();
        let now = WatchQuery {
            after: at.revision,
            wait: Duration::ZERO,
            epoch: Some(at.epoch),
        };
        let now_path = protocol::watch::watch_changes(&self.service, &now);
        let call = if self.recovering {
            Call::get(now_path.clone()).held(
                options.timeout_margin,
                now_path,
                options.timeout_margin,
            )
        } else {
            let query = WatchQuery {
                wait: options.wait,
                ..now
            };
            Call::get(protocol::watch::watch_changes(&self.service, &query)).held(
                options.request_timeout(),
                now_path,
                options.timeout_margin,
            )
        };
        let (url, response) = match self.client.send(call).await {
            Ok(Answered { url, response }) => (url, response),
            Err(error) => {
                return match error.status() {
                    // The feed cannot go on from `at`: start over from a list.
                    Some(410) => {
                        self.at = None;
                        Step::Again
                    }
                    // A registry without a change feed: poll its list instead.
                    Some(404) => {
                        let service = &self.service;
                        tracing::info!(%service, "registry has no change feed; polling");
                        self.mode = Mode::Poll;
                        Step::Again
                    }
                    _ => Step::Failed(error),
                };
            }
        };
        let batch: ChangeBatch = match serde_json::from_slice(response.body()) {
            Ok(batch) => batch,
            Err(error) => return Step::Failed(malformed(&url, error.to_string())),
        };
        if !follows_on(at, &batch) {
            tracing::warn!(%url, "change batch does not follow on; listing again");
            self.at = None;
            return Step::Again;
        }
        self.at = Some(ListVersion {
            epoch: at.epoch,
            revision: batch.revision,
            warming: batch.warming,
        });
        self.seen = self.at;
        if batch.events.is_empty() {
            Step::Yield(WatchEvent::Unchanged(ListVersion {
                epoch: at.epoch,
                revision: batch.revision,
                warming: batch.warming,
            }))
        } else {
            Step::Yield(WatchEvent::Changes(batch))
        }
    }

    /// One poll of a registry that cannot watch: a `Reset` when the list changed,
    /// else `Unchanged`.
    async fn poll(&mut self) -> Step {
        let known = self.at;
        let unchanged = |version: ListVersion| Step::Yield(WatchEvent::Unchanged(version));
        match self.client.list(known).await {
            Err(error) => Step::Failed(error),
            Ok(None) => known.map_or(Step::Again, unchanged),
            Ok(Some(list)) if self.client.endpoint().is_seed() => {
                if self.seed_list.as_ref() == Some(&list.instances) {
                    return unchanged(list.version());
                }
                self.seed_list = Some(list.instances.clone());
                Step::Yield(WatchEvent::Reset(list))
            }
            Ok(Some(list)) => {
                if self.at == Some(list.version()) {
                    return unchanged(list.version());
                }
                self.reset(list)
            }
        }
    }
}

/// Whether `batch` carries on from `at`: same epoch, not behind, and its events
/// in order within `(at, batch.revision]`.
fn follows_on(at: ListVersion, batch: &ChangeBatch) -> bool {
    let mut last = at.revision;
    batch.epoch == at.epoch
        && batch.revision >= at.revision
        && batch.events.iter().all(|event| {
            let in_order = event.revision > last && event.revision <= batch.revision;
            last = event.revision;
            in_order
        })
}
