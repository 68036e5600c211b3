//! The RPC host: typed `Service.Method` handlers called as JSON over HTTP.
//!
//! The seed's RPC is gob over a raw TCP connection, which a browser cannot speak; we
//! carry the same calls over HTTP instead: `POST /_rpc_/call/{Service.Method}` with
//! the JSON arguments as body, answered with the JSON reply ([`RPC_PATH_PREFIX`]).
//! Failures answer an [`ErrorBody`]: `404` unknown method, `405` not a `POST`, `400`
//! arguments that do not decode, `413` a body over the limit, `500` the handler's own
//! error. Being a [`Handler`], the host runs on the same accept loop, with the same
//! limits and shutdown, as the registry.

mod cors;
mod error;
mod method;
#[cfg(test)]
mod tests;

pub use cors::DEFAULT_ALLOW_ORIGIN;
pub use error::RpcError;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Body, Incoming};
use rollcall_client::protocol::{ErrorBody, RPC_PATH_PREFIX};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::debug;

use crate::serve::Handler;
use method::{CallError, ErasedMethod};

/// Largest request body a call may carry, by default. Arguments are small; the limit
/// keeps one caller from making the host buffer an unbounded body.
pub const DEFAULT_MAX_BODY: usize = 64 * 1024;

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
    /// CORS: the origin named in `Access-Control-Allow-Origin`; `None` sends none.
    allow_origin: Option<HeaderValue>,
}

impl fmt::Debug for RpcServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RpcServer")
            .field("methods", &self.methods.keys().collect::<Vec<_>>())
            .field("max_body", &self.max_body)
            .field("allow_origin", &self.allow_origin)
            .finish()
    }
}

impl Default for RpcServer {
    fn default() -> Self {
        Self::new()
    }
}

impl RpcServer {
    /// A host with no methods, a body limit of [`DEFAULT_MAX_BODY`], callable from
    /// pages of any origin ([`DEFAULT_ALLOW_ORIGIN`]).
    pub fn new() -> Self {
        RpcServer {
            methods: Arc::new(BTreeMap::new()),
            max_body: DEFAULT_MAX_BODY,
            allow_origin: Some(HeaderValue::from_static(DEFAULT_ALLOW_ORIGIN)),
        }
    }

    /// Which origin's pages may call the host (CORS `Access-Control-Allow-Origin`,
    /// e.g. `https://dash.example`); `None` answers no preflight and sends no CORS
    /// header, so only same-origin pages and non-browser clients can call.
    pub fn allow_origin(mut self, origin: Option<HeaderValue>) -> Self {
        self.allow_origin = origin;
        self
    }

    /// Sets the largest request body accepted, in bytes.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
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
        error::validate_method_name(name)?;
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
    async fn dispatch<B>(&self, request: Request<B>) -> Response<Full<Bytes>>
    where
        B: Body<Data = Bytes>,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        let mut response = self.answer(request).await;
        if let Some(origin) = &self.allow_origin {
            cors::allow(origin, response.headers_mut());
        }
        response
    }

    /// Answers one request: the route, the method, the call.
    async fn answer<B>(&self, request: Request<B>) -> Response<Full<Bytes>>
    where
        B: Body<Data = Bytes>,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        let Some(name) = request.uri().path().strip_prefix(RPC_PATH_PREFIX) else {
            return error_response(StatusCode::NOT_FOUND, "not found".to_owned());
        };
        if request.method() == Method::OPTIONS && self.allow_origin.is_some() {
            return cors::preflight();
        }
        if request.method() != Method::POST {
            let mut response = error_response(
                StatusCode::METHOD_NOT_ALLOWED,
                format!(
                    "rpc server: method {} not allowed, use POST",
                    request.method()
                ),
            );
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("POST"));
            return response;
        }
        let Some(method) = self.methods.get(name).cloned() else {
            return error_response(
                StatusCode::NOT_FOUND,
                format!("rpc server: can't find method {name}"),
            );
        };
        let name = name.to_owned();
        let body = match read_body(request, self.max_body).await {
            Ok(body) => body,
            Err(response) => return response,
        };
        match method(body).await {
            Ok(reply) => json_response(StatusCode::OK, reply),
            Err(CallError::BadArguments(reason)) => error_response(
                StatusCode::BAD_REQUEST,
                format!("rpc server: {name}: invalid arguments: {reason}"),
            ),
            Err(CallError::Handler(message)) => {
                debug!(method = %name, %message, "rpc handler failed");
                error_response(StatusCode::INTERNAL_SERVER_ERROR, message)
            }
            Err(CallError::Encode(reason)) => {
                debug!(method = %name, %reason, "rpc reply did not encode");
                error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("rpc server: {name}: reply could not be encoded"),
                )
            }
        }
    }
}

impl Handler for RpcServer {
    fn handle(
        &self,
        request: Request<Incoming>,
    ) -> impl Future<Output = Response<Full<Bytes>>> + Send {
        self.dispatch(request)
    }
}

/// Reads the whole body, refusing more than `limit` bytes: a declared
/// `Content-Length` over the limit is refused before reading anything.
async fn read_body<B>(request: Request<B>, limit: usize) -> Result<Bytes, Response<Full<Bytes>>>
where
    B: Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let too_large = || {
        error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("rpc server: request body larger than {limit} bytes"),
        )
    };
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large());
    }
    match Limited::new(request.into_body(), limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => Err(too_large()),
        Err(error) => Err(error_response(
            StatusCode::BAD_REQUEST,
            format!("rpc server: reading request body: {error}"),
        )),
    }
}

/// A JSON answer with `status`.
fn json_response(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// An [`ErrorBody`] answer with `status`.
fn error_response(status: StatusCode, error: String) -> Response<Full<Bytes>> {
    // Serialising a struct of one string cannot fail; the fallback keeps this total.
    let body = serde_json::to_vec(&ErrorBody { error })
        .map(Bytes::from)
        .unwrap_or_else(|_| Bytes::from_static(br#"{"error":"internal error"}"#));
    json_response(status, body)
}
