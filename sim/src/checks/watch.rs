//! Invariants of watch streams ([`Event::Watched`]), held to the registry's own
//! record of changes ([`Event::RegistryChanged`]) and list.
//!
//! - [`views_converge`]: once a watcher reaches the registry again over a
//!   healthy network, its view equals the registry's list within
//!   [`Timing::watch_recovery`](crate::Timing::watch_recovery), and follows each
//!   later change within [`Timing::watch_delay`](crate::Timing::watch_delay);
//! - [`no_change_skipped`]: within one registry run, every change batch holds
//!   exactly the changes the registry logged between the versions it joins, an
//!   `Unchanged` spans none, and after every item the view is the registry's list
//!   at the item's revision (a relist replaces what it skips);
//! - [`indexes_never_go_backwards`]: within one registry run, the revisions a
//!   watcher is given never go down;
//! - [`log_matches_list`]: the registry's change log, replayed, is its list.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::check::Check;
use crate::event::{Change, Event};
use crate::watch::WatchItem;
use crate::world::World;

/// Every watch invariant of this module.
pub fn all() -> Vec<Check> {
    vec![
        views_converge(),
        no_change_skipped(),
        indexes_never_go_backwards(),
        log_matches_list(),
    ]
}

/// The registry's list at `revision` of a run whose log is `log`: its changes up
/// to `revision`, replayed.
fn replay(log: &[Change], revision: u64) -> BTreeSet<String> {
    let mut listed = BTreeSet::new();
    for change in log.iter().take_while(|c| c.revision <= revision) {
        if change.kind.is_listed() {
            listed.insert(change.addr.clone());
        } else {
            listed.remove(&change.addr);
        }
    }
    listed
}

/// A watcher that can reach the registry, over a network without loss or
/// latency spikes, since `healed` shows the registry's list no later than
/// `healed + watch_recovery`, and then each change of the list within
/// `watch_delay` of it (as the registry's list is polled, every tick).
pub fn views_converge() -> Check {
    Check::new("watch views converge", |world| {
        let now = world.now();
        let timing = world.timing();
        let registry = world.registered();
        for watcher in world.watchers() {
            let (Some(reach), Some(calm)) = (
                world.reachable_since(watcher, crate::api::REGISTRY),
                world.undisturbed_since(),
            ) else {
                continue;
            };
            let healed = reach.max(calm);
            let due = (healed + timing.watch_recovery()).max(world.registered_since())
                + timing.watch_delay();
            let view = world.watch_view(watcher);
            if now > due && view != Some(registry) {
                return Err(format!(
                    "{watcher} shows {view:?} at {now:?}, the registry lists {registry:?} (since {:?}); healed at {healed:?}, due {due:?}",
                    world.registered_since()
                ));
            }
        }
        Ok(())
    })
}

/// What [`no_change_skipped`] follows per watcher.
#[derive(Default)]
struct Followed {
    /// The version of each watcher's last item that had one.
    at: BTreeMap<String, (u64, u64)>,
    /// Items of the last step, checked a step later: by then the registry's log
    /// has been polled past every change the answer carried (the answer left the
    /// registry at least a tick before it was recorded, and the registry host
    /// polls its log every tick).
    pending: Vec<(Duration, String, WatchItem, Vec<String>)>,
}

/// Within one registry run, a watch misses no change: every `Changes` batch
/// holds exactly the changes the registry logged after the watcher's previous
/// version, up to the batch's revision, in order; an `Unchanged` spans no logged
/// change; a batch or `Unchanged` never follows a version of another run (the
/// stream must list again first); and after every item the view is the
/// registry's list at the item's revision, so a `Reset` replaces exactly what it
/// skipped.
pub fn no_change_skipped() -> Check {
    Check::with_state("no change skipped", Followed::default, |followed, world| {
        let pending = std::mem::take(&mut followed.pending);
        for (at, watcher, item, view) in pending {
            let previous = followed.at.get(&watcher).copied();
            check_item(world, &watcher, at, previous, &item, &view)?;
            if let Some(version) = item.version() {
                followed.at.insert(watcher, version);
            }
        }
        for record in world.new_records() {
            match &record.event {
                Event::Watched {
                    watcher,
                    item,
                    view,
                } => {
                    followed
                        .pending
                        .push((record.at, watcher.clone(), item.clone(), view.clone()))
                }
                // A restarted host starts a new stream.
                Event::Crashed { host } => {
                    followed.at.remove(host);
                    followed.pending.retain(|(_, w, _, _)| w != host);
                }
                _ => {}
            }
        }
        Ok(())
    })
}

fn check_item(
    world: &World,
    watcher: &str,
    at: Duration,
    previous: Option<(u64, u64)>,
    item: &WatchItem,
    view: &[String],
) -> Result<(), String> {
    let Some((epoch, revision)) = item.version() else {
        return Ok(());
    };
    let log = world.registry_changes(epoch);
    let following = !matches!(item, WatchItem::Reset { .. });
    if following {
        let Some((known_epoch, known)) = previous.filter(|(e, _)| *e == epoch) else {
            return Err(format!(
                "{watcher} got {item:?} at {at:?} after {previous:?}, without listing run {epoch} first"
            ));
        };
        let logged: Vec<&Change> = log
            .iter()
            .filter(|c| c.revision > known && c.revision <= revision)
            .collect();
        let delivered: Vec<&Change> = match item {
            WatchItem::Changes { changes, .. } => changes.iter().collect(),
            _ => Vec::new(),
        };
        if logged != delivered {
            return Err(format!(
                "{watcher} went from {known_epoch}.{known} to {epoch}.{revision} at {at:?} with {delivered:?}; the registry logged {logged:?}"
            ));
        }
    }
    let expected = replay(log, revision);
    let shown: BTreeSet<String> = view.iter().cloned().collect();
    if shown != expected {
        return Err(format!(
            "{watcher} shows {shown:?} at {epoch}.{revision} after {item:?} at {at:?}; the registry's list at that revision was {expected:?}"
        ));
    }
    Ok(())
}

/// Within one registry run, the revisions a watcher is given never go down (also
/// across restarts of the watcher: the registry's revisions do not); and no
/// stream ever had to refuse an answer whose index went backwards (the client
/// says so in the failure it yields instead).
pub fn indexes_never_go_backwards() -> Check {
    let init = BTreeMap::<(String, u64), u64>::new;
    Check::with_state("indexes never go backwards", init, |highest, world| {
        for record in world.new_records() {
            let Event::Watched { watcher, item, .. } = &record.event else {
                continue;
            };
            if let WatchItem::Failed { error, .. } = item
                && error.contains("went backwards")
            {
                return Err(format!(
                    "{watcher} was answered backwards at {:?}: {error}",
                    record.at
                ));
            }
            let Some((epoch, revision)) = item.version() else {
                continue;
            };
            let seen = highest.entry((watcher.clone(), epoch)).or_default();
            if revision < *seen {
                return Err(format!(
                    "{watcher} got revision {revision} of run {epoch} at {:?}, after {seen}",
                    record.at
                ));
            }
            *seen = revision;
        }
        Ok(())
    })
}

/// The registry's change log of the service, replayed, is its list: every
/// change of membership is logged, none twice. Both are read by the same poll,
/// in the same instant, every tick.
pub fn log_matches_list() -> Check {
    Check::new("change log matches list", |world| {
        if world.registry_started().is_none() {
            return Ok(());
        }
        let log = world.registry_changes(world.registry_epoch());
        let replayed = replay(log, u64::MAX);
        if &replayed != world.registered() {
            return Err(format!(
                "the registry's log replays to {replayed:?} at {:?}, its list is {:?}",
                world.now(),
                world.registered()
            ));
        }
        Ok(())
    })
}
