//! Serving HTTP/1.1 on any listener: the I/O seam between the registry (or an RPC
//! host) and the network.
//!
//! [`serve`] is generic over a [`Listener`], so the same code accepts on tokio's
//! sockets in production and on turmoil's in simulation, and over a [`Handler`], so
//! the registry and the RPC host share one accept loop, one set of connection limits
//! and one graceful shutdown.
//!
//! - `connection`: one connection's task: the TLS handshake if any, then hyper;
//! - `write_timeout`: the I/O wrapper that drops a client that stops reading;
//! - `tls`: [`TlsConfig`], a certificate and key to serve HTTPS with.

mod connection;
mod tls;
mod write_timeout;

pub use tls::{TlsConfig, TlsError};

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use hyper::Request;
use hyper::body::Incoming;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::Semaphore;
use tracing::{debug, info, warn};

use crate::http::Reply;

/// How long a client may take to send a request's headers before the connection is
/// closed: the guard against slow-header (slowloris) clients. On a keep-alive
/// connection the clock starts when the previous response is sent, so it is also
/// the idle timeout between requests; rollcall's client lets its pooled connections
/// go after 20 s, before a server would close them. On an HTTPS port the TLS
/// handshake gets as long again.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a response may wait for the client to take more of it: a client that
/// stops reading is dropped after this, and its connection freed. Generous, since
/// a slow link reads slowly but steadily, and every stall resets the clock.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Most connections served at once. Past it the accept loop waits: new connections
/// queue in the operating system's accept queue until one closes, while every
/// established connection keeps being served. Ten thousand is far more than the
/// clients of one registry, and keeps the memory of idle connections in the tens
/// of megabytes; raise the open-file limit (`ulimit -n`) above it.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

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
    /// See [`DEFAULT_WRITE_TIMEOUT`].
    pub write_timeout: Duration,
    /// See [`DEFAULT_MAX_CONNECTIONS`].
    pub max_connections: usize,
    /// See [`DEFAULT_SHUTDOWN_GRACE`].
    pub shutdown_grace: Duration,
    /// Serve HTTPS with this certificate; `None` (the default) serves plain HTTP.
    pub tls: Option<TlsConfig>,
}

impl Default for ConnOptions {
    fn default() -> Self {
        ConnOptions {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            tls: None,
        }
    }
}

/// A connection setting that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnOptionsError {
    #[error("the header timeout must be longer than 0")]
    ZeroHeaderTimeout,
    #[error("the write timeout must be longer than 0")]
    ZeroWriteTimeout,
    #[error("the connection limit must be at least 1")]
    ZeroConnections,
    #[error("the connection limit can be at most {max}")]
    TooManyConnections { max: usize },
}

impl ConnOptions {
    /// Refuses settings that would serve nobody: a zero timeout closes every
    /// connection at once, a zero connection limit never accepts one.
    pub fn validate(&self) -> Result<(), ConnOptionsError> {
        if self.header_read_timeout.is_zero() {
            return Err(ConnOptionsError::ZeroHeaderTimeout);
        }
        if self.write_timeout.is_zero() {
            return Err(ConnOptionsError::ZeroWriteTimeout);
        }
        if self.max_connections == 0 {
            return Err(ConnOptionsError::ZeroConnections);
        }
        if self.max_connections > Semaphore::MAX_PERMITS {
            return Err(ConnOptionsError::TooManyConnections {
                max: Semaphore::MAX_PERMITS,
            });
        }
        Ok(())
    }
}

/// Accepts connections from `listener` and answers them with `handler` until
/// `shutdown` completes; then stops accepting and lets requests in flight finish for
/// up to [`ConnOptions::shutdown_grace`].
///
/// At most [`ConnOptions::max_connections`] connections are served at once; past
/// that the loop accepts again only once one closes. Each connection runs in a task
/// of its own, which does the TLS handshake (with [`ConnOptions::tls`]), so a slow
/// handshake never holds up the loop.
///
/// Must be called from within a tokio runtime (or a turmoil host).
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
    let slots = Arc::new(Semaphore::new(
        options.max_connections.min(Semaphore::MAX_PERMITS),
    ));
    let settings = Arc::new(options);
    let mut shutdown = pin!(shutdown);
    loop {
        let slot = tokio::select! {
            biased;
            () = &mut shutdown => break,
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_closed) => break, // never closed: the loop owns the semaphore
            },
        };
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
        if slots.available_permits() == 0 {
            debug!(limit = settings.max_connections, "connection limit reached");
        }
        let connection = connection::Connection {
            peer,
            handler: handler.clone(),
            settings: Arc::clone(&settings),
            watcher: graceful.watcher(),
            _slot: slot,
        };
        tokio::spawn(connection.run(io));
    }
    info!("shutting down: no longer accepting connections");
    tokio::select! {
        () = graceful.shutdown() => debug!("all connections closed"),
        () = tokio::time::sleep(settings.shutdown_grace) => {
            warn!(grace = ?settings.shutdown_grace, "connections still open after the grace period");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonsense_settings_are_refused() {
        assert_eq!(ConnOptions::default().validate(), Ok(()));
        let zero = |f: fn(&mut ConnOptions)| {
            let mut options = ConnOptions::default();
            f(&mut options);
            options.validate()
        };
        assert_eq!(
            zero(|o| o.header_read_timeout = Duration::ZERO),
            Err(ConnOptionsError::ZeroHeaderTimeout)
        );
        assert_eq!(
            zero(|o| o.write_timeout = Duration::ZERO),
            Err(ConnOptionsError::ZeroWriteTimeout)
        );
        assert_eq!(
            zero(|o| o.max_connections = 0),
            Err(ConnOptionsError::ZeroConnections)
        );
        assert!(zero(|o| o.max_connections = usize::MAX).is_err());
    }
}
