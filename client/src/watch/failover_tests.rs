//! Watches across several registry URLs, over the fake transport in paused time:
//! a hung frontend's held request, a new frontend that cannot go on from the
//! watch's index, the service index.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;

use super::{IndexEvent, WatchEvent, WatchOptions};
use crate::protocol::{ChangeBatch, ErrorBody, Instance, InstanceList, ServiceIndex};
use crate::registry_client::failover_tests::{client_at_a, host, hosts, list_body, per_host};
use crate::registry_client::fake::{FakeTransport, json, refused, reply};
use crate::rt;

#[tokio::test(start_paused = true)]
async fn a_watch_whose_frontend_hangs_catches_up_at_once_on_the_next() {
    let batch = |revision| ChangeBatch {
        epoch: 1,
        revision,
        warming: false,
        stale: false,
        events: Vec::new(),
    };
    let fake = FakeTransport::delayed(move |r| {
        let path = r.uri().path();
        match (host(r).as_str(), path.ends_with("/changes")) {
            (_, false) => (Duration::ZERO, Ok(list_body())),
            // a holds every change request and never answers.
            ("a", true) => (Duration::from_secs(3_600), Ok(json(200, &batch(4)))),
            (_, true) => (Duration::from_millis(5), Ok(json(200, &batch(4)))),
        }
    });
    let client = client_at_a(&fake);
    let options = WatchOptions {
        wait: Duration::from_secs(60),
        rng_seed: Some(3),
        ..WatchOptions::default()
    };
    let mut watch = client.watch_with("svc", options.clone()).expect("watch");
    assert!(matches!(watch.next().await, Some(WatchEvent::Reset(_))));
    let started = rt::Instant::now();
    match watch.next().await {
        Some(WatchEvent::Unchanged(version)) => assert_eq!(version.revision, 4),
        other => panic!("expected Unchanged from b, got {other:?}"),
    }
    // a held it for its whole timeout; b answered at once, not after a wait.
    let waited = started.elapsed();
    assert!(waited >= options.request_timeout(), "{waited:?}");
    assert!(
        waited < options.request_timeout() + Duration::from_secs(1),
        "{waited:?}"
    );
    let sent = fake.requests();
    let queries: Vec<(String, String)> = sent[1..]
        .iter()
        .map(|r| (host(r), r.uri().query().unwrap_or_default().to_owned()))
        .collect();
    assert_eq!(queries[0].0, "a");
    assert!(queries[0].1.contains("wait=1m"), "{queries:?}");
    assert_eq!(queries[1].0, "b");
    assert!(queries[1].1.contains("wait=0"), "{queries:?}");
    // The next request holds on b, the frontend that answered.
    let _ = watch.next().await;
    let last = fake.requests().pop().expect("request");
    assert_eq!(host(&last), "b");
    assert!(last.uri().query().unwrap_or_default().contains("wait=1m"));
}

#[tokio::test(start_paused = true)]
async fn a_watch_moved_to_a_frontend_that_cannot_go_on_lists_again_never_backwards() {
    let list_at = |revision| {
        json(
            200,
            &InstanceList {
                service: "svc".into(),
                epoch: 1,
                revision,
                warming: false,
                stale: false,
                instances: vec![Instance::from_addr("h:1")],
            },
        )
    };
    // a: lists at revision 4, then is gone. b: its change feed no longer holds
    // revision 4 (410); its first list is behind (3), the next caught up (5).
    let b_lists = Arc::new(Mutex::new(vec![5, 3]));
    let fake = FakeTransport::new(move |r| {
        let changes = r.uri().path().ends_with("/changes");
        match (host(r).as_str(), changes) {
            ("a", false) => Ok(list_at(4)),
            ("a", true) => refused(),
            (_, true) => Ok(json(
                410,
                &ErrorBody {
                    error: "since 4 is compacted".into(),
                },
            )),
            (_, false) => {
                let revision = b_lists.lock().expect("lock").pop().unwrap_or(5);
                Ok(list_at(revision))
            }
        }
    });
    let client = client_at_a(&fake);
    let options = WatchOptions {
        rng_seed: Some(1),
        ..WatchOptions::default()
    };
    let mut watch = client.watch_with("svc", options).expect("watch");
    let mut revisions = Vec::new();
    while revisions.len() < 2 {
        match watch.next().await.expect("never ends") {
            WatchEvent::Reset(list) => revisions.push(list.revision),
            WatchEvent::Failed { error, .. } => {
                assert!(error.to_string().contains("went backwards"), "{error}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(revisions, [4, 5], "the list behind was never given");
    let lists_on_a = fake
        .requests()
        .iter()
        .filter(|r| host(r) == "a" && !r.uri().path().ends_with("/changes"))
        .count();
    assert_eq!(lists_on_a, 1, "a failed: every list after went to b");
}

#[tokio::test(start_paused = true)]
async fn the_service_index_watch_fails_over_too() {
    let fake = per_host(|h| {
        if h == "a" {
            Ok(reply(502, &[], "bad gateway"))
        } else {
            Ok(json(
                200,
                &ServiceIndex {
                    warming: false,
                    stale: false,
                    epoch: 1,
                    revision: 9,
                    services: Vec::new(),
                },
            ))
        }
    });
    let client = client_at_a(&fake);
    let mut watch = client.watch_services().expect("watch");
    match watch.next().await {
        Some(IndexEvent::Index(index)) => assert_eq!(index.revision, 9),
        other => panic!("expected the index from b, got {other:?}"),
    }
    assert_eq!(hosts(&fake), ["a", "b"]);
}

#[tokio::test(start_paused = true)]
async fn after_a_failure_the_next_request_is_answered_at_once_then_held_again() {
    let down = Arc::new(Mutex::new(true));
    let flag = down.clone();
    let fake = FakeTransport::new(move |r| {
        if !r.uri().path().ends_with("/changes") {
            return Ok(list_body());
        }
        if *flag.lock().expect("lock") {
            return refused();
        }
        Ok(json(
            200,
            &ChangeBatch {
                epoch: 1,
                revision: 4,
                warming: false,
                stale: false,
                events: Vec::new(),
            },
        ))
    });
    let client = crate::registry_client::RegistryClient::new(
        fake.clone(),
        crate::registry_client::RegistryEndpoint::json("http://a:1", "svc"),
    );
    let options = WatchOptions {
        rng_seed: Some(2),
        ..WatchOptions::default()
    };
    let mut watch = client.watch_with("svc", options).expect("watch");
    assert!(matches!(watch.next().await, Some(WatchEvent::Reset(_))));
    assert!(matches!(
        watch.next().await,
        Some(WatchEvent::Failed { .. })
    ));
    *down.lock().expect("lock") = false;
    assert!(matches!(watch.next().await, Some(WatchEvent::Unchanged(_))));
    assert!(matches!(watch.next().await, Some(WatchEvent::Unchanged(_))));
    let waits: Vec<String> = fake.requests()[1..]
        .iter()
        .map(|r| {
            let query = r.uri().query().unwrap_or_default();
            query
                .split('&')
                .find(|p| p.starts_with("wait="))
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    // Held; failed. Then at once: the registry is back and says so. Then held.
    assert_eq!(waits, ["wait=1m", "wait=0", "wait=1m"]);
}
