//! CORS on the registry's answers: who may read, who may write, exposed headers,
//! and preflights from listed and unlisted origins.

pub mod common;

use common::TestServer;
use rollcall_server::HttpConfig;

const INSTANCES: &str = "/v1/services/echo/instances";
const WRITER_PAGE: &str = "https://admin.example";
const OTHER_PAGE: &str = "https://evil.example";

/// A registry readable by every page and writable by pages of [`WRITER_PAGE`].
async fn server_with_a_write_origin() -> TestServer {
    let http = HttpConfig {
        cors_write_origins: vec![WRITER_PAGE.to_owned()],
        ..Default::default()
    };
    TestServer::with(Default::default(), http).await
}

/// A preflight from `origin` for `method` at `path`.
async fn preflight(
    server: &TestServer,
    path: &str,
    origin: &str,
    method: &str,
    headers: Option<&str>,
) -> common::Reply {
    let mut sent = vec![
        ("Origin", origin),
        ("Access-Control-Request-Method", method),
    ];
    sent.extend(headers.map(|h| ("Access-Control-Request-Headers", h)));
    server.send("OPTIONS", path, &sent, b"").await
}

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
            Some(
                "X-rpc-Servers, X-rpc-Ttl-Ms, X-rpc-Warming, ETag, X-Rollcall-Index, X-Rollcall-Stale"
            )
        );
    }
}

#[tokio::test]
async fn read_preflights_on_every_registry_path() {
    let server = TestServer::start().await;
    for (path, methods) in [
        ("/_rpc_/registry", "GET, HEAD, POST, OPTIONS"),
        ("/v1/services", "GET, HEAD, OPTIONS"),
        ("/v1/services/echo", "GET, HEAD, OPTIONS"),
        (INSTANCES, "POST, OPTIONS"),
        ("/v1/services/echo/instances/a%3A1", "DELETE, OPTIONS"),
        ("/v1/services/echo/leases", "GET, HEAD, OPTIONS"),
    ] {
        let reply = preflight(&server, path, OTHER_PAGE, "GET", Some("If-None-Match")).await;
        assert_eq!(reply.status, 204, "{path}");
        assert_eq!(
            reply.header("access-control-allow-methods"),
            Some(methods),
            "{path}"
        );
        assert_eq!(
            reply.header("access-control-allow-headers"),
            Some("Content-Type, X-rpc-Server, If-None-Match, Authorization")
        );
        assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    }
    assert_eq!(server.send("OPTIONS", "/nope", &[], b"").await.status, 404);
}

/// A page of another origin can show the list but not change it: its write
/// preflights are refused, and so are its writes sent without one.
#[tokio::test]
async fn only_write_origins_may_write() {
    let server = server_with_a_write_origin().await;
    for (path, method) in [
        (INSTANCES, "POST"),
        ("/v1/services/echo/instances/a%3A1", "DELETE"),
        ("/_rpc_/registry", "POST"),
    ] {
        let refused = preflight(&server, path, OTHER_PAGE, method, Some("content-type")).await;
        assert_eq!(refused.status, 403, "{method} {path}");
        assert!(refused.text().contains(OTHER_PAGE), "{}", refused.text());
        assert_eq!(refused.header("access-control-allow-methods"), None);
        let granted = preflight(&server, path, WRITER_PAGE, method, Some("content-type")).await;
        assert_eq!(granted.status, 204, "{method} {path}");
        assert_eq!(
            granted.header("access-control-allow-origin"),
            Some("*"),
            "every page may read the answer"
        );
    }
    // Sending a token is a write: only from a write origin.
    let token = preflight(
        &server,
        "/v1/services",
        OTHER_PAGE,
        "GET",
        Some("authorization"),
    )
    .await;
    assert_eq!(token.status, 403);
    let token = preflight(
        &server,
        "/v1/services",
        WRITER_PAGE,
        "GET",
        Some("authorization"),
    )
    .await;
    assert_eq!(token.status, 204);

    // A simple request (no preflight): a form post from another page changes nothing.
    let body = br#"{"addr":"a:1"}"#;
    let form = server
        .send(
            "POST",
            INSTANCES,
            &[("Origin", OTHER_PAGE), ("Content-Type", "text/plain")],
            body,
        )
        .await;
    assert_eq!(form.status, 403, "{}", form.text());
    let seed = server
        .send(
            "POST",
            "/_rpc_/registry",
            &[("Origin", OTHER_PAGE), ("X-rpc-Server", "a:1")],
            b"",
        )
        .await;
    assert_eq!(seed.status, 403, "{}", seed.text());
    assert!(server.registry.is_empty());

    // The write origin's page registers and deregisters.
    let json = [
        ("Origin", WRITER_PAGE),
        ("Content-Type", "application/json"),
    ];
    let created = server.send("POST", INSTANCES, &json, body).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let deleted = server
        .send(
            "DELETE",
            "/v1/services/echo/instances/a:1",
            &[("Origin", OTHER_PAGE)],
            b"",
        )
        .await;
    assert_eq!(deleted.status, 403);
    assert_eq!(server.registry.len(), 1);
    let deleted = server
        .send(
            "DELETE",
            "/v1/services/echo/instances/a:1",
            &[("Origin", WRITER_PAGE)],
            b"",
        )
        .await;
    assert_eq!(deleted.status, 204);
    // Reads from any page stay open.
    let read = server
        .send("GET", "/v1/services", &[("Origin", OTHER_PAGE)], b"")
        .await;
    assert_eq!(read.status, 200);
}

#[tokio::test]
async fn no_write_origin_by_default() {
    let server = TestServer::start().await;
    let refused = preflight(&server, INSTANCES, "http://127.0.0.1:9999", "POST", None).await;
    assert_eq!(refused.status, 403);
    // Programs send no Origin: the browser's rules are not theirs.
    let program = server.post_json(INSTANCES, r#"{"addr":"a:1"}"#).await;
    assert_eq!(program.status, 201);
}

#[tokio::test]
async fn a_cors_list_echoes_matching_origins_only() {
    let http = HttpConfig {
        cors_origins: vec![
            "https://a.example".to_owned(),
            "https://b.example".to_owned(),
        ],
        cors_write_origins: vec![WRITER_PAGE.to_owned()],
        ..Default::default()
    };
    let server = TestServer::with(Default::default(), http).await;
    for (origin, echoed) in [
        ("https://b.example", Some("https://b.example")),
        (WRITER_PAGE, Some(WRITER_PAGE)),
        ("https://c.example", None),
    ] {
        let reply = server
            .send("GET", "/v1/services", &[("Origin", origin)], b"")
            .await;
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.header("access-control-allow-origin"),
            echoed,
            "{origin}"
        );
        assert_eq!(reply.header("vary"), Some("Origin"));
    }
}
