//! Following the service index (every service, its revision and instance count):
//! what a dashboard watches to learn that services appeared, emptied, or changed.

use std::time::Duration;

use super::pacing::Pacer;
use super::{WatchOptions, WatchStream};
use crate::error::Error;
use crate::protocol::{ListVersion, ServiceIndex, WatchQuery, paths, watch};
use crate::registry_client::{Answered, Call, RegistryClient, malformed};
use crate::transport::Transport;

/// One item of a watch of the service index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexEvent {
    /// The index, first and after every change: replace what you hold.
    Index(ServiceIndex),
    /// Nothing changed: the index held is current as of now, at this version.
    Unchanged(ListVersion),
    /// A request failed; the next one goes out after `retry_in`.
    Failed { error: Error, retry_in: Duration },
}

impl<T: Transport> RegistryClient<T> {
    /// Follows the registry's service index with [`WatchOptions::default`]: an
    /// [`IndexEvent::Index`] at once, then one after each change anywhere in the
    /// registry (several changes close together may come as one). JSON API only.
    pub fn watch_services(&self) -> Result<WatchStream<IndexEvent>, Error> {
        self.watch_services_with(WatchOptions::default())
    }

    /// Follows the service index with `options`.
    pub fn watch_services_with(
        &self,
        options: WatchOptions,
    ) -> Result<WatchStream<IndexEvent>, Error> {
        self.require_json("a service index")?;
        let follower = IndexFollower {
            client: self.clone(),
            pacer: Pacer::new(options),
            seen: None,
            last: None,
            recovering: false,
        };
        Ok(WatchStream::new(futures_util::stream::unfold(
            follower,
            |mut follower| async move {
                let event = follower.next().await;
                Some((event, follower))
            },
        )))
    }
}

/// The state of one index watch.
struct IndexFollower<T> {
    client: RegistryClient<T>,
    pacer: Pacer,
    /// The version last given; `None` before the first.
    seen: Option<ListVersion>,
    /// The index last given, to tell a change where the registry sends no version
    /// (a rollcall older than the watch API: then it is polled).
    last: Option<ServiceIndex>,
    /// The last request failed: the next is answered at once (`wait=0`).
    recovering: bool,
}

impl<T: Transport> IndexFollower<T> {
    async fn next(&mut self) -> IndexEvent {
        loop {
            let (gap, jitter) = match self.seen {
                Some(seen) if seen.epoch == 0 => self.pacer.polling(),
                _ => self.pacer.following(),
            };
            self.pacer.ready(gap, jitter).await;
            let fetched = self.fetch().await;
            self.recovering = fetched.is_err();
            match fetched {
                Ok(Some(index)) => {
                    self.pacer.succeeded();
                    return IndexEvent::Index(index);
                }
                Ok(None) => {
                    self.pacer.succeeded();
                    if let Some(seen) = self.seen {
                        return IndexEvent::Unchanged(seen);
                    }
                }
                Err(error) => {
                    let retry_in = self.pacer.failed();
                    return IndexEvent::Failed { error, retry_in };
                }
            }
        }
    }

    /// One request: the index if it is news, `None` if not. A blocking query whose
    /// frontend fails is asked of the next at once; after a failed request, the
    /// first is too.
    async fn fetch(&mut self) -> Result<Option<ServiceIndex>, Error> {
        self.client.require_json("a service index")?;
        let call = match self.seen {
            Some(seen) if seen.epoch != 0 => {
                let options = self.pacer.options();
                let now = WatchQuery {
                    after: seen.revision,
                    wait: Duration::ZERO,
                    epoch: Some(seen.epoch),
                };
                let (first, timeout) = if self.recovering {
                    (now, options.timeout_margin)
                } else {
                    let held = WatchQuery {
                        wait: options.wait,
                        ..now
                    };
                    (held, options.request_timeout())
                };
                Call::get(watch::watch_services(&first)).held(
                    timeout,
                    watch::watch_services(&now),
                    options.timeout_margin,
                )
            }
            _ => Call::get(paths::services()),
        };
        let Answered { url, response } = self.client.send(call).await?;
        let index: ServiceIndex =
            serde_json::from_slice(response.body()).map_err(|e| malformed(&url, e.to_string()))?;
        let version = ListVersion {
            epoch: index.epoch,
            revision: index.revision,
            warming: index.warming,
        };
        if let Some(seen) = self.seen
            && seen.epoch == version.epoch
            && version.revision < seen.revision
        {
            return Err(malformed(
                &url,
                format!(
                    "index at revision {} after {}: the index went backwards",
                    version.revision, seen.revision
                ),
            ));
        }
        if self.seen == Some(version) && (version.epoch != 0 || self.last.as_ref() == Some(&index))
        {
            return Ok(None);
        }
        self.seen = Some(version);
        self.last = Some(index.clone());
        Ok(Some(index))
    }
}
