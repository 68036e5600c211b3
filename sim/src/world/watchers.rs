//! Hosts following the service with a watch stream: what each one's view holds,
//! and at which version.

use std::collections::BTreeSet;

use super::World;

/// One watcher, as its [`Event::Watched`](crate::Event::Watched) records tell it.
#[derive(Debug, Default)]
pub(super) struct Watcher {
    /// What its view holds, as of its last item.
    pub(super) view: BTreeSet<String>,
    /// The registry run and revision of its last item that had one.
    pub(super) version: Option<(u64, u64)>,
}

impl World {
    /// The hosts following the service with a watch stream: those the scenario
    /// declared ([`Scenario::watchers`](crate::Scenario::watchers)) and any other
    /// that recorded an item.
    pub fn watchers(&self) -> impl Iterator<Item = &str> {
        self.watchers.keys().map(String::as_str)
    }

    /// What watcher `host`'s view holds, as of its last item (empty before the
    /// first, and after a restart of the host until its first).
    pub fn watch_view(&self, host: &str) -> Option<&BTreeSet<String>> {
        self.watchers.get(host).map(|w| &w.view)
    }

    /// The registry run (epoch) and revision of watcher `host`'s last item that
    /// had one; `None` before its first.
    pub fn watch_version(&self, host: &str) -> Option<(u64, u64)> {
        self.watchers.get(host)?.version
    }
}
