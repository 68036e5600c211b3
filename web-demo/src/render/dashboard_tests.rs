use std::collections::BTreeMap;

use super::*;
use crate::view::LeaseView;

fn instance(addr: &str, lease: Option<LeaseView>) -> InstanceView {
    let mut metadata = BTreeMap::new();
    metadata.insert("name".to_owned(), "foo-1".to_owned());
    InstanceView {
        addr: addr.to_owned(),
        metadata,
        weight: 3,
        ttl_ms: 2_000,
        lease,
    }
}

fn dashboard(instances: Vec<InstanceView>) -> DashboardView {
    let mut view = DashboardView::new("http://127.0.0.1:9999".to_owned());
    view.refreshed(Snapshot {
        services: vec![ServiceView {
            name: "default".to_owned(),
            revision: 7,
            instances,
        }],
        fetched_at_ms: 10_000.0,
        fetched_at_label: "12:00:00".to_owned(),
    });
    view
}

const LEASE: LeaseView = LeaseView {
    since_heartbeat_ms: 300,
    expires_in_ms: Some(1_700),
};

#[test]
fn lists_instances_with_their_lease_times() {
    let view = dashboard(vec![instance("127.0.0.1:4001", Some(LEASE))]);
    let out = services(&view, 10_000.0);
    assert!(
        out.contains(r#"<p class="totals">1 instance in 1 service</p>"#),
        "{out}"
    );
    assert!(out.contains(r#"<section class="service" data-service="default">"#));
    assert!(out.contains(r#"<tr class="instance" data-addr="127.0.0.1:4001">"#));
    assert!(out.contains(r#"<span class="tag">name=foo-1</span>"#));
    assert!(out.contains(r#"<td class="num weight">3</td>"#));
    assert!(out.contains(r#"<td class="num ttl">2.0 s</td>"#));
    assert!(out.contains(r#"<td class="num beat">300 ms ago</td>"#));
    assert!(out.contains(r#"<td class="num expires">1.7 s</td>"#));
    assert!(!out.contains("stale"));
}

#[test]
fn lease_times_move_with_the_age_of_the_list() {
    let view = dashboard(vec![instance("a:1", Some(LEASE))]);
    let out = services(&view, 11_000.0);
    assert!(out.contains("1.3 s ago"), "{out}");
    assert!(
        out.contains(r#"<td class="num expires">700 ms</td>"#),
        "{out}"
    );
    let out = services(&view, 20_000.0);
    assert!(
        out.contains(r#"<td class="num expires expired">expired</td>"#),
        "{out}"
    );
}

#[test]
fn escapes_everything_from_the_network() {
    let mut evil = instance(r#"<img src=x onerror="alert(1)">"#, None);
    evil.metadata.insert("<b>".to_owned(), "'&'".to_owned());
    let mut view = dashboard(vec![evil]);
    view.registry = "http://<script>".to_owned();
    let out = services(&view, 0.0) + &status(&view, 0.0);
    assert!(!out.contains("<img") && !out.contains("<b>") && !out.contains("<script>"));
    assert!(out.contains(r#"data-addr="&lt;img src=x onerror=&quot;alert(1)&quot;&gt;""#));
    assert!(out.contains("&lt;b&gt;=&#39;&amp;&#39;"));
    assert!(
        out.contains("<td class=\"num beat\">—</td>"),
        "no lease shows a dash"
    );
}

#[test]
fn status_line_in_each_state() {
    let mut view = DashboardView::new("http://r:1".to_owned());
    assert_eq!(status_class(&view), "connecting");
    assert!(status(&view, 0.0).contains("connecting"));
    assert!(services(&view, 0.0).contains("Waiting"));

    view.failed("connect failed: Failed to fetch".to_owned());
    assert_eq!(status_class(&view), "error");
    assert!(status(&view, 0.0).contains("connect failed: Failed to fetch"));
    assert!(services(&view, 0.0).contains("not answered"));

    let mut view = dashboard(vec![instance("a:1", None), instance("b:2", None)]);
    assert_eq!(status_class(&view), "live");
    let line = status(&view, 10_000.0);
    assert!(line.contains("2 instances in 1 service"), "{line}");
    assert!(
        line.contains("refreshed at <time>12:00:00</time>"),
        "{line}"
    );

    view.failed("request timed out after 2s".to_owned());
    assert_eq!(status_class(&view), "stale");
    let line = status(&view, 14_500.0);
    assert!(line.contains("request timed out after 2s"), "{line}");
    assert!(line.contains("(4.5 s ago)"), "{line}");
    let list = services(&view, 14_500.0);
    assert!(
        list.starts_with(r#"<div class="service-list stale">"#),
        "{list}"
    );
    assert!(
        list.contains(r#"data-addr="b:2""#),
        "the last list stays on screen"
    );
}

#[test]
fn empty_registry_and_empty_service() {
    let mut view = dashboard(Vec::new());
    let out = services(&view, 0.0);
    assert!(out.contains("0 instances in 1 service"), "{out}");
    assert!(out.contains("No alive instance."));
    if let Some(s) = view.snapshot.as_mut() {
        s.services.clear();
    }
    assert!(services(&view, 0.0).contains("No service is registered."));
}
