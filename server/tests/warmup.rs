//! Warm-up over HTTP: a registry that just started says so on every list and on
//! `/readyz`, and stops saying so once warm. (The change at the end of the window,
//! and the ETags on both sides of it, are tested on the registry with paused time.)

pub mod common;

use std::time::Duration;

use common::TestServer;
use rollcall_protocol::{HEADER_WARMING, InstanceList, ServiceIndex};
use rollcall_server::{HttpConfig, RegistryConfig};

async fn server(warmup: Duration) -> TestServer {
    let config = RegistryConfig {
        warmup: Some(warmup),
        ..RegistryConfig::default()
    };
    TestServer::with(config, HttpConfig::default()).await
}

#[tokio::test]
async fn a_warming_registry_says_so_everywhere_but_healthz() {
    // Far longer than the test takes, however loaded the machine.
    let server = server(Duration::from_secs(600)).await;
    server
        .send("POST", "/_rpc_/registry", &[("X-rpc-Server", "h:1")], b"")
        .await;
    let ready = server.get("/readyz").await;
    assert_eq!(ready.status, 503);
    assert!(ready.text().starts_with("warming up: "), "{}", ready.text());
    assert_eq!(server.get("/healthz").await.status, 200);
    let seed = server.get("/_rpc_/registry").await;
    assert_eq!(seed.header("X-rpc-Servers"), Some("h:1"));
    assert_eq!(seed.header(HEADER_WARMING), Some("true"));
    let list: InstanceList = server.get("/v1/services/default").await.json();
    assert!(list.warming);
    assert_eq!(list.instances.len(), 1);
    assert!(
        server
            .get("/v1/services")
            .await
            .json::<ServiceIndex>()
            .warming
    );
}

#[tokio::test]
async fn a_warm_registry_is_ready_and_lists_without_the_flag() {
    let server = server(Duration::ZERO).await;
    let ready = server.get("/readyz").await;
    assert_eq!((ready.status, ready.text().as_str()), (200, "ready"));
    let seed = server.get("/_rpc_/registry").await;
    assert_eq!(seed.header(HEADER_WARMING), None);
    let list = server.get("/v1/services/default").await;
    assert!(!list.json::<InstanceList>().warming);
    assert!(!list.header("etag").is_some_and(|tag| tag.ends_with(".w\"")));
    assert!(
        !server
            .get("/v1/services")
            .await
            .json::<ServiceIndex>()
            .warming
    );
}
