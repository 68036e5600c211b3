//! The service-index watch against scripted registries, on paused time.

use futures_util::StreamExt;

use super::script::{Script, json_answer, options};
use super::*;
use crate::protocol::{ServiceIndex, ServiceSummary};
use crate::registry_client::RegistryEndpoint;
use crate::rt::Instant;

fn index(epoch: u64, revision: u64, services: &[(&str, usize)]) -> super::script::Answer {
    json_answer(&ServiceIndex {
        epoch,
        revision,
        warming: false,
        stale: false,
        services: services
            .iter()
            .map(|(name, instances)| ServiceSummary {
                service: (*name).to_owned(),
                revision,
                instances: *instances,
            })
            .collect(),
    })
}

fn index_of(event: &IndexEvent) -> (u64, u64) {
    match event {
        IndexEvent::Index(index) => (index.epoch, index.revision),
        IndexEvent::Unchanged(version) => (version.epoch, version.revision),
        IndexEvent::Failed { error, .. } => panic!("failed: {error}"),
    }
}

#[tokio::test(start_paused = true)]
async fn the_service_index_is_followed_with_blocking_queries() {
    let script = Script::new(vec![
        index(4, 2, &[("a", 1)]),
        index(4, 2, &[("a", 1)]), // the wait ran out: Unchanged
        index(4, 5, &[("a", 1), ("b", 2)]),
        index(4, 3, &[]), // backwards: refused
    ]);
    let client = RegistryClient::new(script.transport(), RegistryEndpoint::json("http://r", "x"));
    let mut stream = client.watch_services_with(options()).expect("json");
    assert_eq!(index_of(&stream.next().await.expect("item")), (4, 2));
    let quiet = stream.next().await.expect("item");
    assert!(
        matches!(quiet, IndexEvent::Unchanged(v) if v.revision == 2),
        "{quiet:?}"
    );
    assert_eq!(index_of(&stream.next().await.expect("item")), (4, 5));
    assert!(matches!(
        stream.next().await.expect("item"),
        IndexEvent::Failed { .. }
    ));
    assert_eq!(
        script.targets()[..3],
        [
            "/v1/services",
            "/v1/services?index=2&wait=1m&epoch=4",
            "/v1/services?index=2&wait=1m&epoch=4",
        ]
    );
    let seed = RegistryClient::new(
        script.transport(),
        RegistryEndpoint::seed("http://r/_rpc_/registry"),
    );
    assert!(seed.watch_services().is_err(), "the seed has no index");
}

#[tokio::test(start_paused = true)]
async fn an_index_without_versions_is_polled_for_changes() {
    let script = Script::new(vec![
        index(0, 0, &[("a", 1)]),
        index(0, 0, &[("a", 1)]),
        index(0, 0, &[("a", 2)]),
    ]);
    let client = RegistryClient::new(script.transport(), RegistryEndpoint::json("http://r", "x"));
    let mut stream = client.watch_services_with(options()).expect("json");
    stream.next().await.expect("first");
    let start = Instant::now();
    let same = stream.next().await.expect("second");
    assert!(matches!(same, IndexEvent::Unchanged(_)), "{same:?}");
    match stream.next().await.expect("third") {
        IndexEvent::Index(index) => assert_eq!(index.services[0].instances, 2),
        other => panic!("{other:?}"),
    }
    assert!(
        start.elapsed() >= 2 * DEFAULT_REFRESH,
        "polled at the refresh interval"
    );
    assert!(script.targets().iter().all(|t| t == "/v1/services"));
}
