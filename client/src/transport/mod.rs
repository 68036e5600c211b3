//! The HTTP seam: everything the client sends goes through a [`Transport`].
//!
//! The trait names no runtime. Natively its futures are `Send` (see [`MaybeSend`]) and
//! [`HyperTransport`] implements it on hyper; in a browser they need not be, and a
//! fetch implementation plugs in without touching discovery, heartbeats or calls.

#[cfg(not(target_arch = "wasm32"))]
mod native;

#[cfg(not(target_arch = "wasm32"))]
pub use native::{HyperTransport, POOL_IDLE_TIMEOUT, TcpConnector};

#[cfg(target_arch = "wasm32")]
mod fetch;

#[cfg(target_arch = "wasm32")]
pub use fetch::FetchTransport;

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;

/// A request as the client builds it: an absolute `http://` or `https://` URI,
/// headers and a body.
pub type HttpRequest = http::Request<Bytes>;

/// A whole response, body read to the end.
pub type HttpResponse = http::Response<Bytes>;

/// Largest response body a transport reads by default, 64 MiB: far above any
/// registry list or RPC reply we expect (100,000 instances list in about 7 MB), low
/// enough that a misbehaving peer cannot exhaust memory, natively or in a page.
pub const MAX_RESPONSE_BODY: usize = 64 * 1024 * 1024;

/// Sends one HTTP request and reads the whole response.
///
/// Implementations must give up after `timeout` with [`TransportError::Timeout`]
/// (under a partition a TCP connection just hangs) and should reuse connections.
/// A response with any status is `Ok`: statuses are for the caller to judge.
pub trait Transport: Clone + MaybeSend + MaybeSync + 'static {
    fn send(
        &self,
        request: HttpRequest,
        timeout: Duration,
    ) -> impl Future<Output = Result<HttpResponse, TransportError>> + MaybeSend;
}

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No complete response within the timeout.
    #[error("request timed out after {0:?}")]
    Timeout(Duration),
    /// The connection could not be opened.
    #[error("connect failed: {0}")]
    Connect(String),
    /// The request could not be sent or the response not read.
    #[error("request failed: {0}")]
    Io(String),
    /// The request itself is unusable (bad URI, unsupported scheme).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// HTTPS cannot be set up: no usable certificate authority to trust.
    #[error("TLS setup failed: {0}")]
    Tls(String),
}

/// `Send` on native targets, nothing in the browser, where futures are `!Send`.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSend: Send {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send + ?Sized> MaybeSend for T {}
/// `Send` on native targets, nothing in the browser, where futures are `!Send`.
#[cfg(target_arch = "wasm32")]
pub trait MaybeSend {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSend for T {}

/// `Sync` on native targets, nothing in the browser.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSync: Sync {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Sync + ?Sized> MaybeSync for T {}
/// `Sync` on native targets, nothing in the browser.
#[cfg(target_arch = "wasm32")]
pub trait MaybeSync {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSync for T {}
