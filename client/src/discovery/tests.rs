use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::join_all;
use http::header::IF_NONE_MATCH;

use super::*;
use crate::protocol::InstanceList;
use crate::registry_client::fake::{FakeTransport, json, refused, reply};
use crate::registry_client::{RegistryClient, RegistryEndpoint};

/// A JSON registry listing `h:1` and `h:2` at revision 5 (304 when asked for it),
/// answering after `delay`, refusing connections while `down` is set.
fn registry(
    delay: Duration,
    down: Arc<AtomicBool>,
) -> (FakeTransport, RegistryDiscovery<FakeTransport>) {
    let fake = FakeTransport::delayed(move |r| {
        if down.load(Ordering::SeqCst) {
            return (delay, refused());
        }
        if r.headers()
            .get(IF_NONE_MATCH)
            .is_some_and(|tag| tag == "\"e.5\"")
        {
            return (delay, Ok(reply(304, &[], "")));
        }
        let list = InstanceList {
            service: "svc".into(),
            epoch: 0xe,
            revision: 5,
            warming: false,
            stale: false,
            instances: vec![Instance::from_addr("h:1"), Instance::from_addr("h:2")],
        };
        (delay, Ok(json(200, &list)))
    });
    let client = RegistryClient::new(fake.clone(), RegistryEndpoint::json("http://r", "svc"));
    let options = DiscoveryOptions {
        rng_seed: Some(1),
        ..DiscoveryOptions::default()
    };
    (fake, RegistryDiscovery::new(client, options))
}

async fn advance(by: Duration) {
    tokio::time::sleep(by).await;
}

/// Lets background refreshes that need no time run to completion.
async fn settle() {
    advance(Duration::from_millis(1)).await;
}

#[tokio::test]
async fn multi_servers_serves_and_updates_its_list() {
    let d = MultiServersDiscovery::from_addrs(["a:1", "b:2"]).with_seed(3);
    assert!(d.refresh().await.is_ok());
    let got = d.get(SelectMode::RoundRobin).await.expect("get");
    assert!(got.addr == "a:1" || got.addr == "b:2");
    assert_eq!(d.get_all().await.expect("all").len(), 2);
    d.update(Vec::new());
    assert_eq!(d.get(SelectMode::Random).await, Err(Error::NoServers));
    assert_eq!(d.get_all().await, Ok(Vec::new()));
}

#[tokio::test(start_paused = true)]
async fn a_due_list_is_served_at_once_and_refreshed_in_the_background() {
    let (fake, d) = registry(Duration::from_secs(1), Arc::default());
    assert_eq!(d.get_all().await.expect("first list").len(), 2);
    assert_eq!(d.revision(), Some(5));
    advance(Duration::from_secs(9)).await;
    d.get(SelectMode::Random).await.expect("cached");
    assert_eq!(fake.count(), 1);
    advance(Duration::from_secs(1)).await;
    let due_at = crate::rt::Instant::now();
    // Due: answered without waiting for the registry's one second.
    let at_once = d.get(SelectMode::Random).now_or_never();
    assert!(at_once.is_some_and(|got| got.is_ok()));
    settle().await;
    let sent = fake.requests();
    assert_eq!(sent.len(), 2, "one refresh started");
    assert_eq!(sent[1].headers()[IF_NONE_MATCH], "\"e.5\"");
    advance(Duration::from_secs(1)).await;
    assert_eq!(d.last_refresh(), Some(due_at + Duration::from_secs(1)));
    assert_eq!(d.get_all().await.expect("304 keeps the list").len(), 2);
    assert_eq!(fake.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn concurrent_callers_share_one_refresh() {
    let (fake, d) = registry(Duration::from_secs(1), Arc::default());
    let gets = (0..10).map(|_| d.get(SelectMode::Random));
    let results = join_all(gets).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(fake.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_caller_that_gives_up_does_not_cancel_the_refresh() {
    let (fake, d) = registry(Duration::from_secs(1), Arc::default());
    let mut first = Box::pin(d.get(SelectMode::Random));
    assert!((&mut first).now_or_never().is_none(), "no list yet: waits");
    drop(first);
    advance(Duration::from_secs(1)).await;
    settle().await;
    // The refresh finished without anyone waiting, and its list was kept.
    assert!(d.last_refresh().is_some());
    let next = d.get(SelectMode::Random).now_or_never();
    assert!(next.is_some_and(|got| got.is_ok()));
    assert_eq!(fake.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn serves_the_stale_list_until_max_stale_then_fails() {
    let down = Arc::new(AtomicBool::new(false));
    let (fake, d) = registry(Duration::ZERO, down.clone());
    d.get(SelectMode::Random).await.expect("first");
    let fetched_at = d.last_refresh();
    down.store(true, Ordering::SeqCst);
    advance(Duration::from_secs(11)).await;
    d.get(SelectMode::Random).await.expect("stale but served");
    settle().await;
    assert!(d.last_error().is_some_and(|e| e.is_connect()));
    assert_eq!(d.last_refresh(), fetched_at);
    // A failed refresh is not retried at once: callers are not held up.
    d.get(SelectMode::Random).await.expect("stale but served");
    settle().await;
    assert_eq!(fake.count(), 2);
    advance(DEFAULT_MAX_STALE).await;
    // Too old to serve: the caller waits for a refresh, which fails.
    let err = d.get(SelectMode::Random).await.expect_err("too stale");
    assert!(
        matches!(&err, Error::Stale { last } if last.is_connect()),
        "{err:?}"
    );
    down.store(false, Ordering::SeqCst);
    advance(FAILED_REFRESH_RETRY).await;
    d.get(SelectMode::Random).await.expect("recovered");
    assert_eq!(d.last_error(), None);
}

#[tokio::test(start_paused = true)]
async fn refreshes_of_a_failing_registry_are_spaced() {
    let down = Arc::new(AtomicBool::new(false));
    let (fake, d) = registry(Duration::ZERO, down.clone());
    d.get(SelectMode::Random).await.expect("first");
    down.store(true, Ordering::SeqCst);
    advance(DEFAULT_REFRESH).await;
    for _ in 0..50 {
        d.get(SelectMode::Random).await.expect("stale but served");
        advance(Duration::from_millis(10)).await;
    }
    // Half a second of callers: one failed refresh, then a pause.
    assert_eq!(fake.count(), 2);
    advance(FAILED_REFRESH_RETRY).await;
    d.get(SelectMode::Random).await.expect("stale but served");
    settle().await;
    assert_eq!(fake.count(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_failure_before_any_success_is_returned() {
    let (_fake, d) = registry(Duration::ZERO, Arc::new(AtomicBool::new(true)));
    let err = d.get_all().await.expect_err("never fetched");
    assert!(err.is_connect(), "{err:?}");
    assert_eq!(d.last_error(), Some(err));
    assert_eq!(d.last_refresh(), None);
}

#[tokio::test(start_paused = true)]
async fn refresh_waits_for_a_due_fetch_and_force_for_a_new_one() {
    let (fake, d) = registry(Duration::from_secs(1), Arc::default());
    d.refresh().await.expect("first");
    assert_eq!(fake.count(), 1);
    d.refresh().await.expect("fresh: nothing to do");
    assert_eq!(fake.count(), 1);
    d.force_refresh().await.expect("forced");
    assert_eq!(fake.count(), 2);
    advance(DEFAULT_REFRESH).await;
    let started = crate::rt::Instant::now();
    d.refresh().await.expect("due");
    assert_eq!(started.elapsed(), Duration::from_secs(1), "waited for it");
    assert_eq!(fake.count(), 3);
}

#[tokio::test(start_paused = true)]
async fn seed_registry_and_manual_update() {
    let fake = FakeTransport::new(|_| Ok(reply(200, &[("X-rpc-Servers", "a:1,b:2")], "")));
    let client = RegistryClient::new(
        fake.clone(),
        RegistryEndpoint::seed("http://r/_rpc_/registry"),
    );
    let d = RegistryDiscovery::new(client, DiscoveryOptions::default());
    assert_eq!(d.get_all().await.expect("all").len(), 2);
    d.update(vec![Instance::from_addr("c:3")]);
    assert_eq!(
        d.get(SelectMode::RoundRobin).await.expect("get").addr,
        "c:3"
    );
    assert_eq!(d.revision(), None);
    d.force_refresh().await.expect("forced");
    assert_eq!(fake.count(), 2);
    assert_eq!(d.get_all().await.expect("all").len(), 2);
}
