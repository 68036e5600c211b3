//! Client hosts: what each one's discovery hands out, and how its fetches go.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::World;

/// One client, as the records tell it.
#[derive(Debug, Default)]
pub(super) struct Client {
    /// Since when it can reach the registry; `None`: it cannot.
    pub(super) connected_since: Option<Duration>,
    /// Its last failed refresh, if any.
    pub(super) last_failed_refresh: Option<Duration>,
    /// What it hands out now; `None` before its first answer or after an error.
    pub(super) served: Option<BTreeSet<String>>,
    /// Since when each address it hands out has been on its list without a break.
    pub(super) listed_since: BTreeMap<String, Duration>,
    /// List requests sent and not answered yet.
    pub(super) lists_in_flight: usize,
    /// When its list fetches succeeded (a list with servers, or a `304`), in order.
    pub(super) refreshed: Vec<Duration>,
    /// Since when it reports a refresh error (`last_error()`) or refuses to serve.
    pub(super) error_since: Option<Duration>,
}

impl World {
    /// Since when client `host` can reach the registry; `None`: it cannot.
    pub fn connected_since(&self, host: &str) -> Option<Duration> {
        self.clients.get(host)?.connected_since
    }

    /// When client `host`'s last refresh failed (or came back empty, which a
    /// discovery treats as a failure), if one did.
    pub fn last_failed_refresh(&self, host: &str) -> Option<Duration> {
        self.clients.get(host)?.last_failed_refresh
    }

    /// The addresses client `host` hands out now; `None` before its first list or
    /// while its discovery answers an error.
    pub fn served(&self, host: &str) -> Option<&BTreeSet<String>> {
        self.clients.get(host)?.served.as_ref()
    }

    /// How many list requests client `host` has sent that are not answered yet
    /// ([`Event::ListSent`](crate::Event::ListSent) without its answer).
    pub fn lists_in_flight(&self, host: &str) -> usize {
        self.clients.get(host).map_or(0, |c| c.lists_in_flight)
    }

    /// When client `host` last fetched its list successfully (a list with
    /// servers, or a `304`) at or before `at`.
    pub fn last_refresh_before(&self, host: &str, at: Duration) -> Option<Duration> {
        let refreshed = &self.clients.get(host)?.refreshed;
        let after = refreshed.partition_point(|&t| t <= at);
        after.checked_sub(1).map(|i| refreshed[i])
    }

    /// Since when client `host` has reported a refresh error with its list
    /// (`last_error()`) or refused to serve one; `None` while it serves a list
    /// without error.
    pub fn refresh_error_since(&self, host: &str) -> Option<Duration> {
        self.clients.get(host)?.error_since
    }

    /// Since when client `host` has handed out `addr` without a break.
    pub fn listed_since(&self, host: &str, addr: &str) -> Option<Duration> {
        self.clients.get(host)?.listed_since.get(addr).copied()
    }
}
