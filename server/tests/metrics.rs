//! `/metrics` over HTTP: the Prometheus text format, figures that follow what the
//! registry did, and labels that name routes, never paths or services.

pub mod common;

use common::TestServer;

/// The value of the sample line starting with `series ` in `text`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.parse().ok())
}

#[tokio::test]
async fn metrics_count_what_the_registry_did_by_route() {
    let server = TestServer::start().await;
    for addr in ["h:1", "h:2", "h:1"] {
        server
            .send("POST", "/_rpc_/registry", &[("X-rpc-Server", addr)], b"")
            .await;
    }
    for service in ["payments", "orders", "payments"] {
        let path = format!("/v1/services/{service}/instances");
        server.post_json(&path, r#"{"addr":"a:1"}"#).await;
    }
    server.get("/v1/services/payments").await;
    server.get("/v1/services/nobody").await;
    server.get("/no/such/path").await;
    server
        .send("DELETE", "/v1/services/orders/instances/a:1", &[], b"")
        .await;

    let reply = server.get("/metrics").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = reply.text();
    assert_eq!(sample(&text, "rollcall_instances"), Some(3.0), "{text}");
    assert_eq!(sample(&text, "rollcall_services"), Some(2.0));
    assert_eq!(sample(&text, "rollcall_registrations_total"), Some(4.0));
    assert_eq!(sample(&text, "rollcall_renewals_total"), Some(2.0));
    assert_eq!(sample(&text, "rollcall_deregistrations_total"), Some(1.0));
    assert_eq!(sample(&text, "rollcall_expirations_total"), Some(0.0));
    assert_eq!(sample(&text, "rollcall_warming"), Some(1.0));
    let requests = |route: &str, status: &str| {
        let series =
            format!("rollcall_http_requests_total{{route=\"{route}\",status=\"{status}\"}}");
        sample(&text, &series)
    };
    assert_eq!(requests("seed", "200"), Some(3.0));
    assert_eq!(requests("instances", "201"), Some(2.0));
    assert_eq!(requests("instances", "200"), Some(1.0));
    assert_eq!(requests("service", "200"), Some(2.0));
    assert_eq!(requests("other", "404"), Some(1.0));
    assert_eq!(requests("instance", "204"), Some(1.0));
    let count = "rollcall_http_request_duration_seconds_count{route=\"service\"}";
    assert_eq!(sample(&text, count), Some(2.0));
    // Label values are routes and statuses: no path, service or address leaks in.
    for leak in ["payments", "orders", "nobody", "a:1", "h:1", "/no/such"] {
        assert!(!text.contains(leak), "{leak} in\n{text}");
    }

    // The scrape itself is counted from the next one on.
    let again = server.get("/metrics").await.text();
    assert_eq!(
        sample(
            &again,
            "rollcall_http_requests_total{route=\"metrics\",status=\"200\"}"
        ),
        Some(1.0)
    );
}
