//! The JSON API under `/v1`: named services, metadata, weights, per-instance TTLs,
//! deregistration and revisions.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use rollcall_client::protocol::{RegisterRequest, validate_service};
use serde::Serialize;

use super::{body, route};
use crate::{ApiError, Registry};

/// `GET /v1/services`.
pub(super) fn index(registry: &Registry) -> Response<Full<Bytes>> {
    json(StatusCode::OK, &registry.index())
}

/// `GET /v1/services/{service}`: the cached list, or `304` if the client's
/// `If-None-Match` names the current epoch and revision.
pub(super) fn list(
    registry: &Registry,
    service: &str,
    headers: &HeaderMap,
) -> Result<Response<Full<Bytes>>, ApiError> {
    validate_service(service)?;
    let snapshot = registry.list(service);
    let etag = snapshot.version().etag();
    let mut response = if if_none_match(headers, &etag) {
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
    } else {
        let mut response = Response::new(Full::new(snapshot.body().clone()));
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    };
    // Hex digits, a dot and digits between quotes: always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(ETAG, value);
    }
    Ok(response)
}

/// `POST /v1/services/{service}/instances`: `201` created, `200` renewed.
pub(super) async fn register(
    registry: &Registry,
    service: &str,
    headers: &HeaderMap,
    request_body: Incoming,
    limit: usize,
) -> Result<Response<Full<Bytes>>, ApiError> {
    validate_service(service)?;
    let bytes = body::read(headers, request_body, limit).await?;
    // Lenient about Content-Type: a browser's fetch sends text/plain for a string.
    let request: RegisterRequest =
        serde_json::from_slice(&bytes).map_err(|e| ApiError::BadJson(e.to_string()))?;
    let registered = registry.register(service, request)?;
    let status = if registered.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(json(status, &registered))
}

/// `DELETE /v1/services/{service}/instances/{addr}`: `204`, or `404` if absent.
pub(super) fn deregister(
    registry: &Registry,
    service: &str,
    encoded_addr: &str,
) -> Result<Response<Full<Bytes>>, ApiError> {
    validate_service(service)?;
    let addr = route::decode_segment(encoded_addr)?;
    registry.deregister(service, &addr)?;
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    Ok(response)
}

/// `GET /v1/services/{service}/leases`.
pub(super) fn leases(
    registry: &Registry,
    service: &str,
) -> Result<Response<Full<Bytes>>, ApiError> {
    validate_service(service)?;
    Ok(json(StatusCode::OK, &registry.leases(service)))
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

fn json<T: Serialize>(status: StatusCode, value: &T) -> Response<Full<Bytes>> {
    match serde_json::to_vec(value) {
        Ok(body) => {
            let mut response = Response::new(Full::new(Bytes::from(body)));
            *response.status_mut() = status;
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        Err(error) => {
            tracing::error!(%error, "serialising a response failed");
            let mut response = Response::new(Full::new(Bytes::from_static(
                b"{\"error\":\"internal error\"}",
            )));
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            response
        }
    }
}
