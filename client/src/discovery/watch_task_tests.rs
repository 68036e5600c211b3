//! Discovery's watch as a task, on paused time: a registry that cannot watch is
//! polled every `refresh`; the task starts with the first call, ends with the
//! discovery, and a caller waiting on a task whose runtime is gone is answered.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::model::Model;
use super::watch_tests::{addrs, advance, alive_tasks, options, served, watching};
use super::*;
use crate::protocol::HEADER_SERVERS;
use crate::registry_client::fake::{FakeTransport, reply};
use crate::registry_client::{RegistryClient, RegistryEndpoint};
use crate::rt::Deadline;
use crate::watch::script::{NEVER, Script};

#[tokio::test(start_paused = true)]
async fn a_registry_without_a_change_feed_is_polled_every_refresh() {
    let model = Model::new(1, &["a:1"]);
    model.set_no_feed(true);
    let discovery = watching(model.clone());
    discovery.get_all().await.expect("first list");
    model.register("b:1");
    let refresh = DiscoveryOptions::default().refresh;
    advance(refresh + refresh / 8).await;
    assert_eq!(served(&discovery), addrs(&["a:1", "b:1"]));
    advance(refresh * 3).await;
    let seen = model.seen();
    assert_eq!(seen[1], "/v1/services/s/changes?since=1&wait=30s&epoch=1");
    assert!(seen[2..].iter().all(|t| t == "/v1/services/s"), "{seen:?}");
    assert!(
        (4..=6).contains(&seen.len()),
        "one poll per refresh: {seen:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_seed_protocol_is_polled_every_refresh() {
    let servers = Arc::new(Mutex::new("a:1"));
    let answer = Arc::clone(&servers);
    let fake = FakeTransport::new(move |_| {
        let value = *answer.lock().expect("lock");
        Ok(reply(200, &[(HEADER_SERVERS, value)], ""))
    });
    let client = RegistryClient::new(
        fake.clone(),
        RegistryEndpoint::seed("http://r/_rpc_/registry"),
    );
    let discovery = RegistryDiscovery::new(client, options());
    assert_eq!(discovery.get_all().await.expect("first").len(), 1);
    *servers.lock().expect("lock") = "a:1,b:1";
    let refresh = DiscoveryOptions::default().refresh;
    advance(refresh + refresh / 8).await;
    assert_eq!(served(&discovery), addrs(&["a:1", "b:1"]));
    assert_eq!(fake.count(), 2);
    // A sudden empty list is doubted, as when polled on demand.
    *servers.lock().expect("lock") = "";
    advance(refresh + refresh / 8).await;
    assert_eq!(served(&discovery), addrs(&["a:1", "b:1"]));
    assert_eq!(discovery.last_error(), Some(Error::NoServers));
}

#[tokio::test(start_paused = true)]
async fn dropping_the_discovery_stops_its_watch() {
    let model = Model::new(1, &["a:1"]);
    let before = alive_tasks();
    let discovery = watching(model.clone());
    assert_eq!(
        alive_tasks(),
        before,
        "nothing starts before the first call"
    );
    discovery.get_all().await.expect("first list");
    advance(Duration::from_secs(1)).await;
    assert_eq!(alive_tasks(), before + 1, "one task, holding the feed");
    let asked = model.seen().len();
    drop(discovery);
    advance(Duration::from_millis(1)).await;
    assert_eq!(alive_tasks(), before, "the watch ended with the discovery");
    advance(NEVER / 24).await;
    assert_eq!(model.seen().len(), asked, "and asks nothing more");
}

#[tokio::test(start_paused = true)]
async fn an_invalid_service_is_refused_before_anything_is_sent() {
    let model = Model::default();
    let client = RegistryClient::new(model.clone(), RegistryEndpoint::json("http://r", "a/b"));
    let before = alive_tasks();
    let discovery = RegistryDiscovery::new(client, options());
    let err = discovery.get_all().await.expect_err("invalid");
    assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    assert_eq!(alive_tasks(), before);
    assert!(model.seen().is_empty());
}

#[test]
fn a_caller_waiting_on_a_watch_whose_runtime_is_gone_is_answered() {
    use std::task::{Context, Poll};

    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime")
    };
    // The watch starts on one runtime, asking a registry that never answers.
    let script = Script::new(Vec::new());
    let discovery = watching(script.transport());
    let first = runtime();
    let gave_up =
        first.block_on(Deadline::after(Duration::from_millis(1)).run(discovery.get_all()));
    assert!(gave_up.is_none());
    // A caller waits for the first list...
    let mut waiting = Box::pin(discovery.get_all());
    let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
    assert!(waiting.as_mut().poll(&mut cx).is_pending());
    // ... and the watch's runtime shuts down: the caller is told, not left waiting.
    drop(first);
    match waiting.as_mut().poll(&mut cx) {
        Poll::Ready(Err(error)) => assert!(error.to_string().contains("watch stopped"), "{error}"),
        other => panic!("still waiting: {other:?}"),
    }
}
