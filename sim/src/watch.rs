//! Watch streams in the record: what a host following the service with
//! [`RegistryClient::watch`](rollcall_client::RegistryClient::watch) got, item by
//! item, so invariants can hold the stream to the registry's own change log.

use std::time::Duration;

use rollcall_client::{ServiceView, WatchEvent};

use crate::event::{Change, Event};
use crate::hosts::Host;

/// One item of a watch stream ([`WatchEvent`]), as the record keeps it:
/// addresses rather than whole instances.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WatchItem {
    /// The whole list ([`WatchEvent::Reset`]).
    Reset {
        /// The registry run it belongs to.
        epoch: u64,
        /// The revision it shows.
        revision: u64,
        /// Whether the registry said it was warming up.
        warming: bool,
        /// The addresses listed, in the registry's order.
        instances: Vec<String>,
    },
    /// The changes after the previous item ([`WatchEvent::Changes`]).
    Changes {
        /// The registry run they belong to.
        epoch: u64,
        /// The revision the batch brings the view to.
        revision: u64,
        /// Whether the registry said it was warming up.
        warming: bool,
        /// The changes, oldest first.
        changes: Vec<Change>,
    },
    /// Nothing changed up to this version ([`WatchEvent::Unchanged`]).
    Unchanged {
        /// The registry run.
        epoch: u64,
        /// The revision the view is current at.
        revision: u64,
        /// Whether the registry said it was warming up.
        warming: bool,
    },
    /// A request failed ([`WatchEvent::Failed`]).
    Failed {
        /// Why.
        error: String,
        /// When the stream tries again.
        retry_in: Duration,
    },
}

impl WatchItem {
    /// The registry run and revision the item brings the view to; `None` for a
    /// failure.
    pub fn version(&self) -> Option<(u64, u64)> {
        match self {
            WatchItem::Reset {
                epoch, revision, ..
            }
            | WatchItem::Changes {
                epoch, revision, ..
            }
            | WatchItem::Unchanged {
                epoch, revision, ..
            } => Some((*epoch, *revision)),
            WatchItem::Failed { .. } => None,
        }
    }
}

impl From<&WatchEvent> for WatchItem {
    fn from(event: &WatchEvent) -> WatchItem {
        match event {
            WatchEvent::Reset(list) => WatchItem::Reset {
                epoch: list.epoch,
                revision: list.revision,
                warming: list.warming,
                instances: list.instances.iter().map(|i| i.addr.clone()).collect(),
            },
            WatchEvent::Changes(batch) => WatchItem::Changes {
                epoch: batch.epoch,
                revision: batch.revision,
                warming: batch.warming,
                changes: batch.events.iter().map(Change::from).collect(),
            },
            WatchEvent::Unchanged(version) => WatchItem::Unchanged {
                epoch: version.epoch,
                revision: version.revision,
                warming: version.warming,
            },
            WatchEvent::Failed { error, retry_in } => WatchItem::Failed {
                error: error.to_string(),
                retry_in: *retry_in,
            },
        }
    }
}

impl Host {
    /// Records one item of a watch stream as an [`Event::Watched`] of this host,
    /// with `view` as it is once the item is applied: what the watch invariants
    /// ([`checks::watch`](crate::checks::watch)) read. Apply the item to your
    /// [`ServiceView`] first, then record.
    ///
    /// Must be called from within this host's software.
    pub fn record_watch(&self, event: &WatchEvent, view: &ServiceView) {
        self.observer().record(Event::Watched {
            watcher: self.name().to_owned(),
            item: WatchItem::from(event),
            view: view.instances().into_iter().map(|i| i.addr).collect(),
        });
    }
}
