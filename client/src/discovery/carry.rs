//! Servers carried across a registry restart.
//!
//! A registry that restarts comes back empty, and its servers re-register one by
//! one over a heartbeat period. Believing its list as it fills would send all
//! traffic to the first server back. So while the registry warms up, discovery
//! keeps the servers of its previous list that have not re-registered yet, merged
//! with the new list; each leaves the carry-over as soon as it appears on a new
//! list, and all of them go when the warm-up ends (those that really went away
//! during the restart drop out then) or `max_stale` after a list last showed them.
//!
//! On the JSON API a server back on the new run's list is then believed when it
//! leaves again (same epoch). The seed protocol has no epoch, so a restart during
//! the warm-up of the previous run cannot be seen: there, while the registry warms
//! up, any server that leaves the list is kept until the warm-up ends.

use std::collections::HashSet;

use crate::protocol::Instance;
use crate::rt::Instant;

/// One server of a previous run, not yet on the new run's list.
#[derive(Debug, Clone)]
struct Kept {
    instance: Instance,
    /// When a list of the previous run last showed it.
    confirmed: Instant,
}

/// The servers kept from before a restart.
#[derive(Debug, Default)]
pub(super) struct CarryOver {
    kept: Vec<Kept>,
}

impl CarryOver {
    /// The registry restarted: keep the servers of `previous` (the list served
    /// until now, last confirmed at `confirmed`) that `fresh` lacks. A server kept
    /// already (a second restart during warm-up) keeps its older confirmation.
    pub(super) fn begin(&mut self, previous: &[Instance], confirmed: Instant, fresh: &[Instance]) {
        let known: HashSet<String> = self.kept.iter().map(|k| k.instance.addr.clone()).collect();
        let added = previous
            .iter()
            .filter(|instance| !known.contains(&instance.addr))
            .map(|instance| Kept {
                instance: instance.clone(),
                confirmed,
            })
            .collect::<Vec<_>>();
        self.kept.extend(added);
        self.settle(fresh);
    }

    /// Drops the servers that are on `fresh`: they re-registered, and the new run's
    /// list speaks for them from now on. `true` if any was dropped.
    pub(super) fn settle(&mut self, fresh: &[Instance]) -> bool {
        if self.kept.is_empty() {
            return false;
        }
        let back: HashSet<&str> = fresh.iter().map(|i| i.addr.as_str()).collect();
        let before = self.kept.len();
        self.kept
            .retain(|k| !back.contains(k.instance.addr.as_str()));
        self.kept.len() != before
    }

    /// Drops the servers last confirmed more than `max_stale` before `now`. `true`
    /// if any was dropped.
    pub(super) fn expire(&mut self, now: Instant, max_stale: std::time::Duration) -> bool {
        let before = self.kept.len();
        self.kept
            .retain(|k| now.saturating_duration_since(k.confirmed) <= max_stale);
        self.kept.len() != before
    }

    /// Forgets every kept server (the warm-up is over). `true` if there were any.
    pub(super) fn clear(&mut self) -> bool {
        let had = !self.kept.is_empty();
        self.kept.clear();
        had
    }

    /// How many servers are kept.
    pub(super) fn len(&self) -> usize {
        self.kept.len()
    }

    /// `fresh` with the kept servers added, sorted by address (the registry's
    /// order); `fresh` as it is when nothing is kept.
    pub(super) fn merge(&self, fresh: &[Instance]) -> Vec<Instance> {
        let mut merged = fresh.to_vec();
        if !self.kept.is_empty() {
            merged.extend(self.kept.iter().map(|k| k.instance.clone()));
            merged.sort_by(|a, b| a.addr.cmp(&b.addr));
        }
        merged
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn instances(addrs: &[&str]) -> Vec<Instance> {
        addrs.iter().map(|a| Instance::from_addr(*a)).collect()
    }

    fn addrs(list: &[Instance]) -> Vec<&str> {
        list.iter().map(|i| i.addr.as_str()).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn keeps_until_back_expired_or_cleared() {
        let start = Instant::now();
        let mut carry = CarryOver::default();
        carry.begin(
            &instances(&["a:1", "b:1", "c:1"]),
            start,
            &instances(&["b:1"]),
        );
        assert_eq!(carry.len(), 2);
        let fresh = instances(&["b:1", "d:1"]);
        assert_eq!(addrs(&carry.merge(&fresh)), ["a:1", "b:1", "c:1", "d:1"]);
        assert!(carry.settle(&instances(&["a:1", "b:1"])));
        assert!(
            !carry.settle(&instances(&["a:1"])),
            "nothing more came back"
        );
        assert_eq!(addrs(&carry.merge(&[])), ["c:1"]);
        let max_stale = Duration::from_secs(60);
        assert!(!carry.expire(start + max_stale, max_stale));
        assert!(carry.expire(start + max_stale + Duration::from_millis(1), max_stale));
        assert_eq!(carry.len(), 0);
        assert!(!carry.clear());
    }

    #[tokio::test(start_paused = true)]
    async fn a_second_restart_keeps_the_older_confirmation() {
        let first = Instant::now();
        let mut carry = CarryOver::default();
        carry.begin(&instances(&["a:1"]), first, &[]);
        let later = first + Duration::from_secs(30);
        carry.begin(&instances(&["a:1", "b:1"]), later, &[]);
        assert_eq!(carry.len(), 2);
        let max_stale = Duration::from_secs(60);
        assert!(carry.expire(first + Duration::from_secs(61), max_stale));
        assert_eq!(addrs(&carry.merge(&[])), ["b:1"]);
        assert!(carry.clear());
    }
}
