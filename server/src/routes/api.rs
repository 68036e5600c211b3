//! The JSON API under `/v1`: named services, metadata, weights, per-instance TTLs,
//! deregistration and revisions. Lists and the index also answer blocking queries
//! (`?index=N&wait=D`, see [`rollcall_protocol::watch`]).

use std::time::Duration;

use http::header::{ETAG, IF_NONE_MATCH};
use http::{HeaderMap, HeaderValue, StatusCode};
use hyper::body::Incoming;
use rollcall_protocol::{RegisterRequest, WatchQuery, validate_service};

use super::{route, watch};
use crate::auth::Scope;
use crate::http::{Reply, body, respond};
use crate::store::Store;
use crate::{ApiError, Registry};

/// `GET /v1/services[?index=N&wait=D&epoch=E]`: the service index, cached per
/// revision; held while nothing is newer than `index`. With private reads, only
/// the services `scope` may read, built for this request.
pub(super) async fn index(
    registry: &Registry,
    query: Option<&str>,
    scope: &Scope,
) -> Result<Reply, ApiError> {
    let answer = match WatchQuery::parse_list(query)? {
        None => registry.index_answer(),
        Some(query) => registry.watch_index(&query).await?,
    };
    if matches!(scope, Scope::All) {
        let reply = respond::json_bytes(StatusCode::OK, answer.body);
        return Ok(watch::indexed(reply, answer.revision));
    }
    let mut index = registry.index();
    index.services.retain(|s| scope.can_read(&s.service));
    let revision = index.revision;
    Ok(watch::indexed(
        respond::json(StatusCode::OK, &index),
        revision,
    ))
}

/// `GET /v1/services/{service}[?index=N&wait=D&epoch=E]`: the cached list (held
/// while nothing is newer than `index`), or `304` if the client's `If-None-Match`
/// names the epoch and revision it shows.
pub(super) async fn list(
    registry: &Registry,
    service: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Reply, ApiError> {
    validate_service(service)?;
    let snapshot = match WatchQuery::parse_list(query)? {
        None => registry.list(service),
        Some(query) => registry.watch_list(service, &query).await?,
    };
    let etag = snapshot.version().etag();
    let mut response = if if_none_match(headers, &etag) {
        respond::empty(StatusCode::NOT_MODIFIED)
    } else {
        respond::json_bytes(StatusCode::OK, snapshot.body().clone())
    };
    // Hex digits, a dot and digits between quotes: always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(ETAG, value);
    }
    Ok(watch::indexed(response, snapshot.revision()))
}

/// `POST /v1/services/{service}/instances`: `201` created, `200` renewed.
pub(super) async fn register(
    store: &dyn Store,
    service: &str,
    headers: &HeaderMap,
    request_body: Incoming,
    limit: usize,
    timeout: Duration,
) -> Result<Reply, ApiError> {
    validate_service(service)?;
    // A JSON body must say so: the types a page may send without a preflight are
    // refused before anything is read.
    body::require_json(headers)?;
    let bytes = body::read(headers, request_body, limit, timeout).await?;
    let request: RegisterRequest =
        serde_json::from_slice(&bytes).map_err(|e| ApiError::BadJson(e.to_string()))?;
    let registered = store.register(service, request).await?;
    let status = if registered.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(respond::json(status, &registered))
}

/// `DELETE /v1/services/{service}/instances/{addr}`: `204`, or `404` if absent.
pub(super) async fn deregister(
    store: &dyn Store,
    service: &str,
    encoded_addr: &str,
) -> Result<Reply, ApiError> {
    validate_service(service)?;
    let addr = route::decode_segment(encoded_addr)?;
    store.deregister(service, &addr).await?;
    Ok(respond::empty(StatusCode::NO_CONTENT))
}

/// `GET /v1/services/{service}/leases`.
pub(super) async fn leases(store: &dyn Store, service: &str) -> Result<Reply, ApiError> {
    validate_service(service)?;
    Ok(respond::json(StatusCode::OK, &store.leases(service).await?))
}

/// Whether `If-None-Match` names `etag` (quotes included; or is `*`).
fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}
