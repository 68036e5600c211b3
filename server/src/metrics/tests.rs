use std::time::Duration;

use rollcall_protocol::RegisterRequest;

use super::*;
use crate::{Registry, RegistryConfig};

fn request(addr: &str) -> RegisterRequest {
    RegisterRequest {
        addr: addr.to_owned(),
        metadata: Default::default(),
        weight: None,
        ttl_ms: Some(1_000),
    }
}

/// The value of the sample line starting with `series ` in `text`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.parse().ok())
}

#[tokio::test(start_paused = true)]
async fn registry_figures_follow_what_it_did() {
    let registry = Registry::new(RegistryConfig {
        warmup: Some(Duration::from_secs(5)),
        ..RegistryConfig::default()
    });
    let metrics = Metrics::new(std::sync::Arc::new(registry.clone()));
    registry.register("a", request("h:1")).expect("register");
    registry.register("a", request("h:1")).expect("renew");
    registry.register("a", request("h:2")).expect("register");
    registry.register("b", request("h:3")).expect("register");
    registry.deregister("a", "h:2").expect("deregister");
    let text = metrics.encode().expect("encode");
    assert_eq!(sample(&text, "rollcall_instances"), Some(2.0), "{text}");
    assert_eq!(sample(&text, "rollcall_services"), Some(2.0));
    assert_eq!(sample(&text, "rollcall_registrations_total"), Some(3.0));
    assert_eq!(sample(&text, "rollcall_renewals_total"), Some(1.0));
    assert_eq!(sample(&text, "rollcall_deregistrations_total"), Some(1.0));
    assert_eq!(sample(&text, "rollcall_expirations_total"), Some(0.0));
    assert_eq!(sample(&text, "rollcall_warming"), Some(1.0));
    assert!(text.contains("# TYPE rollcall_instances gauge"));
    assert!(text.contains("# TYPE rollcall_expirations_total counter"));

    // Past the TTL and the warm-up: both expire, the registry is warm.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let text = metrics.encode().expect("encode");
    assert_eq!(sample(&text, "rollcall_expirations_total"), Some(2.0));
    assert_eq!(sample(&text, "rollcall_instances"), Some(0.0));
    assert_eq!(sample(&text, "rollcall_services"), Some(0.0));
    assert_eq!(sample(&text, "rollcall_warming"), Some(0.0));
}

#[tokio::test]
async fn requests_are_counted_by_route_and_bounded_status() {
    let metrics = Metrics::new(std::sync::Arc::new(
        Registry::new(RegistryConfig::default()),
    ));
    let ms = Duration::from_millis(1);
    metrics.record(RouteLabel::Service, StatusCode::OK, ms);
    metrics.record(RouteLabel::Service, StatusCode::OK, ms * 30);
    metrics.record(RouteLabel::Service, StatusCode::NOT_MODIFIED, ms);
    metrics.record(RouteLabel::Other, StatusCode::IM_A_TEAPOT, ms);
    let text = metrics.encode().expect("encode");
    let requests = |route: &str, status: &str| {
        sample(
            &text,
            &format!("rollcall_http_requests_total{{route=\"{route}\",status=\"{status}\"}}"),
        )
    };
    assert_eq!(requests("service", "200"), Some(2.0), "{text}");
    assert_eq!(requests("service", "304"), Some(1.0));
    assert_eq!(requests("other", "other"), Some(1.0));
    assert_eq!(
        requests("seed", "200"),
        None,
        "series never seen are left out"
    );
    let bucket = |le: &str| {
        sample(
            &text,
            &format!(
                "rollcall_http_request_duration_seconds_bucket{{route=\"service\",le=\"{le}\"}}"
            ),
        )
    };
    assert_eq!(bucket("0.001"), Some(2.0));
    assert_eq!(bucket("0.025"), Some(2.0));
    assert_eq!(bucket("0.05"), Some(3.0));
    assert_eq!(bucket("+Inf"), Some(3.0));
    assert_eq!(
        sample(
            &text,
            "rollcall_http_request_duration_seconds_count{route=\"service\"}"
        ),
        Some(3.0)
    );
    let sum = sample(
        &text,
        "rollcall_http_request_duration_seconds_sum{route=\"service\"}",
    );
    assert!(sum.is_some_and(|s| (s - 0.032).abs() < 1e-9), "{sum:?}");
}
