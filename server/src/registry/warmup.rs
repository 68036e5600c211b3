//! The warm-up window after a start: the registry's state is new (a restart lost
//! the old one), so for a while it lists only the instances that have beaten since.
//!
//! It says so rather than pretend: lists carry `warming`, the seed's `GET` the
//! [`HEADER_WARMING`](rollcall_protocol::HEADER_WARMING) header, `/readyz` answers
//! `503`. The window is plain time since the start ([`RegistryConfig::warmup`]), read
//! from tokio's clock so paused-time tests and simulations move it.
//!
//! [`RegistryConfig::warmup`]: crate::RegistryConfig::warmup

use std::time::Duration;

use tokio::time::Instant;

use super::Registry;

/// When the warm-up of one registry run ends.
#[derive(Debug, Clone, Copy)]
pub(super) struct Warmup {
    /// `None`: the end is too far to represent, which is "never" in practice.
    ends: Option<Instant>,
}

impl Warmup {
    /// A warm-up of `window` from `start`.
    pub(super) fn new(start: Instant, window: Duration) -> Warmup {
        Warmup {
            ends: start.checked_add(window),
        }
    }

    /// Time left now; zero once warm.
    fn left(&self) -> Duration {
        self.ends.map_or(Duration::MAX, |ends| {
            ends.saturating_duration_since(Instant::now())
        })
    }
}

impl Registry {
    /// Whether the registry is still warming up: it started less than its warm-up
    /// window ago, so live instances may be missing from its lists.
    pub fn warming(&self) -> bool {
        !self.warmup_left().is_zero()
    }

    /// Time left before the warm-up ends; zero once warm.
    pub fn warmup_left(&self) -> Duration {
        self.shared.warmup.left()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::RegistryConfig;

    #[tokio::test(start_paused = true)]
    async fn warm_up_ends_after_its_window() {
        let registry = Registry::new(RegistryConfig {
            warmup: Some(Duration::from_secs(30)),
            ..RegistryConfig::default()
        });
        assert!(registry.warming());
        assert_eq!(registry.warmup_left(), Duration::from_secs(30));
        tokio::time::advance(Duration::from_secs(29)).await;
        assert!(registry.warming());
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(!registry.warming());
        assert_eq!(registry.warmup_left(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn lists_change_version_when_warm_up_ends() {
        let registry = Registry::new(RegistryConfig {
            epoch: Some(0xab),
            warmup: Some(Duration::from_secs(10)),
            ..RegistryConfig::default()
        });
        let request = rollcall_protocol::RegisterRequest {
            addr: "h:1".to_owned(),
            metadata: Default::default(),
            weight: None,
            ttl_ms: None,
        };
        registry.register("a", request).expect("register");
        let warming = registry.list("a");
        assert!(warming.warming());
        assert_eq!(warming.version().etag(), "\"ab.1.w\"");
        assert!(std::str::from_utf8(warming.body()).is_ok_and(|b| b.contains(r#""warming":true"#)));
        assert!(
            Arc::ptr_eq(&warming, &registry.list("a")),
            "cached while warming"
        );
        assert!(registry.index().warming);
        assert!(registry.list("nobody").warming());

        tokio::time::advance(Duration::from_secs(10)).await;
        // Same revision, no membership change, yet another version: a client polling
        // with the warming list's ETag gets the warm list.
        let warm = registry.list("a");
        assert!(!warm.warming());
        assert_eq!(warm.revision(), warming.revision());
        assert_eq!(warm.version().etag(), "\"ab.1\"");
        assert!(std::str::from_utf8(warm.body()).is_ok_and(|b| b.contains(r#""warming":false"#)));
        assert!(Arc::ptr_eq(&warm, &registry.list("a")), "cached once warm");
        assert!(!registry.index().warming);
        assert!(!registry.list("nobody").warming());
    }

    #[tokio::test(start_paused = true)]
    async fn a_zero_window_is_warm_at_once() {
        let registry = Registry::new(RegistryConfig {
            warmup: Some(Duration::ZERO),
            ..RegistryConfig::default()
        });
        assert!(!registry.warming());
    }
}
