//! Where the etcd store finds etcd, who it is there, and how long it waits.

use std::time::Duration;

use etcd_client::ConnectOptions;

use super::error::{ETCD_MIN_TTL, EtcdError};
use super::keys::DEFAULT_ETCD_PREFIX;
use crate::RegistryConfig;

/// How long one etcd operation may take by default (`--etcd-timeout`): a leader
/// election takes about a second; past two, a heartbeat is better answered `503`
/// (and retried, perhaps at another frontend) than held.
pub const DEFAULT_ETCD_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a frontend keeps trying to load the registry from etcd at start
/// before giving up: long enough for etcd to come up beside it.
pub const DEFAULT_ETCD_START_TIMEOUT: Duration = Duration::from_secs(30);

/// gRPC keep-alive pings on the connection to etcd: a dead connection is noticed
/// within this plus the operation timeout even when nothing is sent.
const CONNECTION_PING: Duration = Duration::from_secs(5);

/// Where the etcd store finds etcd, and how long it waits for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcdConfig {
    /// `http://host:port` of one or more members of one cluster.
    pub endpoints: Vec<String>,
    /// Every key this registry writes starts with it ([`DEFAULT_ETCD_PREFIX`]).
    pub prefix: String,
    /// Longest wait for one etcd operation ([`DEFAULT_ETCD_TIMEOUT`]).
    pub timeout: Duration,
    /// Longest wait for etcd at start ([`DEFAULT_ETCD_START_TIMEOUT`]).
    pub start_timeout: Duration,
    /// The etcd user to act as, for a cluster with authentication on; `None`:
    /// none (a cluster with authentication on then refuses the start).
    pub credentials: Option<EtcdCredentials>,
}

impl EtcdConfig {
    /// Endpoints with the defaults for everything else.
    pub fn new(endpoints: Vec<String>) -> EtcdConfig {
        EtcdConfig {
            endpoints,
            prefix: DEFAULT_ETCD_PREFIX.to_owned(),
            timeout: DEFAULT_ETCD_TIMEOUT,
            start_timeout: DEFAULT_ETCD_START_TIMEOUT,
            credentials: None,
        }
    }

    /// Refuses what cannot work before anything connects.
    pub(super) fn check(&self, registry: &RegistryConfig) -> Result<(), EtcdError> {
        if self.endpoints.is_empty() {
            return Err(EtcdError::NoEndpoints);
        }
        if let Some(bad) = self.endpoints.iter().find(|e| !is_http(e)) {
            return Err(EtcdError::Endpoint(bad.clone()));
        }
        if self.timeout.is_zero() {
            return Err(EtcdError::ZeroTimeout);
        }
        if registry.min_ttl < ETCD_MIN_TTL {
            return Err(EtcdError::MinTtl(registry.min_ttl));
        }
        if self
            .credentials
            .as_ref()
            .is_some_and(|c| c.user.is_empty() || c.password.is_empty())
        {
            return Err(EtcdError::EmptyCredentials);
        }
        Ok(())
    }

    /// How every client of this store connects: bounded, pinging an idle
    /// connection, refusing a member without a leader, and, with credentials,
    /// authenticated (a token etcd has let expire is asked for again at once).
    pub(super) fn connect_options(&self) -> ConnectOptions {
        let options = ConnectOptions::new()
            .with_connect_timeout(self.timeout)
            .with_keep_alive(CONNECTION_PING, self.timeout)
            .with_keep_alive_while_idle(true)
            .with_require_leader(true);
        match &self.credentials {
            Some(c) => options
                .with_user(c.user.clone(), c.password.clone())
                .with_auto_token_refresh(true),
            None => options,
        }
    }
}

/// An etcd user name and password (`--etcd-user`, `--etcd-password-file`). Its
/// `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct EtcdCredentials {
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for EtcdCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdCredentials")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// Whether `endpoint` is a plain-HTTP URL (what this build of the client speaks).
fn is_http(endpoint: &str) -> bool {
    endpoint
        .strip_prefix("http://")
        .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_shows_in_debug_output() {
        let mut config = EtcdConfig::new(vec!["http://127.0.0.1:2379".to_owned()]);
        config.credentials = Some(EtcdCredentials {
            user: "frontend".to_owned(),
            password: "hunter2-very-secret".to_owned(),
        });
        let shown = format!("{config:?}");
        assert!(shown.contains("frontend"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn settings_that_cannot_work_are_refused_before_connecting() {
        let registry = RegistryConfig {
            min_ttl: ETCD_MIN_TTL,
            ..RegistryConfig::default()
        };
        let good = EtcdConfig::new(vec!["http://127.0.0.1:2379".to_owned()]);
        assert!(good.check(&registry).is_ok());
        let refused = |config: EtcdConfig| config.check(&registry).unwrap_err().to_string();
        assert!(refused(EtcdConfig::new(vec![])).contains("no etcd endpoint"));
        let tls = EtcdConfig::new(vec!["https://127.0.0.1:2379".to_owned()]);
        assert!(refused(tls).contains("not http://host:port"));
        let empty = EtcdConfig {
            credentials: Some(EtcdCredentials {
                user: "frontend".to_owned(),
                password: String::new(),
            }),
            ..good.clone()
        };
        assert!(refused(empty).contains("empty"));
        let short = RegistryConfig {
            min_ttl: Duration::from_secs(1),
            ..RegistryConfig::default()
        };
        assert!(matches!(good.check(&short), Err(EtcdError::MinTtl(_))));
    }
}
