//! The RPC host: typed `Service.Method` handlers called as JSON over HTTP.
//!
//! The seed's RPC is gob over a raw TCP connection, which a browser cannot speak; we
//! carry the same calls over HTTP instead: `POST /_rpc_/call/{Service.Method}` with
//! the JSON arguments as body, answered with the JSON reply ([`RPC_PATH_PREFIX`]).
//! Failures answer an [`ErrorBody`](rollcall_protocol::ErrorBody): `404` unknown
//! method, `405` not a `POST`, `415` a body not declared `application/json`, `400`
//! arguments that do not decode, `413` a body over the limit, `408` a body too
//! slow, `403` a call from a browser page of an origin not allowed, `500` the
//! handler's own error. Being a [`Handler`], the host runs on the same accept loop,
//! with the same limits and shutdown, as the registry.
//!
//! Pages of other origins may not call unless [`RpcServer::allow_origin`] lets
//! them: a method may do anything, and a page's request carries its user's network
//! access.

mod error;
mod method;
#[cfg(test)]
mod tests;

pub use error::RpcError;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{ALLOW, ORIGIN};
use http::{HeaderValue, Method, Request, StatusCode};
use hyper::body::{Body, Incoming};
use rollcall_protocol::{RPC_PATH_PREFIX, validate_method};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::debug;

use crate::http::cors::{Cors, shown_origin};
use crate::http::{DEFAULT_BODY_READ_TIMEOUT, DEFAULT_MAX_BODY_BYTES, Reply, body, respond};
use crate::serve::Handler;
use method::{CallError, ErasedMethod};

/// Request headers a calling page may send.
const ALLOW_HEADERS: &str = "Content-Type";

/// Methods a call route answers (the preflight's and a 405's list).
const ALLOW_METHODS: &str = "POST, OPTIONS";

/// A set of RPC methods, served over HTTP. Cheap to clone: the methods are shared.
///
/// ```
/// # use rollcall_server::{RpcError, RpcServer};
/// # fn main() -> Result<(), RpcError> {
/// let server = RpcServer::new()
///     .register("Foo.Sum", |(a, b): (i64, i64)| async move { Ok::<_, RpcError>(a + b) })?;
/// assert!(server.has_method("Foo.Sum"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RpcServer {
    /// Sorted, so listings and logs come out in a stable order.
    methods: Arc<BTreeMap<String, ErasedMethod>>,
    max_body: usize,
    body_timeout: std::time::Duration,
    /// Origins whose pages may call (none by default), and their policy.
    origins: Vec<String>,
    cors: Cors,
}

impl fmt::Debug for RpcServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RpcServer")
            .field("methods", &self.methods.keys().collect::<Vec<_>>())
            .field("max_body", &self.max_body)
            .field("body_timeout", &self.body_timeout)
            .field("origins", &self.origins)
            .finish()
    }
}

impl Default for RpcServer {
    fn default() -> Self {
        Self::new()
    }
}

impl RpcServer {
    /// A host with no methods, a body limit of [`DEFAULT_MAX_BODY_BYTES`] and
    /// [`DEFAULT_BODY_READ_TIMEOUT`], that no browser page may call (programs may:
    /// they send no `Origin`).
    pub fn new() -> Self {
        RpcServer {
            methods: Arc::new(BTreeMap::new()),
            max_body: DEFAULT_MAX_BODY_BYTES,
            body_timeout: DEFAULT_BODY_READ_TIMEOUT,
            origins: Vec::new(),
            cors: cors_for(&[]),
        }
    }

    /// Lets pages of `origin` (`https://dash.example`, or `*` for any page at all)
    /// call the host: their preflights are answered and their calls carry CORS
    /// headers. Repeatable. A call from a page of any other origin is `403`.
    pub fn allow_origin(mut self, origin: impl Into<String>) -> Self {
        self.origins.push(origin.into());
        self.cors = cors_for(&self.origins);
        self
    }

    /// Sets the largest request body accepted, in bytes.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Sets how long a caller may take to send its arguments once its headers
    /// arrived; slower calls answer `408`.
    pub fn body_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// Adds the method `name` (`Service.Method`), answered by `handler`.
    ///
    /// The handler takes the decoded arguments and returns the reply or an
    /// [`RpcError`]. Refuses a name not of the `Service.Method` form and a name
    /// already registered.
    pub fn register<A, R, F, Fut>(mut self, name: &str, handler: F) -> Result<Self, RpcError>
    where
        A: DeserializeOwned + Send + 'static,
        R: Serialize + Send + 'static,
        F: Fn(A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, RpcError>> + Send + 'static,
    {
        validate_method(name).map_err(|_| RpcError::InvalidMethodName(name.to_owned()))?;
        if self.methods.contains_key(name) {
            return Err(RpcError::DuplicateMethod(name.to_owned()));
        }
        Arc::make_mut(&mut self.methods).insert(name.to_owned(), method::erase(handler));
        Ok(self)
    }

    /// Whether `name` is registered.
    pub fn has_method(&self, name: &str) -> bool {
        self.methods.contains_key(name)
    }

    /// The registered method names, sorted.
    pub fn methods(&self) -> impl Iterator<Item = &str> {
        self.methods.keys().map(String::as_str)
    }

    /// Answers one request, with CORS headers. Generic over the body so tests can
    /// call it without a socket.
    async fn dispatch<B>(&self, request: Request<B>) -> Reply
    where
        B: Body<Data = Bytes>,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        let origin = request.headers().get(ORIGIN).cloned();
        let mut response = self.answer(request).await;
        self.cors.apply(origin.as_ref(), response.headers_mut());
        response
    }

    /// Answers one request: the route, the method, the call.
    async fn answer<B>(&self, request: Request<B>) -> Reply
    where
        B: Body<Data = Bytes>,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        let Some(name) = request.uri().path().strip_prefix(RPC_PATH_PREFIX) else {
            return respond::error_json(StatusCode::NOT_FOUND, "not found".to_owned());
        };
        if request.method() == Method::OPTIONS && self.cors.is_open() {
            return match self.cors.preflight(request.headers(), ALLOW_METHODS) {
                Ok(granted) => granted,
                Err(origin) => refuse_origin(&origin),
            };
        }
        if request.method() != Method::POST {
            let mut response = respond::error_json(
                StatusCode::METHOD_NOT_ALLOWED,
                format!(
                    "rpc server: method {} not allowed, use POST",
                    request.method()
                ),
            );
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static(ALLOW_METHODS));
            return response;
        }
        let origin = request.headers().get(ORIGIN);
        if !self.cors.may_write(origin) {
            return refuse_origin(&shown_origin(origin));
        }
        let Some(method) = self.methods.get(name).cloned() else {
            return respond::error_json(
                StatusCode::NOT_FOUND,
                format!("rpc server: can't find method {name}"),
            );
        };
        if let Err(error) = body::require_json(request.headers()) {
            return respond::error_json(error.status(), format!("rpc server: {error}"));
        }
        let name = name.to_owned();
        let (parts, request_body) = request.into_parts();
        let read = body::read(
            &parts.headers,
            request_body,
            self.max_body,
            self.body_timeout,
        );
        let body = match read.await {
            Ok(body) => body,
            Err(error) => {
                return respond::error_json(error.status(), format!("rpc server: {error}"));
            }
        };
        match method(body).await {
            Ok(reply) => respond::json_bytes(StatusCode::OK, reply),
            Err(CallError::BadArguments(reason)) => respond::error_json(
                StatusCode::BAD_REQUEST,
                format!("rpc server: {name}: invalid arguments: {reason}"),
            ),
            Err(CallError::Handler(message)) => {
                debug!(method = %name, %message, "rpc handler failed");
                respond::error_json(StatusCode::INTERNAL_SERVER_ERROR, message)
            }
            Err(CallError::Encode(reason)) => {
                debug!(method = %name, %reason, "rpc reply did not encode");
                respond::error_json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("rpc server: {name}: reply could not be encoded"),
                )
            }
        }
    }
}

impl Handler for RpcServer {
    fn handle(&self, request: Request<Incoming>) -> impl Future<Output = Reply> + Send {
        self.dispatch(request)
    }
}

/// The CORS policy of a host open to `origins` (`*` for any): calls are writes, so
/// the same origins may read and write.
fn cors_for(origins: &[String]) -> Cors {
    Cors::new(origins, origins, ALLOW_HEADERS, None)
}

/// `403` for a call from a page of `origin`, which may not call.
fn refuse_origin(origin: &str) -> Reply {
    respond::error_json(
        StatusCode::FORBIDDEN,
        format!("rpc server: pages from {origin} may not call this server"),
    )
}
