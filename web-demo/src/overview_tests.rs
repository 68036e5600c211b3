use rollcall_protocol::{Instance, InstanceList, Lease, LeaseList, ServiceIndex, ServiceSummary};

use super::*;
use crate::fleet::Fleet;

/// A service `pay` of `addr zone beat-ago expires-in` instances.
fn fleet(rows: &[(&str, Option<&str>, u64, Option<u64>)]) -> Fleet {
    let mut fleet = Fleet::default();
    let index = ServiceIndex {
        warming: false,
        stale: false,
        epoch: 1,
        revision: 1,
        services: vec![ServiceSummary {
            service: "pay".to_owned(),
            revision: 1,
            instances: rows.len(),
        }],
    };
    fleet.apply_index(&index, 0.0);
    let instances = rows
        .iter()
        .map(|(addr, zone, _, _)| {
            let mut i = Instance::from_addr(*addr);
            if let Some(zone) = zone {
                i.metadata.insert("zone".to_owned(), (*zone).to_owned());
            }
            i
        })
        .collect();
    fleet.apply_list(
        InstanceList {
            service: "pay".to_owned(),
            epoch: 1,
            revision: 1,
            warming: false,
            stale: false,
            instances,
        },
        0.0,
    );
    let leases = rows
        .iter()
        .map(|(addr, _, ago, left)| Lease {
            addr: (*addr).to_owned(),
            since_heartbeat_ms: *ago,
            expires_in_ms: *left,
        })
        .collect();
    fleet.apply_leases(
        &LeaseList {
            service: "pay".to_owned(),
            revision: 1,
            leases,
        },
        100_000.0,
    );
    fleet
}

fn rows() -> Fleet {
    fleet(&[
        ("10.0.10.1:80", Some("eu-1"), 100, Some(50_000)),
        ("10.0.2.1:80", Some("us-1"), 9_000, Some(200_000)),
        ("10.0.9.1:80", Some("eu-1"), 4_000, None),
        ("10.0.3.1:80", None, 4_000, Some(20_000)),
    ])
}

fn order(fleet: &Fleet, filter: &str, sort: SortBy) -> Vec<String> {
    ordered(
        fleet.service("pay").expect("pay"),
        &Filter::parse(filter),
        sort,
    )
}

#[test]
fn each_sort_orders_as_documented() {
    let f = rows();
    assert_eq!(
        order(&f, "", SortBy::Address),
        ["10.0.2.1:80", "10.0.3.1:80", "10.0.9.1:80", "10.0.10.1:80"]
    );
    assert_eq!(
        order(&f, "", SortBy::Heartbeat),
        ["10.0.2.1:80", "10.0.3.1:80", "10.0.9.1:80", "10.0.10.1:80"],
        "longest silent first, ties by address"
    );
    assert_eq!(
        order(&f, "", SortBy::TimeLeft),
        ["10.0.3.1:80", "10.0.10.1:80", "10.0.2.1:80", "10.0.9.1:80"],
        "closest to expiry first, never last"
    );
    for (value, sort) in SortBy::ALL {
        assert_eq!(SortBy::parse(value), sort);
    }
    assert_eq!(SortBy::parse("nonsense"), SortBy::Address);
}

#[test]
fn the_filter_narrows_rows_and_counts() {
    let f = rows();
    let pay = f.service("pay").expect("pay");
    assert_eq!(
        order(&f, "zone=eu-1", SortBy::Address),
        ["10.0.9.1:80", "10.0.10.1:80"]
    );
    assert_eq!(order(&f, "10.0.1", SortBy::Address), ["10.0.10.1:80"]);
    assert_eq!(
        order(&f, "PAY", SortBy::Address).len(),
        4,
        "the service's name takes it whole"
    );

    let all = summarize(pay, &Filter::default(), "zone");
    assert!(all.shown);
    assert_eq!(all.matching, 4);
    assert_eq!(
        all.groups,
        [
            (Some("eu-1".to_owned()), 2),
            (None, 1),
            (Some("us-1".to_owned()), 1)
        ]
    );
    let eu = summarize(pay, &Filter::parse("zone=eu-1"), "zone");
    assert_eq!((eu.shown, eu.matching), (true, 2));
    assert_eq!(eu.groups, [(Some("eu-1".to_owned()), 2)]);
    let none = summarize(pay, &Filter::parse("orders"), "zone");
    assert!(!none.shown);
    assert!(summarize(pay, &Filter::default(), "").groups.is_empty());
}

#[test]
fn a_service_not_fetched_yet_shows_its_index_count() {
    let mut fleet = Fleet::default();
    let index = ServiceIndex {
        warming: false,
        stale: false,
        epoch: 1,
        revision: 1,
        services: vec![ServiceSummary {
            service: "pay".to_owned(),
            revision: 1,
            instances: 40,
        }],
    };
    fleet.apply_index(&index, 0.0);
    let pay = fleet.service("pay").expect("pay");
    let s = summarize(pay, &Filter::default(), "zone");
    assert_eq!((s.shown, s.matching), (true, 40));
    assert!(!summarize(pay, &Filter::parse("zone=x"), "zone").shown);
}
