//! Talking to a registry: register (or renew), deregister, list.
//!
//! One client speaks either protocol, chosen by its [`RegistryEndpoint`]: the seed's
//! header protocol (works against the Go seed too) or the JSON API, which adds named
//! services, metadata, weights, deregistration and revisions.
//!
//! - `endpoint`: [`RegistryEndpoint`], one registry URL or several frontends';
//! - `exchange`: one request, sent on to the next frontend when one fails;
//! - `failover`: which frontend a request tries first, and which next;
//! - `views`: the service index and the leases, for dashboards.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, IF_NONE_MATCH};
use http::{HeaderName, HeaderValue, Method, StatusCode};

use crate::error::Error;
use crate::protocol::{
    self, DEFAULT_SERVICE, HEADER_SERVER, HEADER_SERVERS, HEADER_TTL_MS, HEADER_WARMING, Instance,
    InstanceList, ListVersion, RegisterRequest, RegisterResponse, Token, paths,
};
use crate::rt::Instant;
use crate::transport::Transport;

mod endpoint;
mod exchange;
mod failover;

pub use endpoint::{MAX_REGISTRY_URLS, RegistryEndpoint};
pub use failover::{FRONTEND_RETRY_MAX, FRONTEND_RETRY_MIN};

pub(crate) use exchange::{Answered, Call};
use failover::Frontends;

/// Per-request timeout of a [`RegistryClient`] unless changed with
/// [`RegistryClient::with_timeout`]: long enough for a loaded registry, short enough
/// that a partitioned one is noticed well within a heartbeat period.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Registers, renews, deregisters and lists instances of one service of one registry.
///
/// With several registry URLs ([`RegistryEndpoint::json_many`]), each request goes
/// to one frontend and moves on to the next when that one cannot be reached, does
/// not answer within the timeout, or answers `500`, `502`, `503` or `504`; any other
/// answer (a `4xx` included) is the registry's and is returned. Requests start at
/// the frontend that answered last; each client starts at a frontend of its own,
/// drawn at random ([`with_rng_seed`](Self::with_rng_seed)), so a fleet spreads,
/// and goes back to it once it has had time to return ([`FRONTEND_RETRY_MIN`]).
///
/// Cheap to clone when the transport is (it shares the transport's pool); clones
/// share what was learnt about the frontends.
#[derive(Debug, Clone)]
pub struct RegistryClient<T> {
    transport: T,
    endpoint: RegistryEndpoint,
    timeout: Duration,
    /// Sent as `Authorization: Bearer` on every request, if set. Its `Debug` hides it.
    token: Option<Token>,
    frontends: Arc<Frontends>,
}

impl<T: Transport> RegistryClient<T> {
    /// A client for `endpoint` over `transport`, with [`DEFAULT_REQUEST_TIMEOUT`];
    /// with several URLs, the first frontend is drawn from the OS's randomness.
    pub fn new(transport: T, endpoint: RegistryEndpoint) -> Self {
        let frontends = Arc::new(Frontends::new(endpoint.urls().len(), None));
        RegistryClient {
            transport,
            endpoint,
            timeout: DEFAULT_REQUEST_TIMEOUT,
            token: None,
            frontends,
        }
    }

    /// Draws the frontend this client starts at from `seed` instead, for
    /// reproducible runs (starts afresh: nothing learnt so far is kept).
    pub fn with_rng_seed(mut self, seed: u64) -> Self {
        self.frontends = Arc::new(Frontends::new(self.endpoint.urls().len(), Some(seed)));
        self
    }

    /// Sends `token` with every request (`Authorization: Bearer <token>`), for a
    /// registry with tokens on: writes need a `write` token on the service, and
    /// reads a `read` token where reads are private. Heartbeats and discovery made
    /// from this client send it too. The seed's Go registry ignores it.
    pub fn with_token(mut self, token: Token) -> Self {
        self.token = Some(token);
        self
    }

    /// Changes the timeout of each request to one frontend.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The endpoint this client talks to.
    pub fn endpoint(&self) -> &RegistryEndpoint {
        &self.endpoint
    }

    /// The timeout of each request to one frontend.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The longest one request may take: the timeout once per registry URL, since
    /// a request tries each frontend at most once.
    pub fn longest_request(&self) -> Duration {
        let urls = u32::try_from(self.endpoint.urls().len()).unwrap_or(u32::MAX);
        self.timeout.saturating_mul(urls)
    }

    /// The registry URL the next request goes to first: the one that answered last,
    /// or this client's own once it is due to be tried again.
    pub fn frontend(&self) -> &str {
        &self.endpoint.urls()[self.frontends.first(Instant::now())]
    }

    /// This client, for `service` of the same registry (JSON API; a seed endpoint
    /// has one service and is kept as it is). It shares the token, the timeout
    /// and what was learnt about the frontends: a page or a tool that talks about
    /// many services keeps one client and derives the others from it.
    pub fn for_service(&self, service: &str) -> RegistryClient<T> {
        let mut client = self.clone();
        client.endpoint = self.endpoint.for_service(service);
        client
    }

    /// Registers `request.addr`, or renews it if already registered, and returns the
    /// TTL the registry granted (zero: never expires). On the seed protocol only the
    /// address is sent; the TTL is read from `X-rpc-Ttl-Ms`, or assumed to be
    /// [`DEFAULT_TTL`](protocol::DEFAULT_TTL) for a registry (the Go seed) that does
    /// not send it.
    pub async fn register(&self, request: &RegisterRequest) -> Result<Duration, Error> {
        protocol::validate_addr(&request.addr)?;
        if self.endpoint.is_seed() {
            // A valid address is a valid header value, and the name is a constant.
            let (Ok(name), Ok(addr)) = (
                HeaderName::from_bytes(HEADER_SERVER.as_bytes()),
                HeaderValue::from_str(&request.addr),
            ) else {
                return Err(Error::InvalidUrl(request.addr.clone()));
            };
            let call = Call::new(Method::POST, "").header(name, addr);
            let Answered { url, response } = self.send(call).await?;
            return match response.headers().get(HEADER_TTL_MS) {
                None => Ok(protocol::DEFAULT_TTL),
                Some(value) => value
                    .to_str()
                    .ok()
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_millis)
                    .ok_or_else(|| malformed(&url, format!("bad {HEADER_TTL_MS} header"))),
            };
        }
        let service = self.endpoint.service();
        protocol::validate_service(service)?;
        let body = serde_json::to_vec(request).map_err(|e| Error::Codec(e.to_string()))?;
        let call = Call::new(Method::POST, paths::instances(service))
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(Bytes::from(body));
        let Answered { url, response } = self.send(call).await?;
        let answer: RegisterResponse =
            serde_json::from_slice(response.body()).map_err(|e| malformed(&url, e.to_string()))?;
        Ok(Duration::from_millis(answer.ttl_ms))
    }

    /// Removes `addr` from the service now rather than at its expiry. An address that
    /// is not registered is an [`Error::Status`] 404. The seed protocol cannot
    /// deregister: there this does nothing and the address expires after its TTL.
    pub async fn deregister(&self, addr: &str) -> Result<(), Error> {
        protocol::validate_addr(addr)?;
        if self.endpoint.is_seed() {
            tracing::debug!(
                addr,
                "seed protocol has no deregistration; address will expire"
            );
            return Ok(());
        }
        let service = self.endpoint.service();
        protocol::validate_service(service)?;
        let call = Call::new(Method::DELETE, paths::instance(service, addr));
        self.send(call).await.map(drop)
    }

    /// The alive instances, or `None` when they have not changed since `known`
    /// (JSON API, `If-None-Match` answered `304`). The seed protocol has no versions:
    /// its list is always returned, with epoch and revision 0, addresses split on
    /// `,`, trimmed, empties dropped, as the seed's discovery does; `warming` when
    /// the registry sent [`HEADER_WARMING`] (rollcall does while it warms up).
    pub async fn list(&self, known: Option<ListVersion>) -> Result<Option<InstanceList>, Error> {
        if self.endpoint.is_seed() {
            let Answered { url, response } = self.send(Call::get("")).await?;
            let header = match response.headers().get(HEADER_SERVERS) {
                None => "",
                Some(value) => value
                    .to_str()
                    .map_err(|_| malformed(&url, format!("{HEADER_SERVERS} is not text")))?,
            };
            return Ok(Some(InstanceList {
                service: DEFAULT_SERVICE.to_owned(),
                epoch: 0,
                revision: 0,
                warming: response.headers().contains_key(HEADER_WARMING),
                stale: false,
                instances: parse_servers(header),
            }));
        }
        let service = self.endpoint.service();
        protocol::validate_service(service)?;
        let mut call = Call::get(paths::service(service));
        if let Some(version) = known {
            let etag = HeaderValue::from_str(&version.etag())
                .map_err(|_| Error::InvalidUrl(version.etag()))?;
            call = call.header(IF_NONE_MATCH, etag);
        }
        let Answered { url, response } = self.send(call).await?;
        if response.status() == StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        let list: InstanceList =
            serde_json::from_slice(response.body()).map_err(|e| malformed(&url, e.to_string()))?;
        Ok(Some(list))
    }
}

/// Parses the seed's `X-rpc-Servers` header.
fn parse_servers(header: &str) -> Vec<Instance> {
    header
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Instance::from_addr)
        .collect()
}

pub(crate) fn malformed(url: &str, reason: String) -> Error {
    Error::Malformed {
        url: url.to_owned(),
        reason,
    }
}

/// Natively the client's futures must be `Send` (heartbeats and discovery run them on
/// tokio workers): checked at compile time over the real transport.
#[cfg(not(target_arch = "wasm32"))]
const _: fn(&RegistryClient<crate::transport::HyperTransport>, &RegisterRequest) =
    |client, request| {
        fn assert_send<F: Send>(_: F) {}
        assert_send(client.register(request));
        assert_send(client.deregister("h:1"));
        assert_send(client.list(None));
    };

/// An in-memory [`Transport`] for the unit tests of every module.
#[cfg(test)]
pub(crate) mod fake;

#[cfg(test)]
pub(crate) mod failover_tests;
#[cfg(test)]
mod tests;

/// Read-only views for dashboards: the service index and the leases.
mod views;
