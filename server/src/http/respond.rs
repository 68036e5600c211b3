//! Answers as every handler writes them: JSON with its content type, errors as an
//! [`ErrorBody`] (or plain text where the client reads only status and headers),
//! and empty answers.

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;
use rollcall_protocol::ErrorBody;
use serde::Serialize;

use super::Reply;

/// The content type of every JSON answer.
pub(crate) const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// The content type of every plain-text answer.
pub(crate) const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");

/// `value` as JSON with `status`. Serialising our own types cannot fail; if it ever
/// did, the client gets a bare `500` and the reason goes to the log, not to it.
pub(crate) fn json<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Reply {
    match serde_json::to_vec(value) {
        Ok(body) => json_bytes(status, Bytes::from(body)),
        Err(error) => {
            tracing::error!(%error, "serialising a response failed");
            json_bytes(
                StatusCode::INTERNAL_SERVER_ERROR,
                Bytes::from_static(br#"{"error":"internal error"}"#),
            )
        }
    }
}

/// A body already serialised as JSON, with `status`.
pub(crate) fn json_bytes(status: StatusCode, body: Bytes) -> Reply {
    with_type(status, body, JSON)
}

/// `{"error": message}` with `status`.
pub(crate) fn error_json(status: StatusCode, message: String) -> Reply {
    json(status, &ErrorBody { error: message })
}

/// `message` alone, as plain text, with `status`.
pub(crate) fn text(status: StatusCode, message: impl Into<Bytes>) -> Reply {
    with_type(status, message.into(), TEXT)
}

/// No body, with `status`.
pub(crate) fn empty(status: StatusCode) -> Reply {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

/// `body` with `status` and `content_type`.
pub(crate) fn typed(status: StatusCode, body: Bytes, content_type: HeaderValue) -> Reply {
    with_type(status, body, content_type)
}

fn with_type(status: StatusCode, body: Bytes, content_type: HeaderValue) -> Reply {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, content_type);
    response
}
