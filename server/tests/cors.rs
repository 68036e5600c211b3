//! CORS on the registry's answers: allowed origins, exposed headers, preflights.

pub mod common;

use common::TestServer;

const INSTANCES: &str = "/v1/services/echo/instances";

#[tokio::test]
async fn cors_headers_on_every_answer() {
    let server = TestServer::start().await;
    for reply in [
        server.get("/v1/services").await,
        server.get("/_rpc_/registry").await,
        server.get("/v1/nothing").await,
        server.post_json(INSTANCES, "{").await,
    ] {
        assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
        assert_eq!(
            reply.header("access-control-expose-headers"),
            Some("X-rpc-Servers, X-rpc-Ttl-Ms, ETag, X-Rollcall-Index")
        );
    }
}

#[tokio::test]
async fn preflight_on_every_registry_path() {
    let server = TestServer::start().await;
    for (path, methods) in [
        ("/_rpc_/registry", "GET, POST, OPTIONS"),
        ("/v1/services", "GET, OPTIONS"),
        ("/v1/services/echo", "GET, OPTIONS"),
        (INSTANCES, "POST, OPTIONS"),
        ("/v1/services/echo/instances/a%3A1", "DELETE, OPTIONS"),
        ("/v1/services/echo/leases", "GET, OPTIONS"),
    ] {
        let reply = server
            .send(
                "OPTIONS",
                path,
                &[
                    ("Origin", "https://x.example"),
                    ("Access-Control-Request-Method", "POST"),
                ],
                b"",
            )
            .await;
        assert_eq!(reply.status, 204, "{path}");
        assert_eq!(
            reply.header("access-control-allow-methods"),
            Some(methods),
            "{path}"
        );
        assert_eq!(
            reply.header("access-control-allow-headers"),
            Some("Content-Type, X-rpc-Server, If-None-Match")
        );
        assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    }
    assert_eq!(server.send("OPTIONS", "/nope", &[], b"").await.status, 404);
}

#[tokio::test]
async fn a_cors_list_echoes_matching_origins_only() {
    let http = rollcall_server::HttpConfig {
        cors_origins: vec![
            "https://a.example".to_owned(),
            "https://b.example".to_owned(),
        ],
        ..Default::default()
    };
    let server = TestServer::with(Default::default(), http).await;
    let allowed = server
        .send(
            "GET",
            "/v1/services",
            &[("Origin", "https://b.example")],
            b"",
        )
        .await;
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://b.example")
    );
    assert_eq!(allowed.header("vary"), Some("Origin"));
    let refused = server
        .send(
            "GET",
            "/v1/services",
            &[("Origin", "https://c.example")],
            b"",
        )
        .await;
    assert_eq!(refused.status, 200);
    assert_eq!(refused.header("access-control-allow-origin"), None);
    assert_eq!(refused.header("vary"), Some("Origin"));
}
