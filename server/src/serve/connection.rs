//! One connection, in its own task: the TLS handshake (when serving HTTPS) under the
//! header timeout, then HTTP/1.1 through hyper, with the write timeout under both.
//! The connection's slot of the accept loop's limit is held until the task ends.

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::Watcher;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::OwnedSemaphorePermit;
use tracing::debug;

use super::write_timeout::WriteTimeout;
use super::{ConnOptions, Handler};

/// Everything a connection's task needs besides its socket.
pub(super) struct Connection<H, A> {
    pub(super) peer: A,
    pub(super) handler: H,
    pub(super) settings: Arc<ConnOptions>,
    /// Lets a graceful shutdown wait for this connection's requests in flight.
    pub(super) watcher: Watcher,
    /// This connection's place under the connection limit, given back on drop.
    pub(super) _slot: OwnedSemaphorePermit,
}

impl<H, A> Connection<H, A>
where
    H: Handler,
    A: fmt::Display + Send + 'static,
{
    /// Serves `io` until the client or the server closes it.
    pub(super) async fn run<I>(self, io: I)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let io = WriteTimeout::new(io, self.settings.write_timeout);
        let Some(tls) = self.settings.tls.clone() else {
            return self.http(io).await;
        };
        let limit = self.settings.header_read_timeout;
        match tokio::time::timeout(limit, tls.acceptor().accept(io)).await {
            Ok(Ok(stream)) => self.http(stream).await,
            Ok(Err(error)) => debug!(peer = %self.peer, %error, "TLS handshake failed"),
            Err(_elapsed) => debug!(peer = %self.peer, ?limit, "TLS handshake timed out"),
        }
    }

    /// HTTP/1.1 over `io`, watched by the graceful shutdown.
    async fn http<I>(self, io: I)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let handler = self.handler;
        let service = service_fn(move |request| {
            let handler = handler.clone();
            async move { Ok::<_, Infallible>(handler.handle(request).await) }
        });
        let mut builder = http1::Builder::new();
        // Without a timer hyper silently ignores the header-read timeout.
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.settings.header_read_timeout);
        let connection = builder.serve_connection(TokioIo::new(io), service);
        if let Err(error) = self.watcher.watch(connection).await {
            debug!(peer = %self.peer, %error, "connection ended with an error");
        }
    }
}
