//! Probes: wrappers around the production seams that report to the [`Observer`]
//! without changing what passes through them.
//!
//! - [`ObservedTransport`] wraps a client [`Transport`]: each heartbeat a server sends
//!   and each list a client fetches, with its outcome.
//! - [`ObservedHandler`] wraps the registry's [`Handler`]: each renewal the registry
//!   accepted, at the registry's own simulated time (the anchor of every expiry
//!   bound).
//! - [`poll_registry`] watches the registry's state each tick: registrations and
//!   expiries, which production code does not announce.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use rollcall_client::transport::{HttpRequest, HttpResponse, Transport, TransportError};
use rollcall_protocol::{
    DEFAULT_PATH, DEFAULT_SERVICE, HEADER_SERVER, HEADER_SERVERS, RPC_PATH_PREFIX,
};
use rollcall_server::{Handler, Registry};

use crate::observer::{Event, Observer};

/// A [`Transport`] that reports registry traffic of host `host` to an [`Observer`].
///
/// The seed protocol's registry path: `POST` is a heartbeat, `GET` a refresh; and
/// each RPC request, with its outcome (a call is also recorded whole by the client
/// host).
#[derive(Debug, Clone)]
pub struct ObservedTransport<T> {
    inner: T,
    host: Arc<str>,
    observer: Observer,
}

impl<T> ObservedTransport<T> {
    /// Wraps `inner` for host `host`.
    pub fn new(inner: T, host: &str, observer: Observer) -> Self {
        ObservedTransport {
            inner,
            host: host.into(),
            observer,
        }
    }
}

/// What a request to the registry is, seen from its method and path.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Beat,
    Refresh,
    Rpc,
    Other,
}

fn classify(request: &HttpRequest) -> Kind {
    if request.uri().path().starts_with(RPC_PATH_PREFIX) {
        return Kind::Rpc;
    }
    if request.uri().path() != DEFAULT_PATH {
        return Kind::Other;
    }
    match *request.method() {
        Method::POST => Kind::Beat,
        Method::GET => Kind::Refresh,
        _ => Kind::Other,
    }
}

impl<T: Transport> Transport for ObservedTransport<T> {
    async fn send(
        &self,
        request: HttpRequest,
        timeout: Duration,
    ) -> Result<HttpResponse, TransportError> {
        let kind = classify(&request);
        let host = self.host.to_string();
        let server = request
            .uri()
            .authority()
            .map(ToString::to_string)
            .unwrap_or_default();
        match kind {
            Kind::Beat => self.observer.record(Event::BeatSent {
                server: host.clone(),
            }),
            Kind::Rpc => self.observer.record(Event::RpcSent {
                client: host.clone(),
                server: server.clone(),
            }),
            Kind::Refresh | Kind::Other => {}
        }
        let answer = self.inner.send(request, timeout).await;
        let event = match (kind, &answer) {
            (Kind::Other, _) => return answer,
            (Kind::Rpc, answer) => Event::RpcDone {
                client: host,
                server,
                outcome: answer
                    .as_ref()
                    .map(|r| r.status().as_u16())
                    .map_err(ToString::to_string),
            },
            (Kind::Beat, Ok(response)) if response.status().is_success() => {
                Event::BeatAcked { server: host }
            }
            (Kind::Beat, Ok(response)) => Event::BeatFailed {
                server: host,
                error: response.status().to_string(),
            },
            (Kind::Beat, Err(error)) => Event::BeatFailed {
                server: host,
                error: error.to_string(),
            },
            (Kind::Refresh, Ok(response)) if response.status().is_success() => {
                let servers = response
                    .headers()
                    .get(HEADER_SERVERS)
                    .and_then(|v| v.to_str().ok())
                    .map_or(0, |v| v.split(',').filter(|s| !s.trim().is_empty()).count());
                Event::Refreshed {
                    client: host,
                    servers,
                }
            }
            (Kind::Refresh, Ok(response)) => Event::RefreshFailed {
                client: host,
                error: response.status().to_string(),
            },
            (Kind::Refresh, Err(error)) => Event::RefreshFailed {
                client: host,
                error: error.to_string(),
            },
        };
        self.observer.record(event);
        answer
    }
}

/// The registry's [`Handler`], reporting each accepted seed-protocol renewal.
#[derive(Debug, Clone)]
pub struct ObservedHandler<H> {
    inner: H,
    observer: Observer,
}

impl<H> ObservedHandler<H> {
    /// Wraps the registry's handler `inner`.
    pub fn new(inner: H, observer: Observer) -> Self {
        ObservedHandler { inner, observer }
    }
}

impl<H: Handler> Handler for ObservedHandler<H> {
    async fn handle(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let renewing = (request.method() == Method::POST && request.uri().path() == DEFAULT_PATH)
            .then(|| request.headers().get(HEADER_SERVER))
            .flatten()
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let response = self.inner.handle(request).await;
        if let Some(addr) = renewing.filter(|_| response.status().is_success()) {
            self.observer.record(Event::Renewed { addr });
        }
        response
    }
}

/// Compares the registry's list of [`DEFAULT_SERVICE`] with the previous one every
/// `every` and records what appeared ([`Event::Registered`]) and what left
/// ([`Event::Expired`]). Runs until the host stops.
///
/// Must be called from within the registry's simulation host.
pub async fn poll_registry(registry: Registry, observer: Observer, every: Duration) {
    let mut known = BTreeSet::new();
    loop {
        let now: BTreeSet<String> = registry
            .leases(DEFAULT_SERVICE)
            .leases
            .into_iter()
            .map(|lease| lease.addr)
            .collect();
        for addr in now.difference(&known) {
            observer.record(Event::Registered { addr: addr.clone() });
        }
        for addr in known.difference(&now) {
            observer.record(Event::Expired { addr: addr.clone() });
        }
        known = now;
        tokio::time::sleep(every).await;
    }
}
