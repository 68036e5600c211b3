//! A leader change with real processes: two `rollcall serve --store etcd` frontends
//! over a three-member etcd cluster whose leader is killed (`SIGKILL`) while a fleet
//! heartbeats through the frontends. No instance is lost (etcd extends every lease
//! when a new leader is elected), writes are taken again once the cluster has a
//! leader, each frontend stops sending requests to the dead member (so it refuses
//! no write while two of three members hold a quorum), and each frontend's watch
//! resumes from its last revision on a member still up: the change feed goes on
//! without a gap.
#![cfg(unix)]

pub mod common;

use std::time::Duration;

use common::etcd::EtcdCluster;
use common::eventually;
use common::frontend::{Fleet, Frontend, PATIENCE, addrs};
use rollcall_protocol::{ChangeBatch, ChangeKind};

/// Longest wait for the two members left to elect a leader.
const ELECTION_PATIENCE: Duration = Duration::from_secs(60);

/// The fleet's TTL is 5 s (see `heartbeat`); the test watches past twice that.
const WATCH_FOR: Duration = Duration::from_secs(11);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_change_loses_no_instance_and_watches_resume() {
    let mut cluster = EtcdCluster::start("leader");
    let leader = cluster.leader().expect("the cluster has a leader");
    // a names the leader first (its connections most likely go there), b last.
    let mut endpoints = cluster.endpoints.clone();
    endpoints.swap(0, leader);
    let a = Frontend::start(&endpoints.join(","), "/leader");
    endpoints.reverse();
    let b = Frontend::start(&endpoints.join(","), "/leader");

    let fleet = Fleet::beat(
        &[a.addr, b.addr],
        (0..10).map(|n| format!("10.1.0.{n}:80")).collect(),
    );
    let mut expected = fleet.addrs.clone();
    eventually("both frontends list the fleet", PATIENCE, || async {
        addrs(&a.list("fleet").await) == expected && addrs(&b.list("fleet").await) == expected
    })
    .await;
    let before = a.list("fleet").await.revision;

    assert_eq!(cluster.leader(), Some(leader), "no election meanwhile");
    let killed = tokio::time::Instant::now();
    cluster.kill(leader);
    // An election takes a second or two; a split vote, rarely, a few more.
    loop {
        if cluster.leader().is_some_and(|now| now != leader) {
            break;
        }
        assert!(
            killed.elapsed() < ELECTION_PATIENCE,
            "no new leader within {ELECTION_PATIENCE:?}: members say {:?}",
            cluster.statuses()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("a new leader {:?} after the kill", killed.elapsed());

    // Writes are taken again: through either frontend.
    for (frontend, addr) in [(&b, "10.1.1.1:80"), (&a, "10.1.1.2:80")] {
        eventually("a registration is taken", PATIENCE, || async {
            frontend
                .register("fleet", addr, 30_000)
                .await
                .is_ok_and(|reply| reply.status == 201)
        })
        .await;
    }
    eprintln!(
        "writes taken through both frontends {:?} after the kill",
        killed.elapsed()
    );
    // Each frontend takes the dead member out of the ones its requests go to, and
    // once ready again refuses no write (before that change, 43 of 50 writes in
    // 5 s were refused).
    for frontend in [&a, &b] {
        eventually("the dead member is taken out of use", PATIENCE, || async {
            let metrics = frontend.get("/metrics").await.expect("metrics").text();
            // Live members may have been taken out too, during the election.
            let ready = frontend.get("/readyz").await.is_ok_and(|r| r.status == 200);
            exclusions(&metrics) >= 1 && ready
        })
        .await;
    }
    for n in 0..30 {
        let frontend = if n % 2 == 0 { &a } else { &b };
        let reply = frontend
            .register("more", &format!("10.2.0.{n}:80"), 30_000)
            .await
            .expect("an answer");
        assert_eq!(reply.status, 201, "write {n}: {}", reply.text());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    expected.extend(["10.1.1.1:80".to_owned(), "10.1.1.2:80".to_owned()]);
    expected.sort();

    eventually("both frontends list the newcomers", PATIENCE, || async {
        addrs(&a.list("fleet").await) == expected && addrs(&b.list("fleet").await) == expected
    })
    .await;
    // Past twice the TTL, no instance goes missing from either frontend.
    let watching = tokio::time::Instant::now();
    while watching.elapsed() < WATCH_FOR {
        for frontend in [&a, &b] {
            assert_eq!(
                addrs(&frontend.list("fleet").await),
                expected,
                "an instance went missing"
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The feed from before the kill goes on: both registrations, and nothing of
    // the fleet expired or deregistered meanwhile.
    for frontend in [&a, &b] {
        let reply = frontend
            .get(&format!("/v1/services/fleet/changes?since={before}&wait=0"))
            .await
            .expect("the change feed");
        assert_eq!(reply.status, 200, "{}", reply.text());
        let batch: ChangeBatch = reply.json();
        let registered = batch
            .events
            .iter()
            .filter(|e| e.kind == ChangeKind::Register)
            .count();
        assert_eq!(registered, 2, "{:?}", batch.events);
        assert!(
            batch
                .events
                .iter()
                .all(|e| !matches!(e.kind, ChangeKind::Expire | ChangeKind::Deregister)),
            "{:?}",
            batch.events
        );
    }
    fleet.stop().await;
}

/// `rollcall_etcd_member_exclusions_total` in a `/metrics` page (0 if absent).
fn exclusions(metrics: &str) -> u64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix("rollcall_etcd_member_exclusions_total "))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0)
}
