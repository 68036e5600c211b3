//! The client's watch stream against a live registry on loopback: it follows
//! registrations, updates, deregistrations and expiries as they happen, lists again
//! when the change log has moved on, and starts over when the registry restarts.

pub mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{TestServer, serve_at};
use futures_util::StreamExt;
use rollcall_client::transport::HyperTransport;
use rollcall_client::{
    RegistryClient, RegistryEndpoint, ServiceView, WatchEvent, WatchOptions, WatchStream,
};
use rollcall_protocol::{ChangeKind, Instance, InstanceList, RegisterRequest};
use rollcall_server::{HttpConfig, Registry, RegistryConfig, WatchConfig};
use tokio::net::TcpListener;

/// Longest a test waits for one item: changes arrive in milliseconds, this is
/// only there so a broken watch fails rather than hangs.
const ITEM_TIMEOUT: Duration = Duration::from_secs(20);

fn registry_client(addr: SocketAddr) -> RegistryClient<HyperTransport> {
    let endpoint = RegistryEndpoint::json(format!("http://{addr}"), "echo");
    RegistryClient::new(HyperTransport::new(), endpoint)
}

fn watch(addr: SocketAddr) -> WatchStream {
    let options = WatchOptions {
        wait: Duration::from_secs(2),
        backoff_min: Duration::from_millis(50),
        backoff_max: Duration::from_millis(200),
        rng_seed: Some(11),
        ..WatchOptions::default()
    };
    registry_client(addr)
        .watch_with("echo", options)
        .expect("valid")
}

fn registration(addr: &str, weight: u32, ttl_ms: Option<u64>) -> RegisterRequest {
    RegisterRequest {
        addr: addr.to_owned(),
        metadata: Default::default(),
        weight: Some(weight),
        ttl_ms,
    }
}

async fn next(stream: &mut WatchStream) -> WatchEvent {
    tokio::time::timeout(ITEM_TIMEOUT, stream.next())
        .await
        .expect("an item in time")
        .expect("a watch never ends")
}

/// Applies items until one changes the view; returns what it changed.
async fn next_change(
    stream: &mut WatchStream,
    view: &mut ServiceView,
) -> Vec<(String, ChangeKind)> {
    loop {
        let changed = view.apply(&next(stream).await);
        if !changed.is_empty() {
            return changed
                .into_iter()
                .map(|c| (c.instance.addr, c.kind))
                .collect();
        }
    }
}

fn listed(registry: &Registry) -> Vec<Instance> {
    let snapshot = registry.list("echo");
    serde_json::from_slice::<InstanceList>(snapshot.body())
        .expect("list")
        .instances
}

#[tokio::test]
async fn follows_every_kind_of_change_as_it_happens() {
    let server = TestServer::start().await;
    let client = registry_client(server.addr);
    let mut stream = watch(server.addr);
    let mut view = ServiceView::new();
    let first = next(&mut stream).await;
    assert!(matches!(&first, WatchEvent::Reset(list) if list.instances.is_empty()));
    view.apply(&first);

    client
        .register(&registration("a:1", 1, None))
        .await
        .expect("register");
    let told = next_change(&mut stream, &mut view).await;
    assert_eq!(told, [("a:1".to_owned(), ChangeKind::Register)]);
    client
        .register(&registration("a:1", 7, None))
        .await
        .expect("update");
    let told = next_change(&mut stream, &mut view).await;
    assert_eq!(told, [("a:1".to_owned(), ChangeKind::Update)]);
    assert_eq!(view.instances()[0].weight, 7);
    client
        .register(&registration("b:1", 1, Some(1000)))
        .await
        .expect("register b");
    client.deregister("a:1").await.expect("deregister");
    let mut told = Vec::new();
    while told.len() < 2 {
        told.extend(next_change(&mut stream, &mut view).await);
    }
    assert_eq!(
        told,
        [
            ("b:1".to_owned(), ChangeKind::Register),
            ("a:1".to_owned(), ChangeKind::Deregister)
        ]
    );
    let told = next_change(&mut stream, &mut view).await;
    assert_eq!(told, [("b:1".to_owned(), ChangeKind::Expire)]);
    assert_eq!(view.instances(), listed(&server.registry));
}

#[tokio::test]
async fn lists_again_when_the_log_has_moved_on() {
    let config = RegistryConfig {
        watch: WatchConfig {
            change_log: 0,
            ..WatchConfig::default()
        },
        ..RegistryConfig::default()
    };
    let server = TestServer::with(config, HttpConfig::default()).await;
    let client = registry_client(server.addr);
    let mut stream = watch(server.addr);
    let mut view = ServiceView::new();
    view.apply(&next(&mut stream).await);
    client
        .register(&registration("a:1", 1, None))
        .await
        .expect("register");
    // No log: the feed answers 410 and the stream lists again.
    loop {
        match next(&mut stream).await {
            WatchEvent::Reset(list) => break assert_eq!(list.instances.len(), 1),
            WatchEvent::Unchanged(_) => continue,
            other => panic!("expected a Reset, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn starts_over_when_the_registry_restarts() {
    let addr = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind")
        .local_addr()
        .expect("addr");
    let (first, stop) = serve_at(addr, 1, None).await;
    let client = registry_client(addr);
    client
        .register(&registration("old:1", 1, None))
        .await
        .expect("register");
    let mut stream = watch(addr);
    let mut view = ServiceView::new();
    view.apply(&next(&mut stream).await);
    assert_eq!(view.instances(), listed(&first));

    let _ = stop.send(());
    drop(first);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (second, _stop) = serve_at(addr, 2, None).await;
    client
        .register(&registration("new:1", 1, None))
        .await
        .expect("register again");
    // The stream may list the new run before or after `new:1` registers: follow it
    // until the view shows the new run's list.
    let mut told = Vec::new();
    while view.version().map(|v| v.epoch) != Some(2) || view.len() != 1 {
        told.extend(next_change(&mut stream, &mut view).await);
    }
    assert!(
        told.contains(&("old:1".to_owned(), ChangeKind::Deregister)),
        "{told:?}"
    );
    assert!(
        told.contains(&("new:1".to_owned(), ChangeKind::Register)),
        "{told:?}"
    );
    assert_eq!(view.instances(), listed(&second));
}
