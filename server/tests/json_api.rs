//! The JSON API under `/v1`: register, renew, deregister, list, ETags, revisions,
//! leases, the index, and CORS; on the memory store and over etcd (each test runs
//! on both). Revisions are compared, not counted: over etcd they are etcd's.

pub mod common;

use std::time::Duration;

use common::{Backing, TestServer};
use rollcall_protocol::{InstanceList, LeaseList, RegisterResponse, ServiceIndex};
use rollcall_server::{HttpConfig, RegistryConfig};

const INSTANCES: &str = "/v1/services/echo/instances";

on_both_stores!(
    register_then_renew_then_list,
    the_body_is_exactly_the_instance_list,
    changes_bump_the_revision_and_renewals_do_not,
    etag_answers_304_until_something_changes,
    an_unknown_service_is_an_empty_list,
    deregister_removes_and_bumps,
    leases_show_heartbeat_age_and_time_left,
    the_index_lists_services_sorted,
    only_bodies_declared_json_are_read,
    errors_are_json_with_a_reason,
    head_answers_every_get_route,
);

async fn start(backing: Backing) -> TestServer {
    TestServer::on(backing, RegistryConfig::default(), HttpConfig::default()).await
}

async fn register_then_renew_then_list(backing: Backing) {
    let server = start(backing).await;
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
            revision: created.revision,
        }
    );
    let renewed: RegisterResponse = {
        let reply = server.post_json(INSTANCES, body).await;
        assert_eq!(reply.status, 200);
        reply.json()
    };
    assert!(!renewed.created);
    assert_eq!(
        renewed.revision, created.revision,
        "a plain renewal does not bump"
    );

    let second: RegisterResponse = server
        .post_json(INSTANCES, r#"{"addr":"tcp@10.0.0.1:1"}"#)
        .await
        .json();
    assert!(second.revision > created.revision);
    let reply = server.get("/v1/services/echo").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    // A registry just started warms up (by default for its default TTL): the ETag
    // and the list say so. A frontend over etcd lost nothing: it does not.
    let warming = if server.in_memory() { ".w" } else { "" };
    let etag = format!(
        "\"{:x}.{}{warming}\"",
        server.registry.epoch(),
        second.revision
    );
    assert_eq!(reply.header("etag"), Some(etag.as_str()));
    let list: InstanceList = reply.json();
    assert_eq!(list.service, "echo");
    assert_eq!(list.revision, second.revision);
    assert_eq!(list.warming, server.in_memory());
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

async fn the_body_is_exactly_the_instance_list(backing: Backing) {
    let config = RegistryConfig {
        epoch: Some(7),
        warmup: Some(Duration::ZERO),
        ..RegistryConfig::default()
    };
    let server = TestServer::on(backing, config, HttpConfig::default()).await;
    let registered: RegisterResponse = server
        .post_json(
            INSTANCES,
            r#"{"addr":"b:1","metadata":{"z":"1","a":"2"},"ttl_ms":2000}"#,
        )
        .await
        .json();
    let reply = server.get("/v1/services/echo").await;
    let (epoch, revision) = (server.registry.epoch(), registered.revision);
    if server.in_memory() {
        assert_eq!((epoch, revision), (7, 1));
    }
    assert_eq!(
        reply.text(),
        format!(
            r#"{{"service":"echo","epoch":{epoch},"revision":{revision},"warming":false,"instances":[{{"addr":"b:1","metadata":{{"a":"2","z":"1"}},"weight":1,"ttl_ms":2000}}]}}"#
        )
    );
    let etag = format!("\"{epoch:x}.{revision}\"");
    assert_eq!(reply.header("etag"), Some(etag.as_str()));
}

async fn changes_bump_the_revision_and_renewals_do_not(backing: Backing) {
    let server = start(backing).await;
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
    let first = revision(r#"{"addr":"a:1"}"#).await;
    assert_eq!(revision(r#"{"addr":"a:1"}"#).await, first);
    let weight = revision(r#"{"addr":"a:1","weight":2}"#).await;
    assert!(weight > first);
    let metadata = revision(r#"{"addr":"a:1","weight":2,"metadata":{"k":"v"}}"#).await;
    assert!(metadata > weight);
    let ttl = revision(r#"{"addr":"a:1","weight":2,"metadata":{"k":"v"},"ttl_ms":5000}"#).await;
    assert!(ttl > metadata);
    assert_eq!(
        revision(r#"{"addr":"a:1","weight":2,"metadata":{"k":"v"},"ttl_ms":5000}"#).await,
        ttl
    );
    // The counter is registry-wide: another service's change moves it on.
    server
        .post_json("/v1/services/other/instances", r#"{"addr":"a:1"}"#)
        .await;
    let after = revision(r#"{"addr":"b:1"}"#).await;
    assert!(after > ttl + 1, "{after} after {ttl}");
    if server.in_memory() {
        assert_eq!((first, weight, metadata, ttl, after), (1, 2, 3, 4, 6));
    }
}

async fn etag_answers_304_until_something_changes(backing: Backing) {
    let server = start(backing).await;
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

/// An unknown service lists empty, at revision 0 in memory; a frontend over etcd
/// lists it at the revision it loaded the registry at (a service emptied before
/// then must not list at a lower revision than other frontends gave it).
async fn an_unknown_service_is_an_empty_list(backing: Backing) {
    let server = start(backing).await;
    let reply = server.get("/v1/services/nobody").await;
    assert_eq!(reply.status, 200);
    let list: InstanceList = reply.json();
    assert_eq!(reply.header("etag"), Some(list.version().etag().as_str()));
    assert_eq!(
        (list.service.as_str(), list.revision, list.instances.len()),
        ("nobody", server.registry.revision(), 0)
    );
    if server.in_memory() {
        let etag = format!("\"{:x}.0.w\"", server.registry.epoch());
        assert_eq!(reply.header("etag"), Some(etag.as_str()));
    }
    // Looking does not create it.
    assert!(server.registry.index().services.is_empty());
}

async fn deregister_removes_and_bumps(backing: Backing) {
    let server = start(backing).await;
    let registered: RegisterResponse = server
        .post_json(INSTANCES, r#"{"addr":"tcp@[::1]:80"}"#)
        .await
        .json();
    let path = rollcall_protocol::paths::instance("echo", "tcp@[::1]:80");
    let reply = server.send("DELETE", &path, &[], b"").await;
    assert_eq!(reply.status, 204);
    let list: InstanceList = server.get("/v1/services/echo").await.json();
    assert!(list.instances.is_empty());
    assert!(list.revision > registered.revision);
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

/// Over etcd the figures are etcd's, in whole seconds (read as their middle).
async fn leases_show_heartbeat_age_and_time_left(backing: Backing) {
    let server = start(backing).await;
    server
        .post_json(INSTANCES, r#"{"addr":"b:1","ttl_ms":60000}"#)
        .await;
    let last: RegisterResponse = server
        .post_json(INSTANCES, r#"{"addr":"a:1","ttl_ms":30000}"#)
        .await
        .json();
    let reply = server.get("/v1/services/echo/leases").await;
    assert_eq!(reply.status, 200);
    let leases: LeaseList = reply.json();
    assert_eq!(leases.revision, last.revision);
    assert_eq!(leases.leases.len(), 2);
    assert_eq!(leases.leases[0].addr, "a:1");
    let left = leases.leases[0].expires_in_ms.expect("expires");
    assert!((29_000..=30_000).contains(&left), "{left}");
    assert!(leases.leases[0].since_heartbeat_ms < 1_000);
    assert!(leases.leases[1].expires_in_ms.expect("expires") > 59_000);
}

async fn the_index_lists_services_sorted(backing: Backing) {
    let server = start(backing).await;
    let revision = |reply: common::Reply| reply.json::<RegisterResponse>().revision;
    let zeta = server
        .post_json("/v1/services/zeta/instances", r#"{"addr":"a:1"}"#)
        .await;
    server
        .post_json("/v1/services/alpha/instances", r#"{"addr":"a:1"}"#)
        .await;
    let alpha = server
        .post_json("/v1/services/alpha/instances", r#"{"addr":"b:1"}"#)
        .await;
    let (zeta, alpha) = (revision(zeta), revision(alpha));
    let index: ServiceIndex = server.get("/v1/services").await.json();
    let summary: Vec<(&str, u64, usize)> = index
        .services
        .iter()
        .map(|s| (s.service.as_str(), s.revision, s.instances))
        .collect();
    assert_eq!(summary, [("alpha", alpha, 2), ("zeta", zeta, 1)]);
    assert_eq!(index.revision, alpha);
}

/// A body a page may send across origins without asking (`text/plain`) is refused
/// even when it parses: a write must declare JSON. The reason says what to send.
async fn only_bodies_declared_json_are_read(backing: Backing) {
    let server = start(backing).await;
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

async fn errors_are_json_with_a_reason(backing: Backing) {
    let server = start(backing).await;
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
    // Over etcd the shortest TTL is the shortest lease etcd grants.
    let min = if server.in_memory() { 1000 } else { 2000 };
    assert_eq!(
        reply.error(),
        format!("ttl_ms 10 is below the minimum of {min} ms")
    );
    let reply = server
        .post_json(INSTANCES, r#"{"addr":"a:1","ttl_ms":90000000}"#)
        .await;
    assert_eq!(
        reply.error(),
        "ttl_ms 90000000 is above the maximum of 86400000 ms"
    );
}

/// The memory store only: over etcd the epoch is the cluster's, and survives a
/// frontend's restart (see `etcd_frontends.rs`).
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
async fn head_answers_every_get_route(backing: Backing) {
    let server = start(backing).await;
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
