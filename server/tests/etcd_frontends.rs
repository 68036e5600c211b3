//! Several frontends over one etcd: any of them takes any heartbeat, lists every
//! registration with the same ETag and index, tells deregistrations from
//! expiries, and never answers an index from another frontend with older data
//! (one kept behind by a paused link waits for its cache, or answers 503).

pub mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::etcd::Etcd;
use common::{Backing, Reply, TestServer, eventually};
use rollcall_protocol::{ChangeBatch, ChangeKind, InstanceList, RegisterResponse, ServiceIndex};
use rollcall_server::{EtcdConfig, EtcdStore, HttpConfig, RegistryConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;

const INSTANCES: &str = "/v1/services/echo/instances";

/// Generous: a loaded two-core machine.
const PATIENCE: Duration = Duration::from_secs(10);

/// A frontend over the shared etcd under `prefix`, reaching it at `endpoint`.
async fn frontend(prefix: &str, endpoint: &str) -> TestServer {
    let config = EtcdConfig {
        prefix: prefix.to_owned(),
        ..EtcdConfig::new(vec![endpoint.to_owned()])
    };
    let registry = RegistryConfig {
        min_ttl: Duration::from_secs(2),
        ..RegistryConfig::default()
    };
    let store = EtcdStore::connect(config, registry)
        .await
        .expect("frontend");
    let backing = Backing::Etcd("frontend");
    let mut server = TestServer::serving(Arc::new(store), backing, HttpConfig::default()).await;
    server.prefix = Some(prefix.to_owned());
    server
}

/// Two frontends over one prefix, both straight to etcd.
async fn pair(name: &str) -> (TestServer, TestServer) {
    let etcd = Etcd::shared();
    let prefix = Etcd::prefix(name);
    (
        frontend(&prefix, &etcd.endpoint).await,
        frontend(&prefix, &etcd.endpoint).await,
    )
}

fn list(reply: &Reply) -> InstanceList {
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

fn addrs(list: &InstanceList) -> Vec<&str> {
    list.instances.iter().map(|i| i.addr.as_str()).collect()
}

#[tokio::test]
async fn any_frontend_keeps_an_instance_alive_and_all_list_it_alike() {
    let (a, b) = pair("interchangeable").await;
    assert_eq!(
        a.registry.epoch(),
        b.registry.epoch(),
        "the cluster's epoch"
    );
    let created = a
        .post_json(INSTANCES, r#"{"addr":"x:1","ttl_ms":5000}"#)
        .await;
    assert_eq!(created.status, 201);
    let created: RegisterResponse = created.json();
    eventually("b lists what a registered", PATIENCE, || async {
        addrs(&list(&b.get("/v1/services/echo").await)) == ["x:1"]
    })
    .await;
    // Heartbeats through b alone, for more than twice the TTL: a lists it all along.
    let beats = tokio::time::Instant::now();
    while beats.elapsed() < Duration::from_secs(11) {
        let renewed = b
            .post_json(INSTANCES, r#"{"addr":"x:1","ttl_ms":5000}"#)
            .await;
        assert_eq!(renewed.status, 200, "{}", renewed.text());
        assert_eq!(
            renewed.json::<RegisterResponse>().revision,
            created.revision
        );
        assert_eq!(addrs(&list(&a.get("/v1/services/echo").await)), ["x:1"]);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (from_a, from_b) = (
        a.get("/v1/services/echo").await,
        b.get("/v1/services/echo").await,
    );
    assert_eq!(from_a.body, from_b.body);
    assert_eq!(from_a.header("etag"), from_b.header("etag"));
    assert_eq!(
        from_a.header("x-rollcall-index"),
        from_b.header("x-rollcall-index")
    );
    assert_eq!(
        a.get("/v1/services").await.json::<ServiceIndex>(),
        b.get("/v1/services").await.json::<ServiceIndex>()
    );
}

#[tokio::test]
async fn the_feed_tells_a_deregistration_from_an_expiry_on_every_frontend() {
    let (a, b) = pair("feed").await;
    let first: RegisterResponse = a
        .post_json(INSTANCES, r#"{"addr":"gone:1","ttl_ms":60000}"#)
        .await
        .json();
    a.post_json(INSTANCES, r#"{"addr":"quiet:1","ttl_ms":2000}"#)
        .await;
    let path = rollcall_protocol::paths::instance("echo", "gone:1");
    assert_eq!(b.send("DELETE", &path, &[], b"").await.status, 204);
    // etcd expires quiet:1 a little after its 2 s.
    let since = first.revision - 1;
    for frontend in [&a, &b] {
        eventually("the expiry reaches the feed", PATIENCE, || async {
            let feed = frontend
                .get(&format!("/v1/services/echo/changes?since={since}&wait=0"))
                .await;
            let batch: ChangeBatch = feed.json();
            let kinds: Vec<(&str, ChangeKind)> = batch
                .events
                .iter()
                .map(|e| (e.instance.addr.as_str(), e.kind))
                .collect();
            kinds
                == [
                    ("gone:1", ChangeKind::Register),
                    ("quiet:1", ChangeKind::Register),
                    ("gone:1", ChangeKind::Deregister),
                    ("quiet:1", ChangeKind::Expire),
                ]
        })
        .await;
    }
    assert!(list(&a.get("/v1/services/echo").await).instances.is_empty());
}

#[tokio::test]
async fn a_heartbeat_is_a_keep_alive_not_a_write() {
    let (a, b) = pair("keepalive").await;
    a.post_json(INSTANCES, r#"{"addr":"k:1","ttl_ms":60000}"#)
        .await;
    let before = a.etcd_keys().await;
    for frontend in [&a, &b, &a, &b] {
        let renewed = frontend
            .post_json(INSTANCES, r#"{"addr":"k:1","ttl_ms":60000}"#)
            .await;
        assert_eq!(renewed.status, 200);
    }
    assert_eq!(
        a.etcd_keys().await,
        before,
        "same key, same revision, same lease"
    );
    // b learnt the lease from its watch and sent a keep-alive; a had renewed it a
    // moment before (registering it) and answered its beats without one.
    let counter = |text: &str, name: &str| -> u64 {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or(0)
    };
    let (on_a, on_b) = (
        a.get("/metrics").await.text(),
        b.get("/metrics").await.text(),
    );
    assert!(
        counter(&on_b, "rollcall_etcd_keepalives_total") >= 1,
        "{on_b}"
    );
    assert!(
        counter(&on_a, "rollcall_etcd_coalesced_renewals_total") >= 1,
        "{on_a}"
    );
    assert_eq!(counter(&on_a, "rollcall_etcd_writes_total"), 1, "{on_a}");
    assert_eq!(counter(&on_b, "rollcall_etcd_writes_total"), 0, "{on_b}");
    // New data is one write.
    a.post_json(INSTANCES, r#"{"addr":"k:1","ttl_ms":60000,"weight":4}"#)
        .await;
    assert_ne!(a.etcd_keys().await, before);
}

#[tokio::test]
async fn a_restarted_frontend_has_lost_nothing() {
    let etcd = Etcd::shared();
    let prefix = Etcd::prefix("restart");
    let first = frontend(&prefix, &etcd.endpoint).await;
    for addr in ["a:1", "b:1", "c:1"] {
        let body = format!(r#"{{"addr":"{addr}","ttl_ms":60000}}"#);
        assert_eq!(first.post_json(INSTANCES, &body).await.status, 201);
    }
    let epoch = first.registry.epoch();
    let listed = first.get("/v1/services/echo").await;
    first.stop().await;
    let again = frontend(&prefix, &etcd.endpoint).await;
    assert_eq!(again.registry.epoch(), epoch);
    let relisted = list(&again.get("/v1/services/echo").await);
    assert_eq!(addrs(&relisted), ["a:1", "b:1", "c:1"]);
    assert!(!relisted.warming, "no warm-up: nothing was lost");
    assert!(relisted.revision >= list(&listed).revision);
    assert_eq!(again.get("/readyz").await.status, 200);
}

/// A TCP relay whose answers (from etcd to the frontend) can be held back.
struct Relay {
    addr: SocketAddr,
    paused: watch::Sender<bool>,
}

impl Relay {
    async fn to(target: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (paused, gate) = watch::channel(false);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = tokio::net::TcpStream::connect(target).await else {
                    continue;
                };
                let (from_client, to_client) = client.into_split();
                let (from_server, to_server) = server.into_split();
                tokio::spawn(pump(from_client, to_server, None));
                tokio::spawn(pump(from_server, to_client, Some(gate.clone())));
            }
        });
        Relay { addr, paused }
    }

    fn hold(&self, held: bool) {
        self.paused.send_replace(held);
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut gate: Option<watch::Receiver<bool>>,
) {
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if let Some(gate) = &mut gate
            && gate.wait_for(|held| !held).await.is_err()
        {
            return;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn an_index_from_a_frontend_ahead_never_gets_older_data() {
    let etcd = Etcd::shared();
    let prefix = Etcd::prefix("lag");
    let target = etcd
        .endpoint
        .trim_start_matches("http://")
        .parse()
        .expect("addr");
    let relay = Relay::to(target).await;
    let ahead = frontend(&prefix, &etcd.endpoint).await;
    let behind = frontend(&prefix, &format!("http://{}", relay.addr)).await;
    ahead.post_json(INSTANCES, r#"{"addr":"x:1"}"#).await;
    eventually("both list x:1", PATIENCE, || async {
        addrs(&list(&behind.get("/v1/services/echo").await)) == ["x:1"]
    })
    .await;

    // etcd's answers to `behind` are held back: it falls behind `ahead`.
    relay.hold(true);
    ahead.post_json(INSTANCES, r#"{"addr":"y:1"}"#).await;
    let seen = ahead.get("/v1/services/echo").await;
    let index: u64 = seen
        .header("x-rollcall-index")
        .and_then(|i| i.parse().ok())
        .expect("an index");
    let epoch = ahead.registry.epoch();
    assert_eq!(
        addrs(&list(&behind.get("/v1/services/echo").await)),
        ["x:1"]
    );

    // At once: it cannot catch up, so it says so rather than answer x:1 alone.
    let at_once = behind
        .get(&format!(
            "/v1/services/echo?index={index}&wait=0&epoch={epoch}"
        ))
        .await;
    assert_eq!(at_once.status, 503, "{}", at_once.text());
    assert_eq!(at_once.header("retry-after"), Some("1"));

    // Held: it waits for its cache, however long the link takes.
    let query = format!("/v1/services/echo?index={index}&wait=4s&epoch={epoch}");
    let addr = behind.addr;
    let held = tokio::spawn(async move { common::request(addr, "GET", &query, &[], b"").await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!held.is_finished(), "answered before catching up");
    relay.hold(false);
    let answer = held.await.expect("joined").expect("answered");
    let caught_up = list(&answer);
    assert_eq!(addrs(&caught_up), ["x:1", "y:1"]);
    assert_eq!(
        answer.header("etag"),
        seen.header("etag"),
        "the same list, the same ETag"
    );
    assert_eq!(caught_up.revision, index);
}
