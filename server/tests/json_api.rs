//! The JSON API under `/v1`: register, renew, deregister, list, ETags, revisions,
//! leases, the index, and CORS.

pub mod common;

use std::time::Duration;

use common::TestServer;
use rollcall_protocol::{InstanceList, LeaseList, RegisterResponse, ServiceIndex};
use rollcall_server::{HttpConfig, RegistryConfig};

const INSTANCES: &str = "/v1/services/echo/instances";

#[tokio::test]
async fn register_then_renew_then_list() {
    let server = TestServer::start().await;
    let body = r#"{"addr":"tcp@10.0.0.2:1","metadata":{"zone":"eu"},"weight":3,"ttl_ms":60000}"#;
    let reply = server.post_json(INSTANCES, body).await;
    assert_eq!(reply.status, 201);
    let created: RegisterResponse = reply.json();
    assert_eq!(
        created,
        RegisterResponse {
            service: "echo".to_owned(),
            addr: "tcp@10.0.0.2:1".to_owned(),
            ttl_ms: 60_000,
            created: true,
            revision: 1,
        }
    );
    let renewed: RegisterResponse = {
        let reply = server.post_json(INSTANCES, body).await;
        assert_eq!(reply.status, 200);
        reply.json()
    };
    assert!(!renewed.created);
    assert_eq!(renewed.revision, 1, "a plain renewal does not bump");

    server
        .post_json(INSTANCES, r#"{"addr":"tcp@10.0.0.1:1"}"#)
        .await;
    let reply = server.get("/v1/services/echo").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    // A registry just started warms up (by default for its default TTL): the ETag
    // and the list say so.
    let etag = format!("\"{:x}.2.w\"", server.registry.epoch());
    assert_eq!(reply.header("etag"), Some(etag.as_str()));
    let list: InstanceList = reply.json();
    assert_eq!(list.service, "echo");
    assert_eq!(list.revision, 2);
    assert!(list.warming);
    let addrs: Vec<&str> = list.instances.iter().map(|i| i.addr.as_str()).collect();
    assert_eq!(
        addrs,
        ["tcp@10.0.0.1:1", "tcp@10.0.0.2:1"],
        "sorted by address"
    );
    assert_eq!(list.instances[0].weight, 1);
    assert_eq!(list.instances[0].ttl_ms, 300_000, "server default TTL");
    assert_eq!(list.instances[1].weight, 3);
    assert_eq!(list.instances[1].metadata["zone"], "eu");
    assert_eq!(list.instances[1].ttl_ms, 60_000);
}

#[tokio::test]
async fn the_body_is_exactly_the_instance_list() {
    let config = RegistryConfig {
        epoch: Some(7),
        warmup: Some(Duration::ZERO),
        ..RegistryConfig::default()
    };
    let server = TestServer::with(config, HttpConfig::default()).await;
    server
        .post_json(
            INSTANCES,
            r#"{"addr":"b:1","metadata":{"z":"1","a":"2"},"ttl_ms":1000}"#,
        )
        .await;
    let reply = server.get("/v1/services/echo").await;
    assert_eq!(
        reply.text(),
        r#"{"service":"echo","epoch":7,"revision":1,"warming":false,"instances":[{"addr":"b:1","metadata":{"a":"2","z":"1"},"weight":1,"ttl_ms":1000}]}"#
    );
    assert_eq!(reply.header("etag"), Some("\"7.1\""));
}

#[tokio::test]
async fn changes_bump_the_revision_and_renewals_do_not() {
    let server = TestServer::start().await;
    let revision = |body: &str| {
        let body = body.to_owned();
        let server = &server;
        async move {
            server
                .post_json(INSTANCES, &body)
                .await
                .json::<RegisterResponse>()
                .revision
        }
    };
    assert_eq!(revision(r#"{"addr":"a:1"}"#).await, 1);
    assert_eq!(revision(r#"{"addr":"a:1"}"#).await, 1);
    assert_eq!(revision(r#"{"addr":"a:1","weight":2}"#).await, 2);
    assert_eq!(
        revision(r#"{"addr":"a:1","weight":2,"metadata":{"k":"v"}}"#).await,
        3
    );
    assert_eq!(
        revision(r#"{"addr":"a:1","weight":2,"metadata":{"k":"v"},"ttl_ms":5000}"#).await,
        4
    );
    assert_eq!(
        revision(r#"{"addr":"a:1","weight":2,"metadata":{"k":"v"},"ttl_ms":5000}"#).await,
        4
    );
    // The counter is registry-wide: another service's change moves it on.
    server
        .post_json("/v1/services/other/instances", r#"{"addr":"a:1"}"#)
        .await;
    assert_eq!(revision(r#"{"addr":"b:1"}"#).await, 6);
}

#[tokio::test]
async fn etag_answers_304_until_something_changes() {
    let server = TestServer::start().await;
    server.post_json(INSTANCES, r#"{"addr":"a:1"}"#).await;
    let first = server.get("/v1/services/echo").await;
    let etag = first.header("etag").expect("etag").to_owned();
    let again = server
        .send("GET", "/v1/services/echo", &[("If-None-Match", &etag)], b"")
        .await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    let weak = format!("W/{etag}");
    let listed = format!("\"99\", {etag}");
    for tag in [weak.as_str(), listed.as_str(), "*"] {
        let reply = server
            .send("GET", "/v1/services/echo", &[("If-None-Match", tag)], b"")
            .await;
        assert_eq!(reply.status, 304, "{tag}");
    }
    // A renewal changes nothing.
    server.post_json(INSTANCES, r#"{"addr":"a:1"}"#).await;
    let reply = server
        .send("GET", "/v1/services/echo", &[("If-None-Match", &etag)], b"")
        .await;
    assert_eq!(reply.status, 304);
    // A new instance does.
    server.post_json(INSTANCES, r#"{"addr":"b:1"}"#).await;
    let reply = server
        .send("GET", "/v1/services/echo", &[("If-None-Match", &etag)], b"")
        .await;
    assert_eq!(reply.status, 200);
    assert_ne!(reply.header("etag"), Some(etag.as_str()));
    assert_eq!(reply.json::<InstanceList>().instances.len(), 2);
}

#[tokio::test]
async fn an_unknown_service_is_an_empty_list_at_revision_zero() {
    let server = TestServer::start().await;
    let reply = server.get("/v1/services/nobody").await;
    assert_eq!(reply.status, 200);
    let etag = format!("\"{:x}.0.w\"", server.registry.epoch());
    assert_eq!(reply.header("etag"), Some(etag.as_str()));
    let list: InstanceList = reply.json();
    assert_eq!(
        (list.service.as_str(), list.revision, list.instances.len()),
        ("nobody", 0, 0)
    );
    // Looking does not create it.
    assert!(server.registry.index().services.is_empty());
}

#[tokio::test]
async fn deregister_removes_and_bumps() {
    let server = TestServer::start().await;
    server
        .post_json(INSTANCES, r#"{"addr":"tcp@[::1]:80"}"#)
        .await;
    let path = rollcall_protocol::paths::instance("echo", "tcp@[::1]:80");
    let reply = server.send("DELETE", &path, &[], b"").await;
    assert_eq!(reply.status, 204);
    let list: InstanceList = server.get("/v1/services/echo").await.json();
    assert!(list.instances.is_empty());
    assert_eq!(list.revision, 2);
    let again = server.send("DELETE", &path, &[], b"").await;
    assert_eq!(again.status, 404);
    assert!(again.error().contains("not registered"), "{}", again.text());
    // Percent-encoded addresses decode.
    server.post_json(INSTANCES, r#"{"addr":"a:1"}"#).await;
    let reply = server
        .send("DELETE", "/v1/services/echo/instances/a%3A1", &[], b"")
        .await;
    assert_eq!(reply.status, 204);
}

#[tokio::test]
async fn leases_show_heartbeat_age_and_time_left() {
    let server = TestServer::start().await;
    server
        .post_json(INSTANCES, r#"{"addr":"b:1","ttl_ms":60000}"#)
        .await;
    server
        .post_json(INSTANCES, r#"{"addr":"a:1","ttl_ms":30000}"#)
        .await;
    let reply = server.get("/v1/services/echo/leases").await;
    assert_eq!(reply.status, 200);
    let leases: LeaseList = reply.json();
    assert_eq!(leases.revision, 2);
    assert_eq!(leases.leases.len(), 2);
    assert_eq!(leases.leases[0].addr, "a:1");
    let left = leases.leases[0].expires_in_ms.expect("expires");
    assert!((29_000..=30_000).contains(&left), "{left}");
    assert!(leases.leases[0].since_heartbeat_ms < 1_000);
    assert!(leases.leases[1].expires_in_ms.expect("expires") > 59_000);
}

#[tokio::test]
async fn the_index_lists_services_sorted() {
    let server = TestServer::start().await;
    server
        .post_json("/v1/services/zeta/instances", r#"{"addr":"a:1"}"#)
        .await;
    server
        .post_json("/v1/services/alpha/instances", r#"{"addr":"a:1"}"#)
        .await;
    server
        .post_json("/v1/services/alpha/instances", r#"{"addr":"b:1"}"#)
        .await;
    let index: ServiceIndex = server.get("/v1/services").await.json();
    let summary: Vec<(&str, u64, usize)> = index
        .services
        .iter()
        .map(|s| (s.service.as_str(), s.revision, s.instances))
        .collect();
    assert_eq!(summary, [("alpha", 3, 2), ("zeta", 1, 1)]);
}

/// A body a page may send across origins without asking (`text/plain`) is refused
/// even when it parses: a write must declare JSON. The reason says what to send.
#[tokio::test]
async fn only_bodies_declared_json_are_read() {
    let server = TestServer::start().await;
    let reply = server
        .send(
            "POST",
            INSTANCES,
            &[("Content-Type", "text/plain;charset=UTF-8")],
            br#"{"addr":"a:1"}"#,
        )
        .await;
    assert_eq!(reply.status, 415);
    assert_eq!(
        reply.error(),
        "Content-Type must be application/json (got text/plain;charset=UTF-8)"
    );
    assert!(server.registry.is_empty());
    let reply = server
        .send(
            "POST",
            INSTANCES,
            &[("Content-Type", "application/json; charset=utf-8")],
            br#"{"addr":"a:1"}"#,
        )
        .await;
    assert_eq!(reply.status, 201);
}

#[tokio::test]
async fn errors_are_json_with_a_reason() {
    let server = TestServer::start().await;
    let reply = server
        .post_json(INSTANCES, r#"{"addr":"a:1","wieght":2}"#)
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let message = reply.error();
    assert!(
        message.starts_with("invalid JSON: unknown field `wieght`"),
        "{message}"
    );
    let reply = server
        .post_json(INSTANCES, r#"{"addr":"a:1","ttl_ms":10}"#)
        .await;
    assert_eq!(reply.error(), "ttl_ms 10 is below the minimum of 1000 ms");
    let reply = server
        .post_json(INSTANCES, r#"{"addr":"a:1","ttl_ms":90000000}"#)
        .await;
    assert_eq!(
        reply.error(),
        "ttl_ms 90000000 is above the maximum of 86400000 ms"
    );
}

#[tokio::test]
async fn a_restarted_registry_never_answers_the_old_runs_etag() {
    let before = TestServer::start().await;
    before.post_json(INSTANCES, r#"{"addr":"a:1"}"#).await;
    let etag = before
        .get("/v1/services/echo")
        .await
        .header("etag")
        .map(str::to_owned);
    let etag = etag.expect("etag");
    // Another run, same revision, another list.
    let after = TestServer::start().await;
    assert_ne!(before.registry.epoch(), after.registry.epoch());
    after.post_json(INSTANCES, r#"{"addr":"b:1"}"#).await;
    let reply = after
        .send("GET", "/v1/services/echo", &[("If-None-Match", &etag)], b"")
        .await;
    assert_eq!(reply.status, 200);
    let list: InstanceList = reply.json();
    assert_eq!((list.revision, list.instances[0].addr.as_str()), (1, "b:1"));
    assert!(list.epoch < 1 << 53, "epochs stay exact in JavaScript");
}

/// Every route that answers `GET` answers `HEAD` with the same status and headers
/// and no body.
#[tokio::test]
async fn head_answers_every_get_route() {
    let server = TestServer::start().await;
    server.post_json(INSTANCES, r#"{"addr":"a:1"}"#).await;
    for path in [
        "/healthz",
        "/_rpc_/registry",
        "/v1/services",
        "/v1/services/echo",
        "/v1/services/echo/leases",
    ] {
        let get = server.get(path).await;
        let head = server.send("HEAD", path, &[], b"").await;
        assert_eq!((head.status, get.status), (200, 200), "{path}");
        assert!(head.body.is_empty(), "{path}");
        for header in ["content-type", "etag", "x-rpc-servers"] {
            assert_eq!(head.header(header), get.header(header), "{path} {header}");
        }
        // A length is sent when there is a body to measure (hyper leaves out a zero).
        if !get.body.is_empty() {
            let length = get.body.len().to_string();
            assert_eq!(
                head.header("content-length"),
                Some(length.as_str()),
                "{path}"
            );
        }
    }
}
