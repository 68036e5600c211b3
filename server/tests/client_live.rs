//! The client against a live registry on loopback sockets: heartbeats, discovery's
//! refresh and stale serving, the select modes' distributions, and XClient calls
//! spread over real RPC servers.

pub mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{TestServer, who_am_server};
use rollcall_client::transport::HyperTransport;
use rollcall_client::{
    Deadline, Discovery, DiscoveryOptions, Error, Heartbeat, HeartbeatOptions, RegistryClient,
    RegistryDiscovery, RegistryEndpoint, RpcClient, SelectMode, XClient,
};
use rollcall_protocol::{Instance, InstanceList, RegisterRequest};
use tokio::sync::oneshot;

fn client(server: &TestServer) -> RegistryClient<HyperTransport> {
    let endpoint = RegistryEndpoint::json(format!("http://{}", server.addr), "default");
    RegistryClient::new(HyperTransport::new(), endpoint)
}

fn registration(addr: &str, weight: u32) -> RegisterRequest {
    RegisterRequest {
        addr: addr.to_owned(),
        metadata: BTreeMap::new(),
        weight: Some(weight),
        ttl_ms: None,
    }
}

/// The addresses the registry itself lists.
fn listed(server: &TestServer) -> Vec<String> {
    let snapshot = server.registry.list("default");
    let list: InstanceList = serde_json::from_slice(snapshot.body()).expect("JSON list");
    list.instances.into_iter().map(|i| i.addr).collect()
}

fn addrs(instances: &[Instance]) -> Vec<&str> {
    instances.iter().map(|i| i.addr.as_str()).collect()
}

fn discovery(
    server: &TestServer,
    refresh: Duration,
    max_stale: Duration,
) -> RegistryDiscovery<HyperTransport> {
    let options = DiscoveryOptions {
        refresh,
        max_stale,
        request_timeout: Some(Duration::from_secs(2)),
        rng_seed: Some(7),
        ..DiscoveryOptions::default()
    };
    RegistryDiscovery::new(client(server), options)
}

#[tokio::test]
async fn a_heartbeat_keeps_its_instance_past_the_ttl_and_stop_deregisters() {
    let server = TestServer::start().await;
    let request = RegisterRequest {
        ttl_ms: Some(1_000),
        ..registration("127.0.0.1:7001", 1)
    };
    let heartbeat = Heartbeat::start(client(&server), request, HeartbeatOptions::default());
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    // Two and a half TTLs later it is still there: the derived period kept it alive.
    assert_eq!(listed(&server), ["127.0.0.1:7001"]);
    let status = heartbeat.status();
    assert!(status.beats_ok >= 3, "{status:?}");
    assert_eq!(status.ttl, Some(Duration::from_secs(1)));
    heartbeat.stop().await.expect("deregistered");
    assert!(server.registry.list("default").is_empty());
}

#[tokio::test]
async fn discovery_refreshes_then_serves_its_last_list_until_max_stale() {
    let server = TestServer::start().await;
    let registry = client(&server);
    registry.register(&registration("a:1", 1)).await.expect("a");
    let discovery = discovery(&server, Duration::from_millis(200), Duration::from_secs(1));
    assert_eq!(addrs(&discovery.get_all().await.expect("list")), ["a:1"]);

    // A newcomer shows up only once the list is older than the refresh interval.
    registry.register(&registration("b:1", 1)).await.expect("b");
    assert_eq!(addrs(&discovery.get_all().await.expect("cached")), ["a:1"]);
    tokio::time::sleep(Duration::from_millis(250)).await;
    // Due: `get_all` would serve the list it has at once and refresh in the
    // background; `refresh` waits for that refresh.
    discovery.refresh().await.expect("refreshed");
    assert_eq!(
        addrs(&discovery.get_all().await.expect("fresh")),
        ["a:1", "b:1"]
    );
    assert_eq!(discovery.last_error(), None);

    // The registry goes away: the last list is still served, the error is visible.
    server.stop().await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    discovery.refresh().await.expect("stale but servable");
    assert_eq!(
        addrs(&discovery.get_all().await.expect("stale")),
        ["a:1", "b:1"]
    );
    let error = discovery
        .last_error()
        .expect("the failed refresh is reported");
    assert!(error.is_connect(), "{error}");

    // Past max_stale the list is no longer handed out.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    match discovery.get(SelectMode::Random).await {
        Err(Error::Stale { last }) => assert!(last.is_connect(), "{last}"),
        other => panic!("expected Stale, got {other:?}"),
    }
}

#[tokio::test]
async fn select_modes_follow_their_distributions_over_a_live_registry() {
    let server = TestServer::start().await;
    let registry = client(&server);
    for (addr, weight) in [("a:1", 1), ("b:1", 3), ("c:1", 6)] {
        registry
            .register(&registration(addr, weight))
            .await
            .expect("register");
    }
    let discovery = discovery(&server, Duration::from_secs(60), Duration::from_secs(60));
    let picks = |mode: SelectMode, n: usize| {
        let discovery = &discovery;
        async move {
            let mut counts = BTreeMap::<String, usize>::new();
            let mut order = Vec::new();
            for _ in 0..n {
                let instance = discovery.get(mode).await.expect("a server");
                order.push(instance.addr.clone());
                *counts.entry(instance.addr).or_default() += 1;
            }
            (counts, order)
        }
    };

    // Round robin: a fixed cycle through the sorted list, each equally often.
    let (counts, order) = picks(SelectMode::RoundRobin, 30).await;
    assert!(counts.values().all(|&c| c == 10), "{counts:?}");
    assert_eq!(order[0..3], order[3..6]);

    // Random: about a third each (seeded, so the bound is checked, not luck).
    let (counts, _) = picks(SelectMode::Random, 3_000).await;
    assert!(
        counts.values().all(|&c| (800..=1_200).contains(&c)),
        "{counts:?}"
    );

    // Weighted: about 10 %, 30 %, 60 %.
    let (counts, _) = picks(SelectMode::WeightedRandom, 10_000).await;
    let share = |addr: &str| counts[addr] as f64 / 10_000.0;
    assert!((share("a:1") - 0.1).abs() < 0.03, "{counts:?}");
    assert!((share("b:1") - 0.3).abs() < 0.03, "{counts:?}");
    assert!((share("c:1") - 0.6).abs() < 0.03, "{counts:?}");
}

/// An RPC server whose `Who.Am` answers its name, registered with the registry.
async fn named_server(
    server: &TestServer,
    name: &'static str,
) -> (String, Heartbeat, oneshot::Sender<()>) {
    let (stop, stopped) = oneshot::channel::<()>();
    let addr = who_am_server(name, async move {
        let _ = stopped.await;
    })
    .await;
    let heartbeat = Heartbeat::start(
        client(server),
        registration(&addr, 1),
        HeartbeatOptions::default(),
    );
    (addr, heartbeat, stop)
}

#[tokio::test]
async fn xclient_spreads_calls_and_follows_the_registry() {
    let server = TestServer::start().await;
    let mut servers = Vec::new();
    for name in ["one", "two", "three"] {
        servers.push(named_server(&server, name).await);
    }
    while server.registry.list("default").len() < 3 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let discovery = discovery(&server, Duration::from_millis(100), Duration::from_secs(10));
    let xc = XClient::new(
        discovery,
        SelectMode::RoundRobin,
        RpcClient::new(HyperTransport::new()),
    );
    let deadline = || Deadline::after(Duration::from_secs(5));

    let mut answers = BTreeMap::<String, usize>::new();
    for _ in 0..9 {
        let name: String = xc.call("Who.Am", &(), deadline()).await.expect("call");
        *answers.entry(name).or_default() += 1;
    }
    assert_eq!(
        answers.into_iter().collect::<Vec<_>>(),
        [
            ("one".to_owned(), 3),
            ("three".to_owned(), 3),
            ("two".to_owned(), 3),
        ]
    );
    let any: String = xc
        .broadcast("Who.Am", &(), deadline())
        .await
        .expect("broadcast");
    assert!(["one", "two", "three"].contains(&any.as_str()));

    // One server leaves (deregisters and stops): after a refresh nobody calls it.
    let (gone_addr, heartbeat, stop) = servers.remove(0);
    heartbeat.stop().await.expect("deregistered");
    let _ = stop.send(());
    tokio::time::sleep(Duration::from_millis(150)).await;
    // A due list is served as it is while a refresh runs: wait for the refresh.
    xc.discovery().refresh().await.expect("refreshed");
    for _ in 0..6 {
        let name: String = xc.call("Who.Am", &(), deadline()).await.expect("call");
        assert_ne!(name, "one", "{gone_addr} was called after it left");
    }
}
