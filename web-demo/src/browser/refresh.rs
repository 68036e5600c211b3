//! One refresh of the service list: the registry's index, then each service's
//! instances and leases, through [`RegistryClient`] on the fetch transport.

use futures_util::future::join_all;
use rollcall_client::transport::FetchTransport;
use rollcall_client::{Error, RegistryClient, RegistryEndpoint};
use rollcall_protocol::{DEFAULT_SERVICE, Token};

use crate::view::ServiceView;

/// Fetches every service of the registry at `registry` with its alive instances
/// and their leases, sending `token` if there is one. Each request carries the
/// client's own timeout; the caller bounds the whole refresh too.
///
/// A failed index or instance list fails the refresh (the page then keeps its last
/// list, marked stale). A failed lease list only loses the heartbeat times.
pub async fn fetch_services(
    registry: &str,
    token: Option<&Token>,
    transport: &FetchTransport,
) -> Result<Vec<ServiceView>, Error> {
    let index = client(registry, DEFAULT_SERVICE, token, transport)
        .services()
        .await?;
    let services = index
        .services
        .iter()
        .map(|summary| fetch_service(registry, &summary.service, token, transport));
    join_all(services).await.into_iter().collect()
}

/// One service's instances joined with its leases.
async fn fetch_service(
    registry: &str,
    service: &str,
    token: Option<&Token>,
    transport: &FetchTransport,
) -> Result<ServiceView, Error> {
    let client = client(registry, service, token, transport);
    let (list, leases) = futures_util::future::join(client.list(None), client.leases()).await;
    // With no known revision the registry cannot answer "not modified"; if it does,
    // the answer is unusable.
    let list = list?.ok_or_else(|| Error::Malformed {
        url: registry.to_owned(),
        reason: format!("304 Not Modified for {service} without a known revision"),
    })?;
    Ok(ServiceView::new(list, leases.ok()))
}

/// A client of the JSON API for `service`, sending `token` if there is one.
pub fn client(
    registry: &str,
    service: &str,
    token: Option<&Token>,
    transport: &FetchTransport,
) -> RegistryClient<FetchTransport> {
    let client = RegistryClient::new(transport.clone(), RegistryEndpoint::json(registry, service));
    match token {
        Some(token) => client.with_token(token.clone()),
        None => client,
    }
}
