//! Reading a request body: bounded in size (413) and in time (408), so a client can
//! neither exhaust memory nor hold a connection open by trickling bytes.

use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use http::header::CONTENT_LENGTH;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;

use crate::ApiError;

/// How long a client may take to send a body once its headers arrived.
pub(super) const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads the whole body, refusing more than `limit` bytes (early, from
/// `Content-Length`, when the client declares it).
pub(super) async fn read(
    headers: &HeaderMap,
    body: Incoming,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(ApiError::BodyTooLarge { limit });
    }
    let collect = Limited::new(body, limit).collect();
    match tokio::time::timeout(BODY_READ_TIMEOUT, collect).await {
        Err(_elapsed) => Err(ApiError::BodyTimeout),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => {
            Err(ApiError::BodyTooLarge { limit })
        }
        Ok(Err(_)) => Err(ApiError::BodyRead),
    }
}
