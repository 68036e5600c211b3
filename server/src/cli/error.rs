//! Why a command failed, said in one line: the registry could not be reached, did
//! not answer in time, refused (with its reason), answered something unreadable,
//! or the input was refused before anything was sent.

use std::time::Duration;

use rollcall_client::{DEFAULT_REQUEST_TIMEOUT, Error, TransportError};

/// A failed command. Its `Display` is the line printed on stderr.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("cannot reach the registry at {registry}: {reason}")]
    Unreachable { registry: String, reason: String },
    #[error("the registry at {registry} did not answer within {timeout:?}")]
    Timeout { registry: String, timeout: Duration },
    #[error("the registry refused ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("unexpected answer from the registry at {registry}: {reason}")]
    Unexpected { registry: String, reason: String },
    #[error("{0}")]
    Invalid(String),
}

impl CliError {
    /// The error of a request to `registry` that failed with `error`.
    pub fn from_client(registry: &str, error: Error) -> CliError {
        let registry = registry.to_owned();
        match error {
            Error::Status {
                status, message, ..
            } => CliError::Refused { status, message },
            Error::Transport(TransportError::Timeout(timeout)) => {
                CliError::Timeout { registry, timeout }
            }
            Error::DeadlineExceeded => CliError::Timeout {
                registry,
                timeout: DEFAULT_REQUEST_TIMEOUT,
            },
            Error::Transport(TransportError::InvalidRequest(reason))
            | Error::InvalidUrl(reason) => {
                CliError::Invalid(format!("invalid registry URL {registry:?}: {reason}"))
            }
            Error::Transport(error) => CliError::Unreachable {
                registry,
                reason: error.to_string(),
            },
            Error::Protocol(error) => CliError::Invalid(error.to_string()),
            other => CliError::Unexpected {
                registry,
                reason: other.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_reads_as_one_line() {
        let refused = Error::Status {
            url: "http://r/v1/services/s/instances".to_owned(),
            status: 400,
            message: "ttl_ms 5 is below the minimum of 1000 ms".to_owned(),
        };
        assert_eq!(
            CliError::from_client("http://r", refused).to_string(),
            "the registry refused (400): ttl_ms 5 is below the minimum of 1000 ms"
        );
        let down = Error::Transport(TransportError::Connect("connection refused".to_owned()));
        assert_eq!(
            CliError::from_client("http://r", down).to_string(),
            "cannot reach the registry at http://r: connect failed: connection refused"
        );
        let slow = Error::Transport(TransportError::Timeout(Duration::from_secs(5)));
        assert_eq!(
            CliError::from_client("http://r", slow).to_string(),
            "the registry at http://r did not answer within 5s"
        );
        for error in [
            CliError::from_client("x", Error::InvalidUrl("x".to_owned())),
            CliError::from_client("http://r", Error::NoServers),
        ] {
            assert!(!error.to_string().contains('\n'), "{error}");
        }
    }
}
