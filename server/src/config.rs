//! What an operator can tune: the registry's TTL policy, limits and watches, and the
//! HTTP front's path, body limit, CORS origins and connection settings.
//!
//! Every default is a named constant saying where it comes from, so `main.rs`, the
//! tests and the simulator start from the same numbers.

use std::time::Duration;

use rollcall_protocol::{DEFAULT_PATH, DEFAULT_TTL};

use crate::dashboard::Dashboard;
use crate::http::{DEFAULT_BODY_READ_TIMEOUT, DEFAULT_MAX_BODY_BYTES};
use crate::serve::ConnOptions;
use crate::watch::WatchConfig;

/// Shortest TTL a client may ask for: below a second, heartbeats would flood the
/// registry for no gain in freshness.
pub const DEFAULT_MIN_TTL: Duration = Duration::from_secs(1);

/// Longest TTL a client may ask for: a day, so a forgotten instance does not linger
/// for weeks.
pub const DEFAULT_MAX_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// Most services one registry holds. Past it, registering a new service answers
/// `507 Insufficient Storage` (after services left empty are reclaimed).
pub const DEFAULT_MAX_SERVICES: usize = 10_000;

/// Most instances one registry holds, all services together. Past it, registering a
/// new instance answers `507 Insufficient Storage`; renewals still work.
pub const DEFAULT_MAX_INSTANCES: usize = 1_000_000;

/// CORS origin allowed by default: any, since the registry holds no credentials and
/// the browser dashboard may be served from anywhere.
pub const DEFAULT_CORS_ORIGIN: &str = "*";

/// Longest TTL the registry can store (it keeps TTLs as `u32` milliseconds: about 49
/// days).
pub const MAX_STORABLE_TTL: Duration = Duration::from_millis(u32::MAX as u64);

/// How long instances live and what TTLs clients may ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryConfig {
    /// TTL granted when a client asks for none, and to every seed-protocol heartbeat.
    /// `0` means "never expires", as in the seed. Default: the seed's 5 minutes
    /// ([`DEFAULT_TTL`]).
    pub default_ttl: Duration,
    /// Shortest TTL a client may request ([`DEFAULT_MIN_TTL`]).
    pub min_ttl: Duration,
    /// Longest TTL a client may request ([`DEFAULT_MAX_TTL`]).
    pub max_ttl: Duration,
    /// See [`DEFAULT_MAX_SERVICES`].
    pub max_services: usize,
    /// See [`DEFAULT_MAX_INSTANCES`].
    pub max_instances: usize,
    /// The epoch lists carry, telling clients a restarted registry from a changed
    /// one. `None` (the default) draws one at random when the registry starts; a
    /// simulation sets it from its seed.
    pub epoch: Option<u64>,
    /// The change log and the limits of held requests (blocking queries).
    pub watch: WatchConfig,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        RegistryConfig {
            default_ttl: DEFAULT_TTL,
            min_ttl: DEFAULT_MIN_TTL,
            max_ttl: DEFAULT_MAX_TTL,
            max_services: DEFAULT_MAX_SERVICES,
            max_instances: DEFAULT_MAX_INSTANCES,
            epoch: None,
            watch: WatchConfig::default(),
        }
    }
}

/// Why a [`RegistryConfig`] cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("min TTL ({min:?}) is greater than max TTL ({max:?})")]
    MinAboveMax { min: Duration, max: Duration },
    #[error("min TTL must be at least 1 ms (0 means \"never expires\" and is only a default)")]
    ZeroMin,
    #[error("TTL {0:?} is longer than the registry can store ({MAX_STORABLE_TTL:?})")]
    TooLong(Duration),
    #[error("default TTL {default:?} is outside [{min:?}, {max:?}] (use 0 for \"never expires\")")]
    DefaultOutOfBounds {
        default: Duration,
        min: Duration,
        max: Duration,
    },
}

impl RegistryConfig {
    /// Checks the TTL policy is coherent: `min <= max`, both storable, and the default
    /// either `0` (never expires) or within the bounds. [`Registry::new`] accepts any
    /// config (it clamps what it cannot store); call this first to refuse a bad one.
    ///
    /// [`Registry::new`]: crate::Registry::new
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.min_ttl.is_zero() {
            return Err(ConfigError::ZeroMin);
        }
        if self.min_ttl > self.max_ttl {
            return Err(ConfigError::MinAboveMax {
                min: self.min_ttl,
                max: self.max_ttl,
            });
        }
        for ttl in [self.default_ttl, self.max_ttl] {
            if ttl > MAX_STORABLE_TTL {
                return Err(ConfigError::TooLong(ttl));
            }
        }
        let d = self.default_ttl;
        if !d.is_zero() && (d < self.min_ttl || d > self.max_ttl) {
            return Err(ConfigError::DefaultOutOfBounds {
                default: d,
                min: self.min_ttl,
                max: self.max_ttl,
            });
        }
        Ok(())
    }
}

/// How the registry answers HTTP.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Where the seed protocol answers ([`DEFAULT_PATH`], the seed's `defaultPath`).
    pub seed_path: String,
    /// Largest request body read; larger bodies answer `413`
    /// ([`DEFAULT_MAX_BODY_BYTES`]).
    pub max_body_bytes: usize,
    /// How long a client may take to send a body once its headers arrived; slower
    /// bodies answer `408` ([`DEFAULT_BODY_READ_TIMEOUT`]).
    pub body_read_timeout: Duration,
    /// Origins allowed by CORS: `["*"]` ([`DEFAULT_CORS_ORIGIN`]) answers any origin
    /// with `*`; a list echoes a matching `Origin` (with `Vary: Origin`).
    pub cors_origins: Vec<String>,
    /// Header timeout and shutdown grace of the accept loop.
    pub conn: ConnOptions,
    /// The browser dashboard served at `/`, if one was loaded.
    pub dashboard: Option<Dashboard>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            seed_path: DEFAULT_PATH.to_owned(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            cors_origins: vec![DEFAULT_CORS_ORIGIN.to_owned()],
            conn: ConnOptions::default(),
            dashboard: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_follow_the_seed() {
        let config = RegistryConfig::default();
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.default_ttl, Duration::from_secs(300));
        assert_eq!(HttpConfig::default().seed_path, "/_rpc_/registry");
    }

    #[test]
    fn refuses_incoherent_bounds() {
        let base = RegistryConfig::default();
        let never = RegistryConfig {
            default_ttl: Duration::ZERO,
            ..base.clone()
        };
        assert_eq!(never.validate(), Ok(()));
        let inverted = RegistryConfig {
            min_ttl: Duration::from_secs(10),
            max_ttl: Duration::from_secs(5),
            default_ttl: Duration::ZERO,
            ..base.clone()
        };
        assert!(matches!(
            inverted.validate(),
            Err(ConfigError::MinAboveMax { .. })
        ));
        let outside = RegistryConfig {
            default_ttl: Duration::from_millis(10),
            ..base.clone()
        };
        assert!(matches!(
            outside.validate(),
            Err(ConfigError::DefaultOutOfBounds { .. })
        ));
        let huge = RegistryConfig {
            max_ttl: Duration::from_secs(100 * 24 * 3600),
            ..base
        };
        assert!(matches!(huge.validate(), Err(ConfigError::TooLong(_))));
    }
}
