//! The seed protocol at `/_rpc_/registry`: everything in headers, as GeeRPC day 7.
//! `POST` + `X-rpc-Server` registers or renews in service `default`; `GET` answers
//! `X-rpc-Servers`, the alive addresses sorted and comma-joined.

use http::{HeaderMap, HeaderValue, StatusCode};
use rollcall_protocol::{
    DEFAULT_SERVICE, HEADER_SERVER, HEADER_SERVERS, HEADER_TTL_MS, HEADER_WARMING, ProtocolError,
};

use crate::http::{Reply, respond};
use crate::store::Store;
use crate::{ApiError, Registry};

/// `GET`: the list in `X-rpc-Servers`, empty body; while the registry warms up,
/// also `X-rpc-Warming: true` (seed clients ignore it).
pub(super) fn list(registry: &Registry) -> Reply {
    let mut response = respond::empty(StatusCode::OK);
    let headers = response.headers_mut();
    headers.insert(HEADER_SERVERS, registry.servers_header(DEFAULT_SERVICE));
    if registry.warming() {
        headers.insert(HEADER_WARMING, HeaderValue::from_static("true"));
    }
    response
}

/// `POST`: a heartbeat for the address in `X-rpc-Server`; answers the granted TTL.
pub(super) async fn renew(store: &dyn Store, headers: &HeaderMap) -> Result<Reply, ApiError> {
    let value = headers
        .get(HEADER_SERVER)
        .filter(|v| !v.is_empty())
        .ok_or(ApiError::MissingServerHeader)?;
    let addr = value
        .to_str()
        .map_err(|_| ProtocolError::InvalidAddress("contains non-ASCII bytes"))?;
    let ttl = store.renew_seed(addr).await?;
    let mut response = respond::empty(StatusCode::OK);
    response
        .headers_mut()
        .insert(HEADER_TTL_MS, HeaderValue::from(crate::error::millis(ttl)));
    Ok(response)
}
