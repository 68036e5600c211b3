//! Client hosts: your calling code, with a real discovery the kit watches.

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use rollcall_client::{
    Discovery, Error, Instance, RegistryClient, RegistryDiscovery, RegistryEndpoint, RpcClient,
    SelectMode, XClient,
};

use super::{Factory, Host, HostConfig, SimTransport, Software};
use crate::event::Event;

/// The discovery of a client host: the real [`RegistryDiscovery`], shared between
/// your code and the kit, which samples what it hands out every tick (the
/// [`Event::Served`] records the invariants read). Cheap to clone.
///
/// This is where other ways of discovering plug in: a watch-based discovery, once
/// the client has one, becomes a second kind behind this same type, chosen by the
/// scenario, and every scenario and invariant keeps working.
#[derive(Debug, Clone)]
pub struct SimDiscovery(Arc<RegistryDiscovery<SimTransport>>);

impl SimDiscovery {
    /// The discovery underneath, for what [`Discovery`] does not offer.
    pub fn registry_discovery(&self) -> &RegistryDiscovery<SimTransport> {
        &self.0
    }

    /// The error of the last refresh, `None` once one succeeds again
    /// ([`RegistryDiscovery::last_error`]).
    pub fn last_error(&self) -> Option<Error> {
        self.0.last_error()
    }
}

impl Discovery for SimDiscovery {
    fn refresh(&self) -> impl Future<Output = Result<(), Error>> + Send {
        self.0.refresh()
    }

    fn update(&self, instances: Vec<Instance>) {
        self.0.update(instances);
    }

    fn get(&self, mode: SelectMode) -> impl Future<Output = Result<Instance, Error>> + Send {
        self.0.get(mode)
    }

    fn get_all(&self) -> impl Future<Output = Result<Vec<Instance>, Error>> + Send {
        self.0.get_all()
    }
}

/// An [`XClient`] over a client host's discovery and transport.
pub type SimXClient = XClient<SimDiscovery, SimTransport>;

/// What a client host's software gets: a [`Host`] with a discovery of the
/// scenario's service, and a way to record the calls it makes.
///
/// Write your calling code generic over [`Discovery`] and
/// [`Transport`](rollcall_client::Transport) and hand it
/// [`discovery`](ClientHost::discovery) and [`transport`](Host::transport) here,
/// `RegistryDiscovery<HyperTransport>` and `HyperTransport` in production.
#[derive(Debug, Clone)]
pub struct ClientHost {
    host: Host,
    discovery: SimDiscovery,
    endpoint: RegistryEndpoint,
}

impl Deref for ClientHost {
    type Target = Host;

    fn deref(&self) -> &Host {
        &self.host
    }
}

impl ClientHost {
    /// This host's discovery (the one the kit samples): hand it to your code.
    pub fn discovery(&self) -> SimDiscovery {
        self.discovery.clone()
    }

    /// An [`XClient`] picking by `mode` over this host's discovery.
    pub fn xclient(&self, mode: SelectMode) -> SimXClient {
        XClient::new(self.discovery(), mode, RpcClient::new(self.transport()))
    }

    /// Where the registry answers, in the scenario's protocol (every frontend's
    /// URL, with [`Scenario::frontends`](crate::Scenario::frontends)).
    pub fn endpoint(&self) -> &RegistryEndpoint {
        &self.endpoint
    }

    /// A registry client of its own (own connection pool), for code that talks to
    /// the registry directly.
    pub fn registry_client(&self) -> RegistryClient<SimTransport> {
        RegistryClient::new(self.transport(), self.endpoint.clone())
            .with_rng_seed(self.seed_for("registry client"))
    }

    /// Records one finished call as an [`Event::Called`]: what the
    /// [`no_call_fails_while_listed`](crate::checks::no_call_fails_while_listed)
    /// check and your own invariants read. `took` is how long it ran; `outcome`
    /// the reply, or why it failed, as text.
    ///
    /// Must be called from within this host's software.
    pub fn record_call(&self, method: &str, took: Duration, outcome: Result<String, String>) {
        self.observer().record(Event::Called {
            client: self.name().to_owned(),
            method: method.to_owned(),
            outcome,
            took,
        });
    }

    /// Runs `call` (a call of `method`, retries and all) and records it with
    /// [`record_call`](ClientHost::record_call): the reply as `{:?}`, an error as
    /// `<kind>: <error>` ([`error_kind`]).
    ///
    /// Must be called from within this host's software.
    pub async fn observe<R: fmt::Debug>(
        &self,
        method: &str,
        call: impl Future<Output = Result<R, Error>>,
    ) -> Result<R, Error> {
        let started = tokio::time::Instant::now();
        let outcome = call.await;
        let text = match &outcome {
            Ok(reply) => Ok(format!("{reply:?}")),
            Err(error) => Err(format!("{}: {error}", error_kind(error))),
        };
        self.record_call(method, started.elapsed(), text);
        outcome
    }
}

/// A short class for an error, so a scenario can tell clean failures (timeouts,
/// refused connections, no servers) from broken ones.
pub fn error_kind(error: &Error) -> &'static str {
    match error {
        _ if error.is_timeout() => "timeout",
        _ if error.is_connect() => "connect",
        Error::Transport(_) => "transport",
        Error::NoServers => "no-servers",
        Error::Stale { .. } => "stale",
        Error::Status { .. } => "status",
        _ => "other",
    }
}

/// A client host named `name`: a [`RegistryDiscovery`] sampled every tick, and
/// `software` (if any) running beside the sampling. The host fails if the
/// software fails; when it ends well, the sampling goes on.
pub(crate) fn client(
    name: &str,
    config: &HostConfig,
    software: Option<Software<ClientHost>>,
) -> Factory {
    let name: Arc<str> = name.into();
    let config = config.clone();
    Box::new(move || {
        let (name, config, software) = (name.clone(), config.clone(), software.clone());
        Box::pin(async move {
            let host = Host::new(&name, &config);
            let endpoint = config.endpoint.clone();
            let registry = RegistryClient::new(host.transport(), endpoint.clone())
                .with_rng_seed(host.seed_for("frontend"));
            let options = rollcall_client::DiscoveryOptions {
                rng_seed: Some(host.seed_for("discovery")),
                ..config.discovery.clone()
            };
            let discovery = SimDiscovery(Arc::new(RegistryDiscovery::new(registry, options)));
            let sampler = sample_loop(discovery.clone(), host.clone(), config.poll);
            let Some(software) = software else {
                sampler.await;
                return Ok(());
            };
            let user = tokio::task::spawn_local(software(ClientHost {
                host,
                discovery,
                endpoint,
            }));
            let mut sampler = std::pin::pin!(sampler);
            tokio::select! {
                biased;
                () = &mut sampler => Ok(()),
                joined = user => match joined {
                    Ok(Ok(())) => {
                        sampler.await;
                        Ok(())
                    }
                    Ok(Err(error)) => Err(error),
                    Err(error) => Err(join_failure(error).into()),
                },
            }
        })
    })
}

/// Why the client's software stopped without returning, in words that do not
/// depend on the process (tokio's task ids do: they are global).
fn join_failure(error: tokio::task::JoinError) -> String {
    if !error.is_panic() {
        return "client software was cancelled".to_owned();
    }
    let panic = error.into_panic();
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-text payload".to_owned());
    format!("client software panicked: {message}")
}

/// Records what the discovery hands out whenever it changes. Runs until the host
/// stops.
async fn sample_loop(discovery: SimDiscovery, host: Host, every: Duration) {
    let mut last: Option<Event> = None;
    loop {
        let event = match discovery.get_all().await {
            Ok(list) => Event::Served {
                client: host.name().to_owned(),
                servers: list.into_iter().map(|i| i.addr).collect(),
                last_error: discovery.last_error().map(|e| e.to_string()),
            },
            Err(error) => Event::ServeFailed {
                client: host.name().to_owned(),
                error: error.to_string(),
            },
        };
        if last.as_ref() != Some(&event) {
            host.observer().record(event.clone());
            last = Some(event);
        }
        tokio::time::sleep(every).await;
    }
}
