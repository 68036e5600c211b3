//! The seed protocol at `/_rpc_/registry`, as GeeRPC day 7 speaks it: headers only.

pub mod common;

use common::TestServer;
use rollcall_protocol::RegisterRequest;

const SEED: &str = "/_rpc_/registry";

#[tokio::test]
async fn post_registers_and_answers_the_granted_ttl() {
    let server = TestServer::start().await;
    let reply = server
        .send(
            "POST",
            SEED,
            &[("X-rpc-Server", "tcp@127.0.0.1:50001")],
            b"",
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("X-rpc-Ttl-Ms"), Some("300000"));
    assert_eq!(reply.header("content-length"), Some("0"));
    assert!(reply.body.is_empty());
    assert_eq!(server.registry.len(), 1);
}

#[tokio::test]
async fn get_lists_sorted_and_comma_joined() {
    let server = TestServer::start().await;
    for addr in [
        "tcp@127.0.0.1:3",
        "http@[::1]:80",
        "tcp@127.0.0.1:1",
        "tcp@127.0.0.1:2",
    ] {
        let reply = server
            .send("POST", SEED, &[("X-rpc-Server", addr)], b"")
            .await;
        assert_eq!(reply.status, 200, "{addr}");
    }
    let reply = server.get(SEED).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("X-rpc-Servers"),
        Some("http@[::1]:80,tcp@127.0.0.1:1,tcp@127.0.0.1:2,tcp@127.0.0.1:3")
    );
    assert_eq!(reply.header("content-length"), Some("0"));
    assert!(reply.body.is_empty());
}

#[tokio::test]
async fn renewing_does_not_duplicate() {
    let server = TestServer::start().await;
    for _ in 0..3 {
        server
            .send("POST", SEED, &[("X-rpc-Server", "a:1")], b"")
            .await;
    }
    assert_eq!(server.get(SEED).await.header("X-rpc-Servers"), Some("a:1"));
    assert_eq!(server.registry.len(), 1);
}

#[tokio::test]
async fn empty_registry_answers_an_empty_header() {
    let server = TestServer::start().await;
    let reply = server.get(SEED).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("X-rpc-Servers"), Some(""));
}

#[tokio::test]
async fn other_methods_are_405_with_allow() {
    let server = TestServer::start().await;
    for method in ["PUT", "DELETE", "PATCH"] {
        let reply = server.send(method, SEED, &[], b"").await;
        assert_eq!(reply.status, 405, "{method}");
        assert_eq!(
            reply.header("Allow"),
            Some("GET, HEAD, POST, OPTIONS"),
            "{method}"
        );
    }
}

#[tokio::test]
async fn missing_or_empty_header_is_400_in_plain_text() {
    let server = TestServer::start().await;
    for headers in [&[][..], &[("X-rpc-Server", "")][..]] {
        let reply = server.send("POST", SEED, headers, b"").await;
        assert_eq!(reply.status, 400);
        assert!(
            reply
                .header("content-type")
                .is_some_and(|t| t.starts_with("text/plain"))
        );
        assert_eq!(reply.text(), "missing or empty X-rpc-Server header");
    }
    let reply = server
        .send("POST", SEED, &[("X-rpc-Server", "a,b")], b"")
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.text(), "invalid address: contains a comma");
    assert_eq!(server.registry.len(), 0);
}

#[tokio::test]
async fn seed_heartbeat_keeps_json_metadata_and_weight() {
    let server = TestServer::start().await;
    let request = RegisterRequest {
        addr: "a:1".to_owned(),
        metadata: [("zone".to_owned(), "eu".to_owned())].into(),
        weight: Some(7),
        ttl_ms: Some(60_000),
    };
    server
        .registry
        .register("default", request)
        .expect("register");
    server
        .send("POST", SEED, &[("X-rpc-Server", "a:1")], b"")
        .await;
    let list: rollcall_protocol::InstanceList =
        serde_json::from_slice(server.registry.list("default").body()).expect("json");
    assert_eq!(list.instances.len(), 1);
    assert_eq!(list.instances[0].weight, 7);
    assert_eq!(list.instances[0].metadata["zone"], "eu");
    // The seed protocol grants the server's default TTL.
    assert_eq!(list.instances[0].ttl_ms, 300_000);
}

#[tokio::test]
async fn a_custom_seed_path_moves_the_protocol() {
    let http = rollcall_server::HttpConfig {
        seed_path: "/registry".to_owned(),
        ..Default::default()
    };
    let server = TestServer::with(Default::default(), http).await;
    let reply = server
        .send("POST", "/registry", &[("X-rpc-Server", "a:1")], b"")
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(server.get(SEED).await.status, 404);
    assert_eq!(
        server.get("/registry").await.header("X-rpc-Servers"),
        Some("a:1")
    );
}

#[tokio::test]
async fn never_expiring_default_answers_ttl_zero() {
    let config = rollcall_server::RegistryConfig {
        default_ttl: std::time::Duration::ZERO,
        ..Default::default()
    };
    let server = TestServer::with(config, Default::default()).await;
    let reply = server
        .send("POST", SEED, &[("X-rpc-Server", "a:1")], b"")
        .await;
    assert_eq!(reply.header("X-rpc-Ttl-Ms"), Some("0"));
}

#[tokio::test]
async fn healthz_answers_ok() {
    let server = TestServer::start().await;
    let reply = server.get("/healthz").await;
    assert_eq!((reply.status, reply.text().as_str()), (200, "ok"));
    assert_eq!(server.send("POST", "/healthz", &[], b"").await.status, 405);
}
