use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::Method;

use super::*;
use crate::protocol::{HEADER_TTL_MS, RegisterResponse};
use crate::registry_client::RegistryEndpoint;
use crate::registry_client::fake::{FakeTransport, json, refused, reply};

fn request(addr: &str) -> RegisterRequest {
    RegisterRequest {
        addr: addr.to_owned(),
        metadata: Default::default(),
        weight: None,
        ttl_ms: None,
    }
}

fn options(seed: u64) -> HeartbeatOptions {
    HeartbeatOptions {
        rng_seed: Some(seed),
        ..HeartbeatOptions::default()
    }
}

/// A seed registry granting a 30 s TTL, so the derived period is 10 s.
fn seed_registry() -> (FakeTransport, RegistryClient<FakeTransport>) {
    let fake = FakeTransport::new(|_| Ok(reply(200, &[(HEADER_TTL_MS, "30000")], "")));
    let client = RegistryClient::new(
        fake.clone(),
        RegistryEndpoint::seed("http://r/_rpc_/registry"),
    );
    (fake, client)
}

async fn advance(by: Duration) {
    tokio::time::sleep(by).await;
}

#[test]
fn period_follows_the_ttl() {
    assert_eq!(period_for_ttl(DEFAULT_TTL), Duration::from_secs(4 * 60));
    assert_eq!(
        period_for_ttl(Duration::from_secs(30)),
        Duration::from_secs(10)
    );
    assert_eq!(period_for_ttl(Duration::ZERO), NEVER_EXPIRES_PERIOD);
}

#[tokio::test(start_paused = true)]
async fn beats_at_once_then_every_derived_period_give_or_take_a_tenth() {
    let (fake, client) = seed_registry();
    let heartbeat = Heartbeat::start(client, request("h:1"), options(1));
    advance(Duration::from_millis(1)).await;
    assert_eq!(fake.count(), 1, "first beat at once");
    let status = heartbeat.status();
    assert_eq!(status.beats_ok, 1);
    assert_eq!(status.ttl, Some(Duration::from_secs(30)));
    assert!(status.last_success.is_some());
    // The derived period is 10 s: the next beat comes within 9 to 11 s.
    advance(Duration::from_millis(8_998)).await;
    assert_eq!(fake.count(), 1);
    advance(Duration::from_secs(2)).await;
    assert_eq!(fake.count(), 2);
    // Three more periods: between 27 and 33 s.
    advance(Duration::from_secs(33)).await;
    assert_eq!(fake.count(), 5);
}

#[tokio::test(start_paused = true)]
async fn configured_period_wins() {
    let (fake, client) = seed_registry();
    let opts = HeartbeatOptions {
        period: Duration::from_secs(2),
        ..options(1)
    };
    let _heartbeat = Heartbeat::start(client, request("h:1"), opts);
    // Beats at 0, then three periods of 1.8 to 2.2 s: the fourth by 6.6 s, the
    // fifth not before 7.2 s.
    advance(Duration::from_millis(6_700)).await;
    assert_eq!(fake.count(), 4);
}

#[tokio::test(start_paused = true)]
async fn servers_started_together_drift_apart() {
    let mut second_beats = std::collections::BTreeSet::new();
    for seed in 0..8 {
        let (fake, client) = seed_registry();
        let heartbeat = Heartbeat::start(client, request("h:1"), options(seed));
        let start = Instant::now();
        while fake.count() < 2 {
            advance(Duration::from_millis(10)).await;
        }
        second_beats.insert(start.elapsed().as_millis() / 100);
        drop(heartbeat);
    }
    assert!(second_beats.len() > 4, "{second_beats:?}");
}

#[test]
fn periods_stay_within_a_tenth() {
    let mut rng = SmallRng::seed_from_u64(11);
    let period = Duration::from_secs(240);
    let drawn: Vec<Duration> = (0..1000).map(|_| jittered(period, &mut rng)).collect();
    let (low, high) = (period * 9 / 10, period * 11 / 10);
    assert!(drawn.iter().all(|d| *d >= low && *d <= high));
    assert!(drawn.iter().any(|d| *d < period * 95 / 100));
    assert!(drawn.iter().any(|d| *d > period * 105 / 100));
    let mean = drawn.iter().sum::<Duration>() / 1000;
    assert!(
        mean > period * 98 / 100 && mean < period * 102 / 100,
        "{mean:?}"
    );
    assert_eq!(jittered(Duration::ZERO, &mut rng), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn failed_beats_back_off_and_recover() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let fake = FakeTransport::new(move |_| {
        if seen.fetch_add(1, Ordering::SeqCst) < 4 {
            refused()
        } else {
            Ok(reply(200, &[(HEADER_TTL_MS, "30000")], ""))
        }
    });
    let client = RegistryClient::new(
        fake.clone(),
        RegistryEndpoint::seed("http://r/_rpc_/registry"),
    );
    let heartbeat = Heartbeat::start(client, request("h:1"), options(7));
    advance(Duration::from_millis(1)).await;
    let status = heartbeat.status();
    assert_eq!((status.failures, status.consecutive_failures), (1, 1));
    assert!(status.last_error.as_ref().is_some_and(Error::is_connect));
    // First retry exactly backoff_min later; later ones within the doubling ceiling.
    advance(Duration::from_secs(1)).await;
    assert_eq!(fake.count(), 2);
    // Retries 2..4 wait at most 2 + 4 + 8 s; the fifth attempt succeeds.
    advance(Duration::from_secs(14)).await;
    let status = heartbeat.status();
    assert_eq!(status.failures, 4);
    assert_eq!(status.consecutive_failures, 0);
    assert!(status.beats_ok >= 1, "{status:?}");
    assert!(status.last_error.is_some(), "kept for the record");
}

#[test]
fn backoff_is_jittered_within_bounds_and_capped_below_the_ttl() {
    let opts = HeartbeatOptions::default();
    let mut rng = SmallRng::seed_from_u64(3);
    assert_eq!(
        backoff(&opts, &mut rng, 1, DEFAULT_TTL, None),
        DEFAULT_BACKOFF_MIN
    );
    for attempt in 2..40 {
        let delay = backoff(&opts, &mut rng, attempt, DEFAULT_TTL, None);
        assert!(
            delay >= DEFAULT_BACKOFF_MIN && delay <= DEFAULT_BACKOFF_MAX,
            "{delay:?}"
        );
    }
    let short = Duration::from_secs(4);
    for attempt in 1..10 {
        assert!(backoff(&opts, &mut rng, attempt, short, None) <= short / 2);
    }
    let distinct: std::collections::BTreeSet<_> = (0..20)
        .map(|_| backoff(&opts, &mut rng, 6, DEFAULT_TTL, None))
        .collect();
    assert!(distinct.len() > 10, "jittered");
}

#[test]
fn retries_hurry_as_the_lease_runs_out() {
    let opts = HeartbeatOptions::default();
    let mut rng = SmallRng::seed_from_u64(5);
    let ttl = Duration::from_secs(10);
    for attempt in 1..20 {
        // 6 s left: at most 2 s between tries, so at least three before expiry.
        let delay = backoff(&opts, &mut rng, attempt, ttl, Some(Duration::from_secs(6)));
        assert!(delay <= Duration::from_secs(2), "{delay:?}");
        // Almost out: as fast as backoff_min allows, never faster.
        let delay = backoff(
            &opts,
            &mut rng,
            attempt,
            ttl,
            Some(Duration::from_millis(300)),
        );
        assert_eq!(delay, DEFAULT_BACKOFF_MIN);
    }
    // With plenty left, the usual exponential schedule applies.
    let relaxed = backoff(
        &opts,
        &mut rng,
        8,
        DEFAULT_TTL,
        Some(Duration::from_secs(290)),
    );
    assert!(relaxed <= DEFAULT_BACKOFF_MAX);
}

#[tokio::test(start_paused = true)]
async fn stop_deregisters_and_ends_the_loop() {
    let fake = FakeTransport::new(|r| match *r.method() {
        Method::DELETE => Ok(reply(204, &[], "")),
        _ => Ok(json(
            200,
            &RegisterResponse {
                service: "svc".into(),
                addr: "h:1".into(),
                ttl_ms: 30_000,
                created: false,
                revision: 1,
            },
        )),
    });
    let client = RegistryClient::new(fake.clone(), RegistryEndpoint::json("http://r", "svc"));
    let heartbeat = Heartbeat::start(client, request("h:1"), options(1));
    advance(Duration::from_secs(12)).await;
    assert_eq!(heartbeat.addr(), "h:1");
    heartbeat.stop().await.expect("deregistered");
    let sent = fake.requests();
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[2].method(), Method::DELETE);
    assert_eq!(sent[2].uri(), "http://r/v1/services/svc/instances/h:1");
    advance(Duration::from_secs(60)).await;
    assert_eq!(fake.count(), 3, "no beat after stop");
}

#[tokio::test(start_paused = true)]
async fn dropping_the_handle_stops_without_deregistering() {
    let (fake, client) = seed_registry();
    let heartbeat = Heartbeat::start(client, request("h:1"), options(1));
    advance(Duration::from_millis(1)).await;
    drop(heartbeat);
    advance(Duration::from_secs(60)).await;
    assert_eq!(fake.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn after_a_registration_the_first_beat_waits_a_period() {
    let (fake, client) = seed_registry();
    let ttl = Duration::from_secs(30);
    let heartbeat = Heartbeat::after_registration(client, request("h:1"), options(1), ttl);
    let status = heartbeat.status();
    assert_eq!((status.beats_ok, status.ttl), (1, Some(ttl)));
    advance(Duration::from_millis(8_999)).await;
    assert_eq!(fake.count(), 0, "no second registration at once");
    advance(Duration::from_secs(2)).await;
    assert_eq!(fake.count(), 1);
}
