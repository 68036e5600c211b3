//! The watch source of lists ([`ListSource::Watch`](super::ListSource::Watch)): one
//! background task per discovery follows the service with
//! [`RegistryClient::watch_with`](crate::RegistryClient::watch_with) and records
//! every item in the discovery's state as it comes, so callers are served a list
//! that is current to within milliseconds and never wait on the registry once a
//! first list came.
//!
//! Each item is recorded as the poll's fetches are, so the same rules hold: a
//! `Failed` item is a failed refresh (the last good list is served until
//! `max_stale`), a list from a new run that warms up keeps the servers not back yet
//! (`carry`), a new run's sudden empty list is doubted. `Changes` are applied to a
//! [`ServiceView`] and the whole view recorded; `Unchanged` records the view again
//! at its version (the end of a warm-up comes as one: a new revision, not warming).
//!
//! The task starts with the discovery's first call and holds a stop signal's
//! receiver: dropping the discovery drops the sender, which ends the task at once,
//! cancelling the request it holds. Against a registry that cannot watch, the
//! stream itself falls back to polling the list every `refresh`.

use std::pin::pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_channel::oneshot;
use futures_util::StreamExt;
use futures_util::future::{Either, select};

use super::DiscoveryOptions;
use super::registry::Shared;
use crate::error::Error;
use crate::protocol::{DEFAULT_WAIT, InstanceList};
use crate::rt;
use crate::transport::{Transport, TransportError};
use crate::watch::{ServiceView, WatchEvent, WatchOptions, WatchStream};

/// A watch's wait is at most `max_stale` divided by this. The registry answers a
/// held request at least once per wait (plus its jitter of a sixteenth), and each
/// answer counts as a successful refresh: so while the registry is reachable the
/// list is never older than `max_stale`, and once it is not, the list ages exactly
/// as a polled one does.
pub(super) const MAX_STALE_PER_WAIT: u32 = 2;

/// The watch of one discovery, once started; dropping it stops the task.
#[derive(Debug, Default)]
pub(super) struct Watcher {
    /// The sender of the running task's stop signal: dropped, the task ends.
    stop: Mutex<Option<oneshot::Sender<()>>>,
}

impl Watcher {
    /// Starts the watch unless it runs already. A watch that cannot be set up
    /// (an invalid service name) records why, and the next call tries again.
    ///
    /// Natively must be called from within a tokio runtime (or a turmoil host).
    pub(super) fn ensure<T: Transport>(&self, shared: &Arc<Shared<T>>) {
        let mut stop = self.stop.lock().unwrap_or_else(PoisonError::into_inner);
        if stop.is_some() {
            return;
        }
        match start(Arc::clone(shared)) {
            Ok(sender) => *stop = Some(sender),
            Err(error) => {
                drop(stop);
                shared.record(Err(error));
            }
        }
    }
}

/// The watch behind a discovery with `options` whose registry requests time out
/// after `request_timeout`: a wait of [`DEFAULT_WAIT`] or less (see
/// [`MAX_STALE_PER_WAIT`]), a registry that cannot watch polled every `refresh`,
/// jitter seeded from the discovery's seed.
pub(super) fn watch_options(options: &DiscoveryOptions, request_timeout: Duration) -> WatchOptions {
    WatchOptions {
        wait: DEFAULT_WAIT.min(options.max_stale / MAX_STALE_PER_WAIT),
        timeout_margin: request_timeout,
        poll_interval: options.refresh,
        rng_seed: options.rng_seed,
        ..WatchOptions::default()
    }
}

/// Spawns the task following `shared`'s service; returns its stop signal.
fn start<T: Transport>(shared: Arc<Shared<T>>) -> Result<oneshot::Sender<()>, Error> {
    let client = &shared.client;
    let options = watch_options(&shared.options, client.timeout());
    let stream = client.watch_with(client.endpoint().service(), options)?;
    let (stop, stopped) = oneshot::channel::<()>();
    rt::spawn(async move {
        let mut ended = Ended {
            shared: &shared,
            armed: true,
        };
        let follow = pin!(follow(&shared, stream));
        // Either the discovery was dropped (the sender with it) or the stream
        // ended (it never does): the task ends, cancelling its request.
        if let Either::Left(_) = select(stopped, follow).await {
            // Nobody is left to tell.
            ended.armed = false;
        }
    });
    Ok(stop)
}

/// Records every item of `stream` in `shared`'s state.
async fn follow<T: Transport>(shared: &Shared<T>, mut stream: WatchStream) {
    let service = shared.client.endpoint().service().to_owned();
    let mut view = ServiceView::new();
    while let Some(event) = stream.next().await {
        if let WatchEvent::Failed { error, .. } = event {
            shared.record(Err(error));
            continue;
        }
        // A frontend whose store is unreachable says its answer is its last known
        // state; discovery serves it all the same (it is the best there is).
        let stale = match &event {
            WatchEvent::Reset(list) => list.stale,
            WatchEvent::Changes(batch) => batch.stale,
            _ => false,
        };
        view.apply(&event);
        let Some(version) = view.version() else {
            continue;
        };
        shared.record(Ok(Some(InstanceList {
            service: service.clone(),
            epoch: version.epoch,
            revision: version.revision,
            warming: version.warming,
            stale,
            instances: view.instances(),
        })));
    }
}

/// Records the end of the task as a failure, so no caller waits on a watch that
/// is gone (its runtime shut down), unless the discovery itself stopped it.
struct Ended<'a, T: Transport> {
    shared: &'a Shared<T>,
    armed: bool,
}

impl<T: Transport> Drop for Ended<'_, T> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let error = TransportError::Io("watch stopped: its task ended".to_owned());
        self.shared.record(Err(Error::Transport(error)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ListSource;

    #[test]
    fn the_watch_follows_the_discovery_options() {
        let watch = watch_options(
            &DiscoveryOptions {
                max_stale: Duration::from_secs(60),
                rng_seed: Some(5),
                ..DiscoveryOptions::default()
            },
            Duration::from_secs(2),
        );
        assert_eq!(watch.wait, Duration::from_secs(30));
        assert_eq!(watch.timeout_margin, Duration::from_secs(2));
        assert_eq!(watch.poll_interval, DiscoveryOptions::default().refresh);
        assert_eq!(watch.rng_seed, Some(5));
        let defaults = DiscoveryOptions::default();
        assert_eq!(defaults.source, ListSource::Poll);
        assert_eq!(watch_options(&defaults, Duration::ZERO).wait, DEFAULT_WAIT);
    }
}
