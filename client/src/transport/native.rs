//! hyper's pooled client, as a [`Transport`].
//!
//! [`HyperTransport`] is generic over its connector so the same code runs over real TCP
//! ([`TcpConnector`], the default) and over a simulator's sockets: anything hyper-util
//! accepts as a connector (a `tower_service::Service<Uri>` answering a connection that
//! implements hyper-util's `Connection` and hyper's `Read`/`Write`) plugs in through
//! [`HyperTransport::with_connector`]. Over TCP it speaks `https://` too (`tls`),
//! trusting the platform's certificate authorities or those of a CA file.

mod tls;

use std::error::Error as StdError;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connect, HttpConnector};
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::{HttpRequest, HttpResponse, MAX_RESPONSE_BODY, Transport, TransportError};
use crate::rt;

/// The default connector: plain TCP through tokio (`https://` goes through its own
/// TLS connector next to it).
pub type TcpConnector = HttpConnector;

/// How long an idle pooled connection is kept for reuse: longer than discovery's
/// 10 s refresh, so refreshes reuse their connection, and shorter than the 30 s a
/// rollcall server keeps an idle connection open, so the client never sends on a
/// connection the server is closing at that very moment.
pub const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(20);

/// A [`Transport`] on hyper-util's legacy client: HTTP/1.1, pooled keep-alive
/// connections, every exchange bounded by the caller's timeout.
///
/// Cheap to clone: clones share their connection pools.
#[derive(Debug, Clone)]
pub struct HyperTransport<C = TcpConnector> {
    client: Client<C, Full<Bytes>>,
    /// `https://`, if this transport speaks it.
    https: Option<Arc<tls::Https>>,
    max_body: usize,
}

impl HyperTransport<TcpConnector> {
    /// A transport over TCP, with Nagle's algorithm off (requests are small and
    /// latency-bound), speaking `http://` and `https://`; HTTPS servers must have a
    /// certificate from an authority the platform trusts (read from the system's
    /// store on the first `https://` request).
    ///
    /// Must be called from within a tokio runtime only when used; building is free.
    pub fn new() -> Self {
        HyperTransport {
            https: Some(tls::Https::platform()),
            ..HyperTransport::with_connector(tcp())
        }
    }

    /// Like [`HyperTransport::new`], but trusting for `https://` only the
    /// certificate authorities in the PEM file at `path` (a private CA, or a
    /// self-signed server certificate). Fails at once if the file cannot be read
    /// or holds no usable certificate.
    pub fn with_ca_file(path: impl AsRef<Path>) -> Result<Self, TransportError> {
        let path = path.as_ref();
        let pem = std::fs::read(path).map_err(|e| {
            TransportError::Tls(format!("cannot read the CA file {}: {e}", path.display()))
        })?;
        HyperTransport::with_ca_pem(&pem)
    }

    /// Like [`HyperTransport::with_ca_file`], with the PEM already in memory.
    pub fn with_ca_pem(pem: &[u8]) -> Result<Self, TransportError> {
        Ok(HyperTransport {
            https: Some(tls::Https::from_pem(pem)?),
            ..HyperTransport::with_connector(tcp())
        })
    }
}

/// Tokio's TCP connector with Nagle's algorithm off.
fn tcp() -> HttpConnector {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector
}

/// hyper-util's pooled client over `connector`, with the pool's idle limit.
fn pooled<C>(connector: C) -> Client<C, Full<Bytes>>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .build(connector)
}

impl Default for HyperTransport<TcpConnector> {
    fn default() -> Self {
        HyperTransport::new()
    }
}

impl<C> HyperTransport<C>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    /// A transport over `connector`: how a simulation (turmoil) supplies its sockets.
    /// It speaks `http://` only.
    pub fn with_connector(connector: C) -> Self {
        HyperTransport {
            client: pooled(connector),
            https: None,
            max_body: MAX_RESPONSE_BODY,
        }
    }

    /// Changes the largest response body accepted (default [`MAX_RESPONSE_BODY`]).
    pub fn with_max_body(mut self, max_body: usize) -> Self {
        self.max_body = max_body;
        self
    }

    /// Sends `request` on the pool its scheme needs.
    async fn exchange(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        match request.uri().scheme_str() {
            Some("http") => exchange(&self.client, request, self.max_body).await,
            Some("https") => match &self.https {
                Some(https) => exchange(https.client()?, request, self.max_body).await,
                None => Err(TransportError::InvalidRequest(format!(
                    "{}: this transport speaks plain HTTP only (made with_connector); \
                     HyperTransport::new or with_ca_file speak https://",
                    request.uri()
                ))),
            },
            other => Err(TransportError::InvalidRequest(format!(
                "unsupported scheme {other:?} in {}: only http:// and https:// are supported",
                request.uri()
            ))),
        }
    }
}

/// Connects (or reuses a connection of `client`), sends, and reads the whole body,
/// up to `max_body` bytes.
///
/// A server may close an idle kept-alive connection just as a request goes out
/// on it, or be restarted behind it (the connection is then reset); the request
/// ends with no response at all. An idempotent request is sent once more on a
/// fresh connection, as HTTP/1.1 allows (RFC 9112, 9.3.1); any other is left to
/// the caller, who knows whether a repeat is safe.
async fn exchange<K>(
    client: &Client<K, Full<Bytes>>,
    request: HttpRequest,
    max_body: usize,
) -> Result<HttpResponse, TransportError>
where
    K: Connect + Clone + Send + Sync + 'static,
{
    let again = request.method().is_idempotent().then(|| copy(&request));
    let mut result = client.request(request.map(Full::new)).await;
    if let Err(e) = &result
        && closed_unanswered(e)
        && let Some(again) = again
    {
        result = client.request(again.map(Full::new)).await;
    }
    let response = result.map_err(|e| {
        let text = error_chain(&e);
        if e.is_connect() {
            TransportError::Connect(text)
        } else {
            TransportError::Io(text)
        }
    })?;
    let (parts, body) = response.into_parts();
    let body = Limited::new(body, max_body)
        .collect()
        .await
        .map_err(|e| {
            if e.downcast_ref::<LengthLimitError>().is_some() {
                TransportError::Io(format!("response body larger than {max_body} bytes"))
            } else {
                TransportError::Io(error_chain(e.as_ref()))
            }
        })?
        .to_bytes();
    Ok(HttpResponse::from_parts(parts, body))
}

impl<C> Transport for HyperTransport<C>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    async fn send(
        &self,
        request: HttpRequest,
        timeout: Duration,
    ) -> Result<HttpResponse, TransportError> {
        rt::timeout(timeout, self.exchange(request))
            .await
            .unwrap_or(Err(TransportError::Timeout(timeout)))
    }
}

/// A copy of `request` to send again (extensions are not carried: we set none).
fn copy(request: &HttpRequest) -> HttpRequest {
    let mut copy = HttpRequest::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    copy
}

/// Whether the connection closed or was reset before any response arrived: the
/// sign of a server closing an idle connection as the request was sent on it, or
/// of a server process that is gone (restarted) behind a kept-alive connection.
/// (`request` returns once the response head is in: an error from it means no
/// response.)
fn closed_unanswered(error: &hyper_util::client::legacy::Error) -> bool {
    let Some(hyper_error) = error
        .source()
        .and_then(|cause| cause.downcast_ref::<hyper::Error>())
    else {
        return false;
    };
    let reset = hyper_error
        .source()
        .and_then(|cause| cause.downcast_ref::<std::io::Error>())
        .is_some_and(|io| {
            matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
            )
        });
    hyper_error.is_incomplete_message() || reset
}

/// An error and its causes, `: `-joined: hyper's own messages are terse ("client
/// error (Connect)") and the reason ("connection refused") is in the source.
fn error_chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests;
