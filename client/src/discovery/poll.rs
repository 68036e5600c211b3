//! The on-demand source of lists: one fetch at a time, started by a caller whose
//! list is due but owned by none of them.
//!
//! The fetch runs in a task of its own ([`rt::spawn`]: a tokio task natively, the
//! page's event loop in a browser), bounded by the registry client's request
//! timeout (once per registry URL tried), and its outcome is recorded in the
//! discovery's state whoever is still waiting. A caller whose deadline passes just stops waiting; the fetch goes on
//! and its failure is recorded, so the next callers are served the last good list
//! at once instead of each leading a fetch doomed by its own deadline.

use std::sync::Arc;

use super::registry::Shared;
use super::state::Fetch;
use crate::error::Error;
use crate::rt::{self, Instant};
use crate::transport::{Transport, TransportError};

/// Starts `fetch` in the background.
///
/// Natively must be called from within a tokio runtime (or a turmoil host).
pub(super) fn spawn<T: Transport>(shared: Arc<Shared<T>>, fetch: Fetch) {
    rt::spawn(async move {
        let mut abandoned = Abandoned {
            shared: &shared,
            armed: true,
        };
        tracing::debug!(
            service = shared.client.endpoint().service(),
            "refreshing servers from registry"
        );
        // The transport must honour its timeout; this one guards the discovery
        // against one that does not, since a fetch that never ends would stop
        // every later refresh. A fetch may try every registry URL, each under
        // the client's timeout.
        let timeout = shared.client.longest_request();
        let fetched = rt::timeout(timeout, shared.client.list(fetch.known))
            .await
            .unwrap_or(Err(Error::Transport(TransportError::Timeout(timeout))));
        abandoned.armed = false;
        shared.record(fetched);
    });
}

/// Records a fetch whose task was dropped before it finished (its runtime shut
/// down) as failed, so the state does not wait on it forever.
struct Abandoned<'a, T: Transport> {
    shared: &'a Shared<T>,
    armed: bool,
}

impl<T: Transport> Drop for Abandoned<'_, T> {
    fn drop(&mut self) {
        if self.armed {
            let error = TransportError::Io("refresh abandoned: its task was stopped".to_owned());
            self.shared.record(Err(Error::Transport(error)));
        }
    }
}

impl<T: Transport> Shared<T> {
    /// Records `fetched` now and wakes the callers waiting for it (after the lock
    /// is released).
    pub(super) fn record(&self, fetched: Result<Option<crate::protocol::InstanceList>, Error>) {
        let waiters = self.lock().record(fetched, Instant::now(), &self.options);
        drop(waiters);
    }
}
