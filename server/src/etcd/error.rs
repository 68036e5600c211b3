//! What can go wrong talking to etcd, and what a client is told.

use std::time::Duration;

use super::keys::PrefixError;
use crate::ApiError;

/// The shortest lease etcd grants (a shorter TTL is granted as this): the
/// registry's `--min-ttl` may not go below it, or clients would be promised TTLs
/// their leases do not have.
pub const ETCD_MIN_TTL: Duration = Duration::from_secs(2);

/// Why the etcd store could not start, or an operation failed.
#[derive(Debug, thiserror::Error)]
pub enum EtcdError {
    /// No endpoint was given.
    #[error("no etcd endpoint given (--etcd-endpoints http://host:2379[,...])")]
    NoEndpoints,
    /// An endpoint this client cannot use.
    #[error("etcd endpoint {0:?} is not http://host:port (TLS to etcd is not supported)")]
    Endpoint(String),
    /// A zero operation timeout would fail every operation.
    #[error("the etcd timeout must be above zero")]
    ZeroTimeout,
    /// The key prefix cannot be used.
    #[error(transparent)]
    Prefix(#[from] PrefixError),
    /// The registry's shortest TTL is below what etcd grants.
    #[error(
        "--min-ttl {0:?} is below the {ETCD_MIN_TTL:?} etcd grants at least: use --min-ttl 2s or more"
    )]
    MinTtl(Duration),
    /// etcd did not answer in time.
    #[error("etcd did not answer within {0:?}")]
    Timeout(Duration),
    /// The client or etcd failed.
    #[error("etcd: {0}")]
    Client(#[from] etcd_client::Error),
    /// A lease keep-alive stream ended with requests on it.
    #[error("the lease keep-alive stream to etcd ended")]
    StreamLost,
    /// An answer lacked what every etcd answer carries.
    #[error("etcd answered without a response header")]
    NoHeader,
    /// Credentials with an empty user name or password.
    #[error("the etcd user name and password must not be empty")]
    EmptyCredentials,
    /// etcd refused who this frontend is (or is not): waiting will not change it.
    #[error(
        "etcd refused this frontend: {0}; check --etcd-user and --etcd-password-file, and that the user's role may read and write the prefix"
    )]
    Refused(String),
    /// The first listing did not succeed before the start timeout.
    #[error("could not load the registry from etcd within {timeout:?}: {last}")]
    Start { timeout: Duration, last: String },
}

impl From<EtcdError> for ApiError {
    /// Clients learn only that the store is unavailable, and whether it was slow
    /// or refused this frontend: never an endpoint or etcd's own message (the
    /// log has it: see `health`).
    fn from(error: EtcdError) -> ApiError {
        let reason = match error {
            _ if error.refusal().is_some() => super::health::REFUSED,
            EtcdError::Timeout(_) => "etcd did not answer in time",
            _ => "etcd unreachable",
        };
        ApiError::StoreUnavailable { reason }
    }
}

impl EtcdError {
    /// etcd's answer that this client may not do this (no, wrong or expired
    /// credentials, or no permission), as against one it could not give now.
    pub(super) fn refusal(&self) -> Option<&str> {
        let EtcdError::Client(etcd_client::Error::GRpcStatus(status)) = self else {
            return None;
        };
        let message = status.message();
        let refused = match status.code() {
            tonic::Code::Unauthenticated | tonic::Code::PermissionDenied => true,
            tonic::Code::InvalidArgument | tonic::Code::FailedPrecondition => {
                message.contains("user") || message.contains("auth")
            }
            _ => false,
        };
        refused.then_some(message)
    }
}

/// Runs an etcd call under `timeout`.
pub(super) async fn bounded<T>(
    timeout: Duration,
    call: impl Future<Output = Result<T, etcd_client::Error>>,
) -> Result<T, EtcdError> {
    match tokio::time::timeout(timeout, call).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(EtcdError::Timeout(timeout)),
    }
}

/// The revision an answer's header names.
pub(super) fn revision(header: Option<&etcd_client::ResponseHeader>) -> Result<u64, EtcdError> {
    let header = header.ok_or(EtcdError::NoHeader)?;
    Ok(u64::try_from(header.revision()).unwrap_or(0))
}
