//! Which etcd members the store's requests go to.
//!
//! The etcd client spreads requests over every endpoint it was given, and keeps a
//! member that died among them: its connection fails each request sent its way at
//! once. With one member of three killed, a frontend refused 43 of 50 writes
//! though the other two had elected a leader: each failure marked etcd
//! unreachable until the next probe. So, with more than one endpoint, every member
//! is probed on its own each [`PROBE_EVERY`] (a linearizable read through a client
//! of that member alone, which succeeds only if the member reaches a leader), and
//! requests go to the members that answered. When none answers (an election, or
//! etcd down) nothing changes: the store's own probe tells that story.

use std::sync::Arc;

use etcd_client::{Client, ConnectOptions, GetOptions};
use futures_util::future::join_all;
use tracing::{info, warn};

use super::Inner;
use super::counters::Counters;
use super::error::bounded;
use super::health::PROBE_EVERY;

/// Which members requests go to, by endpoint index.
#[derive(Debug)]
struct Spread {
    used: Vec<bool>,
}

impl Spread {
    /// Takes the members that answered a round of probes (`healthy`); returns the
    /// changes to make, `(index, add)`, additions first. When none answered, none.
    fn update(&mut self, healthy: &[bool]) -> Vec<(usize, bool)> {
        if !healthy.contains(&true) {
            return Vec::new();
        }
        let mut changes = Vec::new();
        for (n, (used, healthy)) in self.used.iter_mut().zip(healthy).enumerate() {
            if *used != *healthy {
                *used = *healthy;
                changes.push((n, *healthy));
            }
        }
        // Additions first: the client never runs out of members in between.
        changes.sort_by_key(|(_, add)| !add);
        changes
    }
}

/// Starts following the members when there are several (with one, there is
/// nowhere else to send requests).
pub(super) fn follow(
    inner: &Arc<Inner>,
    endpoints: &[String],
    options: &ConnectOptions,
) -> Option<tokio::task::JoinHandle<()>> {
    if endpoints.len() < 2 {
        return None;
    }
    let inner = Arc::clone(inner);
    let endpoints = endpoints.to_vec();
    let options = options.clone();
    Some(tokio::spawn(async move {
        let mut spread = Spread {
            used: vec![true; endpoints.len()],
        };
        let mut alone: Vec<Option<Client>> = vec![None; endpoints.len()];
        loop {
            let probes = alone
                .iter_mut()
                .zip(&endpoints)
                .map(|(client, endpoint)| probe(&inner, client, endpoint, &options));
            let healthy = join_all(probes).await;
            for (n, add) in spread.update(&healthy) {
                apply(&inner, &endpoints[n], add).await;
            }
            tokio::time::sleep(PROBE_EVERY).await;
        }
    }))
}

/// Whether the member at `endpoint` answers a linearizable read, through a client
/// of it alone (made on first use, kept).
async fn probe(
    inner: &Inner,
    alone: &mut Option<Client>,
    endpoint: &str,
    options: &ConnectOptions,
) -> bool {
    if alone.is_none() {
        let connect = Client::connect([endpoint], Some(options.clone()));
        *alone = bounded(inner.timeout, connect).await.ok();
    }
    let Some(client) = alone else {
        return false;
    };
    let mut kv = client.kv_client();
    let count_only = GetOptions::new().with_count_only();
    bounded(
        inner.timeout,
        kv.get(inner.keys.barrier(), Some(count_only)),
    )
    .await
    .is_ok()
}

/// Puts the member at `endpoint` back among those requests go to, or takes it out.
async fn apply(inner: &Inner, endpoint: &str, add: bool) {
    let changed = if add {
        info!(%endpoint, "etcd member answers again: requests go to it too");
        inner.client.add_endpoint(endpoint).await
    } else {
        warn!(%endpoint, "etcd member does not answer: requests go to the others");
        Counters::add(&inner.counters.members_excluded);
        inner.client.remove_endpoint(endpoint).await
    };
    if let Err(err) = changed {
        warn!(%endpoint, %err, "cannot change the etcd client's endpoints");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_that_answer_are_used_and_a_round_without_any_changes_nothing() {
        let mut spread = Spread {
            used: vec![true; 3],
        };
        assert!(spread.update(&[true, true, true]).is_empty());
        assert_eq!(spread.update(&[false, true, true]), [(0, false)]);
        assert!(
            spread.update(&[false, false, false]).is_empty(),
            "an election: nothing changes"
        );
        assert_eq!(spread.used, [false, true, true]);
        assert_eq!(spread.update(&[true, true, false]), [(0, true), (2, false)]);
        assert_eq!(
            spread.update(&[false, false, true]),
            [(2, true), (0, false), (1, false)],
            "additions before removals"
        );
    }
}
