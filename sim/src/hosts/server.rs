//! Server hosts: your server code, registered with the real heartbeat.

use std::io;
use std::ops::Deref;
use std::sync::Arc;

use rollcall_client::{Heartbeat, HeartbeatOptions, RegistryClient, RegistryEndpoint};
use rollcall_protocol::RegisterRequest;

use super::{Factory, Host, HostConfig, Software};
use crate::api::{Api, SERVER_PORT};
use crate::net::SimListener;

/// What a server host's software gets: a [`Host`] that can
/// [`listen`](ServerHost::listen) and be registered while it does.
///
/// Your server code takes the listener and serves on it. Written generic over
/// [`rollcall_server::Listener`] (as rollcall's own [`serve`] is), the same
/// function runs on a tokio `TcpListener` in production:
///
/// ```no_run
/// use rollcall_server::{ConnOptions, Listener, RpcError, RpcServer, serve};
///
/// /// The service, whatever it listens on.
/// async fn run_quotes<L: Listener>(listener: L) -> std::io::Result<()> {
///     let rpc = RpcServer::new()
///         .register("Quotes.Get", |id: u32| async move { Ok::<_, RpcError>(format!("quote {id}")) })
///         .expect("a valid method name");
///     serve(listener, rpc, ConnOptions::default(), std::future::pending()).await
/// }
///
/// // In a scenario: `.servers(3, |host: ServerHost| async move {
/// //     run_quotes(host.listen().await?).await?;
/// //     Ok(())
/// // })`; in production: `run_quotes(tokio::net::TcpListener::bind(addr).await?)`.
/// ```
///
/// [`serve`]: rollcall_server::serve
#[derive(Debug, Clone)]
pub struct ServerHost {
    host: Host,
    api: Api,
    endpoint: RegistryEndpoint,
    heartbeat: HeartbeatOptions,
}

impl Deref for ServerHost {
    type Target = Host;

    fn deref(&self) -> &Host {
        &self.host
    }
}

impl ServerHost {
    /// The port the server listens on: [`SERVER_PORT`].
    pub fn port(&self) -> u16 {
        SERVER_PORT
    }

    /// The address it registers: `tcp@<name>:<port>` on the seed protocol,
    /// `<name>:<port>` on the JSON API.
    pub fn addr(&self) -> String {
        self.api.server_addr(self.name(), SERVER_PORT)
    }

    /// The registration [`listen`](ServerHost::listen) sends: this host's address,
    /// no metadata, the default weight, the registry's TTL. Change it and pass it
    /// to [`listen_with`](ServerHost::listen_with) (metadata and weight reach the
    /// registry on the JSON API only).
    pub fn registration(&self) -> RegisterRequest {
        RegisterRequest {
            addr: self.addr(),
            metadata: Default::default(),
            weight: None,
            ttl_ms: None,
        }
    }

    /// Binds [`SERVER_PORT`] and starts the server's [`Heartbeat`] (the real one,
    /// through the real [`RegistryClient`]). The heartbeat lives as long as the
    /// listener: the server is registered while it listens.
    ///
    /// Must be called from within this host's software.
    pub async fn listen(&self) -> io::Result<SimListener> {
        self.listen_with(self.registration()).await
    }

    /// [`listen`](ServerHost::listen) with your own registration (metadata,
    /// weight, TTL); its address is replaced by this host's, which the
    /// invariants know it by.
    ///
    /// Must be called from within this host's software.
    pub async fn listen_with(&self, mut request: RegisterRequest) -> io::Result<SimListener> {
        request.addr = self.addr();
        let listener = SimListener::bind(SERVER_PORT).await?;
        let client = RegistryClient::new(self.transport(), self.endpoint.clone())
            .with_rng_seed(self.seed_for("frontend"));
        let options = HeartbeatOptions {
            rng_seed: Some(self.seed_for("heartbeat")),
            ..self.heartbeat.clone()
        };
        Ok(listener.with_heartbeat(Heartbeat::start(client, request, options)))
    }
}

/// A server host named `name` running `software`.
pub(crate) fn server(name: &str, config: &HostConfig, software: Software<ServerHost>) -> Factory {
    let name: Arc<str> = name.into();
    let config = config.clone();
    Box::new(move || {
        software(ServerHost {
            host: Host::new(&name, &config),
            api: config.api.clone(),
            endpoint: config.endpoint.clone(),
            heartbeat: config.heartbeat.clone(),
        })
    })
}
