//! Writes: registrations, heartbeats and deregistrations, as etcd operations.
//!
//! - A heartbeat whose data the mirror already holds is one lease keep-alive, or
//!   nothing if this frontend renewed the lease less than TTL / [`COALESCE_DIVISOR`]
//!   ago.
//! - New data (or a lease found gone) is a fresh lease with the instance's TTL and
//!   one put of the key under it; a lease the key leaves is revoked. The answer
//!   waits until the mirror has seen the put, so this frontend lists what it just
//!   said it registered.
//! - Deregistration deletes the key and writes a marker under the same lease in one
//!   transaction (so the feed can say `deregister`), then revokes the lease.

use std::time::Duration;

use etcd_client::{Compare, CompareOp, PutOptions, Txn, TxnOp};
use rollcall_protocol::{
    DEFAULT_SERVICE, DEFAULT_WEIGHT, Instance, RegisterRequest, RegisterResponse, validate_addr,
    validate_service,
};
use tokio::time::Instant;
use tracing::warn;

use super::counters::Counters;
use super::error::{ETCD_MIN_TTL, EtcdError, bounded, revision};
use super::keepalive::Renewed;
use super::{COALESCE_DIVISOR, Inner, keys};
use crate::ApiError;
use crate::registry::{Held, Update};

/// Tries a deregistration makes when the instance changes under it (a
/// concurrent registration through another frontend).
const DEREGISTER_ATTEMPTS: usize = 3;

/// What a write did.
struct Upserted {
    created: bool,
    revision: u64,
}

impl Inner {
    pub(super) async fn register(
        &self,
        service: &str,
        request: RegisterRequest,
    ) -> Result<RegisterResponse, ApiError> {
        let update = self.mirror.registry().prepare(service, &request)?;
        let ttl_ms = update.ttl_ms;
        let upserted = self.upsert(service, &request.addr, update).await?;
        Ok(RegisterResponse {
            service: service.to_owned(),
            addr: request.addr,
            ttl_ms: u64::from(ttl_ms),
            created: upserted.created,
            revision: upserted.revision,
        })
    }

    pub(super) async fn renew_seed(&self, addr: &str) -> Result<Duration, ApiError> {
        let update = self.mirror.registry().prepare_seed(addr)?;
        let ttl_ms = update.ttl_ms;
        self.upsert(DEFAULT_SERVICE, addr, update).await?;
        Ok(Duration::from_millis(u64::from(ttl_ms)))
    }

    async fn upsert(
        &self,
        service: &str,
        addr: &str,
        update: Update,
    ) -> Result<Upserted, ApiError> {
        self.health.check()?;
        if self.mirror.compare(service, addr, &update) == Held::Same
            && let Some(entry) = self.book.get(service, addr)
            && self.renew(service, addr, entry, update.ttl_ms).await?
        {
            self.mirror.renewed();
            return Ok(Upserted {
                created: false,
                revision: self.mirror.service_revision(service),
            });
        }
        // The mirror cannot vouch for a renewal: it may not have seen another
        // frontend's write yet. etcd's own copy decides (a read, no write).
        let current = self.current(service, addr).await?;
        match &current {
            Some((stored, lease, at)) if same(stored, &update) => {
                let entry = super::book::Entry {
                    lease: *lease,
                    renewed: None,
                };
                if self.renew(service, addr, entry, update.ttl_ms).await? {
                    self.mirror.renewed();
                    let seen = self.seen(*at).await;
                    return Ok(Upserted {
                        created: false,
                        revision: if seen {
                            self.mirror.service_revision(service)
                        } else {
                            *at
                        },
                    });
                }
            }
            Some(_) => {}
            None => self.mirror.room_for(service)?,
        }
        let stored = current.map(|(stored, ..)| stored);
        Ok(self.write(service, addr, &update, stored).await?)
    }

    /// The instance `addr` of `service` as etcd holds it, with its lease and the
    /// revision of its last write.
    async fn current(
        &self,
        service: &str,
        addr: &str,
    ) -> Result<Option<(Instance, i64, u64)>, EtcdError> {
        let mut kv = self.client.kv_client();
        let got = bounded(
            self.timeout,
            kv.get(self.keys.instance(service, addr), None),
        )
        .await;
        self.health.saw(&self.mirror, &got);
        Ok(got?.kvs().first().and_then(|kv| {
            let at = u64::try_from(kv.mod_revision()).unwrap_or(0);
            keys::decode(addr, kv.value()).map(|instance| (instance, kv.lease(), at))
        }))
    }

    /// Keeps the lease of an instance whose data is unchanged alive; `false` if the
    /// lease is gone (the instance must be written again).
    async fn renew(
        &self,
        service: &str,
        addr: &str,
        entry: super::book::Entry,
        ttl_ms: u32,
    ) -> Result<bool, EtcdError> {
        if entry.lease == 0 {
            // A key without a lease never expires: nothing to keep alive.
            return Ok(ttl_ms == 0);
        }
        let now = Instant::now();
        let recent = Duration::from_millis(u64::from(ttl_ms) / u64::from(COALESCE_DIVISOR));
        if entry
            .renewed
            .is_some_and(|at| now.duration_since(at) < recent)
        {
            Counters::add(&self.counters.coalesced);
            return Ok(true);
        }
        Counters::add(&self.counters.keepalives);
        let renewed = self.keepalives.renew(entry.lease).await;
        self.health.saw(&self.mirror, &renewed);
        match renewed? {
            Renewed::Alive => {
                self.book.renewed(service, addr, entry.lease, now);
                Ok(true)
            }
            Renewed::Gone => Ok(false),
        }
    }

    /// Puts the instance under a fresh lease with its TTL; what `update` leaves
    /// unsaid (a seed heartbeat's metadata and weight) is kept from `stored`.
    async fn write(
        &self,
        service: &str,
        addr: &str,
        update: &Update,
        stored: Option<Instance>,
    ) -> Result<Upserted, EtcdError> {
        let instance = Instance {
            addr: addr.to_owned(),
            metadata: match (&update.metadata, &stored) {
                (Some(metadata), _) => metadata.clone(),
                (None, Some(stored)) => stored.metadata.clone(),
                (None, None) => Default::default(),
            },
            weight: update
                .weight
                .or(stored.map(|s| s.weight))
                .unwrap_or(DEFAULT_WEIGHT),
            ttl_ms: u64::from(update.ttl_ms),
        };
        let now = Instant::now();
        let lease = match update.ttl_ms {
            0 => 0,
            ttl_ms => self.grant(lease_seconds(ttl_ms)).await?,
        };
        let options = PutOptions::new().with_lease(lease).with_prev_key();
        let key = self.keys.instance(service, addr);
        let mut kv = self.client.kv_client();
        let put = bounded(
            self.timeout,
            kv.put(key, keys::encode(&instance), Some(options)),
        )
        .await;
        self.health.saw(&self.mirror, &put);
        let put = match put {
            Ok(put) => put,
            Err(err) => {
                self.revoke_later(lease);
                return Err(err);
            }
        };
        Counters::add(&self.counters.writes);
        let at = revision(put.header())?;
        if let Some(old) = put
            .prev_key()
            .map(|kv| kv.lease())
            .filter(|old| *old != lease)
        {
            self.revoke_later(old);
        }
        self.book.renewed(service, addr, lease, now);
        let seen = self.seen(at).await;
        Ok(Upserted {
            created: put.prev_key().is_none(),
            revision: if seen {
                self.mirror.service_revision(service)
            } else {
                at
            },
        })
    }

    /// Waits until the mirror has seen this frontend's write at revision `at`, so
    /// its lists show it once the write is answered; `false` (and a warning: the
    /// watch lags) after the operation timeout.
    async fn seen(&self, at: u64) -> bool {
        let seen = self
            .mirror
            .wait_synced(at, Instant::now() + self.timeout)
            .await;
        if !seen {
            warn!(
                revision = at,
                "the watch has not brought back this frontend's own write in time"
            );
        }
        seen
    }

    async fn grant(&self, seconds: i64) -> Result<i64, EtcdError> {
        let mut leases = self.client.lease_client();
        let granted = bounded(self.timeout, leases.grant(seconds, None)).await;
        self.health.saw(&self.mirror, &granted);
        Ok(granted?.id())
    }

    /// Revokes `lease` in the background (a lease no key uses any more); if that
    /// fails it expires by itself after its TTL.
    fn revoke_later(&self, lease: i64) {
        if lease == 0 {
            return;
        }
        let mut leases = self.client.lease_client();
        let timeout = self.timeout;
        tokio::spawn(async move {
            if let Err(err) = bounded(timeout, leases.revoke(lease)).await {
                warn!(%err, lease, "cannot revoke an unused lease; it will expire");
            }
        });
    }

    pub(super) async fn deregister(&self, service: &str, addr: &str) -> Result<(), ApiError> {
        validate_service(service)?;
        validate_addr(addr)?;
        self.health.check()?;
        for _ in 0..DEREGISTER_ATTEMPTS {
            match self.try_deregister(service, addr).await {
                Ok(Some(())) => return Ok(()),
                Ok(None) => {}
                Err(Gone::NotRegistered) => {
                    return Err(ApiError::NotRegistered {
                        service: service.to_owned(),
                        addr: addr.to_owned(),
                    });
                }
                Err(Gone::Etcd(err)) => return Err(err.into()),
            }
        }
        Err(ApiError::StoreUnavailable {
            reason: "the instance kept changing while it was deregistered",
        })
    }

    /// One attempt: `None` if the instance changed before the transaction.
    async fn try_deregister(&self, service: &str, addr: &str) -> Result<Option<()>, Gone> {
        let key = self.keys.instance(service, addr);
        let mut kv = self.client.kv_client();
        let got = bounded(self.timeout, kv.get(key.clone(), None)).await;
        self.health.saw(&self.mirror, &got);
        let got = got?;
        let Some(current) = got.kvs().first() else {
            return Err(Gone::NotRegistered);
        };
        let (lease, at) = (current.lease(), current.mod_revision());
        let marker_lease = match lease {
            0 => self.grant(lease_seconds(0)).await?,
            lease => lease,
        };
        let marker = PutOptions::new().with_lease(marker_lease);
        let txn = Txn::new()
            .when([Compare::mod_revision(key.clone(), CompareOp::Equal, at)])
            .and_then([
                TxnOp::delete(key, None),
                TxnOp::put(self.keys.left(service, addr), Vec::new(), Some(marker)),
            ]);
        let done = bounded(self.timeout, kv.txn(txn)).await;
        let done = match done {
            // The lease ran out between the read and the transaction: it expired.
            Err(EtcdError::Client(etcd_client::Error::GRpcStatus(status)))
                if status.code() == tonic::Code::NotFound =>
            {
                return Ok(None);
            }
            done => {
                self.health.saw(&self.mirror, &done);
                done?
            }
        };
        if !done.succeeded() {
            return Ok(None);
        }
        Counters::add(&self.counters.writes);
        let deleted = revision(done.header())?;
        let mut leases = self.client.lease_client();
        if let Err(err) = bounded(self.timeout, leases.revoke(marker_lease)).await {
            warn!(%err, "cannot revoke a deregistered instance's lease; it will expire");
        }
        self.book.remove(service, addr);
        self.seen(deleted).await;
        Ok(Some(()))
    }
}

/// Why a deregistration attempt ended.
enum Gone {
    NotRegistered,
    Etcd(EtcdError),
}

impl From<EtcdError> for Gone {
    fn from(err: EtcdError) -> Gone {
        Gone::Etcd(err)
    }
}

/// Whether `update` would leave `stored` as it is (a renewal).
fn same(stored: &Instance, update: &Update) -> bool {
    stored.ttl_ms == u64::from(update.ttl_ms)
        && update.weight.is_none_or(|weight| weight == stored.weight)
        && update
            .metadata
            .as_ref()
            .is_none_or(|metadata| *metadata == stored.metadata)
}

/// The lease TTL for an instance TTL: whole seconds, rounded up, at least what
/// etcd grants.
fn lease_seconds(ttl_ms: u32) -> i64 {
    i64::from(ttl_ms.div_ceil(1000)).max(ETCD_MIN_TTL.as_secs().try_into().unwrap_or(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_last_whole_seconds_at_least_etcds_minimum() {
        assert_eq!(lease_seconds(0), 2);
        assert_eq!(lease_seconds(2000), 2);
        assert_eq!(lease_seconds(2001), 3);
        assert_eq!(lease_seconds(300_000), 300);
    }
}
