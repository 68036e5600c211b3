//! Probes: wrappers around the production seams that report to the [`Observer`]
//! without changing what passes through them.
//!
//! - [`ObservedTransport`] wraps a client [`Transport`]: each heartbeat a server
//!   sends and each list a client fetches, with its outcome, and each RPC request.
//! - [`ObservedHandler`] wraps the registry's [`Handler`]: each renewal and
//!   deregistration the registry accepted, at the registry's own simulated time
//!   (the anchor of every expiry bound).
//! - [`poll_registry`] watches the registry's state each tick: registrations and
//!   expiries, which production code does not announce, and the changes its
//!   change log records (what the change feed serves).
//!
//! Both protocols are understood: the seed's `/_rpc_/registry` and the JSON API's
//! `/v1/services/{service}[/instances[/{addr}]]` (a query string, such as a
//! long-poll's, does not change what a request is). The change feed is not
//! classified: a watch stream's items are recorded by the host that follows it
//! ([`Host::record_watch`](crate::Host::record_watch)), and the registry's side
//! by [`poll_registry`]. A new endpoint gets its own kind in `classify` and its
//! own events.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use rollcall_client::transport::{HttpRequest, HttpResponse, Transport, TransportError};
use rollcall_protocol::{
    API_PREFIX, DEFAULT_PATH, HEADER_SERVER, HEADER_SERVERS, InstanceList, RPC_PATH_PREFIX,
    RegisterResponse,
};
use rollcall_server::Handler;

use crate::event::Event;
use crate::observer::Observer;

/// A [`Transport`] that reports the traffic of host `host` to an [`Observer`]:
/// heartbeats ([`Event::BeatSent`], then [`Event::BeatAcked`] or
/// [`Event::BeatFailed`]), list fetches ([`Event::ListSent`], then
/// [`Event::Refreshed`], [`Event::Unchanged`] or [`Event::RefreshFailed`]) and
/// RPC requests
/// ([`Event::RpcSent`], [`Event::RpcDone`]).
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

/// What a request is, seen from its method and path.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Beat,
    SeedRefresh,
    JsonRefresh,
    Rpc,
    Other,
}

/// The segments of a JSON API path after `/v1/services/`.
fn api_segments(path: &str) -> Option<Vec<&str>> {
    let rest = path.strip_prefix(API_PREFIX)?.strip_prefix("/services/")?;
    Some(rest.split('/').collect())
}

fn classify(request: &HttpRequest) -> Kind {
    let path = request.uri().path();
    let method = request.method();
    if path.starts_with(RPC_PATH_PREFIX) {
        return Kind::Rpc;
    }
    if path == DEFAULT_PATH {
        return match *method {
            Method::POST => Kind::Beat,
            Method::GET => Kind::SeedRefresh,
            _ => Kind::Other,
        };
    }
    match (method, api_segments(path).as_deref()) {
        (&Method::GET, Some([_service])) => Kind::JsonRefresh,
        (&Method::POST, Some([_service, "instances"])) => Kind::Beat,
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
            Kind::SeedRefresh | Kind::JsonRefresh => self.observer.record(Event::ListSent {
                client: host.clone(),
            }),
            Kind::Other => {}
        }
        let mut unanswered = Unanswered {
            list: matches!(kind, Kind::SeedRefresh | Kind::JsonRefresh),
            host: &self.host,
            observer: &self.observer,
        };
        let answer = self.inner.send(request, timeout).await;
        unanswered.list = false;
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
            (Kind::SeedRefresh | Kind::JsonRefresh, Ok(response)) => {
                refreshed(kind, host, response)
            }
            (Kind::SeedRefresh | Kind::JsonRefresh, Err(error)) => Event::RefreshFailed {
                client: host,
                error: error.to_string(),
            },
        };
        self.observer.record(event);
        answer
    }
}

/// Records a list request dropped before its answer came (a timeout of the
/// caller's own, racing the transport's, may win) as failed, so every
/// [`Event::ListSent`] has its answer. Not while the driver crashes the host
/// (the [`Observer`] is muted then).
struct Unanswered<'a> {
    /// Whether it is a list request still waiting.
    list: bool,
    host: &'a str,
    observer: &'a Observer,
}

impl Drop for Unanswered<'_> {
    fn drop(&mut self) {
        if self.list {
            self.observer.try_record(Event::RefreshFailed {
                client: self.host.to_owned(),
                error: "abandoned: the request was dropped before its answer".to_owned(),
            });
        }
    }
}

/// The event for a list fetch that got an answer.
fn refreshed(kind: Kind, client: String, response: &HttpResponse) -> Event {
    let status = response.status();
    if status == StatusCode::NOT_MODIFIED && kind == Kind::JsonRefresh {
        return Event::Unchanged { client };
    }
    if !status.is_success() {
        return Event::RefreshFailed {
            client,
            error: status.to_string(),
        };
    }
    let servers = if kind == Kind::SeedRefresh {
        response
            .headers()
            .get(HEADER_SERVERS)
            .and_then(|v| v.to_str().ok())
            .map_or(0, |v| v.split(',').filter(|s| !s.trim().is_empty()).count())
    } else {
        match serde_json::from_slice::<InstanceList>(response.body()) {
            Ok(list) => list.instances.len(),
            Err(error) => {
                return Event::RefreshFailed {
                    client,
                    error: format!("unreadable list: {error}"),
                };
            }
        }
    };
    Event::Refreshed { client, servers }
}

/// The registry's [`Handler`], reporting each renewal ([`Event::Renewed`]) and
/// deregistration ([`Event::Deregistered`]) it accepted.
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

/// What the registry is asked to do, as far as the probes care.
enum Change {
    SeedRenewal(String),
    JsonRenewal,
    Deregistration(String),
}

fn change(request: &Request<Incoming>) -> Option<Change> {
    let path = request.uri().path();
    let method = request.method();
    if *method == Method::POST && path == DEFAULT_PATH {
        let addr = request.headers().get(HEADER_SERVER)?.to_str().ok()?;
        return Some(Change::SeedRenewal(addr.to_owned()));
    }
    match (method, api_segments(path)?.as_slice()) {
        (&Method::POST, [_service, "instances"]) => Some(Change::JsonRenewal),
        (&Method::DELETE, [_service, "instances", addr]) => {
            let addr = percent_encoding::percent_decode_str(addr)
                .decode_utf8()
                .ok()?;
            Some(Change::Deregistration(addr.into_owned()))
        }
        _ => None,
    }
}

impl<H: Handler> Handler for ObservedHandler<H> {
    async fn handle(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let change = change(&request);
        let response = self.inner.handle(request).await;
        if !response.status().is_success() {
            return response;
        }
        let event = match change {
            None => return response,
            Some(Change::SeedRenewal(addr)) => Event::Renewed { addr },
            Some(Change::Deregistration(addr)) => Event::Deregistered { addr },
            Some(Change::JsonRenewal) => {
                // The address is in the body the registry accepted; its answer
                // repeats it, already validated.
                let body = response.body().clone().collect().await;
                let Ok(body) = body.map(http_body_util::Collected::to_bytes);
                match serde_json::from_slice::<RegisterResponse>(&body) {
                    Ok(answer) => Event::Renewed { addr: answer.addr },
                    Err(_) => return response,
                }
            }
        };
        self.observer.record(event);
        response
    }
}

mod poll;
pub use poll::poll_registry;
