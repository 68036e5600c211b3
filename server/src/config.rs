//! What an operator can tune: the registry's TTL policy, limits, warm-up and
//! watches, and the HTTP front's path, body limits, CORS origins, tokens and
//! connection settings.
//!
//! Every default is a named constant saying where it comes from, so `main.rs`, the
//! tests and the simulator start from the same numbers.

use std::time::Duration;

use rollcall_protocol::{DEFAULT_PATH, DEFAULT_TTL};

use crate::auth::Auth;
use crate::dashboard::Dashboard;
use crate::http::{DEFAULT_BODY_READ_TIMEOUT, DEFAULT_MAX_BODY_BYTES};
use crate::serve::{ConnOptions, ConnOptionsError};
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

/// Most bytes of metadata (keys and values together) one instance may carry: room
/// for a dozen labels, while a million instances cannot take gigabytes through it.
pub const DEFAULT_MAX_METADATA_BYTES: usize = 4096;

/// CORS origin allowed to read by default: any, since lists are not secret unless
/// reads are private, and the browser dashboard may be served from anywhere.
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
    /// See [`DEFAULT_MAX_METADATA_BYTES`].
    pub max_metadata_bytes: usize,
    /// The epoch lists carry, telling clients a restarted registry from a changed
    /// one. `None` (the default) draws one at random when the registry starts; a
    /// simulation sets it from its seed.
    pub epoch: Option<u64>,
    /// How long after its start the registry says it is warming up (see
    /// [`RegistryConfig::warmup`]); `None` (the default): the default TTL.
    pub warmup: Option<Duration>,
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
            max_metadata_bytes: DEFAULT_MAX_METADATA_BYTES,
            epoch: None,
            warmup: None,
            watch: WatchConfig::default(),
        }
    }
}

/// Why a [`RegistryConfig`] or an [`HttpConfig`] cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("the {0} must be at least 1")]
    ZeroLimit(&'static str),
    #[error(
        "{0:?} is not an origin: want `*` or scheme://host[:port], such as https://dash.example"
    )]
    BadOrigin(String),
    #[error(transparent)]
    Conn(#[from] ConnOptionsError),
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
    /// The warm-up window: for this long after it starts, the registry does not know
    /// every live instance yet (a restart lost them, and each comes back with its next
    /// heartbeat), so it says it is warming. The configured value, else the default
    /// TTL: a live instance on the default TTL beats again within it. A default TTL of
    /// `0` (never expires) still has beats, every [`DEFAULT_TTL`] less a minute, so
    /// then [`DEFAULT_TTL`].
    pub fn warmup(&self) -> Duration {
        match self.warmup {
            Some(warmup) => warmup,
            None if self.default_ttl.is_zero() => DEFAULT_TTL,
            None => self.default_ttl,
        }
    }

    /// Checks the TTL policy is coherent: `min <= max`, both storable, and the default
    /// either `0` (never expires) or within the bounds. [`Registry::new`] accepts any
    /// config (it clamps what it cannot store); call this first to refuse a bad one.
    ///
    /// [`Registry::new`]: crate::Registry::new
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (limit, what) in [
            (self.max_services, "service limit"),
            (self.max_instances, "instance limit"),
            (self.max_metadata_bytes, "metadata limit"),
        ] {
            if limit == 0 {
                return Err(ConfigError::ZeroLimit(what));
            }
        }
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
    /// Origins whose pages may read answers (CORS): `["*"]` ([`DEFAULT_CORS_ORIGIN`])
    /// answers any origin with `*`; a list echoes a matching `Origin` (with
    /// `Vary: Origin`).
    pub cors_origins: Vec<String>,
    /// Origins whose pages may write (register, deregister) or send a token: none by
    /// default, so a page on another site can show the list but not change it. A
    /// request that writes from any other `Origin` is refused with `403`, and so is
    /// its preflight. `*` allows every page (only for closed networks).
    pub cors_write_origins: Vec<String>,
    /// Tokens: off by default ([`Auth::off`]).
    pub auth: Auth,
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
            cors_write_origins: Vec::new(),
            auth: Auth::off(),
            conn: ConnOptions::default(),
            dashboard: None,
        }
    }
}

impl HttpConfig {
    /// Refuses settings that would serve nobody (a zero body limit or timeout, bad
    /// connection settings) and origins no browser could send.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.max_body_bytes == 0 {
            return Err(ConfigError::ZeroLimit("body limit"));
        }
        if self.body_read_timeout.is_zero() {
            return Err(ConfigError::ZeroLimit("body timeout"));
        }
        for origin in self.cors_origins.iter().chain(&self.cors_write_origins) {
            if !is_origin(origin) {
                return Err(ConfigError::BadOrigin(origin.clone()));
            }
        }
        self.conn.validate()?;
        Ok(())
    }
}

/// Whether `origin` is `*` or what a browser sends in `Origin`:
/// `scheme://host[:port]`, visible ASCII, no path.
fn is_origin(origin: &str) -> bool {
    if origin == "*" {
        return true;
    }
    let Some((scheme, host)) = origin.split_once("://") else {
        return false;
    };
    !scheme.is_empty()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        && !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"/?#,".contains(&b))
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
    fn warm_up_follows_the_default_ttl_unless_set() {
        let short = RegistryConfig {
            default_ttl: Duration::from_secs(10),
            ..RegistryConfig::default()
        };
        assert_eq!(short.warmup(), Duration::from_secs(10));
        let never = RegistryConfig {
            default_ttl: Duration::ZERO,
            ..RegistryConfig::default()
        };
        assert_eq!(never.warmup(), DEFAULT_TTL);
        let off = RegistryConfig {
            warmup: Some(Duration::ZERO),
            ..short
        };
        assert_eq!(off.warmup(), Duration::ZERO);
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
            ..base.clone()
        };
        assert!(matches!(huge.validate(), Err(ConfigError::TooLong(_))));
        let no_room = RegistryConfig {
            max_instances: 0,
            ..base
        };
        assert_eq!(
            no_room.validate(),
            Err(ConfigError::ZeroLimit("instance limit"))
        );
    }

    #[test]
    fn refuses_http_settings_that_serve_nobody() {
        assert_eq!(HttpConfig::default().validate(), Ok(()));
        let zero_body = HttpConfig {
            max_body_bytes: 0,
            ..HttpConfig::default()
        };
        assert_eq!(
            zero_body.validate(),
            Err(ConfigError::ZeroLimit("body limit"))
        );
        let mut zero_header = HttpConfig::default();
        zero_header.conn.header_read_timeout = Duration::ZERO;
        assert_eq!(
            zero_header.validate(),
            Err(ConfigError::Conn(ConnOptionsError::ZeroHeaderTimeout))
        );
        for bad in [
            "dash.example",
            "https://",
            "https://a/b",
            "https://a b",
            "*x",
        ] {
            let config = HttpConfig {
                cors_write_origins: vec![bad.to_owned()],
                ..HttpConfig::default()
            };
            assert!(config.validate().is_err(), "{bad}");
        }
        let fine = HttpConfig {
            cors_origins: vec!["https://a.example".to_owned()],
            cors_write_origins: vec!["http://127.0.0.1:8000".to_owned(), "*".to_owned()],
            ..HttpConfig::default()
        };
        assert_eq!(fine.validate(), Ok(()));
    }
}
