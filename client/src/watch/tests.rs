//! The watch stream against scripted registries, on paused time: what it yields,
//! what it asks, when, and how it recovers.

use std::time::Duration;

use futures_util::StreamExt;

use super::script::{Script, batch, list, now, options, status};
use super::*;
use crate::protocol::{ChangeEvent, ChangeKind, Instance};
use crate::registry_client::RegistryEndpoint;
use crate::registry_client::fake::{refused, reply};
use crate::rt::Instant;

fn watch(script: &Script, options: WatchOptions) -> WatchStream {
    let client = RegistryClient::new(script.transport(), RegistryEndpoint::json("http://r", "x"));
    client.watch_with("s", options).expect("valid")
}

async fn next(stream: &mut WatchStream) -> WatchEvent {
    stream.next().await.expect("a watch never ends")
}

fn revision_of(event: &WatchEvent) -> (u64, u64) {
    match event {
        WatchEvent::Reset(list) => (list.epoch, list.revision),
        WatchEvent::Changes(batch) => (batch.epoch, batch.revision),
        WatchEvent::Unchanged(version) => (version.epoch, version.revision),
        WatchEvent::Failed { error, .. } => panic!("failed: {error}"),
    }
}

#[tokio::test(start_paused = true)]
async fn lists_once_then_follows_the_change_feed() {
    let script = Script::new(vec![
        list(1, 3, &["a:1"]),
        batch(1, 3, &[]), // a wait ran out: told as Unchanged
        batch(
            1,
            5,
            &[
                (4, ChangeKind::Register, "b:1"),
                (5, ChangeKind::Expire, "a:1"),
            ],
        ),
    ]);
    let mut stream = watch(&script, options());
    let mut view = ServiceView::new();
    let first = next(&mut stream).await;
    assert_eq!(revision_of(&first), (1, 3));
    view.apply(&first);
    let quiet = next(&mut stream).await;
    assert!(
        matches!(quiet, WatchEvent::Unchanged(v) if v.revision == 3),
        "{quiet:?}"
    );
    let second = next(&mut stream).await;
    assert_eq!(revision_of(&second), (1, 5));
    view.apply(&second);
    assert_eq!(view.instances(), [Instance::from_addr("b:1")]);
    assert_eq!(
        script.targets(),
        [
            "/v1/services/s",
            "/v1/services/s/changes?since=3&wait=1m&epoch=1",
            "/v1/services/s/changes?since=3&wait=1m&epoch=1",
        ]
    );
    // Requests are spaced by at least the minimum interval, never in a burst.
    let times = script.times();
    for pair in times.windows(2) {
        assert!(
            pair[1] - pair[0] >= DEFAULT_MIN_INTERVAL,
            "{:?}",
            pair[1] - pair[0]
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_410_or_a_new_epoch_starts_over_with_a_list() {
    let script = Script::new(vec![
        list(1, 3, &["a:1"]),
        status(410), // the log no longer holds since=3
        list(1, 9, &["a:1", "b:1"]),
        status(410), // the registry restarted: another epoch
        list(2, 1, &["c:1"]),
    ]);
    let mut stream = watch(&script, options());
    let seen: Vec<WatchEvent> = vec![
        next(&mut stream).await,
        next(&mut stream).await,
        next(&mut stream).await,
    ];
    let versions: Vec<(u64, u64)> = seen.iter().map(revision_of).collect();
    assert_eq!(versions, [(1, 3), (1, 9), (2, 1)]);
    let mut view = ServiceView::new();
    let told: Vec<Vec<ChangeEvent>> = seen.iter().map(|e| view.apply(e)).collect();
    assert_eq!(
        told[2].len(),
        3,
        "the restart is told as a:1, b:1 gone and c:1 new"
    );
    assert!(script.targets()[3].ends_with("since=9&wait=1m&epoch=1"));
}

#[tokio::test(start_paused = true)]
async fn the_index_never_goes_backwards_within_an_epoch() {
    let script = Script::new(vec![
        list(1, 5, &["a:1"]),
        batch(1, 4, &[(4, ChangeKind::Register, "z:1")]), // behind: not given
        list(1, 3, &[]),                                  // behind again: refused
        list(1, 6, &["a:1", "b:1"]),
    ]);
    let mut stream = watch(&script, options());
    let mut last = (0, 0);
    let mut resets = 0;
    while resets < 2 {
        let event = next(&mut stream).await;
        if let WatchEvent::Failed { error, .. } = &event {
            assert!(error.to_string().contains("went backwards"), "{error}");
            continue;
        }
        let version = revision_of(&event);
        assert!(version >= last, "{version:?} after {last:?}");
        last = version;
        resets += 1;
    }
    assert_eq!(last, (1, 6));
}

#[tokio::test(start_paused = true)]
async fn failures_back_off_with_jitter_and_recover() {
    let script = Script::new(vec![
        (Duration::ZERO, refused()),
        (Duration::ZERO, refused()),
        (Duration::ZERO, refused()),
        list(1, 1, &[]),
    ]);
    let mut stream = watch(&script, options());
    let mut delays = Vec::new();
    loop {
        match next(&mut stream).await {
            WatchEvent::Failed { error, retry_in } => {
                assert!(error.is_connect(), "{error}");
                delays.push(retry_in);
            }
            event => {
                assert_eq!(revision_of(&event), (1, 1));
                break;
            }
        }
    }
    assert_eq!(delays.len(), 3);
    for (n, delay) in delays.iter().enumerate() {
        let ceiling = DEFAULT_WATCH_BACKOFF_MIN * (1 << n);
        assert!(
            *delay >= DEFAULT_WATCH_BACKOFF_MIN && *delay <= ceiling,
            "{n}: {delay:?}"
        );
    }
    let times = script.times();
    for (n, pair) in times.windows(2).enumerate() {
        assert!(pair[1] - pair[0] >= delays[n], "retried before its backoff");
    }
}

#[tokio::test(start_paused = true)]
async fn a_held_request_times_out_only_after_wait_jitter_and_margin() {
    let wait = Duration::from_secs(16);
    let options = WatchOptions { wait, ..options() };
    let script = Script::new(vec![
        list(1, 1, &[]),
        // Held for the wait and the largest jitter: still answered.
        (
            wait + wait / 16,
            batch(1, 2, &[(2, ChangeKind::Register, "a:1")]).1,
        ),
        // Never answered: cut at wait + jitter + margin.
    ]);
    let mut stream = watch(&script, options.clone());
    next(&mut stream).await;
    assert_eq!(revision_of(&next(&mut stream).await), (1, 2));
    let start = Instant::now();
    match next(&mut stream).await {
        WatchEvent::Failed { error, .. } => assert!(error.is_timeout(), "{error}"),
        other => panic!("{other:?}"),
    }
    let took = start.elapsed();
    assert!(took >= options.request_timeout(), "{took:?}");
    assert_eq!(
        options.request_timeout(),
        wait + Duration::from_secs(1) + DEFAULT_REQUEST_TIMEOUT
    );
}

#[tokio::test(start_paused = true)]
async fn a_registry_without_a_change_feed_is_polled() {
    let script = Script::new(vec![
        list(1, 3, &["a:1"]),
        status(404),
        now(reply(304, &[], "")),
        list(1, 4, &["a:1", "b:1"]),
    ]);
    let options = WatchOptions {
        poll_interval: Duration::from_secs(10),
        ..options()
    };
    let mut stream = watch(&script, options);
    assert_eq!(revision_of(&next(&mut stream).await), (1, 3));
    let start = Instant::now();
    let quiet = next(&mut stream).await;
    assert!(
        matches!(quiet, WatchEvent::Unchanged(_)),
        "a 304: {quiet:?}"
    );
    assert!(
        start.elapsed() >= Duration::from_secs(10),
        "polled, not hammered"
    );
    assert_eq!(revision_of(&next(&mut stream).await), (1, 4));
    assert!(start.elapsed() >= Duration::from_secs(20));
    let targets = script.targets();
    assert_eq!(&targets[2..], ["/v1/services/s", "/v1/services/s"]);
}

#[tokio::test(start_paused = true)]
async fn the_seed_protocol_is_polled_and_only_changes_are_given() {
    let seed = |servers: &str| now(reply(200, &[("X-rpc-Servers", servers)], ""));
    let script = Script::new(vec![seed("a:1"), seed("a:1"), seed("a:1,b:1")]);
    let client = RegistryClient::new(
        script.transport(),
        RegistryEndpoint::seed("http://r/_rpc_/registry"),
    );
    assert!(client.watch("other").is_err(), "the seed has one service");
    let mut stream = client.watch_with("default", options()).expect("valid");
    let mut view = ServiceView::new();
    view.apply(&next(&mut stream).await);
    let same = next(&mut stream).await;
    assert!(matches!(same, WatchEvent::Unchanged(_)), "{same:?}");
    let changed = view.apply(&next(&mut stream).await);
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].instance.addr, "b:1");
    assert_eq!(script.targets().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn bad_names_are_refused_before_anything_is_sent() {
    let script = Script::new(Vec::new());
    let client = RegistryClient::new(script.transport(), RegistryEndpoint::json("http://r", "x"));
    assert!(matches!(client.watch("a/b"), Err(Error::Protocol(_))));
    assert!(script.targets().is_empty());
}
