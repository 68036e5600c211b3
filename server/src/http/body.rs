//! Reading a request body: bounded in size (413) and in time (408), so a client can
//! neither exhaust memory nor hold a connection open by trickling bytes; and the
//! rule that a JSON body says so (415), so a page of another site cannot send one
//! as a CORS "simple request", which browsers send without asking first.

use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderMap, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Body;

/// Largest request body read by default: a registration with full metadata, or an
/// RPC call's arguments, are well under it.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// How long a client may take to send a body once its headers arrived, by default.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a body was not read. The message is safe to show the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Declared or sent larger than the limit.
    #[error("request body larger than {limit} bytes")]
    TooLarge { limit: usize },
    /// The body did not arrive in time.
    #[error("timed out reading the request body")]
    Timeout,
    /// The client went away or sent a broken stream.
    #[error("could not read the request body")]
    Read,
    /// A JSON body sent without `Content-Type: application/json`.
    #[error("Content-Type must be application/json (got {got})")]
    NotJson { got: String },
}

impl BodyError {
    /// The status this refusal answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            BodyError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::Timeout => StatusCode::REQUEST_TIMEOUT,
            BodyError::Read => StatusCode::BAD_REQUEST,
            BodyError::NotJson { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        }
    }
}

/// Longest client-sent content type repeated in a 415's message.
const MAX_SHOWN_CONTENT_TYPE: usize = 64;

/// Checks the request declares a JSON body: `application/json`, in any case, with
/// or without parameters (`; charset=utf-8`). Anything else is
/// [`BodyError::NotJson`]: browsers send `text/plain` and form types across
/// origins without a preflight, and a write must not be one of those.
pub(crate) fn require_json(headers: &HeaderMap) -> Result<(), BodyError> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Err(BodyError::NotJson {
            got: "no Content-Type".to_owned(),
        });
    };
    let text = String::from_utf8_lossy(value.as_bytes());
    let media_type = text.split(';').next().unwrap_or_default().trim();
    if media_type.eq_ignore_ascii_case("application/json") {
        return Ok(());
    }
    Err(BodyError::NotJson {
        got: text.chars().take(MAX_SHOWN_CONTENT_TYPE).collect(),
    })
}

/// Reads the whole body, refusing more than `limit` bytes (early, from
/// `Content-Length`, when the client declares it) or taking longer than `timeout`.
pub(crate) async fn read<B>(
    headers: &HeaderMap,
    body: B,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, BodyError>
where
    B: Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(BodyError::TooLarge { limit });
    }
    let collect = Limited::new(body, limit).collect();
    match tokio::time::timeout(timeout, collect).await {
        Err(_elapsed) => Err(BodyError::Timeout),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => {
            Err(BodyError::TooLarge { limit })
        }
        Ok(Err(_)) => Err(BodyError::Read),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use http_body_util::{Full, StreamBody};

    #[tokio::test]
    async fn reads_within_the_limit_and_refuses_beyond() {
        let headers = HeaderMap::new();
        let body = Full::new(Bytes::from_static(b"12345"));
        let read_ok = read(&headers, body, 5, DEFAULT_BODY_READ_TIMEOUT).await;
        assert_eq!(read_ok, Ok(Bytes::from_static(b"12345")));
        let body = Full::new(Bytes::from_static(b"123456"));
        let too_large = read(&headers, body, 5, DEFAULT_BODY_READ_TIMEOUT).await;
        assert_eq!(too_large, Err(BodyError::TooLarge { limit: 5 }));
        let mut declared = HeaderMap::new();
        declared.insert(CONTENT_LENGTH, "1000".parse().expect("header"));
        let body = Full::new(Bytes::new());
        let early = read(&declared, body, 5, DEFAULT_BODY_READ_TIMEOUT).await;
        assert_eq!(early, Err(BodyError::TooLarge { limit: 5 }));
    }

    #[test]
    fn only_json_is_json() {
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(value));
            require_json(&headers)
        };
        assert_eq!(with("application/json"), Ok(()));
        assert_eq!(with("Application/JSON; charset=utf-8"), Ok(()));
        for other in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonx",
        ] {
            let refused = with(other).expect_err(other);
            assert_eq!(refused.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
            assert_eq!(
                refused.to_string(),
                format!("Content-Type must be application/json (got {other})")
            );
        }
        assert_eq!(
            require_json(&HeaderMap::new()).map_err(|e| e.to_string()),
            Err("Content-Type must be application/json (got no Content-Type)".to_owned())
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_never_ends_times_out() {
        let stream =
            futures_util::stream::pending::<Result<hyper::body::Frame<Bytes>, std::io::Error>>();
        let body = StreamBody::new(stream);
        let outcome = read(&HeaderMap::new(), body, 5, Duration::from_secs(1)).await;
        assert_eq!(outcome, Err(BodyError::Timeout));
        assert_eq!(BodyError::Timeout.status(), StatusCode::REQUEST_TIMEOUT);
    }
}
