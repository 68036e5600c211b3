//! Faults with real processes: `rollcall serve --store etcd` frontends and the
//! binary's etcd. A frontend killed mid-traffic loses no instance (heartbeats move
//! to another frontend, which keeps every lease alive and listed); an etcd frozen
//! (`SIGSTOP`) makes reads stale and writes `503` until it runs again, with nothing
//! lost; an etcd restarted loses no instance, and the frontends' watches resume
//! from where they were (the change feed still answers from before the restart).
//!
//! The tests share one etcd and take turns (`Etcd::exclusive`).
#![cfg(unix)]

pub mod common;

use std::time::Duration;

use common::etcd::Etcd;
use common::frontend::{Fleet, Frontend, PATIENCE, addrs};
use common::{eventually, request};
use rollcall_protocol::{ChangeBatch, ChangeKind, InstanceList};

/// Undoes a freeze of etcd even if the test fails while it is frozen.
struct Thaw(&'static Etcd);

impl Drop for Thaw {
    fn drop(&mut self) {
        self.0.resume();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frontend_killed_mid_traffic_loses_no_instance() {
    let _turn = Etcd::shared().exclusive().await;
    let prefix = Etcd::prefix("killed");
    let mut a = Frontend::start(&Etcd::shared().endpoint, &prefix);
    let b = Frontend::start(&Etcd::shared().endpoint, &prefix);
    let fleet = Fleet::beat(
        &[a.addr, b.addr],
        (0..20).map(|n| format!("10.0.0.{n}:80")).collect(),
    );
    let expected = fleet.addrs.clone();
    eventually("b lists the whole fleet", PATIENCE, || async {
        addrs(&b.list("fleet").await) == expected
    })
    .await;

    a.kill();
    // More than twice the TTL (5 s): the beats that went to a now go to b, which
    // keeps every lease alive; discovery through b never misses an instance.
    let watching = tokio::time::Instant::now();
    while watching.elapsed() < Duration::from_secs(11) {
        let listed = b.list("fleet").await;
        assert_eq!(addrs(&listed), expected, "an instance went missing");
        assert!(!listed.stale);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    fleet.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_etcd_makes_reads_stale_and_writes_503_and_loses_nothing() {
    let etcd = Etcd::shared();
    let _turn = etcd.exclusive().await;
    let prefix = Etcd::prefix("frozen");
    let frontend = Frontend::start(&Etcd::shared().endpoint, &prefix);
    for n in 0..5 {
        let reply = frontend
            .register("s", &format!("h:{n}"), 30_000)
            .await
            .expect("registered");
        assert_eq!(reply.status, 201, "{}", reply.text());
    }
    let before = frontend.list("s").await;

    etcd.pause();
    let thaw = Thaw(etcd);
    eventually("writes answer 503 with Retry-After", PATIENCE, || async {
        frontend
            .register("s", "h:0", 30_000)
            .await
            .is_ok_and(|reply| reply.status == 503 && reply.header("retry-after") == Some("1"))
    })
    .await;
    let stale = frontend.get("/v1/services/s").await.expect("a stale read");
    assert_eq!(stale.status, 200);
    assert_eq!(stale.header("x-rollcall-stale"), Some("true"));
    let stale: InstanceList = stale.json();
    assert!(stale.stale);
    assert_eq!(addrs(&stale), addrs(&before), "the cache is served");
    assert_eq!(frontend.get("/readyz").await.expect("readyz").status, 503);
    let seed = request(
        frontend.addr,
        "POST",
        "/_rpc_/registry",
        &[("X-rpc-Server", "z:1")],
        b"",
    )
    .await;
    assert_eq!(seed.expect("a seed answer").status, 503);

    drop(thaw);
    eventually("etcd answers again", PATIENCE, || async {
        frontend
            .get("/readyz")
            .await
            .is_ok_and(|reply| reply.status == 200)
    })
    .await;
    let after = frontend.list("s").await;
    assert!(!after.stale);
    assert_eq!(addrs(&after), addrs(&before), "nothing lost");
    let renewed = frontend
        .register("s", "h:0", 30_000)
        .await
        .expect("renewed");
    assert_eq!(renewed.status, 200, "{}", renewed.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_etcd_loses_no_instance_and_watches_resume() {
    let etcd = Etcd::shared();
    let _turn = etcd.exclusive().await;
    let prefix = Etcd::prefix("restarted");
    let a = Frontend::start(&Etcd::shared().endpoint, &prefix);
    let b = Frontend::start(&Etcd::shared().endpoint, &prefix);
    for n in 0..5 {
        let reply = a
            .register("s", &format!("h:{n}"), 30_000)
            .await
            .expect("registered");
        assert_eq!(reply.status, 201, "{}", reply.text());
    }
    let before = a.list("s").await;
    eventually("b lists them too", PATIENCE, || async {
        addrs(&b.list("s").await) == addrs(&before)
    })
    .await;

    etcd.restart();
    eventually("both frontends are current again", PATIENCE, || async {
        let a_ready = a.get("/readyz").await.is_ok_and(|r| r.status == 200);
        a_ready && b.get("/readyz").await.is_ok_and(|r| r.status == 200)
    })
    .await;
    let created = b.register("s", "new:1", 30_000).await.expect("registered");
    assert_eq!(created.status, 201, "{}", created.text());
    // a's watch resumed from its last revision: its feed still holds the changes
    // from before the restart, and the one after.
    let since = before.revision;
    eventually("a sees b's registration", PATIENCE, || async {
        let Ok(reply) = a
            .get(&format!("/v1/services/s/changes?since={since}&wait=0"))
            .await
        else {
            return false;
        };
        assert_eq!(reply.status, 200, "{}", reply.text());
        let batch: ChangeBatch = reply.json();
        batch
            .events
            .iter()
            .any(|e| e.instance.addr == "new:1" && e.kind == ChangeKind::Register)
    })
    .await;
    let mut expected = addrs(&before);
    expected.push("new:1".to_owned());
    assert_eq!(addrs(&a.list("s").await), expected, "no instance lost");
}
