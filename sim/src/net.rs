//! The I/O seams, filled with turmoil's simulated sockets.
//!
//! Production code never names a socket type: a server accepts through
//! [`rollcall_server::Listener`] and a client connects through the tower
//! `Service<Uri>` that [`HyperTransport::with_connector`] takes. This module gives
//! both a turmoil implementation, so the real registry, heartbeats, discovery and
//! RPC (and your server and calling code, written against the same seams) run
//! unchanged over a simulated network.
//!
//! [`HyperTransport::with_connector`]: rollcall_client::transport::HyperTransport::with_connector

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;
use rollcall_client::Heartbeat;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A simulated TCP listener, as a [`rollcall_server::Listener`]: hand it to any
/// accept loop generic over that trait ([`rollcall_server::serve`], or your own).
///
/// The listener a server host gets from [`ServerHost::listen`] also holds the
/// server's [`Heartbeat`]: the server is registered for as long as it listens.
///
/// [`ServerHost::listen`]: crate::ServerHost::listen
pub struct SimListener {
    listener: turmoil::net::TcpListener,
    /// Kept alive with the listener: dropping it stops the beats.
    heartbeat: Option<Heartbeat>,
}

impl fmt::Debug for SimListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimListener")
            .field("addr", &self.listener.local_addr().ok())
            .field("registered", &self.heartbeat.as_ref().map(Heartbeat::addr))
            .finish()
    }
}

impl SimListener {
    /// Binds `0.0.0.0:port` on the current simulated host.
    ///
    /// Must be called from within a simulation host.
    pub async fn bind(port: u16) -> io::Result<Self> {
        let listener = turmoil::net::TcpListener::bind(("0.0.0.0", port)).await?;
        Ok(SimListener {
            listener,
            heartbeat: None,
        })
    }

    /// Keeps `heartbeat` running for as long as this listener lives.
    pub(crate) fn with_heartbeat(mut self, heartbeat: Heartbeat) -> Self {
        self.heartbeat = Some(heartbeat);
        self
    }

    /// The heartbeat keeping this server registered, if it has one: its
    /// [`status`](Heartbeat::status) says how the beats go.
    pub fn heartbeat(&self) -> Option<&Heartbeat> {
        self.heartbeat.as_ref()
    }

    /// Takes the heartbeat out, to [`stop`](Heartbeat::stop) it (deregistering
    /// the server) while the listener keeps accepting: a graceful shutdown.
    pub fn take_heartbeat(&mut self) -> Option<Heartbeat> {
        self.heartbeat.take()
    }
}

impl rollcall_server::Listener for SimListener {
    type Io = turmoil::net::TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> io::Result<(Self::Io, Self::Addr)> {
        self.listener.accept().await
    }
}

/// A simulated TCP connection as hyper-util's pooled client wants it: tokio's
/// `AsyncRead`/`AsyncWrite` (hyper's `Read`/`Write` come from wrapping it in
/// [`TokioIo`]) plus [`Connection`], which turmoil's stream lacks and the orphan
/// rule keeps us from adding to it directly.
#[derive(Debug)]
pub struct SimStream(turmoil::net::TcpStream);

impl AsyncRead for SimStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for SimStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl Connection for SimStream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

/// Opens simulated TCP connections for [`HyperTransport`]: `http://host:port/..`
/// connects to turmoil host `host` (names resolve through the simulation's DNS).
///
/// Each `call` runs on whichever simulated host polls it, so a transport must be
/// created inside the host that uses it.
///
/// [`HyperTransport`]: rollcall_client::transport::HyperTransport
#[derive(Debug, Clone, Copy, Default)]
pub struct SimConnector;

/// The future of one connection attempt. Boxed because hyper-util requires an
/// `Unpin` future; `Send` because its client spawns connection tasks.
pub type Connecting = Pin<Box<dyn Future<Output = io::Result<TokioIo<SimStream>>> + Send>>;

impl tower_service::Service<Uri> for SimConnector {
    type Response = TokioIo<SimStream>;
    type Error = io::Error;
    type Future = Connecting;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Connecting {
        Box::pin(async move {
            let host = uri
                .host()
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "uri has no host"))?
                .to_owned();
            let port = uri.port_u16().unwrap_or(80);
            let stream = turmoil::net::TcpStream::connect((host, port)).await?;
            Ok(TokioIo::new(SimStream(stream)))
        })
    }
}
