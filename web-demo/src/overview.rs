//! What a service's line in the overview says, and in which order its instances
//! are listed, under the filter, the sort and the metadata key the user picked.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::filter::Filter;
use crate::fleet::{InstanceState, ServiceState};

/// The order of a service's instances.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortBy {
    /// IP-aware (`10.0.2.1` before `10.0.10.1`), see [`crate::addr`].
    #[default]
    Address,
    /// The longest silent first: who is late shows at the top.
    Heartbeat,
    /// The closest to expiry first; instances that never expire last.
    TimeLeft,
}

impl SortBy {
    /// Every sort, with its value in the page's `<select>`.
    pub const ALL: [(&'static str, SortBy); 3] = [
        ("addr", SortBy::Address),
        ("beat", SortBy::Heartbeat),
        ("left", SortBy::TimeLeft),
    ];

    /// The sort named `value` in the `<select>`; the address order for anything else.
    pub fn parse(value: &str) -> SortBy {
        SortBy::ALL
            .iter()
            .find(|(name, _)| *name == value)
            .map_or(SortBy::Address, |(_, sort)| *sort)
    }

    /// Whether the order depends on the leases (so reading them again re-sorts).
    pub fn uses_leases(self) -> bool {
        self != SortBy::Address
    }
}

/// A service's line in the overview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Whether the service shows at all under the filter.
    pub shown: bool,
    /// Its instances that match the filter (all of them without one).
    pub matching: usize,
    /// Matching instances counted by the value of the chosen metadata key, the
    /// largest first; instances without the key count under `None`.
    pub groups: Vec<(Option<String>, usize)>,
}

/// The overview line of `service` under `filter`, counted by `group_key`
/// (blank: no counts).
pub fn summarize(service: &ServiceState, filter: &Filter, group_key: &str) -> Summary {
    let whole = filter.takes_whole_service(&service.name_lower);
    let group_key = group_key.trim();
    let mut matching = 0;
    let mut groups: BTreeMap<Option<&str>, usize> = BTreeMap::new();
    for instance in service.instances.values() {
        if whole || matches(service, instance, filter) {
            matching += 1;
            if !group_key.is_empty() {
                let value = instance
                    .instance
                    .metadata
                    .get(group_key)
                    .map(String::as_str);
                *groups.entry(value).or_default() += 1;
            }
        }
    }
    let mut groups: Vec<(Option<String>, usize)> = groups
        .into_iter()
        .map(|(value, n)| (value.map(str::to_owned), n))
        .collect();
    groups.sort_by(|(a, n), (b, m)| m.cmp(n).then_with(|| a.cmp(b)));
    let shown = whole || matching > 0 || (!service.is_loaded() && filter.is_empty());
    Summary {
        shown,
        // Before its first fetch the index's count stands in.
        matching: if service.is_loaded() {
            matching
        } else {
            service.count()
        },
        groups,
    }
}

/// The addresses of `service`'s instances that `filter` lets through, in `sort`
/// order (ties by address).
pub fn ordered(service: &ServiceState, filter: &Filter, sort: SortBy) -> Vec<String> {
    let whole = filter.takes_whole_service(&service.name_lower);
    let mut rows: Vec<&InstanceState> = service
        .instances
        .values()
        .filter(|i| whole || matches(service, i, filter))
        .collect();
    rows.sort_by(|a, b| compare(a, b, sort).then_with(|| a.key.cmp(&b.key)));
    rows.into_iter().map(|i| i.instance.addr.clone()).collect()
}

fn matches(service: &ServiceState, instance: &InstanceState, filter: &Filter) -> bool {
    filter.matches_instance(
        &service.name_lower,
        &instance.addr_lower,
        &instance.instance.metadata,
    )
}

/// `sort`'s own comparison; unknown leases last.
fn compare(a: &InstanceState, b: &InstanceState, sort: SortBy) -> Ordering {
    let key = |i: &InstanceState| -> Option<f64> {
        let lease = i.lease?;
        match sort {
            SortBy::Address => None,
            SortBy::Heartbeat => Some(lease.beat_at),
            SortBy::TimeLeft => lease.expires_at.or(Some(f64::INFINITY)),
        }
    };
    match (key(a), key(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

#[cfg(test)]
#[path = "overview_tests.rs"]
mod tests;
