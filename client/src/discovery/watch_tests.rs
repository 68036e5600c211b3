//! Discovery in watch mode, on paused time: a change is served as soon as the
//! watch brings it, no call waits on the registry once a first list came, and the
//! stale-serving and restart rules hold as in poll mode. The helpers here serve
//! `watch_task_tests` too.

use std::time::Duration;

use futures_util::FutureExt;

use super::model::Model;
use super::watch::watch_options;
use super::*;
use crate::protocol::ChangeKind;
use crate::registry_client::{RegistryClient, RegistryEndpoint};
use crate::rt::{Deadline, Instant};
use crate::transport::Transport;
use crate::watch::script::{Script, batch, list};
use crate::{DEFAULT_WATCH_BACKOFF_MAX, DEFAULT_WATCH_BACKOFF_MIN};

pub(super) const MAX_STALE: Duration = Duration::from_secs(60);

pub(super) fn options() -> DiscoveryOptions {
    DiscoveryOptions {
        source: ListSource::Watch,
        max_stale: MAX_STALE,
        rng_seed: Some(5),
        ..DiscoveryOptions::default()
    }
}

pub(super) fn watching<T: Transport>(transport: T) -> RegistryDiscovery<T> {
    let client = RegistryClient::new(transport, RegistryEndpoint::json("http://r", "s"));
    RegistryDiscovery::new(client, options())
}

/// What is handed out now, without waiting.
pub(super) fn served<T: Transport>(discovery: &RegistryDiscovery<T>) -> Result<Vec<String>, Error> {
    let all = discovery
        .get_all()
        .now_or_never()
        .expect("answered without waiting")?;
    Ok(all.into_iter().map(|i| i.addr).collect())
}

pub(super) fn addrs(list: &[&str]) -> Result<Vec<String>, Error> {
    Ok(list.iter().map(|a| (*a).to_owned()).collect())
}

pub(super) async fn advance(by: Duration) {
    tokio::time::sleep(by).await;
}

pub(super) fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

#[tokio::test(start_paused = true)]
async fn a_change_is_served_as_soon_as_the_watch_brings_it() {
    let script = Script::new(vec![
        list(1, 3, &["a:1"]),
        // The feed holds the request; a registration comes 5 s later.
        (
            Duration::from_secs(5),
            batch(1, 4, &[(4, ChangeKind::Register, "b:1")]).1,
        ),
    ]);
    let discovery = watching(script.transport());
    let first = discovery.get_all().await.expect("the first list");
    assert_eq!(first.len(), 1);
    // Held request in flight: every call is answered at once, none asks the registry.
    for _ in 0..20 {
        assert_eq!(served(&discovery), addrs(&["a:1"]));
        discovery
            .get(SelectMode::Random)
            .now_or_never()
            .expect("at once")
            .expect("a:1");
        advance(Duration::from_millis(200)).await;
    }
    advance(Duration::from_secs(2)).await;
    assert_eq!(served(&discovery), addrs(&["a:1", "b:1"]));
    assert_eq!(discovery.revision(), Some(4));
    assert_eq!(
        script.targets(),
        [
            "/v1/services/s",
            "/v1/services/s/changes?since=3&wait=30s&epoch=1",
            "/v1/services/s/changes?since=4&wait=30s&epoch=1",
        ],
        "one list, then the feed: no poll"
    );
    // refresh and force_refresh have nothing to wait for.
    discovery
        .refresh()
        .now_or_never()
        .expect("at once")
        .expect("ok");
    discovery
        .force_refresh()
        .now_or_never()
        .expect("at once")
        .expect("ok");
    assert_eq!(script.targets().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn before_the_first_list_callers_wait_up_to_their_deadline() {
    let slow = Duration::from_secs(4);
    let script = Script::new(vec![(slow, list(1, 1, &["a:1"]).1)]);
    let discovery = watching(script.transport());
    let start = Instant::now();
    let gave_up = Deadline::after(Duration::from_secs(1))
        .run(discovery.get_all())
        .await;
    assert!(gave_up.is_none(), "no list within the caller's deadline");
    // The watch went on without the caller.
    let all = discovery.get_all().await.expect("the list");
    assert_eq!(all.len(), 1);
    assert_eq!(start.elapsed(), slow);
    assert_eq!(script.targets()[..1], ["/v1/services/s"]);
}

#[tokio::test(start_paused = true)]
async fn a_registry_down_from_the_start_is_an_error_at_once() {
    let model = Model::new(1, &["a:1"]);
    model.set_down(true);
    let discovery = watching(model.clone());
    let err = discovery.get_all().await.expect_err("never listed");
    assert!(err.is_connect(), "{err:?}");
    // Between retries the error comes at once.
    assert!(served(&discovery).is_err_and(|e| e.is_connect()));
    model.set_down(false);
    advance(DEFAULT_WATCH_BACKOFF_MIN * 2).await;
    assert_eq!(served(&discovery), addrs(&["a:1"]));
}

#[tokio::test(start_paused = true)]
async fn the_last_list_is_served_until_max_stale_after_the_registry_went_away() {
    let model = Model::new(1, &["a:1", "b:1"]);
    let discovery = watching(model.clone());
    discovery.get_all().await.expect("first list");
    advance(Duration::from_secs(10)).await;
    model.deregister("b:1");
    advance(Duration::from_millis(500)).await;
    assert_eq!(served(&discovery), addrs(&["a:1"]));
    let last_heard = discovery.last_refresh().expect("heard");

    // The held request is cut, then reconnecting is refused.
    model.set_down(true);
    advance(Duration::from_millis(100)).await;
    assert!(discovery.last_error().is_some());
    advance(DEFAULT_WATCH_BACKOFF_MIN * 2).await;
    assert!(discovery.last_error().is_some_and(|e| e.is_connect()));
    // Served at once, as long as the list is within max_stale.
    while Instant::now() < last_heard + MAX_STALE {
        assert_eq!(served(&discovery), addrs(&["a:1"]));
        advance(Duration::from_secs(5)).await;
    }
    let stale = served(&discovery).expect_err("too old");
    assert!(
        matches!(&stale, Error::Stale { last } if last.is_connect()),
        "{stale:?}"
    );

    // Back: the watch finds it again within its longest backoff.
    model.set_down(false);
    model.register("c:1");
    advance(DEFAULT_WATCH_BACKOFF_MAX + Duration::from_secs(1)).await;
    assert_eq!(served(&discovery), addrs(&["a:1", "c:1"]));
    assert_eq!(discovery.last_error(), None);
}

#[tokio::test(start_paused = true)]
async fn an_idle_watch_keeps_the_list_within_max_stale() {
    let model = Model::new(1, &["a:1"]);
    let discovery = watching(model.clone());
    discovery.get_all().await.expect("first list");
    // Nothing changes for ten times max_stale: each wait that runs out confirms it.
    for _ in 0..100 {
        advance(MAX_STALE / 10).await;
        assert_eq!(served(&discovery), addrs(&["a:1"]));
    }
    let requests = model.seen().len();
    let waits = (MAX_STALE * 10).as_secs() / watch_options(&options(), MAX_STALE).wait.as_secs();
    assert!(
        requests as u64 <= waits + 2,
        "{requests} requests in {waits} waits: none but the held ones"
    );
}

#[tokio::test(start_paused = true)]
async fn a_restart_keeps_the_servers_not_back_until_the_warm_up_ends() {
    let model = Model::new(1, &["a:1", "b:1", "c:1"]);
    let discovery = watching(model.clone());
    discovery.get_all().await.expect("first list");

    model.restart(2);
    model.register("c:1");
    advance(Duration::from_secs(3)).await;
    assert_eq!(served(&discovery), addrs(&["a:1", "b:1", "c:1"]));
    assert!(discovery.warming());
    assert_eq!(discovery.carried(), 2);
    assert_eq!(discovery.last_error(), None);

    // A newcomer is used at once; an old server coming back leaves the carry.
    model.register("d:1");
    model.register("a:1");
    advance(Duration::from_millis(500)).await;
    assert_eq!(served(&discovery), addrs(&["a:1", "b:1", "c:1", "d:1"]));
    assert_eq!(discovery.carried(), 1);

    // Warm: b:1 went away during the restart.
    model.warm();
    advance(Duration::from_millis(500)).await;
    assert_eq!(served(&discovery), addrs(&["a:1", "c:1", "d:1"]));
    assert!(!discovery.warming());
    assert_eq!(discovery.carried(), 0);
}

#[tokio::test(start_paused = true)]
async fn kept_servers_go_max_stale_after_the_last_list_showed_them() {
    let model = Model::new(1, &["a:1", "b:1"]);
    let discovery = watching(model.clone());
    discovery.get_all().await.expect("first list");
    let last_old_list = discovery.last_refresh().expect("heard");
    model.restart(2);
    model.register("b:1");
    advance(Duration::from_secs(3)).await;
    assert_eq!(served(&discovery), addrs(&["a:1", "b:1"]));
    // A warm-up longer than max_stale.
    while Instant::now() <= last_old_list + MAX_STALE {
        advance(Duration::from_secs(1)).await;
    }
    assert_eq!(served(&discovery), addrs(&["b:1"]));
}
