//! Instances expire a TTL after their last heartbeat: on paused tokio time against
//! the registry itself, and once over a real socket.

pub mod common;

use std::time::Duration;

use common::TestServer;
use rollcall_protocol::{InstanceList, RegisterRequest};
use rollcall_server::{Registry, RegistryConfig};
use tokio::time::{Instant, sleep, sleep_until};

fn registry() -> Registry {
    Registry::new(RegistryConfig::default())
}

fn request(addr: &str, ttl_ms: u64) -> RegisterRequest {
    RegisterRequest {
        addr: addr.to_owned(),
        metadata: Default::default(),
        weight: None,
        ttl_ms: Some(ttl_ms),
    }
}

fn addrs(registry: &Registry, service: &str) -> Vec<String> {
    let list: InstanceList = serde_json::from_slice(registry.list(service).body()).expect("json");
    list.instances.into_iter().map(|i| i.addr).collect()
}

#[tokio::test(start_paused = true)]
async fn expires_a_ttl_after_registration_and_not_before() {
    let registry = registry();
    let start = Instant::now();
    registry
        .register("s", request("a:1", 1_000))
        .expect("register");
    sleep_until(start + Duration::from_millis(1_000)).await;
    assert_eq!(addrs(&registry, "s"), ["a:1"], "alive at exactly its TTL");
    sleep_until(start + Duration::from_millis(1_003)).await;
    assert!(addrs(&registry, "s").is_empty(), "gone a few ms after");
    assert_eq!(registry.len(), 0);
}

#[tokio::test(start_paused = true)]
async fn renewals_keep_an_instance_alive() {
    let registry = registry();
    for _ in 0..20 {
        registry
            .register("s", request("a:1", 1_000))
            .expect("register");
        sleep(Duration::from_millis(600)).await;
    }
    assert_eq!(addrs(&registry, "s"), ["a:1"]);
    assert_eq!(registry.revision(), 1, "renewals are not changes");
    let last = Instant::now();
    registry
        .register("s", request("a:1", 1_000))
        .expect("renew");
    sleep_until(last + Duration::from_millis(1_000)).await;
    assert_eq!(registry.len(), 1);
    sleep(Duration::from_millis(3)).await;
    assert_eq!(registry.len(), 0);
}

#[tokio::test(start_paused = true)]
async fn seed_heartbeats_renew_with_the_default_ttl() {
    let registry = Registry::new(RegistryConfig {
        default_ttl: Duration::from_secs(2),
        ..RegistryConfig::default()
    });
    assert_eq!(registry.renew_seed("a:1"), Ok(Duration::from_secs(2)));
    sleep(Duration::from_millis(1_500)).await;
    registry.renew_seed("a:1").expect("renew");
    sleep(Duration::from_millis(1_500)).await;
    assert_eq!(registry.len(), 1);
    sleep(Duration::from_millis(600)).await;
    assert_eq!(registry.len(), 0);
    assert_eq!(registry.servers_header("default"), "");
}

#[tokio::test(start_paused = true)]
async fn each_instance_has_its_own_ttl() {
    let registry = registry();
    registry
        .register("s", request("short:1", 1_000))
        .expect("register");
    registry
        .register("s", request("long:1", 3_000))
        .expect("register");
    sleep(Duration::from_millis(2_000)).await;
    assert_eq!(addrs(&registry, "s"), ["long:1"]);
    sleep(Duration::from_millis(1_010)).await;
    assert!(addrs(&registry, "s").is_empty());
}

#[tokio::test(start_paused = true)]
async fn shortening_a_ttl_takes_effect_at_once() {
    let registry = registry();
    registry
        .register("s", request("a:1", 60_000))
        .expect("register");
    sleep(Duration::from_millis(10)).await;
    // The expiry task sleeps until 60 s; the shorter TTL must wake it.
    registry
        .register("s", request("a:1", 1_000))
        .expect("shorten");
    sleep(Duration::from_millis(1_005)).await;
    assert_eq!(registry.len(), 0);
}

#[tokio::test(start_paused = true)]
async fn ttl_zero_never_expires() {
    let registry = Registry::new(RegistryConfig {
        default_ttl: Duration::ZERO,
        ..RegistryConfig::default()
    });
    assert_eq!(registry.renew_seed("a:1"), Ok(Duration::ZERO));
    registry
        .register("s", request("b:1", 0))
        .expect("ttl 0 allowed");
    registry
        .register("s", request("c:1", 1_000))
        .expect("others still expire");
    sleep(Duration::from_secs(1_000 * 24 * 3600)).await;
    assert_eq!(registry.servers_header("default"), "a:1");
    assert_eq!(addrs(&registry, "s"), ["b:1"]);
    let leases = registry.leases("s");
    assert_eq!(leases.leases[0].expires_in_ms, None);
}

#[tokio::test(start_paused = true)]
async fn expiry_bumps_the_revision_and_refreshes_the_snapshot() {
    let registry = registry();
    registry
        .register("s", request("a:1", 1_000))
        .expect("register");
    registry
        .register("s", request("b:1", 5_000))
        .expect("register");
    let before = registry.list("s");
    assert_eq!(before.revision(), 2);
    assert!(
        std::sync::Arc::ptr_eq(&before, &registry.list("s")),
        "cached while unchanged"
    );
    sleep(Duration::from_millis(1_010)).await;
    let after = registry.list("s");
    assert_eq!(after.revision(), 3);
    assert_eq!(after.len(), 1);
    assert_eq!(registry.index().services[0].revision, 3);
}

#[tokio::test(start_paused = true)]
async fn a_mass_expiry_removes_everyone() {
    let registry = registry();
    for n in 0..20_000 {
        registry
            .register("s", request(&format!("10.0.0.1:{n}"), 1_000))
            .expect("register");
    }
    sleep(Duration::from_millis(999)).await;
    assert_eq!(registry.len(), 20_000);
    sleep(Duration::from_millis(20)).await;
    assert_eq!(registry.len(), 0);
    assert_eq!(registry.revision(), 40_000);
}

#[tokio::test(start_paused = true)]
async fn the_expiry_task_stops_with_the_last_handle() {
    let metrics = tokio::runtime::Handle::current().metrics();
    let before = metrics.num_alive_tasks();
    let registry = registry();
    let clone = registry.clone();
    registry
        .register("s", request("a:1", 1_000))
        .expect("register");
    tokio::task::yield_now().await;
    assert_eq!(metrics.num_alive_tasks(), before + 1);
    drop(registry);
    sleep(Duration::from_millis(10)).await;
    assert_eq!(
        metrics.num_alive_tasks(),
        before + 1,
        "a clone keeps it running"
    );
    drop(clone);
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert_eq!(metrics.num_alive_tasks(), before);
}

#[tokio::test]
async fn expires_over_a_real_socket() {
    let config = RegistryConfig {
        min_ttl: Duration::from_millis(100),
        ..RegistryConfig::default()
    };
    let server = TestServer::with(config, Default::default()).await;
    let reply = server
        .post_json(
            "/v1/services/default/instances",
            r#"{"addr":"a:1","ttl_ms":200}"#,
        )
        .await;
    assert_eq!(reply.status, 201);
    assert_eq!(
        server.get("/_rpc_/registry").await.header("X-rpc-Servers"),
        Some("a:1")
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    let list: InstanceList = server.get("/v1/services/default").await.json();
    assert_eq!(list.instances.len(), 1, "still alive half-way");
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(
        server.get("/_rpc_/registry").await.header("X-rpc-Servers"),
        Some("")
    );
    let list: InstanceList = server.get("/v1/services/default").await.json();
    assert!(list.instances.is_empty());
    assert_eq!(list.revision, 2);
}
