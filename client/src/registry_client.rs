//! Talking to a registry: register (or renew), deregister, list.
//!
//! One client speaks either protocol, chosen by its [`RegistryEndpoint`]: the seed's
//! header protocol (works against the Go seed too) or the JSON API, which adds named
//! services, metadata, weights, deregistration and revisions.

use std::time::Duration;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, IF_NONE_MATCH};
use http::{HeaderValue, Method, StatusCode};

use crate::error::Error;
use crate::protocol::{
    self, DEFAULT_SERVICE, HEADER_SERVER, HEADER_SERVERS, HEADER_TTL_MS, HEADER_WARMING, Instance,
    InstanceList, ListVersion, RegisterRequest, RegisterResponse, Token, paths,
};
use crate::transport::{HttpRequest, HttpResponse, Transport};

/// Per-request timeout of a [`RegistryClient`] unless changed with
/// [`RegistryClient::with_timeout`]: long enough for a loaded registry, short enough
/// that a partitioned one is noticed well within a heartbeat period.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Which registry to talk to, and in which protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryEndpoint {
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Seed { url: String },
    Json { base_url: String, service: String },
}

impl RegistryEndpoint {
    /// The seed protocol at its full URL, e.g. `http://localhost:9999/_rpc_/registry`.
    /// Its one service is [`DEFAULT_SERVICE`]; deregistration does not exist there.
    pub fn seed(url: impl Into<String>) -> Self {
        RegistryEndpoint {
            kind: Kind::Seed { url: url.into() },
        }
    }

    /// The JSON API of the registry at `base_url` (e.g. `http://127.0.0.1:9999`), for
    /// one named service.
    pub fn json(base_url: impl Into<String>, service: impl Into<String>) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        RegistryEndpoint {
            kind: Kind::Json {
                base_url,
                service: service.into(),
            },
        }
    }

    /// The service this endpoint registers into and lists.
    pub fn service(&self) -> &str {
        match &self.kind {
            Kind::Seed { .. } => DEFAULT_SERVICE,
            Kind::Json { service, .. } => service,
        }
    }

    /// Whether this is the seed's header protocol.
    pub fn is_seed(&self) -> bool {
        matches!(self.kind, Kind::Seed { .. })
    }
}

/// Registers, renews, deregisters and lists instances of one service of one registry.
///
/// Cheap to clone when the transport is (it shares the transport's pool).
#[derive(Debug, Clone)]
pub struct RegistryClient<T> {
    transport: T,
    endpoint: RegistryEndpoint,
    timeout: Duration,
    /// Sent as `Authorization: Bearer` on every request, if set. Its `Debug` hides it.
    token: Option<Token>,
}

impl<T: Transport> RegistryClient<T> {
    /// A client for `endpoint` over `transport`, with [`DEFAULT_REQUEST_TIMEOUT`].
    pub fn new(transport: T, endpoint: RegistryEndpoint) -> Self {
        RegistryClient {
            transport,
            endpoint,
            timeout: DEFAULT_REQUEST_TIMEOUT,
            token: None,
        }
    }

    /// Sends `token` with every request (`Authorization: Bearer <token>`), for a
    /// registry with tokens on: writes need a `write` token on the service, and
    /// reads a `read` token where reads are private. Heartbeats and discovery made
    /// from this client send it too. The seed's Go registry ignores it.
    pub fn with_token(mut self, token: Token) -> Self {
        self.token = Some(token);
        self
    }

    /// Changes the timeout of each request.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The endpoint this client talks to.
    pub fn endpoint(&self) -> &RegistryEndpoint {
        &self.endpoint
    }

    /// The timeout of each request.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// This client, for `service` of the same registry (JSON API; a seed endpoint
    /// has one service and is kept as it is).
    pub(crate) fn for_service(&self, service: &str) -> RegistryClient<T> {
        let mut client = self.clone();
        if let Kind::Json { service: named, .. } = &mut client.endpoint.kind {
            *named = service.to_owned();
        }
        client
    }

    /// Registers `request.addr`, or renews it if already registered, and returns the
    /// TTL the registry granted (zero: never expires). On the seed protocol only the
    /// address is sent; the TTL is read from `X-rpc-Ttl-Ms`, or assumed to be
    /// [`DEFAULT_TTL`](protocol::DEFAULT_TTL) for a registry (the Go seed) that does
    /// not send it.
    pub async fn register(&self, request: &RegisterRequest) -> Result<Duration, Error> {
        protocol::validate_addr(&request.addr)?;
        match &self.endpoint.kind {
            Kind::Seed { url } => {
                let req = http::Request::post(url.as_str())
                    .header(HEADER_SERVER, request.addr.as_str())
                    .body(Bytes::new())
                    .map_err(|_| Error::InvalidUrl(url.clone()))?;
                let response = self.exchange(url, req).await?;
                match response.headers().get(HEADER_TTL_MS) {
                    None => Ok(protocol::DEFAULT_TTL),
                    Some(value) => value
                        .to_str()
                        .ok()
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_millis)
                        .ok_or_else(|| malformed(url, format!("bad {HEADER_TTL_MS} header"))),
                }
            }
            Kind::Json { base_url, service } => {
                protocol::validate_service(service)?;
                let url = format!("{base_url}{}", paths::instances(service));
                let body = serde_json::to_vec(request).map_err(|e| Error::Codec(e.to_string()))?;
                let req = http::Request::post(url.as_str())
                    .header(CONTENT_TYPE, "application/json")
                    .body(Bytes::from(body))
                    .map_err(|_| Error::InvalidUrl(url.clone()))?;
                let response = self.exchange(&url, req).await?;
                let answer: RegisterResponse = serde_json::from_slice(response.body())
                    .map_err(|e| malformed(&url, e.to_string()))?;
                Ok(Duration::from_millis(answer.ttl_ms))
            }
        }
    }

    /// Removes `addr` from the service now rather than at its expiry. An address that
    /// is not registered is an [`Error::Status`] 404. The seed protocol cannot
    /// deregister: there this does nothing and the address expires after its TTL.
    pub async fn deregister(&self, addr: &str) -> Result<(), Error> {
        protocol::validate_addr(addr)?;
        match &self.endpoint.kind {
            Kind::Seed { url } => {
                tracing::debug!(%url, addr, "seed protocol has no deregistration; address will expire");
                Ok(())
            }
            Kind::Json { base_url, service } => {
                protocol::validate_service(service)?;
                let url = format!("{base_url}{}", paths::instance(service, addr));
                let req = request(Method::DELETE, &url)?;
                self.exchange(&url, req).await.map(drop)
            }
        }
    }

    /// The alive instances, or `None` when they have not changed since `known`
    /// (JSON API, `If-None-Match` answered `304`). The seed protocol has no versions:
    /// its list is always returned, with epoch and revision 0, addresses split on
    /// `,`, trimmed, empties dropped, as the seed's discovery does; `warming` when
    /// the registry sent [`HEADER_WARMING`] (rollcall does while it warms up).
    pub async fn list(&self, known: Option<ListVersion>) -> Result<Option<InstanceList>, Error> {
        match &self.endpoint.kind {
            Kind::Seed { url } => {
                let response = self.exchange(url, request(Method::GET, url)?).await?;
                let header = match response.headers().get(HEADER_SERVERS) {
                    None => "",
                    Some(value) => value
                        .to_str()
                        .map_err(|_| malformed(url, format!("{HEADER_SERVERS} is not text")))?,
                };
                Ok(Some(InstanceList {
                    service: DEFAULT_SERVICE.to_owned(),
                    epoch: 0,
                    revision: 0,
                    warming: response.headers().contains_key(HEADER_WARMING),
                    stale: false,
                    instances: parse_servers(header),
                }))
            }
            Kind::Json { base_url, service } => {
                protocol::validate_service(service)?;
                let url = format!("{base_url}{}", paths::service(service));
                let mut req = request(Method::GET, &url)?;
                if let Some(version) = known {
                    let etag = http::HeaderValue::from_str(&version.etag())
                        .map_err(|_| Error::InvalidUrl(url.clone()))?;
                    req.headers_mut().insert(IF_NONE_MATCH, etag);
                }
                let response = self.exchange(&url, req).await?;
                if response.status() == StatusCode::NOT_MODIFIED {
                    return Ok(None);
                }
                let list: InstanceList = serde_json::from_slice(response.body())
                    .map_err(|e| malformed(&url, e.to_string()))?;
                Ok(Some(list))
            }
        }
    }

    /// Sends `req`; a `2xx` or `304` answer is `Ok`, anything else an error.
    async fn exchange(&self, url: &str, req: HttpRequest) -> Result<HttpResponse, Error> {
        self.exchange_within(url, req, self.timeout).await
    }

    /// [`exchange`](Self::exchange) under `timeout` instead of the client's own: a
    /// blocking query is held by the server for its wait, and its timeout must
    /// exceed that. Every request goes through here, with the token, if any.
    pub(crate) async fn exchange_within(
        &self,
        url: &str,
        mut req: HttpRequest,
        timeout: Duration,
    ) -> Result<HttpResponse, Error> {
        if let Some(token) = &self.token {
            // The token's alphabet is that of a header value: this cannot fail.
            if let Ok(value) = HeaderValue::from_str(&token.bearer_header()) {
                req.headers_mut().insert(AUTHORIZATION, value);
            }
        }
        let response = self.transport.send(req, timeout).await?;
        let status = response.status();
        if status.is_success() || status == StatusCode::NOT_MODIFIED {
            Ok(response)
        } else {
            Err(Error::from_status(url, &response))
        }
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

pub(crate) fn request(method: Method, url: &str) -> Result<HttpRequest, Error> {
    http::Request::builder()
        .method(method)
        .uri(url)
        .body(Bytes::new())
        .map_err(|_| Error::InvalidUrl(url.to_owned()))
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
mod tests;

/// Read-only views for dashboards: the service index and the leases.
mod views;
