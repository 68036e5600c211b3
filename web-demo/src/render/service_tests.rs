use std::collections::BTreeMap;

use rollcall_protocol::Instance;

use super::*;
use crate::addr::AddrKey;

fn instance(addr: &str, lease: Option<LeaseStamp>) -> InstanceState {
    let mut metadata = BTreeMap::new();
    metadata.insert("name".to_owned(), "<foo-1>".to_owned());
    InstanceState {
        instance: Instance {
            addr: addr.to_owned(),
            metadata,
            weight: 3,
            ttl_ms: 2_000,
        },
        key: AddrKey::of(addr),
        addr_lower: addr.to_lowercase(),
        lease,
        changed_at: None,
    }
}

const LEASE: LeaseStamp = LeaseStamp {
    beat_at: 9_700.0,
    expires_at: Some(11_700.0),
};

#[test]
fn a_row_shows_its_instance_escaped_with_lease_times() {
    let out = instance_row(&instance("127.0.0.1:4001", Some(LEASE)), 10_000.0);
    assert!(out.contains(r#"<code>127.0.0.1:4001</code>"#), "{out}");
    assert!(out.contains(r#"<span class="tag">name=&lt;foo-1&gt;</span>"#));
    assert!(out.contains(r#"<span class="cell num weight">3</span>"#));
    assert!(out.contains(r#"<span class="cell num ttl">2.0 s</span>"#));
    assert!(out.contains(r#"<span class="cell num beat">0 s ago</span>"#));
    assert!(out.contains(r#"<span class="cell num expires">1 s</span>"#));
}

#[test]
fn leases_count_down_locally() {
    let at = |now| lease_cells(Some(LEASE), now);
    assert_eq!(at(10_000.0).expires, "1 s");
    assert_eq!(at(11_000.0).beat, "1 s ago");
    assert_eq!(at(11_000.0).expires, "0 s");
    let over = at(12_000.0);
    assert_eq!((over.expires.as_str(), over.expired), ("expired", true));
    assert_eq!(at(9_700.0 + 185_000.0).beat, "3 m 05 s ago");
    let never = lease_cells(
        Some(LeaseStamp {
            beat_at: 0.0,
            expires_at: None,
        }),
        1.0,
    );
    assert_eq!(never.expires, "never");
    assert_eq!(lease_cells(None, 0.0).beat, "—");
    // A lease read just after `now` (clock skew) never shows a negative age.
    assert_eq!(at(9_000.0).beat, "0 s ago");
}

fn summary(matching: usize, groups: &[(Option<&str>, usize)]) -> Summary {
    Summary {
        shown: true,
        matching,
        groups: groups
            .iter()
            .map(|(v, n)| (v.map(str::to_owned), *n))
            .collect(),
    }
}

fn head<'a>(summary: &'a Summary, group_key: &'a str) -> HeadView<'a> {
    HeadView {
        name: "pay<ments>",
        summary,
        total: 10_000,
        loaded: true,
        open: false,
        filtered: false,
        drop: None,
        changed: None,
        group_key,
    }
}

#[test]
fn a_service_line_counts_by_the_chosen_key() {
    let s = summary(
        10_000,
        &[(Some("eu-1"), 5_000), (Some("us-1"), 4_999), (None, 1)],
    );
    let out = service_head(&head(&s, "zone"));
    assert!(
        out.contains(r#"<h3 class="name">pay&lt;ments&gt;</h3>"#),
        "{out}"
    );
    assert!(out.contains(r#"<span class="count">10,000 instances</span>"#));
    assert!(out.contains(r#"<span class="value">eu-1</span> 5,000"#));
    assert!(out.contains(r#"<span class="value">no zone</span> 1"#));
    assert!(out.contains("no change seen"));
    assert!(out.contains("▸"));
    assert!(!out.contains("drop"));
    let out = service_head(&head(&s, " "));
    assert!(
        !out.contains(r#"class="group""#),
        "no key, no counts: {out}"
    );
}

#[test]
fn a_service_line_says_what_matches_what_dropped_and_when_it_changed() {
    let s = summary(3, &[]);
    let mut view = head(&s, "zone");
    view.filtered = true;
    view.open = true;
    view.changed = Some("12:00:03");
    view.drop = Some(Drop {
        peak: 10_000,
        now: 6_000,
    });
    let out = service_head(&view);
    assert!(out.contains("3 of 10,000 instances"), "{out}");
    assert!(out.contains("▼ 10,000 → 6,000"), "{out}");
    assert!(out.contains("changed 12:00:03"));
    assert!(out.contains("▾"));
    view.loaded = false;
    assert!(service_head(&view).contains("loading…"));
}

#[test]
fn many_values_are_summed_up() {
    let groups: Vec<(Option<String>, usize)> =
        (0..10).map(|i| (Some(format!("z{i}")), 1)).collect();
    let s = Summary {
        shown: true,
        matching: 10,
        groups,
    };
    let out = service_head(&head(&s, "zone"));
    assert_eq!(out.matches(r#"class="group""#).count(), GROUPS_SHOWN);
    assert!(out.contains("+4 more"), "{out}");
}
