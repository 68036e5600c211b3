//! Every way the registry refuses a request, each with its HTTP status and a message
//! that is safe to show the client.
//!
//! The JSON API answers `{"error": "..."}`; the seed path answers the same message as
//! plain text, since seed clients only read headers and status. Nothing internal
//! (file names, lock states, debug output) ever reaches a message.

use std::time::Duration;

use http::header::{ALLOW, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderValue, StatusCode};
use rollcall_protocol::{HEADER_SERVER, ProtocolError, QueryError};

use crate::auth::AuthError;
use crate::http::{BodyError, Reply, respond};
use crate::watch::ChangesGone;

/// A refused request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// An address, service name, metadata or weight failed validation.
    #[error(transparent)]
    Invalid(#[from] ProtocolError),
    /// A seed-protocol `POST` without the address header.
    #[error("missing or empty {HEADER_SERVER} header")]
    MissingServerHeader,
    /// The body is not the JSON expected; carries serde's reason.
    #[error("invalid JSON: {0}")]
    BadJson(String),
    /// The body was too large, too slow, broken, or not JSON where JSON is needed.
    #[error(transparent)]
    Body(#[from] BodyError),
    /// The request's token is missing, unknown, or does not cover the service.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// A page of an origin not allowed to write tried to (CORS write origins).
    #[error("pages from {origin} may not write to this registry, nor send it a token")]
    OriginMayNotWrite { origin: String },
    /// An instance's metadata, keys and values together, over the configured total.
    #[error("invalid metadata: {bytes} bytes of keys and values, more than the limit of {max}")]
    MetadataTooLarge { bytes: usize, max: usize },
    /// A path segment with bad percent-encoding or that is not UTF-8.
    #[error("invalid percent-encoding in path")]
    BadPercentEncoding,
    /// A TTL below the server's minimum.
    #[error("ttl_ms {requested} is below the minimum of {min_ms} ms")]
    TtlTooShort { requested: u64, min_ms: u64 },
    /// A TTL above the server's maximum.
    #[error("ttl_ms {requested} is above the maximum of {max_ms} ms")]
    TtlTooLong { requested: u64, max_ms: u64 },
    /// `ttl_ms: 0` (never expire) where the server's default is not itself `0`.
    #[error("ttl_ms 0 (never expire) is not allowed by this registry; use {min_ms} to {max_ms} ms")]
    TtlZeroNotAllowed { min_ms: u64, max_ms: u64 },
    /// `DELETE` of an instance that is not registered.
    #[error("instance {addr} is not registered in service {service}")]
    NotRegistered { service: String, addr: String },
    /// No route at this path.
    #[error("not found")]
    NotFound,
    /// A route exists at this path, but not for this method.
    #[error("method not allowed (allowed: {allow})")]
    MethodNotAllowed { allow: &'static str },
    /// Registering a new service would exceed the configured maximum.
    #[error("registry full: at most {max} services")]
    TooManyServices { max: usize },
    /// Registering a new instance would exceed the configured maximum.
    #[error("registry full: at most {max} instances")]
    TooManyInstances { max: usize },
    /// A blocking query's `index`, `since`, `wait` or `epoch` is unreadable.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The change feed cannot answer from the client's `since`: list again.
    #[error(transparent)]
    Gone(#[from] ChangesGone),
    /// As many requests are held as the registry allows (`--max-watchers`).
    #[error("too many watchers: at most {max} requests are held at once; retry later")]
    TooManyWatchers { max: usize },
    /// The store cannot be reached (or did not answer in time): nothing was
    /// changed, or nothing can be promised; retry, here or at another frontend.
    /// `reason` is written for clients: no endpoint, no internal error text.
    #[error("the registry's store is unavailable ({reason}); retry later")]
    StoreUnavailable { reason: &'static str },
}

/// Seconds a client is told to wait (`Retry-After`) before retrying a request the
/// store could not serve: long enough for a leader election or a reconnect, short
/// enough that a heartbeat retried then still beats its TTL.
pub const RETRY_AFTER_SECS: u32 = 1;

/// How an error body is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorFormat {
    /// `{"error": "..."}`, `application/json`: the JSON API.
    Json,
    /// The message alone, `text/plain`: the seed path and anything outside `/v1`.
    Text,
}

impl ApiError {
    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Invalid(_)
            | ApiError::MissingServerHeader
            | ApiError::BadJson(_)
            | ApiError::BadPercentEncoding
            | ApiError::MetadataTooLarge { .. }
            | ApiError::TtlTooShort { .. }
            | ApiError::TtlTooLong { .. }
            | ApiError::TtlZeroNotAllowed { .. }
            | ApiError::Query(_) => StatusCode::BAD_REQUEST,
            ApiError::Body(error) => error.status(),
            ApiError::Auth(error) => error.status(),
            ApiError::OriginMayNotWrite { .. } => StatusCode::FORBIDDEN,
            ApiError::NotRegistered { .. } | ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooManyServices { .. } | ApiError::TooManyInstances { .. } => {
                StatusCode::INSUFFICIENT_STORAGE
            }
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::TooManyWatchers { .. } | ApiError::StoreUnavailable { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        }
    }

    /// The full response: status, body in `format`, `Allow` for a 405 and
    /// `WWW-Authenticate` for a 401.
    pub fn to_response(&self, format: ErrorFormat) -> Reply {
        let message = self.to_string();
        let mut response = match format {
            ErrorFormat::Json => respond::error_json(self.status(), message),
            ErrorFormat::Text => respond::text(self.status(), message),
        };
        if let ApiError::MethodNotAllowed { allow } = self {
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static(allow));
        }
        if let Some(challenge) = self.challenge() {
            response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
        }
        if let ApiError::StoreUnavailable { .. } = self {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
        }
        response
    }

    fn challenge(&self) -> Option<HeaderValue> {
        match self {
            ApiError::Auth(error) => error.challenge(),
            _ => None,
        }
    }
}

/// Milliseconds of a duration, saturating (for messages and the wire).
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::header::CONTENT_TYPE;
    use http_body_util::BodyExt;

    async fn body(response: Reply) -> Bytes {
        match response.into_body().collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(never) => match never {},
        }
    }

    #[tokio::test]
    async fn json_and_text_forms() {
        let error = ApiError::TtlTooShort {
            requested: 5,
            min_ms: 1000,
        };
        let json = error.to_response(ErrorFormat::Json);
        assert_eq!(json.status(), StatusCode::BAD_REQUEST);
        assert_eq!(json.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(
            &body(json).await[..],
            br#"{"error":"ttl_ms 5 is below the minimum of 1000 ms"}"#
        );
        let text = ApiError::MissingServerHeader.to_response(ErrorFormat::Text);
        assert_eq!(
            &body(text).await[..],
            b"missing or empty X-rpc-Server header"
        );
    }

    #[test]
    fn statuses_and_allow() {
        let error = ApiError::MethodNotAllowed { allow: "GET, POST" };
        let response = error.to_response(ErrorFormat::Text);
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[ALLOW], "GET, POST");
        assert_eq!(
            ApiError::Body(BodyError::TooLarge { limit: 1 }).status(),
            StatusCode::PAYLOAD_TOO_LARGE
        );
        assert_eq!(
            ApiError::TooManyInstances { max: 1 }.status(),
            StatusCode::INSUFFICIENT_STORAGE
        );
    }

    #[tokio::test]
    async fn an_unavailable_store_says_when_to_retry() {
        let error = ApiError::StoreUnavailable {
            reason: "etcd unreachable",
        };
        let response = error.to_response(ErrorFormat::Json);
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[RETRY_AFTER], "1");
        assert_eq!(
            &body(response).await[..],
            br#"{"error":"the registry's store is unavailable (etcd unreachable); retry later"}"#
        );
    }
}
