//! Blocking queries on paused time: when they answer, what they answer, and what
//! they hold while they wait.

use std::time::Duration;

use rollcall_protocol::{ChangeBatch, ChangeKind, RegisterRequest, ServiceIndex, WatchQuery};
use tokio::time::Instant;

use crate::watch::{ChangesGone, WatchConfig};
use crate::{ApiError, Registry, RegistryConfig};

const EPOCH: u64 = 77;

/// A registry already warm: the warm-up's end is a change of its own (see
/// `warmup.rs`), which these tests do not want in their way.
fn registry(watch: WatchConfig) -> Registry {
    Registry::new(RegistryConfig {
        epoch: Some(EPOCH),
        warmup: Some(Duration::ZERO),
        watch: WatchConfig {
            rng_seed: Some(5),
            ..watch
        },
        ..RegistryConfig::default()
    })
}

fn register(registry: &Registry, service: &str, addr: &str) -> u64 {
    let request = RegisterRequest {
        addr: addr.to_owned(),
        metadata: Default::default(),
        weight: None,
        ttl_ms: None,
    };
    registry
        .register(service, request)
        .expect("register")
        .revision
}

fn query(after: u64, wait_s: u64) -> WatchQuery {
    WatchQuery {
        after,
        wait: Duration::from_secs(wait_s),
        epoch: Some(EPOCH),
    }
}

fn batch(answer: &crate::Answer) -> ChangeBatch {
    serde_json::from_slice(&answer.body).expect("a ChangeBatch")
}

#[tokio::test(start_paused = true)]
async fn a_client_behind_is_answered_at_once_without_a_place() {
    let registry = registry(WatchConfig {
        max_watchers: 0,
        ..WatchConfig::default()
    });
    register(&registry, "s", "a:1");
    let start = Instant::now();
    let list = registry.watch_list("s", &query(0, 60)).await.expect("list");
    assert_eq!(list.revision(), 1);
    let changes = registry
        .watch_changes("s", &query(0, 60))
        .await
        .expect("changes");
    assert_eq!(batch(&changes).events[0].kind, ChangeKind::Register);
    let index = registry.watch_index(&query(0, 60)).await.expect("index");
    assert_eq!(index.revision, 1);
    assert_eq!(start.elapsed(), Duration::ZERO);
    // Nothing newer, and no place to wait in: 503 at once.
    assert_eq!(
        registry.watch_list("s", &query(1, 60)).await.map(|_| ()),
        Err(ApiError::TooManyWatchers { max: 0 })
    );
}

#[tokio::test(start_paused = true)]
async fn a_held_list_answers_when_its_service_changes_and_only_then() {
    let registry = registry(WatchConfig::default());
    register(&registry, "s", "a:1");
    let held = tokio::spawn({
        let registry = registry.clone();
        async move { registry.watch_list("s", &query(1, 60)).await }
    });
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(registry.watchers(), 1);
    register(&registry, "other", "a:1");
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(!held.is_finished(), "another service's change wakes nobody");
    let revision = register(&registry, "s", "b:1");
    let list = held.await.expect("task").expect("list");
    assert_eq!(list.revision(), revision);
    assert_eq!(list.len(), 2);
    assert_eq!(registry.watchers(), 0);
}

#[tokio::test(start_paused = true)]
async fn the_wait_ends_with_jitter_of_at_most_a_sixteenth_and_is_capped() {
    let registry = registry(WatchConfig {
        max_wait: Duration::from_secs(32),
        ..WatchConfig::default()
    });
    register(&registry, "s", "a:1");
    let start = Instant::now();
    let list = registry.watch_list("s", &query(1, 16)).await.expect("list");
    let took = start.elapsed();
    assert_eq!(list.revision(), 1, "nothing changed: the same list");
    assert!(
        took >= Duration::from_secs(16) && took <= Duration::from_secs(17),
        "{took:?}"
    );
    let start = Instant::now();
    registry.watch_index(&query(1, 3600)).await.expect("index");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_secs(32) && took <= Duration::from_secs(34),
        "{took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_dropped_request_gives_its_place_back() {
    let registry = registry(WatchConfig {
        max_watchers: 1,
        ..WatchConfig::default()
    });
    let held = tokio::spawn({
        let registry = registry.clone();
        async move { registry.watch_changes("s", &query(0, 60)).await }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(registry.watchers(), 1);
    held.abort();
    let _ = held.await;
    assert_eq!(registry.watchers(), 0);
    let again = tokio::spawn({
        let registry = registry.clone();
        async move { registry.watch_list("s", &query(0, 60)).await }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(registry.watchers(), 1, "the place is free again");
    again.abort();
}

#[tokio::test(start_paused = true)]
async fn closing_answers_every_held_request_now() {
    let registry = registry(WatchConfig::default());
    let held = tokio::spawn({
        let registry = registry.clone();
        async move { registry.watch_changes("s", &query(0, 300)).await }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    let start = Instant::now();
    registry.close_watches();
    let answer = held.await.expect("task").expect("answer");
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!((answer.revision, batch(&answer).events.len()), (0, 0));
    let later = registry
        .watch_list("s", &query(0, 300))
        .await
        .expect("list");
    assert_eq!((later.revision(), start.elapsed()), (0, Duration::ZERO));
}

#[tokio::test(start_paused = true)]
async fn the_change_feed_sends_clients_of_another_run_or_too_far_behind_to_list() {
    let registry = registry(WatchConfig {
        change_log: 2,
        ..WatchConfig::default()
    });
    for n in 0..4 {
        register(&registry, "s", &format!("a:{n}"));
    }
    let other = WatchQuery {
        epoch: Some(EPOCH + 1),
        ..query(1, 60)
    };
    assert_eq!(
        registry.watch_changes("s", &other).await,
        Err(ApiError::Gone(ChangesGone::OtherEpoch {
            asked: EPOCH + 1,
            current: EPOCH
        }))
    );
    assert_eq!(
        registry.watch_changes("s", &query(9, 60)).await,
        Err(ApiError::Gone(ChangesGone::Ahead {
            since: 9,
            revision: 4
        }))
    );
    assert_eq!(
        registry.watch_changes("s", &query(1, 60)).await,
        Err(ApiError::Gone(ChangesGone::Compacted {
            since: 1,
            floor: 2
        }))
    );
    let held = registry
        .watch_changes("s", &query(2, 60))
        .await
        .expect("held");
    let revisions: Vec<u64> = batch(&held).events.iter().map(|e| e.revision).collect();
    assert_eq!((held.revision, revisions), (4, vec![3, 4]));
}

#[tokio::test(start_paused = true)]
async fn a_list_from_another_run_answers_at_once() {
    let registry = registry(WatchConfig::default());
    register(&registry, "s", "a:1");
    let start = Instant::now();
    let other = WatchQuery {
        epoch: Some(EPOCH + 1),
        ..query(1, 60)
    };
    registry.watch_list("s", &other).await.expect("list");
    registry
        .watch_list("s", &query(50, 60))
        .await
        .expect("ahead");
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn woken_watchers_share_one_batch_and_one_index() {
    let registry = registry(WatchConfig::default());
    let spawn_changes = |registry: Registry| {
        tokio::spawn(async move { registry.watch_changes("s", &query(0, 60)).await })
    };
    let a = spawn_changes(registry.clone());
    let b = spawn_changes(registry.clone());
    let index = tokio::spawn({
        let registry = registry.clone();
        async move { registry.watch_index(&query(0, 60)).await }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(registry.watchers(), 3);
    register(&registry, "s", "a:1");
    let a = a.await.expect("task").expect("a");
    let b = b.await.expect("task").expect("b");
    assert_eq!(a.body.as_ptr(), b.body.as_ptr(), "one batch, shared");
    let index = index.await.expect("task").expect("index");
    let parsed: ServiceIndex = serde_json::from_slice(&index.body).expect("index");
    assert_eq!((parsed.epoch, parsed.revision), (EPOCH, 1));
    assert_eq!(index.body.as_ptr(), registry.index_answer().body.as_ptr());
}

#[tokio::test(start_paused = true)]
async fn a_wait_beyond_any_clock_is_held_not_a_panic() {
    let registry = registry(WatchConfig {
        max_wait: Duration::MAX,
        ..WatchConfig::default()
    });
    let held = tokio::spawn({
        let registry = registry.clone();
        let query = WatchQuery {
            wait: Duration::MAX,
            ..query(0, 0)
        };
        async move { registry.watch_list("s", &query).await }
    });
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(registry.watchers(), 1);
    register(&registry, "s", "a:1");
    assert_eq!(held.await.expect("task").expect("list").revision(), 1);
}
