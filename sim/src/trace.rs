//! Queries over a finished (or running) simulation's records ([`Run::records`]),
//! for the assertions a scenario makes beyond the invariants.
//!
//! [`Run::records`]: crate::Run::records

use std::time::Duration;

use crate::event::{Event, Record};

/// When the registry accepted a renewal of `addr`.
pub fn renewals(records: &[Record], addr: &str) -> Vec<Duration> {
    times(
        records,
        |e| matches!(e, Event::Renewed { addr: a } if a == addr),
    )
}

/// The last renewal of `addr` accepted at or before `at`.
pub fn last_renewal_before(records: &[Record], addr: &str, at: Duration) -> Option<Duration> {
    renewals(records, addr)
        .into_iter()
        .filter(|&t| t <= at)
        .max()
}

/// When `addr` appeared in the registry's list.
pub fn registrations(records: &[Record], addr: &str) -> Vec<Duration> {
    times(
        records,
        |e| matches!(e, Event::Registered { addr: a } if a == addr),
    )
}

/// When `addr` left the registry's list.
pub fn expiries(records: &[Record], addr: &str) -> Vec<Duration> {
    times(
        records,
        |e| matches!(e, Event::Expired { addr: a } if a == addr),
    )
}

/// Every expiry of any address.
pub fn all_expiries(records: &[Record]) -> Vec<(Duration, &str)> {
    records
        .iter()
        .filter_map(|r| match &r.event {
            Event::Expired { addr } => Some((r.at, addr.as_str())),
            _ => None,
        })
        .collect()
}

/// One change of what a client hands out.
#[derive(Debug, Clone, Copy)]
pub struct Served<'a> {
    /// When the client started handing it out.
    pub at: Duration,
    /// The list; `None` when the discovery answered an error.
    pub list: Option<&'a [String]>,
    /// The last refresh error while the list was served stale, or the error.
    pub error: Option<&'a str>,
}

impl Served<'_> {
    /// Whether the list holds `addr`.
    pub fn has(&self, addr: &str) -> bool {
        self.list.is_some_and(|l| l.iter().any(|a| a == addr))
    }
}

/// What `client` handed out, change by change.
pub fn served<'a>(records: &'a [Record], client: &str) -> Vec<Served<'a>> {
    records
        .iter()
        .filter_map(|r| match &r.event {
            Event::Served {
                client: c,
                servers,
                last_error,
            } if c == client => Some(Served {
                at: r.at,
                list: Some(servers.as_slice()),
                error: last_error.as_deref(),
            }),
            Event::ServeFailed { client: c, error } if c == client => Some(Served {
                at: r.at,
                list: None,
                error: Some(error.as_str()),
            }),
            _ => None,
        })
        .collect()
}

/// The first time at or after `after` that `client` handed out a list with (`true`)
/// or without (`false`) `addr`; an error counts as a list without it.
pub fn first_served(
    records: &[Record],
    client: &str,
    addr: &str,
    with: bool,
    after: Duration,
) -> Option<Duration> {
    let changes = served(records, client);
    let at_start = changes
        .iter()
        .rev()
        .find(|c| c.at <= after)
        .is_some_and(|c| c.has(addr));
    if at_start == with {
        return Some(after);
    }
    changes
        .iter()
        .find(|c| c.at > after && c.has(addr) == with)
        .map(|c| c.at)
}

/// One finished call or broadcast.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// When it finished.
    pub at: Duration,
    /// What was called.
    pub method: &'a str,
    /// The reply, or why it failed, as text.
    pub outcome: &'a Result<String, String>,
    /// How long it took.
    pub took: Duration,
}

/// The calls and broadcasts `client` finished, in order.
pub fn calls<'a>(records: &'a [Record], client: &str) -> Vec<Call<'a>> {
    records
        .iter()
        .filter_map(|r| match &r.event {
            Event::Called {
                client: c,
                method,
                outcome,
                took,
            } if c == client => Some(Call {
                at: r.at,
                method,
                outcome,
                took: *took,
            }),
            _ => None,
        })
        .collect()
}

fn times(records: &[Record], wanted: impl Fn(&Event) -> bool) -> Vec<Duration> {
    records
        .iter()
        .filter(|r| wanted(&r.event))
        .map(|r| r.at)
        .collect()
}
