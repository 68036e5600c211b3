//! Which TTL a registration is granted: the server's default when it asks for none,
//! otherwise its own if within the server's bounds.

use std::time::Duration;

use crate::config::MAX_STORABLE_TTL;
use crate::error::millis;
use crate::{ApiError, RegistryConfig};

/// The TTL rules of one registry, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TtlPolicy {
    /// `0`: never expires.
    pub(super) default_ms: u32,
    min_ms: u64,
    max_ms: u64,
}

impl TtlPolicy {
    /// The policy of `config`, clamped to what the registry can store.
    pub(super) fn new(config: &RegistryConfig) -> TtlPolicy {
        let storable = |d: Duration| millis(d.min(MAX_STORABLE_TTL));
        let default_ms = u32::try_from(storable(config.default_ttl)).unwrap_or(u32::MAX);
        let max_ms = storable(config.max_ttl).max(1);
        let min_ms = millis(config.min_ttl).clamp(1, max_ms);
        TtlPolicy {
            default_ms,
            min_ms,
            max_ms,
        }
    }

    /// The TTL granted for a request of `requested` ms (`None`: the default).
    pub(super) fn grant(&self, requested: Option<u64>) -> Result<u32, ApiError> {
        let Some(requested) = requested else {
            return Ok(self.default_ms);
        };
        let (min_ms, max_ms) = (self.min_ms, self.max_ms);
        if requested == 0 {
            return if self.default_ms == 0 {
                Ok(0)
            } else {
                Err(ApiError::TtlZeroNotAllowed { min_ms, max_ms })
            };
        }
        if requested < min_ms {
            return Err(ApiError::TtlTooShort { requested, min_ms });
        }
        if requested > max_ms {
            return Err(ApiError::TtlTooLong { requested, max_ms });
        }
        // max_ms fits in u32: it is clamped to MAX_STORABLE_TTL.
        u32::try_from(requested).map_err(|_| ApiError::TtlTooLong { requested, max_ms })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(default_s: u64) -> TtlPolicy {
        TtlPolicy::new(&RegistryConfig {
            default_ttl: Duration::from_secs(default_s),
            ..RegistryConfig::default()
        })
    }

    #[test]
    fn default_bounds_and_zero() {
        let p = policy(300);
        assert_eq!(p.grant(None), Ok(300_000));
        assert_eq!(p.grant(Some(1000)), Ok(1000));
        assert_eq!(p.grant(Some(86_400_000)), Ok(86_400_000));
        assert!(matches!(
            p.grant(Some(999)),
            Err(ApiError::TtlTooShort { min_ms: 1000, .. })
        ));
        assert!(matches!(
            p.grant(Some(86_400_001)),
            Err(ApiError::TtlTooLong {
                max_ms: 86_400_000,
                ..
            })
        ));
        assert!(matches!(
            p.grant(Some(0)),
            Err(ApiError::TtlZeroNotAllowed { .. })
        ));
        let never = policy(0);
        assert_eq!(never.grant(Some(0)), Ok(0));
        assert_eq!(never.grant(None), Ok(0));
    }

    #[test]
    fn huge_config_is_clamped() {
        let p = TtlPolicy::new(&RegistryConfig {
            default_ttl: Duration::from_secs(u64::MAX),
            max_ttl: Duration::from_secs(u64::MAX),
            ..RegistryConfig::default()
        });
        assert_eq!(p.default_ms, u32::MAX);
        assert!(p.grant(Some(u64::MAX)).is_err());
    }
}
