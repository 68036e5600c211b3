//! Blocking queries and the change feed over real loopback sockets: when they
//! answer, what they carry, what they hold, and how they end.

pub mod common;

use std::time::{Duration, Instant};

use common::{Reply, TestServer};
use rollcall_protocol::{ChangeBatch, ChangeKind, InstanceList, ServiceIndex};
use rollcall_server::{
    ConnOptions, HttpConfig, Registry, RegistryConfig, WatchConfig, serve_registry,
};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

const INSTANCES: &str = "/v1/services/echo/instances";

/// How long a test waits for something that happens in milliseconds, on a loaded
/// machine: generous, never asserted as a speed.
const EVENTUALLY: Duration = Duration::from_secs(10);

fn index_of(reply: &Reply) -> u64 {
    reply
        .header("X-Rollcall-Index")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no X-Rollcall-Index in {reply:?}"))
}

async fn register(server: &TestServer, service: &str, addr: &str) -> u64 {
    let path = format!("/v1/services/{service}/instances");
    let reply = server
        .post_json(&path, &format!(r#"{{"addr":"{addr}"}}"#))
        .await;
    assert!(reply.status == 201 || reply.status == 200, "{reply:?}");
    server.registry.revision()
}

/// Waits until `registry` holds `n` requests.
async fn held(registry: &Registry, n: usize) {
    let start = Instant::now();
    while registry.watchers() != n {
        assert!(
            start.elapsed() < EVENTUALLY,
            "held {} not {n}",
            registry.watchers()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn every_list_answer_carries_its_index_and_a_client_behind_gets_it_at_once() {
    let server = TestServer::start().await;
    register(&server, "echo", "a:1").await;
    let plain = server.get("/v1/services/echo").await;
    assert_eq!(index_of(&plain), 1);
    assert!(plain.header("etag").is_some());
    let epoch = plain.json::<InstanceList>().epoch;
    let behind = server
        .get(&format!("/v1/services/echo?index=0&wait=5m&epoch={epoch}"))
        .await;
    assert_eq!((behind.status, index_of(&behind)), (200, 1));
    assert_eq!(behind.json::<InstanceList>().instances.len(), 1);
    let index = server.get("/v1/services").await;
    assert_eq!(index_of(&index), 1);
    let parsed: ServiceIndex = index.json();
    assert_eq!((parsed.epoch, parsed.revision), (epoch, 1));
    assert_eq!(server.registry.watchers(), 0, "nothing was held");
}

#[tokio::test]
async fn a_held_list_answers_when_its_service_changes() {
    let server = TestServer::start().await;
    register(&server, "echo", "a:1").await;
    let watch = server.get("/v1/services/echo?index=1&wait=1m");
    let change = async {
        held(&server.registry, 1).await;
        register(&server, "echo", "b:1").await
    };
    let (reply, revision) = tokio::join!(watch, change);
    assert_eq!((reply.status, index_of(&reply)), (200, revision));
    assert_eq!(reply.json::<InstanceList>().instances.len(), 2);
    held(&server.registry, 0).await;
}

#[tokio::test]
async fn another_services_change_wakes_nobody() {
    let server = TestServer::start().await;
    register(&server, "echo", "a:1").await;
    let start = Instant::now();
    let watch = server.get("/v1/services/echo?index=1&wait=1500ms");
    let feed = server.get("/v1/services/echo/changes?since=1&wait=1500ms");
    let churn = async {
        held(&server.registry, 2).await;
        for n in 0..20 {
            register(&server, "other", &format!("b:{n}")).await;
        }
    };
    let (list, changes, ()) = tokio::join!(watch, feed, churn);
    assert!(
        start.elapsed() >= Duration::from_millis(1500),
        "woken early"
    );
    assert_eq!((list.status, index_of(&list)), (200, 1));
    let batch: ChangeBatch = changes.json();
    assert_eq!((batch.revision, batch.events.len()), (1, 0));
    assert_eq!(index_of(&changes), 1);
}

#[tokio::test]
async fn the_change_feed_answers_every_change_after_since_in_order() {
    let server = TestServer::start().await;
    register(&server, "echo", "a:1").await;
    register(&server, "other", "x:1").await;
    let reply = server
        .post_json(INSTANCES, r#"{"addr":"a:1","weight":4}"#)
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        server
            .send("DELETE", "/v1/services/echo/instances/a:1", &[], b"")
            .await
            .status,
        204
    );
    let reply = server.get("/v1/services/echo/changes?since=0").await;
    assert_eq!((reply.status, index_of(&reply)), (200, 4));
    let batch: ChangeBatch = reply.json();
    let seen: Vec<(u64, ChangeKind, u32)> = batch
        .events
        .iter()
        .map(|e| (e.revision, e.kind, e.instance.weight))
        .collect();
    assert_eq!(
        seen,
        [
            (1, ChangeKind::Register, 1),
            (3, ChangeKind::Update, 4),
            (4, ChangeKind::Deregister, 4)
        ]
    );
    // Held, then woken by the next change, which alone is sent.
    let path = format!(
        "/v1/services/echo/changes?since=4&wait=1m&epoch={}",
        batch.epoch
    );
    let watch = server.get(&path);
    let change = async {
        held(&server.registry, 1).await;
        register(&server, "echo", "c:1").await
    };
    let (reply, revision) = tokio::join!(watch, change);
    let batch: ChangeBatch = reply.json();
    assert_eq!(batch.revision, revision);
    assert_eq!(batch.events.len(), 1);
    assert_eq!(batch.events[0].instance.addr, "c:1");
}

#[tokio::test]
async fn a_since_the_log_no_longer_holds_or_from_another_run_is_gone() {
    let config = RegistryConfig {
        watch: WatchConfig {
            change_log: 3,
            ..WatchConfig::default()
        },
        ..RegistryConfig::default()
    };
    let server = TestServer::with(config, HttpConfig::default()).await;
    for n in 0..5 {
        register(&server, "echo", &format!("a:{n}")).await;
    }
    let epoch = server.registry.epoch();
    for (path, reason) in [
        ("since=1".to_owned(), "no longer in the log"),
        (format!("since=4&epoch={}", epoch + 1), "it restarted"),
        ("since=99".to_owned(), "ahead of this registry"),
    ] {
        let reply = server
            .get(&format!("/v1/services/echo/changes?{path}"))
            .await;
        assert_eq!(reply.status, 410, "{path}");
        assert!(reply.error().contains(reason), "{path}: {}", reply.error());
    }
    let reply = server.get("/v1/services/echo/changes?since=2&wait=0").await;
    assert_eq!(reply.json::<ChangeBatch>().events.len(), 3);
}

#[tokio::test]
async fn watchers_are_bounded_and_the_refusal_says_why() {
    let config = RegistryConfig {
        watch: WatchConfig {
            max_watchers: 1,
            ..WatchConfig::default()
        },
        ..RegistryConfig::default()
    };
    let server = TestServer::with(config, HttpConfig::default()).await;
    let parked = server.get("/v1/services/echo?index=0&wait=1s");
    let refused = async {
        held(&server.registry, 1).await;
        let feed = server
            .get("/v1/services/echo/changes?since=0&wait=1m")
            .await;
        let index = server.get("/v1/services?index=0&wait=1m").await;
        (feed, index)
    };
    let (parked, (feed, index)) = tokio::join!(parked, refused);
    assert_eq!(parked.status, 200);
    for reply in [feed, index] {
        assert_eq!(reply.status, 503);
        assert_eq!(
            reply.error(),
            "too many watchers: at most 1 requests are held at once; retry later"
        );
    }
}

#[tokio::test]
async fn a_watcher_that_disconnects_frees_its_place_at_once() {
    let server = TestServer::start().await;
    let mut streams = Vec::new();
    for path in [
        "/v1/services/echo?index=0&wait=5m",
        "/v1/services/echo/changes?since=0&wait=5m",
        "/v1/services?index=0&wait=5m",
    ] {
        let mut stream = TcpStream::connect(server.addr).await.expect("connect");
        let request = format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("send");
        streams.push(stream);
    }
    held(&server.registry, 3).await;
    drop(streams);
    held(&server.registry, 0).await;
}

#[tokio::test]
async fn the_header_timeout_does_not_cut_a_long_poll() {
    let http = HttpConfig {
        conn: ConnOptions {
            header_read_timeout: Duration::from_millis(300),
            ..ConnOptions::default()
        },
        ..HttpConfig::default()
    };
    let server = TestServer::with(RegistryConfig::default(), http).await;
    let start = Instant::now();
    let reply = server.get("/v1/services/echo?index=0&wait=1s").await;
    assert_eq!(reply.status, 200);
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "held for its wait"
    );
}

#[tokio::test]
async fn shutdown_answers_held_requests_instead_of_waiting_them_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let registry = Registry::new(RegistryConfig::default());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let http = HttpConfig {
        conn: ConnOptions {
            shutdown_grace: Duration::from_secs(60),
            ..ConnOptions::default()
        },
        ..HttpConfig::default()
    };
    let server = tokio::spawn(serve_registry(listener, registry.clone(), http, async {
        let _ = stopped.await;
    }));
    let watch = tokio::spawn(async move {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let request = "GET /v1/services/echo?index=0&wait=5m HTTP/1.1\r\nHost: t\r\n\r\n";
        stream.write_all(request.as_bytes()).await.expect("send");
        let mut answer = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut answer)
            .await
            .expect("read");
        String::from_utf8_lossy(&answer).into_owned()
    });
    held(&registry, 1).await;
    let _ = stop.send(());
    let served = tokio::time::timeout(EVENTUALLY, server).await;
    assert!(
        matches!(served, Ok(Ok(Ok(())))),
        "shutdown waited: {served:?}"
    );
    let answer = tokio::time::timeout(EVENTUALLY, watch)
        .await
        .expect("answered")
        .expect("task");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("x-rollcall-index: 0"),
        "{answer}"
    );
}
