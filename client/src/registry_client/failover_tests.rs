//! Several registry URLs over the fake transport, in paused time: what moves on to
//! the next frontend and what does not, stickiness, spreading, all down. The
//! helpers serve the watch's failover tests too (`watch/failover_tests.rs`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::header::AUTHORIZATION;

use super::fake::{FakeTransport, json, refused, reply};
use super::*;
use crate::protocol::{ErrorBody, Token};
use crate::rt;
use crate::transport::{HttpRequest, HttpResponse, TransportError};

pub(crate) const URLS: [&str; 3] = ["http://a:1", "http://b:1", "http://c:1"];

pub(crate) fn host(request: &HttpRequest) -> String {
    request.uri().host().unwrap_or_default().to_owned()
}

pub(crate) fn hosts(fake: &FakeTransport) -> Vec<String> {
    fake.requests().iter().map(host).collect()
}

pub(crate) fn list_body() -> HttpResponse {
    json(
        200,
        &InstanceList {
            service: "svc".into(),
            epoch: 1,
            revision: 4,
            warming: false,
            stale: false,
            instances: vec![Instance::from_addr("h:1")],
        },
    )
}

/// A client of the three frontends whose home is `a` (the seed is found by trying).
pub(crate) fn client_at_a(fake: &FakeTransport) -> RegistryClient<FakeTransport> {
    let endpoint = RegistryEndpoint::json_many(URLS, "svc").expect("urls");
    (0..)
        .map(|seed| RegistryClient::new(fake.clone(), endpoint.clone()).with_rng_seed(seed))
        .find(|client| client.frontend() == "http://a:1")
        .expect("some seed starts at a")
        .with_timeout(Duration::from_secs(2))
}

/// A transport where each host answers as `answer(host)` says.
pub(crate) fn per_host(
    answer: impl Fn(&str) -> Result<HttpResponse, TransportError> + Send + Sync + 'static,
) -> FakeTransport {
    FakeTransport::new(move |r| answer(&host(r)))
}

#[tokio::test(start_paused = true)]
async fn a_refused_connection_moves_on_and_the_answer_is_returned() {
    let fake = per_host(|h| if h == "a" { refused() } else { Ok(list_body()) });
    let client = client_at_a(&fake);
    let list = client.list(None).await.expect("b answers").expect("list");
    assert_eq!(list.revision, 4);
    assert_eq!(hosts(&fake), ["a", "b"]);
    assert_eq!(client.frontend(), "http://b:1", "sticks to b");
}

#[tokio::test(start_paused = true)]
async fn a_timeout_moves_on_after_one_request_timeout() {
    let fake = FakeTransport::delayed(|r| match host(r).as_str() {
        "a" => (Duration::from_secs(600), Ok(list_body())),
        _ => (Duration::from_millis(10), Ok(list_body())),
    });
    let client = client_at_a(&fake);
    let started = rt::Instant::now();
    client.list(None).await.expect("b answers");
    assert_eq!(started.elapsed(), Duration::from_millis(2_010));
    assert_eq!(hosts(&fake), ["a", "b"]);
    assert_eq!(client.longest_request(), Duration::from_secs(6));
}

#[tokio::test(start_paused = true)]
async fn failing_statuses_move_on_and_every_other_status_is_the_answer() {
    for status in [500, 502, 503, 504] {
        let fake = per_host(move |h| {
            Ok(if h == "a" {
                reply(status, &[("retry-after", "1")], "etcd unreachable")
            } else {
                reply(204, &[], "")
            })
        });
        let client = client_at_a(&fake);
        client.deregister("h:1").await.expect("b deregisters");
        assert_eq!(hosts(&fake), ["a", "b"], "{status}");
    }
    for status in [400, 401, 403, 404, 409, 410, 413, 507] {
        let fake = per_host(move |_| {
            Ok(json(
                status,
                &ErrorBody {
                    error: format!("refused with {status}"),
                },
            ))
        });
        let client = client_at_a(&fake);
        let error = client.deregister("h:1").await.expect_err("refused");
        assert_eq!(error.status(), Some(status));
        assert_eq!(hosts(&fake), ["a"], "{status} is the registry's answer");
        assert_eq!(client.frontend(), "http://a:1", "a answered");
    }
}

#[tokio::test(start_paused = true)]
async fn an_unusable_request_does_not_move_on() {
    let fake = per_host(|_| Err(TransportError::InvalidRequest("no scheme".to_owned())));
    let client = client_at_a(&fake);
    let error = client.list(None).await.expect_err("unusable");
    assert!(matches!(
        error,
        Error::Transport(TransportError::InvalidRequest(_))
    ));
    assert_eq!(hosts(&fake), ["a"]);
}

#[tokio::test(start_paused = true)]
async fn a_failed_frontend_is_left_until_its_bench_is_over_then_home_is_tried_again() {
    let a_down = Arc::new(Mutex::new(true));
    let down = a_down.clone();
    let fake = per_host(move |h| {
        if h == "a" && *down.lock().expect("lock") {
            refused()
        } else {
            Ok(list_body())
        }
    });
    let client = client_at_a(&fake);
    client.list(None).await.expect("via b");
    // Clones (a heartbeat's, a discovery's) share what was learnt.
    let clone = client.for_service("other");
    clone.list(None).await.expect("b at once");
    client.list(None).await.expect("b at once");
    assert_eq!(hosts(&fake), ["a", "b", "b", "b"]);

    // Half a minute on, home is tried first again; still down, so on to b, and
    // benched twice as long.
    rt::sleep(FRONTEND_RETRY_MIN).await;
    client.list(None).await.expect("via b");
    assert_eq!(hosts(&fake)[4..], ["a", "b"]);
    rt::sleep(FRONTEND_RETRY_MIN).await;
    client.list(None).await.expect("b, a still benched");
    assert_eq!(hosts(&fake)[6..], ["b"]);

    // a is back: requests return to it once its bench is over, and stay.
    *a_down.lock().expect("lock") = false;
    rt::sleep(FRONTEND_RETRY_MIN).await;
    client.list(None).await.expect("a");
    client.list(None).await.expect("a");
    assert_eq!(hosts(&fake)[7..], ["a", "a"]);
    assert_eq!(client.frontend(), "http://a:1");
}

#[tokio::test(start_paused = true)]
async fn all_frontends_down_gives_the_last_error_after_trying_each_once() {
    let fake = FakeTransport::delayed(|r| match host(r).as_str() {
        "a" => (Duration::ZERO, refused()),
        "b" => (Duration::ZERO, Ok(reply(503, &[], "etcd unreachable"))),
        _ => (Duration::from_secs(600), Ok(list_body())),
    });
    let client = client_at_a(&fake);
    let error = client.list(None).await.expect_err("all down");
    assert!(error.is_timeout(), "the last, c's, error: {error:?}");
    assert_eq!(hosts(&fake), ["a", "b", "c"]);

    // Everyone benched: still each is tried, starting where the ring starts.
    let error = client.list(None).await.expect_err("all down");
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(hosts(&fake)[3..], ["a", "b", "c"]);
}

#[tokio::test(start_paused = true)]
async fn clients_spread_over_the_frontends() {
    let fake = per_host(|_| Ok(list_body()));
    let endpoint = RegistryEndpoint::json_many(URLS, "svc").expect("urls");
    for seed in 0..300 {
        let client = RegistryClient::new(fake.clone(), endpoint.clone()).with_rng_seed(seed);
        client.list(None).await.expect("list");
    }
    let hosts = hosts(&fake);
    for name in ["a", "b", "c"] {
        let count = hosts.iter().filter(|h| *h == name).count();
        assert!(count > 70, "{name} got {count} of 300");
    }
    // The same seed starts at the same frontend.
    let first = |seed| {
        RegistryClient::new(fake.clone(), endpoint.clone())
            .with_rng_seed(seed)
            .frontend()
            .to_owned()
    };
    assert_eq!(first(42), first(42));
}

#[tokio::test(start_paused = true)]
async fn the_seed_protocol_and_tokens_fail_over_too() {
    let fake = per_host(|h| {
        if h == "a" {
            refused()
        } else {
            Ok(reply(200, &[(HEADER_TTL_MS, "9000")], ""))
        }
    });
    let endpoint =
        RegistryEndpoint::parse_seed("http://a:1/_rpc_/registry, http://b:1/_rpc_/registry")
            .expect("urls");
    let client = (0..)
        .map(|seed| RegistryClient::new(fake.clone(), endpoint.clone()).with_rng_seed(seed))
        .find(|client| client.frontend().starts_with("http://a"))
        .expect("a seed starting at a")
        .with_token(Token::new("s3cret-0123456789abcdef").expect("token"));
    let request = RegisterRequest {
        addr: "h:1".to_owned(),
        metadata: Default::default(),
        weight: None,
        ttl_ms: None,
    };
    assert_eq!(
        client.register(&request).await.expect("b renews"),
        Duration::from_secs(9)
    );
    let sent = fake.requests();
    assert_eq!(sent[1].uri(), "http://b:1/_rpc_/registry");
    assert_eq!(sent[1].headers()[HEADER_SERVER], "h:1");
    assert!(sent.iter().all(|r| r.headers().contains_key(AUTHORIZATION)));
}
