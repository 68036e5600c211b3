//! Discovery across a registry restart: the registry comes back empty, and its
//! servers re-register one by one within a heartbeat period. Clients must keep the
//! servers not back yet while the registry warms up (so the first one back does
//! not take all the traffic), use new ones at once, drop those really gone when
//! the warm-up ends, and believe a service that really drained.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;
use crate::protocol::{HEADER_SERVERS, HEADER_WARMING, InstanceList};
use crate::registry_client::fake::{FakeTransport, json, reply};
use crate::registry_client::{RegistryClient, RegistryEndpoint};

const MAX_STALE: Duration = Duration::from_secs(60);

/// The list a fake JSON registry answers, changed by the test.
type Answer = Arc<Mutex<InstanceList>>;

/// A JSON registry answering whatever list `answer` holds at the time.
fn json_registry(answer: Answer) -> RegistryDiscovery<FakeTransport> {
    let fake = FakeTransport::new(move |_| {
        let list = answer.lock().unwrap_or_else(|e| e.into_inner()).clone();
        Ok(json(200, &list))
    });
    let client = RegistryClient::new(fake, RegistryEndpoint::json("http://r", "svc"));
    RegistryDiscovery::new(client, options())
}

fn options() -> DiscoveryOptions {
    DiscoveryOptions {
        refresh: Duration::from_secs(1),
        max_stale: MAX_STALE,
        request_timeout: None,
        rng_seed: Some(3),
        ..DiscoveryOptions::default()
    }
}

fn list(epoch: u64, revision: u64, warming: bool, addrs: &[&str]) -> InstanceList {
    InstanceList {
        service: "svc".into(),
        epoch,
        revision,
        warming,
        stale: false,
        instances: addrs.iter().map(|a| Instance::from_addr(*a)).collect(),
    }
}

fn answer(answer: &Answer, list: InstanceList) {
    *answer.lock().unwrap_or_else(|e| e.into_inner()) = list;
}

/// Two seconds later (the list is due), after a refresh: what is handed out.
async fn next(discovery: &RegistryDiscovery<FakeTransport>) -> Result<Vec<String>, Error> {
    tokio::time::advance(Duration::from_secs(2)).await;
    discovery.refresh().await?;
    let all = discovery.get_all().await?;
    Ok(all.into_iter().map(|i| i.addr).collect())
}

fn addrs(list: &[&str]) -> Result<Vec<String>, Error> {
    Ok(list.iter().map(|a| (*a).to_owned()).collect())
}

#[tokio::test(start_paused = true)]
async fn a_warming_registry_keeps_the_servers_not_back_yet() {
    let now = Arc::new(Mutex::new(list(
        1,
        9,
        false,
        &["a:1", "b:1", "c:1", "d:1", "e:1"],
    )));
    let discovery = json_registry(Arc::clone(&now));
    assert_eq!(
        next(&discovery).await,
        addrs(&["a:1", "b:1", "c:1", "d:1", "e:1"])
    );

    // Restarted: another epoch, warming, one server back.
    answer(&now, list(2, 1, true, &["c:1"]));
    assert_eq!(
        next(&discovery).await,
        addrs(&["a:1", "b:1", "c:1", "d:1", "e:1"])
    );
    assert!(discovery.warming());
    assert_eq!(discovery.carried(), 4);
    assert_eq!(discovery.last_error(), None);
    // Round robin spreads over all five, not all on the first one back.
    let mut picks = std::collections::BTreeMap::<String, usize>::new();
    for _ in 0..100 {
        let picked = discovery.get(SelectMode::RoundRobin).await.expect("pick");
        *picks.entry(picked.addr).or_default() += 1;
    }
    assert_eq!(picks.values().copied().collect::<Vec<_>>(), [20; 5]);

    // A newcomer is used at once; another old one comes back.
    answer(&now, list(2, 3, true, &["a:1", "c:1", "f:1"]));
    assert_eq!(
        next(&discovery).await,
        addrs(&["a:1", "b:1", "c:1", "d:1", "e:1", "f:1"])
    );
    assert_eq!(discovery.carried(), 3);

    // Warm: those not back went away during the restart.
    answer(&now, list(2, 3, false, &["a:1", "c:1", "f:1"]));
    assert_eq!(next(&discovery).await, addrs(&["a:1", "c:1", "f:1"]));
    assert_eq!(discovery.carried(), 0);
    assert!(!discovery.warming());
}

#[tokio::test(start_paused = true)]
async fn a_server_back_then_gone_during_warm_up_is_believed() {
    let now = Arc::new(Mutex::new(list(1, 9, false, &["a:1", "b:1"])));
    let discovery = json_registry(Arc::clone(&now));
    next(&discovery).await.expect("first list");
    answer(&now, list(2, 1, true, &["a:1"]));
    assert_eq!(next(&discovery).await, addrs(&["a:1", "b:1"]));
    // a:1 re-registered, then deregistered: the new run's word on it stands.
    answer(&now, list(2, 2, true, &[]));
    assert_eq!(next(&discovery).await, addrs(&["b:1"]));
}

#[tokio::test(start_paused = true)]
async fn kept_servers_go_max_stale_after_they_were_last_listed() {
    let now = Arc::new(Mutex::new(list(1, 9, false, &["a:1", "b:1"])));
    let discovery = json_registry(Arc::clone(&now));
    next(&discovery).await.expect("first list");
    answer(&now, list(2, 1, true, &["b:1"]));
    assert_eq!(next(&discovery).await, addrs(&["a:1", "b:1"]));
    // A warm-up longer than max_stale: a:1 was last listed 2 s + 58 s ago...
    tokio::time::advance(Duration::from_secs(56)).await;
    assert_eq!(next(&discovery).await, addrs(&["a:1", "b:1"]));
    // ... and now more than 60 s ago.
    assert_eq!(next(&discovery).await, addrs(&["b:1"]));
    assert_eq!(discovery.carried(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_client_started_during_warm_up_has_nothing_to_keep() {
    let now = Arc::new(Mutex::new(list(2, 1, true, &["a:1"])));
    let discovery = json_registry(Arc::clone(&now));
    assert_eq!(next(&discovery).await, addrs(&["a:1"]));
    answer(&now, list(2, 2, true, &["a:1", "b:1"]));
    assert_eq!(next(&discovery).await, addrs(&["a:1", "b:1"]));
    answer(&now, list(2, 3, true, &["b:1"]));
    assert_eq!(next(&discovery).await, addrs(&["b:1"]));
}

#[tokio::test(start_paused = true)]
async fn an_empty_list_from_a_registry_that_does_not_warm_up_is_doubted() {
    let now = Arc::new(Mutex::new(list(1, 9, false, &["a:1", "b:1"])));
    let discovery = json_registry(Arc::clone(&now));
    assert_eq!(next(&discovery).await, addrs(&["a:1", "b:1"]));

    // Restarted without warm-up (an older registry, or --warmup 0), nobody back
    // yet: the old list is served, as when the registry is unreachable.
    answer(&now, list(2, 0, false, &[]));
    assert_eq!(next(&discovery).await, addrs(&["a:1", "b:1"]));
    assert_eq!(discovery.last_error(), Some(Error::NoServers));

    // The servers beat again: the new run's list replaces the old one.
    answer(&now, list(2, 1, false, &["b:1"]));
    tokio::time::advance(FAILED_REFRESH_RETRY).await;
    assert_eq!(next(&discovery).await, addrs(&["b:1"]));
    assert_eq!(discovery.last_error(), None);
    assert_eq!(discovery.revision(), Some(1));
}

#[tokio::test(start_paused = true)]
async fn a_service_that_drained_is_believed_at_once() {
    let now = Arc::new(Mutex::new(list(1, 9, false, &["a:1"])));
    let discovery = json_registry(Arc::clone(&now));
    assert_eq!(next(&discovery).await, addrs(&["a:1"]));

    // Same run, later revision, nobody left: a real drain, not a restart.
    answer(&now, list(1, 10, false, &[]));
    assert_eq!(next(&discovery).await, addrs(&[]));
    assert_eq!(
        discovery.get(SelectMode::Random).await,
        Err(Error::NoServers)
    );
}

/// A seed registry answering `servers`, with [`HEADER_WARMING`] while `warming`.
fn seed_registry(servers: Arc<Mutex<(&'static str, bool)>>) -> RegistryDiscovery<FakeTransport> {
    let fake = FakeTransport::new(move |_| {
        let (value, warming) = *servers.lock().unwrap_or_else(|e| e.into_inner());
        let mut headers = vec![(HEADER_SERVERS, value)];
        if warming {
            headers.push((HEADER_WARMING, "true"));
        }
        Ok(reply(200, &headers, ""))
    });
    let client = RegistryClient::new(fake, RegistryEndpoint::seed("http://r/_rpc_/registry"));
    RegistryDiscovery::new(client, options())
}

#[tokio::test(start_paused = true)]
async fn the_seed_protocol_keeps_servers_while_the_header_says_warming() {
    let servers = Arc::new(Mutex::new(("a:1,b:1", false)));
    let discovery = seed_registry(Arc::clone(&servers));
    assert_eq!(next(&discovery).await, addrs(&["a:1", "b:1"]));
    // No epoch on the seed protocol: a registry that starts warming restarted.
    *servers.lock().expect("lock") = ("b:1", true);
    assert_eq!(next(&discovery).await, addrs(&["a:1", "b:1"]));
    *servers.lock().expect("lock") = ("b:1", false);
    assert_eq!(next(&discovery).await, addrs(&["b:1"]));
}

#[tokio::test(start_paused = true)]
async fn the_seed_protocol_doubts_a_sudden_empty_list_until_max_stale() {
    let servers = Arc::new(Mutex::new(("a:1,b:1", false)));
    let discovery = seed_registry(Arc::clone(&servers));
    assert_eq!(next(&discovery).await, addrs(&["a:1", "b:1"]));

    *servers.lock().expect("lock") = ("", false);
    assert_eq!(next(&discovery).await, addrs(&["a:1", "b:1"]));
    // Still empty past max_stale: believed.
    tokio::time::advance(MAX_STALE).await;
    assert_eq!(next(&discovery).await, addrs(&[]));
    assert_eq!(
        discovery.get(SelectMode::Random).await,
        Err(Error::NoServers)
    );
}

#[tokio::test(start_paused = true)]
async fn the_seed_protocol_keeps_servers_across_a_restart_during_warm_up() {
    // The client first sees the registry while it warms up, then it restarts
    // (still warming, nothing tells the runs apart) and a:1 is not back yet.
    let servers = Arc::new(Mutex::new(("a:1,b:1", true)));
    let discovery = seed_registry(Arc::clone(&servers));
    assert_eq!(next(&discovery).await, addrs(&["a:1", "b:1"]));
    *servers.lock().expect("lock") = ("", true);
    assert_eq!(next(&discovery).await, addrs(&["a:1", "b:1"]));
    *servers.lock().expect("lock") = ("b:1", true);
    assert_eq!(next(&discovery).await, addrs(&["a:1", "b:1"]));
    assert_eq!(discovery.carried(), 1);
    // Warm: a:1 went away during the restart.
    *servers.lock().expect("lock") = ("b:1", false);
    assert_eq!(next(&discovery).await, addrs(&["b:1"]));
}

#[tokio::test(start_paused = true)]
async fn the_json_api_tells_a_restart_during_warm_up_by_its_epoch() {
    let now = Arc::new(Mutex::new(list(1, 2, true, &["a:1", "b:1"])));
    let discovery = json_registry(Arc::clone(&now));
    assert_eq!(next(&discovery).await, addrs(&["a:1", "b:1"]));
    answer(&now, list(2, 1, true, &["b:1"]));
    assert_eq!(next(&discovery).await, addrs(&["a:1", "b:1"]));
    assert_eq!(discovery.carried(), 1);
}
