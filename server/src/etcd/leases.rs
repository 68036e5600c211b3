//! The leases view over etcd: time since each instance's last heartbeat and time
//! left, from etcd's own count (`LeaseTimeToLive`), since heartbeats through other
//! frontends never reach this one. One round trip per instance, a bounded number at
//! a time, on this route only; etcd counts in whole seconds, so do these figures.

use futures_util::StreamExt;
use rollcall_protocol::{Lease, LeaseList, validate_service};

use super::Inner;
use super::error::{EtcdError, bounded};
use crate::ApiError;

/// Time since the last renewal and time left, from etcd's whole seconds: `left`
/// is the remaining time cut to the second (`-1`: the lease is gone), so the
/// middle of that second is the best guess (within half a second).
fn estimate(left: i64, granted: i64) -> Lease {
    let granted_ms = u64::try_from(granted).unwrap_or(0) * 1000;
    let expires_in_ms = match u64::try_from(left) {
        Ok(left) => (left * 1000 + 500).min(granted_ms),
        Err(_) => 0,
    };
    Lease {
        addr: String::new(),
        since_heartbeat_ms: granted_ms - expires_in_ms,
        expires_in_ms: Some(expires_in_ms),
    }
}

/// Lease look-ups in flight at once for one leases request.
const LOOKUPS: usize = 32;

/// The whole view may take this many operation timeouts, then answers `503`.
const BUDGET: u32 = 3;

impl Inner {
    pub(super) async fn leases(&self, service: &str) -> Result<LeaseList, ApiError> {
        validate_service(service)?;
        self.health.check()?;
        let (revision, instances) = self.mirror.instances_of(service);
        let lookups = instances.into_iter().map(|(addr, ttl_ms)| {
            let lease = self.book.get(service, &addr).map_or(0, |entry| entry.lease);
            async move { self.lease(addr, lease, ttl_ms).await }
        });
        let all = futures_util::stream::iter(lookups)
            .buffered(LOOKUPS)
            .collect::<Vec<_>>();
        let Ok(found) = tokio::time::timeout(self.timeout * BUDGET, all).await else {
            return Err(EtcdError::Timeout(self.timeout * BUDGET).into());
        };
        let leases = found.into_iter().collect::<Result<Vec<_>, _>>()?;
        Ok(LeaseList {
            service: service.to_owned(),
            revision,
            leases,
        })
    }

    async fn lease(&self, addr: String, lease: i64, ttl_ms: u32) -> Result<Lease, EtcdError> {
        if lease == 0 || ttl_ms == 0 {
            return Ok(Lease {
                addr,
                since_heartbeat_ms: 0,
                expires_in_ms: None,
            });
        }
        let mut leases = self.client.lease_client();
        let found = bounded(self.timeout, leases.time_to_live(lease, None)).await;
        self.health.saw(&self.mirror, &found);
        let found = found?;
        Ok(Lease {
            addr,
            ..estimate(found.ttl(), found.granted_ttl())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_read_as_their_middle() {
        let fresh = estimate(29, 30);
        assert_eq!(
            (fresh.since_heartbeat_ms, fresh.expires_in_ms),
            (500, Some(29_500))
        );
        let full = estimate(30, 30);
        assert_eq!(
            (full.since_heartbeat_ms, full.expires_in_ms),
            (0, Some(30_000))
        );
        let gone = estimate(-1, 30);
        assert_eq!(
            (gone.since_heartbeat_ms, gone.expires_in_ms),
            (30_000, Some(0))
        );
    }
}
