//! The client's error type.

use crate::protocol::ProtocolError;
use crate::transport::TransportError;

/// Everything that can go wrong in the client. Cheap to clone, so one failed refresh
/// can be handed to every caller that waited on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// No response: connect failure, I/O error or per-request timeout.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The peer answered with an error status; `message` is its stated reason.
    #[error("{url} answered {status}: {message}")]
    Status {
        url: String,
        status: u16,
        message: String,
    },
    /// The peer answered 2xx with a body or header we cannot read.
    #[error("malformed response from {url}: {reason}")]
    Malformed { url: String, reason: String },
    /// An argument was refused before anything was sent.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// The registry URL or an address cannot be turned into a request.
    #[error("invalid url {0:?}")]
    InvalidUrl(String),
    /// Discovery has no server to offer.
    #[error("rpc discovery: no available servers")]
    NoServers,
    /// The caller's deadline passed before the operation finished.
    #[error("rpc: call: deadline exceeded")]
    DeadlineExceeded,
    /// The list of servers is older than the allowed stale age and the registry
    /// cannot be reached; `last` is the most recent refresh error.
    #[error("server list is stale beyond its maximum age: {last}")]
    Stale { last: Box<Error> },
    /// A call could not encode its arguments or decode its reply.
    #[error("codec: {0}")]
    Codec(String),
}

impl Error {
    /// Whether the error is a timeout: a request's own or the caller's deadline.
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            Error::DeadlineExceeded | Error::Transport(TransportError::Timeout(_))
        )
    }

    /// Whether the peer could not be reached at all.
    pub fn is_connect(&self) -> bool {
        matches!(self, Error::Transport(TransportError::Connect(_)))
    }

    /// The HTTP status the peer answered, if it answered with an error status.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Longest peer-supplied reason kept in [`Error::Status`]: enough for any message we
/// send, short enough that an HTML error page does not flood logs.
const MAX_STATUS_MESSAGE: usize = 512;

impl Error {
    /// The error for a non-2xx answer from `url`: the `error` field of a JSON
    /// [`ErrorBody`](crate::protocol::ErrorBody), else the body as plain text (the seed
    /// path), else the status's canonical reason.
    pub(crate) fn from_status(url: &str, response: &crate::transport::HttpResponse) -> Self {
        let status = response.status();
        let body = response.body();
        let message = match serde_json::from_slice::<crate::protocol::ErrorBody>(body) {
            Ok(parsed) => parsed.error,
            Err(_) => String::from_utf8_lossy(body).trim().to_owned(),
        };
        let message = if message.is_empty() {
            status
                .canonical_reason()
                .unwrap_or("no reason given")
                .to_owned()
        } else {
            message.chars().take(MAX_STATUS_MESSAGE).collect()
        };
        Error::Status {
            url: url.to_owned(),
            status: status.as_u16(),
            message,
        }
    }
}
