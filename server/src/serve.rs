//! Serving HTTP/1.1 on any listener: the I/O seam between the registry (or an RPC
//! host) and the network.
//!
//! [`serve`] is generic over a [`Listener`], so the same code accepts on tokio's
//! sockets in production and on turmoil's in simulation, and over a [`Handler`], so
//! the registry and the RPC host share one accept loop, one set of connection limits
//! and one graceful shutdown.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::pin;
use std::time::Duration;

use hyper::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite};
use tracing::{debug, info, warn};

use crate::http::Reply;

/// How long a client may take to send a request's headers before the connection is
/// closed: the guard against slow-header (slowloris) clients. On a keep-alive
/// connection the clock starts when the previous response is sent, so it is also
/// the idle timeout between requests; rollcall's client lets its pooled connections
/// go after 20 s, before a server would close them.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a graceful shutdown waits for requests in flight before giving up.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How long the accept loop pauses after an accept error (such as too many open
/// files) before trying again, so it does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// A source of connections: tokio's `TcpListener`, or a simulator's.
pub trait Listener: Send + 'static {
    /// The connection stream.
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// The peer's address, for logs.
    type Addr: fmt::Display + Send + 'static;

    /// Waits for the next connection.
    fn accept(&mut self) -> impl Future<Output = io::Result<(Self::Io, Self::Addr)>> + Send;
}

impl Listener for tokio::net::TcpListener {
    type Io = tokio::net::TcpStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> io::Result<(Self::Io, Self::Addr)> {
        let (stream, addr) = tokio::net::TcpListener::accept(self).await?;
        // Small request/response exchanges: do not wait to coalesce packets.
        stream.set_nodelay(true)?;
        Ok((stream, addr))
    }
}

/// Answers one request. Every request gets a response: a handler maps its own
/// errors to statuses and never fails the connection.
pub trait Handler: Clone + Send + Sync + 'static {
    fn handle(&self, request: Request<Incoming>) -> impl Future<Output = Reply> + Send;
}

/// Connection settings shared by every handler.
#[derive(Debug, Clone)]
pub struct ConnOptions {
    /// See [`DEFAULT_HEADER_READ_TIMEOUT`].
    pub header_read_timeout: Duration,
    /// See [`DEFAULT_SHUTDOWN_GRACE`].
    pub shutdown_grace: Duration,
}

impl Default for ConnOptions {
    fn default() -> Self {
        ConnOptions {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }
}

/// Accepts connections from `listener` and answers them with `handler` until
/// `shutdown` completes; then stops accepting and lets requests in flight finish for
/// up to [`ConnOptions::shutdown_grace`].
///
/// Must be called from within a tokio runtime (or a turmoil host): each connection
/// runs in a task of its own.
pub async fn serve<L, H>(
    mut listener: L,
    handler: H,
    options: ConnOptions,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()>
where
    L: Listener,
    H: Handler,
{
    let graceful = GracefulShutdown::new();
    let mut shutdown = pin!(shutdown);
    loop {
        let (io, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    warn!(%error, "accept failed");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            },
        };
        let handler = handler.clone();
        let service = service_fn(move |request| {
            let handler = handler.clone();
            async move { Ok::<_, Infallible>(handler.handle(request).await) }
        });
        let mut builder = http1::Builder::new();
        // Without a timer hyper silently ignores the header-read timeout.
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(options.header_read_timeout);
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(io), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                debug!(%peer, %error, "connection ended with an error");
            }
        });
    }
    info!("shutting down: no longer accepting connections");
    tokio::select! {
        () = graceful.shutdown() => debug!("all connections closed"),
        () = tokio::time::sleep(options.shutdown_grace) => {
            warn!(grace = ?options.shutdown_grace, "connections still open after the grace period");
        }
    }
    Ok(())
}
