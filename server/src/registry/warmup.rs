//! The warm-up window after a start: the registry's state is new (a restart lost
//! the old one), so for a while it lists only the instances that have beaten since.
//!
//! It says so rather than pretend: lists carry `warming`, the seed's `GET` the
//! [`HEADER_WARMING`](rollcall_protocol::HEADER_WARMING) header, `/readyz` answers
//! `503`. The window is plain time since the start ([`RegistryConfig::warmup`]), read
//! from tokio's clock so paused-time tests and simulations move it.
//!
//! Its end is a change of every service: the registry's revision moves on once and
//! every service (and every service it does not hold) takes that revision, so each
//! list, the index and the change feed have something new to say (`warming: false`)
//! and every held request is woken to say it. A watcher never waits out its wait to
//! learn that the warm-up is over.
//!
//! [`RegistryConfig::warmup`]: crate::RegistryConfig::warmup

use std::time::Duration;

use tokio::time::Instant;

use super::state::State;
use super::{Registry, Shared};

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

impl Warmup {
    /// When the warm-up ends, if that is still to come and can be waited for: the
    /// expiry task (see `expiry.rs`) sleeps until then too, and ends it.
    pub(super) fn pending_end(&self) -> Option<Instant> {
        self.ends.filter(|_| !self.left().is_zero())
    }
}

impl Shared {
    /// Ends the warm-up: a change of every service, then every held request is
    /// woken (the lock released first) to answer it.
    pub(super) fn end_warmup(&self) {
        self.lock().end_warmup();
        self.hub.notify_all();
    }
}

impl State {
    /// The warm-up is over: one new revision, taken by every service held and by
    /// every service not held (through `forgotten`), their cached answers dropped.
    pub(super) fn end_warmup(&mut self) {
        self.revision += 1;
        let revision = self.revision;
        for service in self.services.iter_mut().flatten() {
            service.changed(revision);
        }
        self.forgotten = revision;
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

    /// A registry of epoch `ab`, warming for 10 s, with `h:1` in service `a`
    /// (revision 1).
    fn warming_with_one_instance() -> Registry {
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
        registry
    }

    #[tokio::test(start_paused = true)]
    async fn lists_change_version_when_warm_up_ends() {
        let registry = warming_with_one_instance();
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
        // Let the registry's task, woken by the clock, end the warm-up.
        tokio::time::sleep(Duration::from_millis(1)).await;
        // No membership change, yet a change: every list (and the index) has news.
        let warm = registry.list("a");
        assert!(!warm.warming());
        assert_eq!(warm.revision(), warming.revision() + 1);
        assert_eq!(warm.version().etag(), "\"ab.2\"");
        assert!(std::str::from_utf8(warm.body()).is_ok_and(|b| b.contains(r#""warming":false"#)));
        assert!(Arc::ptr_eq(&warm, &registry.list("a")), "cached once warm");
        let index = registry.index();
        assert!(!index.warming);
        assert_eq!(index.revision, 2);
        let nobody = registry.list("nobody");
        assert!(!nobody.warming());
        assert_eq!(nobody.revision(), 2, "a service not held moves on too");
    }

    #[tokio::test(start_paused = true)]
    async fn held_requests_wake_when_warm_up_ends() {
        let registry = warming_with_one_instance();
        let query = |after| rollcall_protocol::WatchQuery {
            after,
            wait: Duration::from_secs(60),
            epoch: Some(0xab),
        };
        let (at_one, at_zero) = (query(1), query(0));
        let started = Instant::now();
        let (list, index, changes, nobody) = tokio::join!(
            registry.watch_list("a", &at_one),
            registry.watch_index(&at_one),
            registry.watch_changes("a", &at_one),
            registry.watch_list("nobody", &at_zero),
        );
        assert_eq!(
            started.elapsed(),
            Duration::from_secs(10),
            "woken at the end"
        );
        let list = list.expect("list");
        assert!(!list.warming());
        assert_eq!(list.revision(), 2);
        assert_eq!(index.expect("index").revision, 2);
        let changes = changes.expect("changes");
        let batch: rollcall_protocol::ChangeBatch =
            serde_json::from_slice(&changes.body).expect("batch");
        assert_eq!((batch.revision, batch.warming), (2, false));
        assert!(batch.events.is_empty());
        assert!(!nobody.expect("nobody").warming());
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
