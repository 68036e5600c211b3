use std::collections::BTreeMap;
use std::time::Duration;

use rollcall_protocol::{ChangeBatch, ChangeKind, Instance, RegisterRequest, WatchQuery};

use super::*;
use crate::RegistryConfig;
use crate::registry::Update;

const EPOCH: u64 = 0xe7cd;

fn mirror() -> (Registry, Mirror) {
    Registry::mirrored(RegistryConfig::default(), EPOCH)
}

fn instance(addr: &str, weight: u32) -> Instance {
    Instance {
        addr: addr.to_owned(),
        metadata: BTreeMap::new(),
        weight,
        ttl_ms: 10_000,
    }
}

fn put(service: &str, addr: &str, weight: u32) -> MirrorChange {
    MirrorChange::Put {
        service: service.to_owned(),
        instance: instance(addr, weight),
    }
}

fn delete(service: &str, addr: &str, kind: ChangeKind) -> MirrorChange {
    MirrorChange::Delete {
        service: service.to_owned(),
        addr: addr.to_owned(),
        kind,
    }
}

fn query(after: u64, wait: Duration) -> WatchQuery {
    WatchQuery {
        after,
        wait,
        epoch: Some(EPOCH),
    }
}

/// What the store's barrier task does: each barrier asked for is written after
/// everything before it (here: at revisions from 100 on), and seen back by the
/// mirror.
fn serve_barriers(mirror: &Mirror) {
    let mirror = mirror.clone();
    tokio::spawn(async move {
        for revision in 100.. {
            let ticket = mirror.barrier_wanted().await;
            mirror.apply(Vec::new(), revision);
            mirror.barrier_done(ticket);
        }
    });
}

fn batch(answer: &crate::registry::Answer) -> ChangeBatch {
    serde_json::from_slice(&answer.body).expect("a change batch")
}

#[tokio::test(start_paused = true)]
async fn revisions_and_removals_come_from_the_store() {
    let (registry, mirror) = mirror();
    assert!(!registry.warming(), "a mirror lost nothing: no warm-up");
    mirror.apply(vec![(10, put("s", "a:1", 1)), (11, put("s", "b:1", 1))], 11);
    mirror.apply(vec![(14, put("s", "a:1", 1))], 14); // same data: no change
    assert_eq!(registry.list("s").revision(), 11);
    assert_eq!(registry.list("s").version().etag(), "\"e7cd.11\"");
    mirror.apply(vec![(15, put("s", "a:1", 3))], 15);
    mirror.apply(vec![(16, delete("s", "b:1", ChangeKind::Deregister))], 16);
    mirror.apply(vec![(20, delete("s", "a:1", ChangeKind::Expire))], 20);
    mirror.apply(vec![(21, delete("s", "z:1", ChangeKind::Expire))], 21); // not held
    assert_eq!((registry.list("s").revision(), registry.len()), (20, 0));
    assert_eq!(registry.revision(), 20);
    let changes = registry
        .watch_changes("s", &query(0, Duration::ZERO))
        .await
        .expect("changes");
    let kinds: Vec<(u64, ChangeKind, u32)> = batch(&changes)
        .events
        .iter()
        .map(|e| (e.revision, e.kind, e.instance.weight))
        .collect();
    assert_eq!(
        kinds,
        [
            (10, ChangeKind::Register, 1),
            (11, ChangeKind::Register, 1),
            (15, ChangeKind::Update, 3),
            (16, ChangeKind::Deregister, 1),
            (20, ChangeKind::Expire, 3),
        ]
    );
    let stats = registry.stats();
    assert_eq!(
        (
            stats.registrations,
            stats.deregistrations,
            stats.expirations
        ),
        (2, 1, 1)
    );
}

#[tokio::test(start_paused = true)]
async fn mirrors_fed_the_same_events_answer_the_same_bytes() {
    let (one, feed_one) = mirror();
    let (two, feed_two) = mirror();
    let events = vec![
        (5, put("s", "b:1", 2)),
        (6, put("s", "a:1", 1)),
        (9, delete("s", "b:1", ChangeKind::Expire)),
    ];
    feed_one.apply(events.clone(), 9);
    feed_two.apply(events[..1].to_vec(), 5);
    feed_two.apply(events[1..].to_vec(), 12);
    assert_eq!(one.list("s").body(), two.list("s").body());
    assert_eq!(one.list("s").version(), two.list("s").version());
    assert_eq!(one.index_answer(), two.index_answer());
}

#[tokio::test(start_paused = true)]
async fn writes_go_to_the_store_not_the_mirror() {
    let (registry, _mirror) = mirror();
    let request = RegisterRequest {
        addr: "a:1".to_owned(),
        metadata: BTreeMap::new(),
        weight: None,
        ttl_ms: None,
    };
    assert!(matches!(
        registry.register("s", request),
        Err(ApiError::StoreUnavailable { .. })
    ));
    assert!(registry.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_reload_moves_changed_services_on_and_restarts_the_log() {
    let (registry, mirror) = mirror();
    mirror.apply(
        vec![
            (3, put("same", "a:1", 1)),
            (4, put("gone", "a:1", 1)),
            (5, put("moved", "a:1", 1)),
        ],
        5,
    );
    let listing = vec![
        ("same".to_owned(), instance("a:1", 1)),
        ("moved".to_owned(), instance("a:1", 7)),
        ("new".to_owned(), instance("n:1", 1)),
    ];
    mirror.reload(40, listing);
    let revisions: Vec<(&str, u64, usize)> = ["same", "gone", "moved", "new", "never"]
        .iter()
        .map(|s| (*s, registry.list(s).revision(), registry.list(s).len()))
        .collect();
    assert_eq!(
        revisions,
        [
            ("same", 3, 1),
            ("gone", 40, 0),
            ("moved", 40, 1),
            ("new", 40, 1),
            ("never", 40, 0),
        ],
        "what changed (or is unknown) lists at the reload, never lower than before"
    );
    assert_eq!(registry.len(), 3);
    let gone = registry
        .watch_changes("moved", &query(5, Duration::ZERO))
        .await;
    assert!(matches!(gone, Err(ApiError::Gone(_))), "{gone:?}");
    mirror.apply(vec![(41, put("moved", "b:1", 1))], 41);
    let after = registry
        .watch_changes("moved", &query(40, Duration::ZERO))
        .await
        .expect("logged since the reload");
    assert_eq!(batch(&after).events.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_stale_mirror_says_so_until_it_is_current() {
    let (registry, mirror) = mirror();
    mirror.apply(vec![(2, put("s", "a:1", 1))], 2);
    let fresh = registry.list("s");
    mirror.set_stale(true);
    assert!(registry.stale() && registry.stats().stale);
    let stale = registry.list("s");
    assert!(stale.stale());
    assert_eq!(stale.version(), fresh.version(), "same data, same ETag");
    let body = std::str::from_utf8(stale.body()).expect("utf-8");
    assert!(body.contains(r#""stale":true"#), "{body}");
    assert!(registry.index().stale);
    let changes = registry
        .watch_changes("s", &query(0, Duration::ZERO))
        .await
        .expect("changes");
    assert!(batch(&changes).stale);
    mirror.set_stale(false);
    assert!(!registry.list("s").stale());
    assert!(!registry.index().stale);
}

#[tokio::test(start_paused = true)]
async fn a_query_beyond_the_mirror_waits_for_it_to_catch_up() {
    let (registry, mirror) = mirror();
    mirror.apply(vec![(5, put("s", "a:1", 1))], 5);
    // An index from a frontend that has already seen revision 8.
    let watch = tokio::spawn({
        let registry = registry.clone();
        async move {
            registry
                .watch_list("s", &query(8, Duration::from_secs(30)))
                .await
        }
    });
    // The store's barrier task is asked for a barrier...
    let ticket = tokio::time::timeout(Duration::from_secs(1), mirror.barrier_wanted())
        .await
        .expect("a barrier is asked for");
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(
        !watch.is_finished(),
        "never answers what it has: revision 5"
    );
    // ...the watch delivers what it had missed, then the barrier.
    mirror.apply(vec![(8, put("s", "b:1", 1))], 8);
    mirror.apply(Vec::new(), 12);
    mirror.barrier_done(ticket);
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(!watch.is_finished(), "caught up at 8: now held as usual");
    mirror.apply(vec![(13, put("s", "c:1", 1))], 13);
    let list = watch.await.expect("joined").expect("answered");
    assert_eq!((list.revision(), list.len()), (13, 3));
}

#[tokio::test(start_paused = true)]
async fn an_index_beyond_the_store_is_answered_at_once_after_the_barrier() {
    let (registry, mirror) = mirror();
    mirror.apply(vec![(5, put("s", "a:1", 1))], 5);
    serve_barriers(&mirror);
    let started = tokio::time::Instant::now();
    let list = registry
        .watch_list("s", &query(900, Duration::from_secs(30)))
        .await
        .expect("answered");
    assert_eq!(list.revision(), 5, "another run's index: answered at once");
    assert!(started.elapsed() < Duration::from_secs(1));
    let gone = registry
        .watch_changes("s", &query(900, Duration::ZERO))
        .await;
    assert!(matches!(gone, Err(ApiError::Gone(_))), "{gone:?}");
}

#[tokio::test(start_paused = true)]
async fn a_mirror_that_cannot_catch_up_answers_503() {
    let (registry, mirror) = mirror();
    mirror.apply(vec![(5, put("s", "a:1", 1))], 5);
    let started = tokio::time::Instant::now();
    let behind = registry.watch_list("s", &query(8, Duration::ZERO)).await;
    assert!(
        matches!(behind, Err(ApiError::StoreUnavailable { .. })),
        "{behind:?}"
    );
    assert_eq!(
        started.elapsed(),
        CATCH_UP_FLOOR,
        "wait=0 still gets the floor"
    );
    let in_time = registry.watch_list("s", &query(5, Duration::ZERO)).await;
    assert!(in_time.is_ok(), "an index it has is answered at once");
}

#[tokio::test(start_paused = true)]
async fn held_queries_wake_on_the_stores_changes() {
    let (registry, mirror) = mirror();
    mirror.apply(vec![(5, put("s", "a:1", 1))], 5);
    let held = tokio::spawn({
        let registry = registry.clone();
        async move {
            registry
                .watch_changes("s", &query(5, Duration::from_secs(60)))
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(10)).await;
    mirror.apply(vec![(6, delete("s", "a:1", ChangeKind::Deregister))], 6);
    let answer = held.await.expect("joined").expect("answered");
    let events = batch(&answer).events;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, ChangeKind::Deregister);
}

#[tokio::test(start_paused = true)]
async fn writes_wait_until_the_mirror_has_seen_them() {
    let (_registry, mirror) = mirror();
    let soon = tokio::time::Instant::now() + Duration::from_secs(1);
    assert!(
        !mirror.wait_synced(3, soon).await,
        "nothing came: in time, no"
    );
    let later = tokio::time::Instant::now() + Duration::from_secs(1);
    let waiting = tokio::spawn({
        let mirror = mirror.clone();
        async move { mirror.wait_synced(3, later).await }
    });
    mirror.apply(vec![(3, put("s", "a:1", 1))], 3);
    assert!(waiting.await.expect("joined"));
    let update = Update {
        metadata: None,
        weight: Some(2),
        ttl_ms: 10_000,
    };
    assert_eq!(mirror.compare("s", "a:1", &update), Held::Differs);
    let seed = Update {
        weight: None,
        ..update
    };
    assert_eq!(mirror.compare("s", "a:1", &seed), Held::Same);
    assert_eq!(mirror.compare("s", "z:1", &seed), Held::Absent);
}
