//! hyper's pooled client, as a [`Transport`].
//!
//! [`HyperTransport`] is generic over its connector so the same code runs over real TCP
//! ([`TcpConnector`], the default) and over a simulator's sockets: anything hyper-util
//! accepts as a connector (a `tower_service::Service<Uri>` answering a connection that
//! implements hyper-util's `Connection` and hyper's `Read`/`Write`) plugs in through
//! [`HyperTransport::with_connector`].

use std::error::Error as StdError;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connect, HttpConnector};
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::{HttpRequest, HttpResponse, Transport, TransportError};
use crate::rt;

/// The default connector: plain TCP through tokio, `http://` only.
pub type TcpConnector = HttpConnector;

/// Largest response body read, 64 MiB: far above any registry list or RPC reply we
/// expect, low enough that a misbehaving peer cannot exhaust memory.
pub const MAX_RESPONSE_BODY: usize = 64 * 1024 * 1024;

/// How long an idle pooled connection is kept for reuse. Heartbeats and discovery
/// refreshes are seconds apart, so a shorter idle time would reconnect every time.
pub const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// A [`Transport`] on hyper-util's legacy client: HTTP/1.1, pooled keep-alive
/// connections, every exchange bounded by the caller's timeout.
///
/// Cheap to clone: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct HyperTransport<C = TcpConnector> {
    client: Client<C, Full<Bytes>>,
    max_body: usize,
}

impl HyperTransport<TcpConnector> {
    /// A transport over TCP, with Nagle's algorithm off (requests are small and
    /// latency-bound).
    ///
    /// Must be called from within a tokio runtime only when used; building is free.
    pub fn new() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        HyperTransport::with_connector(connector)
    }
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
    pub fn with_connector(connector: C) -> Self {
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .build(connector);
        HyperTransport {
            client,
            max_body: MAX_RESPONSE_BODY,
        }
    }

    /// Changes the largest response body accepted (default [`MAX_RESPONSE_BODY`]).
    pub fn with_max_body(mut self, max_body: usize) -> Self {
        self.max_body = max_body;
        self
    }

    /// Connects (or reuses a connection), sends, and reads the whole body.
    async fn exchange(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let response = self
            .client
            .request(request.map(Full::new))
            .await
            .map_err(|e| {
                let text = error_chain(&e);
                if e.is_connect() {
                    TransportError::Connect(text)
                } else {
                    TransportError::Io(text)
                }
            })?;
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, self.max_body)
            .collect()
            .await
            .map_err(|e| {
                if e.downcast_ref::<LengthLimitError>().is_some() {
                    TransportError::Io(format!("response body larger than {} bytes", self.max_body))
                } else {
                    TransportError::Io(error_chain(e.as_ref()))
                }
            })?
            .to_bytes();
        Ok(HttpResponse::from_parts(parts, body))
    }
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
        match request.uri().scheme_str() {
            Some("http") => {}
            other => {
                return Err(TransportError::InvalidRequest(format!(
                    "unsupported scheme {other:?} in {}: only http:// is supported",
                    request.uri()
                )));
            }
        }
        rt::timeout(timeout, self.exchange(request))
            .await
            .unwrap_or(Err(TransportError::Timeout(timeout)))
    }
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
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_other_schemes() {
        let request = http::Request::get("https://example.invalid/")
            .body(Bytes::new())
            .expect("request");
        let err = HyperTransport::new()
            .send(request, Duration::from_secs(1))
            .await
            .expect_err("https");
        assert!(matches!(err, TransportError::InvalidRequest(_)), "{err:?}");
    }

    #[tokio::test]
    async fn connection_refused_is_a_connect_error() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        let request = http::Request::get(format!("http://{addr}/"))
            .body(Bytes::new())
            .expect("request");
        let err = HyperTransport::new()
            .send(request, Duration::from_secs(5))
            .await
            .expect_err("refused");
        assert!(matches!(err, TransportError::Connect(_)), "{err:?}");
    }

    /// Serves one connection: reads a request head, writes `response` as is (or
    /// nothing when `None`), then holds the connection open.
    async fn serve_once(response: Option<Vec<u8>>) -> std::net::SocketAddr {
        use std::io::ErrorKind::WouldBlock;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let (stream, _) = listener.accept().await.expect("accept");
            let (mut head, mut buf) = (Vec::new(), [0u8; 1024]);
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                stream.readable().await.expect("readable");
                match stream.try_read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == WouldBlock => continue,
                    Err(e) => panic!("read: {e}"),
                }
            }
            let mut rest = response.as_deref().unwrap_or_default();
            while !rest.is_empty() {
                stream.writable().await.expect("writable");
                match stream.try_write(rest) {
                    Ok(n) => rest = &rest[n..],
                    Err(e) if e.kind() == WouldBlock => continue,
                    Err(e) => panic!("write: {e}"),
                }
            }
            tokio::time::sleep(Duration::from_secs(5)).await;
        });
        addr
    }

    fn get(addr: std::net::SocketAddr) -> HttpRequest {
        http::Request::get(format!("http://{addr}/"))
            .body(Bytes::new())
            .expect("request")
    }

    #[tokio::test]
    async fn reads_a_whole_response_and_caps_its_size() {
        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nx-a: b\r\n\r\nhello".to_vec();
        let addr = serve_once(Some(answer.clone())).await;
        let response = HyperTransport::new()
            .send(get(addr), Duration::from_secs(5))
            .await
            .expect("response");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["x-a"], "b");
        assert_eq!(response.body().as_ref(), b"hello");
        let addr = serve_once(Some(answer)).await;
        let err = HyperTransport::new()
            .with_max_body(4)
            .send(get(addr), Duration::from_secs(5))
            .await
            .expect_err("too large");
        assert!(
            matches!(&err, TransportError::Io(m) if m.contains("larger than 4")),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        let addr = serve_once(None).await;
        let limit = Duration::from_millis(200);
        let err = HyperTransport::new()
            .send(get(addr), limit)
            .await
            .expect_err("silent");
        assert_eq!(err, TransportError::Timeout(limit));
    }

    #[test]
    fn futures_are_send() {
        fn assert_send<F: Send>(_: F) {}
        let transport = HyperTransport::new();
        let request = http::Request::new(Bytes::new());
        assert_send(transport.send(request, Duration::from_secs(1)));
    }
}
