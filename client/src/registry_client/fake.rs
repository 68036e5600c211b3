//! An in-memory [`Transport`] for unit tests: a handler answers each request, after an
//! optional delay on [`rt`]'s clock (so paused-time tests control it), and every
//! request is recorded.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;

use crate::rt;
use crate::transport::{HttpRequest, HttpResponse, Transport, TransportError};

/// What the handler answers: a delay, then the outcome.
pub(crate) type Answer = (Duration, Result<HttpResponse, TransportError>);

type Handler = dyn Fn(&HttpRequest) -> Answer + Send + Sync;

/// A transport whose answers come from a closure.
#[derive(Clone)]
pub(crate) struct FakeTransport {
    handler: Arc<Handler>,
    seen: Arc<Mutex<Vec<HttpRequest>>>,
}

impl fmt::Debug for FakeTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeTransport").finish_non_exhaustive()
    }
}

impl FakeTransport {
    /// Answers at once with what `handler` returns.
    pub(crate) fn new(
        handler: impl Fn(&HttpRequest) -> Result<HttpResponse, TransportError> + Send + Sync + 'static,
    ) -> Self {
        FakeTransport::delayed(move |req| (Duration::ZERO, handler(req)))
    }

    /// Answers with what `handler` returns, after the delay it returns.
    pub(crate) fn delayed(
        handler: impl Fn(&HttpRequest) -> Answer + Send + Sync + 'static,
    ) -> Self {
        FakeTransport {
            handler: Arc::new(handler),
            seen: Arc::default(),
        }
    }

    /// Every request sent so far, in order.
    pub(crate) fn requests(&self) -> Vec<HttpRequest> {
        self.seen.lock().expect("lock").clone()
    }

    /// How many requests were sent so far.
    pub(crate) fn count(&self) -> usize {
        self.seen.lock().expect("lock").len()
    }
}

impl Transport for FakeTransport {
    async fn send(
        &self,
        request: HttpRequest,
        timeout: Duration,
    ) -> Result<HttpResponse, TransportError> {
        let (delay, outcome) = (self.handler)(&request);
        self.seen.lock().expect("lock").push(request);
        let answer = async move {
            if !delay.is_zero() {
                rt::sleep(delay).await;
            }
            outcome
        };
        rt::timeout(timeout, answer)
            .await
            .unwrap_or(Err(TransportError::Timeout(timeout)))
    }
}

/// A response with `status`, headers and a text body.
pub(crate) fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
    let mut builder = http::Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder
        .body(Bytes::copy_from_slice(body.as_bytes()))
        .expect("response")
}

/// A response with `status` and `value` as a JSON body.
pub(crate) fn json(status: u16, value: &impl serde::Serialize) -> HttpResponse {
    let body = serde_json::to_string(value).expect("json");
    reply(status, &[("content-type", "application/json")], &body)
}

/// A refused connection.
pub(crate) fn refused() -> Result<HttpResponse, TransportError> {
    Err(TransportError::Connect("connection refused".to_owned()))
}
