//! Discovery in watch mode against a live registry on loopback: a change is served
//! without any refresh, the held request is the whole cost, a restart keeps the
//! servers not back yet, a registry that is gone leaves the last list served, the
//! seed protocol is polled instead, and dropping the discovery frees its place in
//! the registry.

pub mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{TestServer, eventually, registration, serve_at, served};
use rollcall_client::transport::HyperTransport;
use rollcall_client::{
    DiscoveryOptions, ListSource, RegistryClient, RegistryDiscovery, RegistryEndpoint,
};
use tokio::net::TcpListener;

/// Longest a test waits for something the watch should bring in milliseconds:
/// generous, so a loaded machine fails nothing; a watch that does not work never
/// gets there, since the refresh is an hour.
const PATIENCE: Duration = Duration::from_secs(20);

/// So long that any change a discovery shows came from its watch, not a poll.
const NO_REFRESH: Duration = Duration::from_secs(3600);

fn watching(endpoint: RegistryEndpoint, refresh: Duration) -> RegistryDiscovery<HyperTransport> {
    let options = DiscoveryOptions {
        source: ListSource::Watch,
        refresh,
        request_timeout: Some(Duration::from_secs(2)),
        rng_seed: Some(17),
        ..DiscoveryOptions::default()
    };
    RegistryDiscovery::new(
        RegistryClient::new(HyperTransport::new(), endpoint),
        options,
    )
}

fn json_at(addr: SocketAddr) -> RegistryEndpoint {
    RegistryEndpoint::json(format!("http://{addr}"), "echo")
}

#[tokio::test]
async fn changes_are_served_as_they_happen_over_one_held_request() {
    let server = TestServer::start().await;
    let registry = server.registry.clone();
    registry.register("echo", registration("a:1")).expect("a");
    let discovery = watching(json_at(server.addr), NO_REFRESH);
    assert_eq!(served(&discovery).await, ["a:1"]);
    eventually("the watch holds a request", PATIENCE, async || {
        registry.watchers() == 1
    })
    .await;

    registry.register("echo", registration("b:1")).expect("b");
    eventually("b:1 is served", PATIENCE, async || {
        served(&discovery).await == ["a:1", "b:1"]
    })
    .await;
    registry.deregister("echo", "a:1").expect("deregister");
    eventually("a:1 is gone", PATIENCE, async || {
        served(&discovery).await == ["b:1"]
    })
    .await;
    assert_eq!(discovery.last_error(), None);
    assert_eq!(discovery.revision(), Some(registry.revision()));
    // All the while: one held request, never more.
    assert!(registry.watchers() <= 1);
}

#[tokio::test]
async fn dropping_the_discovery_frees_its_place_in_the_registry() {
    let server = TestServer::start().await;
    let registry = server.registry.clone();
    let discovery = watching(json_at(server.addr), NO_REFRESH);
    assert!(served(&discovery).await.is_empty());
    eventually("the watch holds a request", PATIENCE, async || {
        registry.watchers() == 1
    })
    .await;
    drop(discovery);
    eventually("the held request is gone", PATIENCE, async || {
        registry.watchers() == 0
    })
    .await;
}

async fn free_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("addr")
}

#[tokio::test]
async fn a_restart_keeps_the_servers_not_back_until_the_warm_up_ends() {
    let addr = free_addr().await;
    let (first, stop) = serve_at(addr, 1, Some(Duration::ZERO)).await;
    for server in ["a:1", "b:1", "c:1"] {
        first
            .register("echo", registration(server))
            .expect("register");
    }
    let discovery = watching(json_at(addr), NO_REFRESH);
    assert_eq!(served(&discovery).await, ["a:1", "b:1", "c:1"]);

    let _ = stop.send(());
    drop(first);
    // Long enough to see the restart before the warm-up ends, on a loaded machine.
    let warmup = Duration::from_secs(10);
    let (second, _stop) = serve_at(addr, 2, Some(warmup)).await;
    second.register("echo", registration("b:1")).expect("back");
    second.register("echo", registration("d:1")).expect("new");
    eventually("the new run is seen", PATIENCE, async || {
        discovery.revision() == Some(second.revision())
    })
    .await;
    // The new server is used at once, and those not back yet are kept.
    assert_eq!(served(&discovery).await, ["a:1", "b:1", "c:1", "d:1"]);
    assert!(discovery.warming());
    assert_eq!(discovery.carried(), 2);

    // Warm: a:1 and c:1 went away during the restart.
    eventually("the warm-up ends", PATIENCE, async || !discovery.warming()).await;
    assert_eq!(served(&discovery).await, ["b:1", "d:1"]);
    assert_eq!(discovery.carried(), 0);
}

#[tokio::test]
async fn a_registry_that_is_gone_leaves_the_last_list_served() {
    let server = TestServer::start().await;
    server
        .registry
        .register("echo", registration("a:1"))
        .expect("a");
    let discovery = watching(json_at(server.addr), NO_REFRESH);
    assert_eq!(served(&discovery).await, ["a:1"]);
    server.stop().await;
    eventually("the failure is recorded", PATIENCE, async || {
        discovery.last_error().is_some()
    })
    .await;
    // Served at once, from the last list, within max_stale (5 minutes).
    assert_eq!(served(&discovery).await, ["a:1"]);
    eventually("reconnecting is refused", PATIENCE, async || {
        discovery.last_error().is_some_and(|e| e.is_connect())
    })
    .await;
    assert_eq!(served(&discovery).await, ["a:1"]);
}

#[tokio::test]
async fn the_seed_protocol_is_polled_every_refresh() {
    let server = TestServer::start().await;
    let registry = server.registry.clone();
    registry.renew_seed("tcp@127.0.0.1:1").expect("seed");
    let endpoint = RegistryEndpoint::seed(format!("http://{}/_rpc_/registry", server.addr));
    let discovery = watching(endpoint, Duration::from_millis(200));
    assert_eq!(served(&discovery).await, ["tcp@127.0.0.1:1"]);
    registry.renew_seed("tcp@127.0.0.1:2").expect("seed");
    eventually("the next poll brings it", PATIENCE, async || {
        served(&discovery).await.len() == 2
    })
    .await;
    // Polled: nothing held at the registry.
    assert_eq!(registry.watchers(), 0);
    assert_eq!(discovery.last_error(), None);
}
