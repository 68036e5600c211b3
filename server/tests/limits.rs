//! Configured limits: body size, instance and service counts.

pub mod common;

use common::TestServer;

#[tokio::test]
async fn a_smaller_body_limit_is_honoured() {
    let http = rollcall_server::HttpConfig {
        max_body_bytes: 16,
        ..Default::default()
    };
    let server = TestServer::with(Default::default(), http).await;
    let reply = server
        .post_json(
            "/v1/services/echo/instances",
            r#"{"addr":"a:1","weight":1}"#,
        )
        .await;
    assert_eq!(reply.status, 413);
    let reply = server
        .post_json("/v1/services/echo/instances", r#"{"addr":"a:1"}"#)
        .await;
    assert_eq!(reply.status, 201);
}

#[tokio::test]
async fn limits_answer_507_and_renewals_still_work() {
    let config = rollcall_server::RegistryConfig {
        max_instances: 2,
        max_services: 1,
        ..Default::default()
    };
    let server = TestServer::with(config, Default::default()).await;
    for addr in ["a:1", "a:2"] {
        let body = format!(r#"{{"addr":"{addr}"}}"#);
        assert_eq!(
            server
                .post_json("/v1/services/echo/instances", &body)
                .await
                .status,
            201
        );
    }
    let full = server
        .post_json("/v1/services/echo/instances", r#"{"addr":"a:3"}"#)
        .await;
    assert_eq!(full.status, 507);
    assert_eq!(full.error(), "registry full: at most 2 instances");
    assert_eq!(
        server
            .post_json("/v1/services/echo/instances", r#"{"addr":"a:1"}"#)
            .await
            .status,
        200
    );
    server
        .send("DELETE", "/v1/services/echo/instances/a:2", &[], b"")
        .await;
    let other = server
        .post_json("/v1/services/other/instances", r#"{"addr":"a:1"}"#)
        .await;
    assert_eq!(other.status, 507);
    assert_eq!(other.error(), "registry full: at most 1 services");
}
