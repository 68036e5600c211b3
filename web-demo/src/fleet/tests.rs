use rollcall_protocol::{
    ChangeBatch, ChangeEvent, ChangeKind, Instance, InstanceList, Lease, LeaseList, ServiceIndex,
    ServiceSummary,
};

use super::*;

fn index(epoch: u64, services: &[(&str, u64, usize)]) -> ServiceIndex {
    ServiceIndex {
        warming: false,
        stale: false,
        epoch,
        revision: services.iter().map(|s| s.1).max().unwrap_or(0),
        services: services
            .iter()
            .map(|(name, revision, instances)| ServiceSummary {
                service: (*name).to_owned(),
                revision: *revision,
                instances: *instances,
            })
            .collect(),
    }
}

fn list(service: &str, epoch: u64, revision: u64, addrs: &[&str]) -> InstanceList {
    InstanceList {
        service: service.to_owned(),
        epoch,
        revision,
        warming: false,
        stale: false,
        instances: addrs.iter().map(|a| Instance::from_addr(*a)).collect(),
    }
}

fn event(revision: u64, kind: ChangeKind, addr: &str) -> ChangeEvent {
    ChangeEvent {
        revision,
        kind,
        instance: Instance {
            ttl_ms: 30_000,
            ..Instance::from_addr(addr)
        },
    }
}

fn addrs(fleet: &Fleet, service: &str) -> Vec<String> {
    fleet
        .service(service)
        .map(|s| s.instances.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn the_index_says_what_to_fetch_and_lists_come_in_quietly() {
    let mut fleet = Fleet::default();
    assert!(!fleet.is_loaded());
    let update = fleet.apply_index(&index(7, &[("a", 3, 2), ("b", 5, 1)]), 0.0);
    assert_eq!(update.added, ["a", "b"]);
    assert_eq!(update.behind, ["a", "b"]);
    assert_eq!(fleet.next_fetch("a"), Some(Fetch::List));
    assert_eq!(
        fleet.totals(),
        (2, 3),
        "counted from the index until fetched"
    );

    let changes = fleet.apply_list(list("a", 7, 3, &["h:1", "h:2"]), 10.0);
    assert_eq!(changes.len(), 2);
    let a = fleet.service("a").expect("a");
    assert_eq!(a.changed_at, None, "a first load is no change");
    assert!(a.instances.values().all(|i| i.changed_at.is_none()));
    assert_eq!(fleet.next_fetch("a"), None);
    assert!(!fleet.is_loaded(), "b is not fetched yet");
    fleet.apply_list(list("b", 7, 5, &["h:3"]), 10.0);
    assert!(fleet.is_loaded());
}

#[test]
fn moved_services_catch_up_from_the_change_feed() {
    let mut fleet = Fleet::default();
    fleet.apply_index(&index(7, &[("a", 3, 1), ("b", 5, 1)]), 0.0);
    fleet.apply_list(list("a", 7, 3, &["h:1"]), 0.0);
    fleet.apply_list(list("b", 7, 5, &["h:9"]), 0.0);

    let update = fleet.apply_index(&index(7, &[("a", 6, 1), ("b", 5, 1)]), 100.0);
    assert_eq!(update.behind, ["a"], "only the service that moved");
    let since = match fleet.next_fetch("a") {
        Some(Fetch::ChangesSince(v)) => v,
        other => panic!("{other:?}"),
    };
    assert_eq!((since.epoch, since.revision), (7, 3));

    let batch = ChangeBatch {
        epoch: 7,
        revision: 6,
        warming: false,
        stale: false,
        events: vec![
            event(3, ChangeKind::Deregister, "h:1"), // already in the list: skipped
            event(4, ChangeKind::Register, "h:2"),
            event(5, ChangeKind::Update, "h:2"),
            event(6, ChangeKind::Expire, "h:1"),
        ],
    };
    let changes = fleet.apply_changes("a", &batch, 200.0);
    assert_eq!(
        changes,
        [
            ("h:2".to_owned(), RowChange::Added),
            ("h:2".to_owned(), RowChange::Updated),
            ("h:1".to_owned(), RowChange::Removed),
        ]
    );
    assert_eq!(addrs(&fleet, "a"), ["h:2"]);
    let a = fleet.service("a").expect("a");
    assert_eq!(a.changed_at, Some(200.0));
    let h2 = &a.instances["h:2"];
    assert_eq!(h2.changed_at, Some(200.0));
    assert_eq!(
        h2.lease,
        Some(LeaseStamp {
            beat_at: 200.0,
            expires_at: Some(30_200.0)
        }),
        "a registration is a fresh lease"
    );
    assert_eq!(fleet.next_fetch("a"), None);
    assert!(
        fleet.apply_changes("a", &batch, 300.0).is_empty(),
        "a repeat changes nothing"
    );
}

#[test]
fn a_restart_lists_every_service_again_and_shows_the_difference() {
    let mut fleet = Fleet::default();
    fleet.apply_index(&index(7, &[("a", 9, 2)]), 0.0);
    fleet.apply_list(list("a", 7, 9, &["h:1", "h:2"]), 0.0);
    let update = fleet.apply_index(&index(8, &[("a", 1, 1)]), 50.0);
    assert!(update.restarted);
    assert_eq!(update.behind, ["a"]);
    assert_eq!(fleet.next_fetch("a"), Some(Fetch::List));
    // Changes of the old run no longer apply.
    let old = ChangeBatch {
        epoch: 7,
        revision: 10,
        warming: false,
        stale: false,
        events: vec![event(10, ChangeKind::Register, "h:5")],
    };
    assert!(fleet.apply_changes("a", &old, 60.0).is_empty());
    let changes = fleet.apply_list(list("a", 8, 1, &["h:2"]), 100.0);
    assert_eq!(changes, [("h:1".to_owned(), RowChange::Removed)]);
    assert_eq!(addrs(&fleet, "a"), ["h:2"]);
}

#[test]
fn services_come_and_go_with_the_index() {
    let mut fleet = Fleet::default();
    fleet.apply_index(&index(7, &[("a", 1, 1)]), 0.0);
    fleet.apply_list(list("a", 7, 1, &["h:1"]), 0.0);
    let update = fleet.apply_index(&index(7, &[("b", 2, 1)]), 10.0);
    assert_eq!(update.removed, ["a"]);
    assert_eq!(update.added, ["b"]);
    assert!(fleet.service("a").is_none());
    // A list of a service gone meanwhile is dropped.
    assert!(fleet.apply_list(list("a", 7, 3, &["h:1"]), 20.0).is_empty());
    // A service new after the first index is news: its instances show as changes.
    fleet.apply_list(list("b", 7, 2, &["h:2"]), 30.0);
    let b = fleet.service("b").expect("b");
    assert_eq!(b.changed_at, Some(30.0));
    assert_eq!(b.instances["h:2"].changed_at, Some(30.0));
}

#[test]
fn an_older_list_than_held_changes_nothing() {
    let mut fleet = Fleet::default();
    fleet.apply_index(&index(7, &[("a", 5, 1)]), 0.0);
    fleet.apply_list(list("a", 7, 5, &["h:1"]), 0.0);
    assert!(fleet.apply_list(list("a", 7, 4, &[]), 10.0).is_empty());
    assert_eq!(addrs(&fleet, "a"), ["h:1"]);
    // An index behind the list just fetched does not ask for it again.
    assert!(
        fleet
            .apply_index(&index(7, &[("a", 4, 1)]), 20.0)
            .behind
            .is_empty()
    );
}

#[test]
fn leases_become_absolute_times() {
    let mut fleet = Fleet::default();
    fleet.apply_index(&index(7, &[("a", 1, 2)]), 0.0);
    fleet.apply_list(list("a", 7, 1, &["h:1", "h:2"]), 0.0);
    let leases = LeaseList {
        service: "a".to_owned(),
        revision: 1,
        leases: vec![Lease {
            addr: "h:1".to_owned(),
            since_heartbeat_ms: 300,
            expires_in_ms: Some(1_700),
        }],
    };
    fleet.apply_leases(&leases, 10_000.0);
    let a = fleet.service("a").expect("a");
    assert_eq!(a.leases_read_at, Some(10_000.0));
    assert_eq!(
        a.instances["h:1"].lease,
        Some(LeaseStamp {
            beat_at: 9_700.0,
            expires_at: Some(11_700.0)
        })
    );
    assert_eq!(a.instances["h:2"].lease, None);
}

#[test]
fn a_sharp_drop_is_seen() {
    let mut fleet = Fleet::default();
    let names: Vec<String> = (0..8).map(|i| format!("h:{i}")).collect();
    let all: Vec<&str> = names.iter().map(String::as_str).collect();
    fleet.apply_index(&index(7, &[("a", 1, 8)]), 0.0);
    fleet.apply_list(list("a", 7, 1, &all), 0.0);
    assert_eq!(fleet.service("a").and_then(|a| a.drop_at(0.0)), None);
    fleet.apply_index(&index(7, &[("a", 2, 4)]), 1_000.0);
    fleet.apply_list(list("a", 7, 2, &all[..4]), 1_000.0);
    let drop = fleet.service("a").and_then(|a| a.drop_at(1_000.0));
    assert_eq!(drop, Some(crate::drop::Drop { peak: 8, now: 4 }));
}

#[test]
fn leases_on_screen_are_read_again_after_a_tenth_of_the_ttl() {
    let mut fleet = Fleet::default();
    fleet.apply_index(&index(7, &[("a", 1, 1)]), 0.0);
    let mut short = list("a", 7, 1, &["h:1", "h:2"]);
    short.instances[0].ttl_ms = 20_000;
    short.instances[1].ttl_ms = 600_000;
    fleet.apply_list(short, 0.0);
    assert!(fleet.service("a").expect("a").leases_due(0.0), "never read");
    let leases = LeaseList {
        service: "a".to_owned(),
        revision: 1,
        leases: Vec::new(),
    };
    fleet.apply_leases(&leases, 1_000.0);
    let a = fleet.service("a").expect("a");
    assert!(!a.leases_due(2_999.0));
    assert!(a.leases_due(3_000.0), "a tenth of the shortest TTL, 20 s");
    fleet.relist("a");
    assert_eq!(fleet.next_fetch("a"), Some(Fetch::List));
}

#[test]
fn leases_of_long_or_endless_ttls_are_read_at_most_every_half_minute() {
    let mut fleet = Fleet::default();
    fleet.apply_index(&index(7, &[("a", 1, 1)]), 0.0);
    fleet.apply_list(list("a", 7, 1, &["h:1"]), 0.0); // TTL 0: never expires
    let leases = LeaseList {
        service: "a".to_owned(),
        revision: 1,
        leases: Vec::new(),
    };
    fleet.apply_leases(&leases, 0.0);
    let a = fleet.service("a").expect("a");
    assert!(!a.leases_due(LEASE_REREAD_MAX_MS - 1.0));
    assert!(a.leases_due(LEASE_REREAD_MAX_MS));
}
