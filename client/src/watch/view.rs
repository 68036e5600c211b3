//! A service's list kept current from a watch, and what each item changed in it.

use std::collections::BTreeMap;

use super::WatchEvent;
use crate::protocol::{ChangeEvent, ChangeKind, Instance, ListVersion};

/// The instances of a watched service, as of the last item applied.
///
/// [`ServiceView::apply`] answers what an item changed, one [`ChangeEvent`] per
/// instance, also for a `Reset` (by comparing the new list with the old): what a
/// log line per change, a highlighted row or a selection list needs, whatever the
/// stream had to do to stay current.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceView {
    version: Option<ListVersion>,
    instances: BTreeMap<String, Instance>,
}

impl ServiceView {
    /// An empty view, before the first item.
    pub fn new() -> ServiceView {
        ServiceView::default()
    }

    /// Applies `event` and returns what it changed, oldest first. A `Reset` to the
    /// same list changes nothing; `Unchanged` changes no instance (it moves the
    /// version on, within the same epoch) and `Failed` nothing (after a `Failed`
    /// the view is stale until the stream recovers). Changes at or below the
    /// view's revision are skipped.
    pub fn apply(&mut self, event: &WatchEvent) -> Vec<ChangeEvent> {
        match event {
            WatchEvent::Reset(list) => {
                let revision = list.revision;
                let mut next: BTreeMap<String, Instance> = list
                    .instances
                    .iter()
                    .map(|i| (i.addr.clone(), i.clone()))
                    .collect();
                let mut changes = Vec::new();
                for (addr, old) in &self.instances {
                    if !next.contains_key(addr) {
                        changes.push(change(revision, ChangeKind::Deregister, old));
                    }
                }
                for (addr, new) in &next {
                    match self.instances.get(addr) {
                        None => changes.push(change(revision, ChangeKind::Register, new)),
                        Some(old) if old != new => {
                            changes.push(change(revision, ChangeKind::Update, new));
                        }
                        Some(_) => {}
                    }
                }
                std::mem::swap(&mut self.instances, &mut next);
                self.version = Some(list.version());
                changes
            }
            WatchEvent::Changes(batch) => {
                let after = self
                    .version
                    .filter(|v| v.epoch == batch.epoch)
                    .map_or(0, |v| v.revision);
                let fresh: Vec<ChangeEvent> = batch
                    .events
                    .iter()
                    .filter(|e| e.revision > after)
                    .cloned()
                    .collect();
                for event in &fresh {
                    let addr = event.instance.addr.clone();
                    if event.kind.is_listed() {
                        self.instances.insert(addr, event.instance.clone());
                    } else {
                        self.instances.remove(&addr);
                    }
                }
                self.version = Some(ListVersion {
                    epoch: batch.epoch,
                    revision: batch.revision.max(after),
                    warming: batch.warming,
                });
                fresh
            }
            WatchEvent::Unchanged(version) => {
                // Same instances, maybe a new version: the end of a warm-up is a
                // new revision with no event.
                if self.version.is_some_and(|v| v.epoch == version.epoch) {
                    self.version = Some(*version);
                }
                Vec::new()
            }
            WatchEvent::Failed { .. } => Vec::new(),
        }
    }

    /// The instances, sorted by address (the registry's order).
    pub fn instances(&self) -> Vec<Instance> {
        self.instances.values().cloned().collect()
    }

    /// How many instances the view holds.
    pub fn len(&self) -> usize {
        self.instances.len()
    }

    /// Whether the view holds no instance.
    pub fn is_empty(&self) -> bool {
        self.instances.is_empty()
    }

    /// The registry run and revision the view shows; `None` before the first list.
    pub fn version(&self) -> Option<ListVersion> {
        self.version
    }
}

fn change(revision: u64, kind: ChangeKind, instance: &Instance) -> ChangeEvent {
    ChangeEvent {
        revision,
        kind,
        instance: instance.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ChangeBatch, InstanceList};

    fn list(epoch: u64, revision: u64, addrs: &[(&str, u32)]) -> WatchEvent {
        WatchEvent::Reset(InstanceList {
            service: "s".to_owned(),
            epoch,
            revision,
            warming: false,
            stale: false,
            instances: addrs
                .iter()
                .map(|(addr, weight)| Instance {
                    weight: *weight,
                    ..Instance::from_addr(*addr)
                })
                .collect(),
        })
    }

    fn kinds(changes: &[ChangeEvent]) -> Vec<(&str, ChangeKind)> {
        changes
            .iter()
            .map(|c| (c.instance.addr.as_str(), c.kind))
            .collect()
    }

    #[test]
    fn a_reset_is_told_as_the_changes_it_makes() {
        let mut view = ServiceView::new();
        let first = view.apply(&list(1, 3, &[("a:1", 1), ("b:1", 1)]));
        assert_eq!(
            kinds(&first),
            [("a:1", ChangeKind::Register), ("b:1", ChangeKind::Register)]
        );
        let again = view.apply(&list(2, 1, &[("b:1", 2), ("c:1", 1)]));
        assert_eq!(
            kinds(&again),
            [
                ("a:1", ChangeKind::Deregister),
                ("b:1", ChangeKind::Update),
                ("c:1", ChangeKind::Register)
            ]
        );
        assert!(
            view.apply(&list(2, 1, &[("b:1", 2), ("c:1", 1)]))
                .is_empty()
        );
        assert_eq!(view.len(), 2);
    }

    #[test]
    fn changes_apply_in_order_and_only_once() {
        let mut view = ServiceView::new();
        view.apply(&list(1, 3, &[("a:1", 1)]));
        let event = |revision, kind, addr| ChangeEvent {
            revision,
            kind,
            instance: Instance::from_addr(addr),
        };
        let batch = WatchEvent::Changes(ChangeBatch {
            epoch: 1,
            revision: 6,
            warming: false,
            stale: false,
            events: vec![
                event(3, ChangeKind::Deregister, "a:1"),
                event(4, ChangeKind::Register, "b:1"),
                event(6, ChangeKind::Expire, "a:1"),
            ],
        });
        let applied = view.apply(&batch);
        assert_eq!(
            kinds(&applied),
            [("b:1", ChangeKind::Register), ("a:1", ChangeKind::Expire)],
            "revision 3 was already in the list"
        );
        let addrs: Vec<String> = view.instances().into_iter().map(|i| i.addr).collect();
        assert_eq!(addrs, ["b:1"]);
        assert_eq!(view.version().map(|v| v.revision), Some(6));
        assert!(view.apply(&batch).is_empty(), "a repeat changes nothing");
    }

    #[test]
    fn unchanged_moves_the_version_on_within_its_epoch() {
        let mut view = ServiceView::new();
        let at = |epoch, revision, warming| ListVersion {
            epoch,
            revision,
            warming,
        };
        assert!(
            view.apply(&WatchEvent::Unchanged(at(1, 3, false)))
                .is_empty()
        );
        assert_eq!(view.version(), None, "nothing to move before a list");
        let mut warming = list(1, 3, &[("a:1", 1)]);
        if let WatchEvent::Reset(list) = &mut warming {
            list.warming = true;
        }
        view.apply(&warming);
        // The warm-up ends: a new revision, no event.
        assert!(
            view.apply(&WatchEvent::Unchanged(at(1, 4, false)))
                .is_empty()
        );
        assert_eq!(view.version(), Some(at(1, 4, false)));
        view.apply(&WatchEvent::Unchanged(at(2, 1, false)));
        assert_eq!(
            view.version(),
            Some(at(1, 4, false)),
            "another run: a Reset's"
        );
        assert_eq!(view.len(), 1);
    }
}
