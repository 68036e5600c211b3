//! Stopping with a beat in flight: a beat already sent cannot be unsent, so the
//! `DELETE` must go after it, or the beat lands later and brings the instance back
//! until its TTL (a zombie).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_channel::oneshot;
use http::Method;

use super::*;
use crate::protocol::RegisterResponse;
use crate::registry_client::RegistryEndpoint;
use crate::registry_client::fake::{json, reply};
use crate::transport::{HttpRequest, HttpResponse, TransportError};

/// A JSON registry whose requests take effect when they arrive, `beat_delay` after
/// a `POST` is sent (a `DELETE` arrives at once), whether or not the sender still
/// waits for the answer: as a real server does.
#[derive(Clone)]
struct SlowRegistry {
    registered: Arc<Mutex<BTreeSet<String>>>,
    beat_delay: Duration,
}

impl Transport for SlowRegistry {
    async fn send(
        &self,
        request: HttpRequest,
        timeout: Duration,
    ) -> Result<HttpResponse, TransportError> {
        let (tx, rx) = oneshot::channel();
        let registered = Arc::clone(&self.registered);
        let delay = match *request.method() {
            Method::POST => self.beat_delay,
            _ => Duration::ZERO,
        };
        // The server side runs on its own: dropping the client's future does not
        // stop a request already sent.
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let mut registered = registered.lock().expect("lock");
            let answer = if request.method() == Method::DELETE {
                registered.clear();
                reply(204, &[], "")
            } else {
                let sent: RegisterRequest = serde_json::from_slice(request.body()).expect("body");
                registered.insert(sent.addr.clone());
                let granted = RegisterResponse {
                    service: "svc".into(),
                    addr: sent.addr,
                    ttl_ms: 30_000,
                    created: true,
                    revision: 1,
                };
                json(200, &granted)
            };
            let _ = tx.send(answer);
        });
        match rt::timeout(timeout, rx).await {
            Some(Ok(answer)) => Ok(answer),
            _ => Err(TransportError::Timeout(timeout)),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn stop_sees_a_beat_in_flight_through_before_deregistering() {
    let registry = SlowRegistry {
        registered: Arc::default(),
        beat_delay: Duration::from_secs(2),
    };
    let client = RegistryClient::new(registry.clone(), RegistryEndpoint::json("http://r", "svc"));
    let request = RegisterRequest {
        addr: "h:1".to_owned(),
        metadata: Default::default(),
        weight: None,
        ttl_ms: None,
    };
    let options = HeartbeatOptions {
        rng_seed: Some(1),
        ..HeartbeatOptions::default()
    };
    let heartbeat = Heartbeat::start(client, request, options);
    // The first beat is on the wire, arriving at 2 s; stop at 1 s.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(registry.registered.lock().expect("lock").is_empty());
    let started = Instant::now();
    heartbeat.stop().await.expect("deregistered");
    let took = started.elapsed();
    // Long after: no beat landed after the DELETE, nothing came back.
    tokio::time::sleep(Duration::from_secs(60)).await;
    let registered = registry.registered.lock().expect("lock");
    assert!(registered.is_empty(), "zombie: {registered:?}");
    assert_eq!(took, Duration::from_secs(1), "waited for the beat");
}
