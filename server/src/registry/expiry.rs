//! Timer-driven expiry: a background task sleeps until the earliest deadline in the
//! queue (or until told an earlier one arrived), then removes what is due.
//!
//! Renewals never touch the queue unless they shorten a deadline: an entry that
//! comes due for an instance renewed since is pushed again at the instance's real
//! deadline. So a heartbeat is O(1) and a `GET` never scans for the dead.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use rollcall_protocol::ChangeKind;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::Shared;
use super::instance::NOT_QUEUED;
use super::state::{QueueEntry, State};

/// Most queue entries handled per lock hold, so a mass expiry does not stall
/// heartbeats behind the lock.
const EXPIRY_BATCH: usize = 4096;

/// Stale queue entries tolerated beyond twice the live instances before the queue is
/// rebuilt without them.
const QUEUE_SLACK: usize = 1024;

/// Outcome of an expiry pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Next {
    /// Nothing queued: sleep until woken.
    Idle,
    /// The next entry comes due once the clock passes this many ms.
    At(u64),
    /// The pass stopped at its budget with more due: go again soon.
    More,
}

/// Starts the expiry task on the current tokio runtime. It holds only a weak
/// reference, so it ends once the last [`Registry`](super::Registry) handle drops
/// (whose drop wakes it).
///
/// Must be called from within a tokio runtime (or a turmoil host).
pub(super) fn spawn(shared: &Arc<Shared>) {
    let weak = Arc::downgrade(shared);
    let wake = Arc::clone(&shared.wake);
    // Read now, not when the task first runs: by then the clock may be past it.
    let warmup_end = shared.warmup.pending_end();
    tokio::spawn(run(weak, wake, warmup_end));
}

/// The task: expires what is due, and (the one other timer of a registry) ends
/// the warm-up when its time comes, then sleeps until the next of the two.
async fn run(shared: Weak<Shared>, wake: Arc<Notify>, mut warmup_end: Option<Instant>) {
    loop {
        let (next, start) = {
            let Some(shared) = shared.upgrade() else {
                return;
            };
            if warmup_end.is_some_and(|end| end <= Instant::now()) {
                shared.end_warmup();
                warmup_end = None;
            }
            (shared.expire_due(), shared.start)
        };
        let due = match next {
            Next::More => {
                tokio::task::yield_now().await;
                continue;
            }
            Next::Idle => None,
            // Due once the clock is past `due_ms`: wake at the next millisecond.
            Next::At(due_ms) => Some(start + Duration::from_millis(due_ms.saturating_add(1))),
        };
        match due.into_iter().chain(warmup_end).min() {
            None => wake.notified().await,
            Some(when) => {
                // Biased: a fixed polling order keeps simulated runs reproducible.
                tokio::select! {
                    biased;
                    () = tokio::time::sleep_until(when) => {}
                    () = wake.notified() => {}
                }
            }
        }
    }
}

impl Shared {
    /// One expiry pass at the current time.
    fn expire_due(&self) -> Next {
        let now_ms = self.now_ms();
        self.change(|state| state.expire(now_ms, EXPIRY_BATCH))
    }
}

impl State {
    /// Expires what is due at `now_ms`, handling at most `budget` queue entries.
    pub(super) fn expire(&mut self, now_ms: u64, mut budget: usize) -> Next {
        while let Some(&Reverse((due, idx, slot))) = self.queue.peek() {
            if due >= now_ms {
                return Next::At(due);
            }
            if budget == 0 {
                return Next::More;
            }
            budget -= 1;
            self.queue.pop();
            let Some(svc) = self.services.get_mut(idx as usize).and_then(Option::as_mut) else {
                continue;
            };
            let Some(instance) = svc.get_mut(slot) else {
                continue;
            };
            if instance.queued_ms != due {
                continue; // stale: the instance has another entry
            }
            match instance.deadline_ms() {
                None => instance.queued_ms = NOT_QUEUED,
                Some(deadline) if deadline < now_ms => {
                    let removed = svc.remove(slot);
                    self.instances -= 1;
                    self.counts.expirations += 1;
                    self.revision += 1;
                    svc.changed(self.revision);
                    if let Some(removed) = removed {
                        let log = &mut self.log;
                        log.record(self.revision, &svc.name, ChangeKind::Expire, &removed);
                    }
                }
                Some(deadline) => {
                    instance.queued_ms = deadline;
                    self.queue.push(Reverse((deadline, idx, slot)));
                }
            }
        }
        Next::Idle
    }

    /// Drops stale entries once they outnumber the live ones, so deregistrations and
    /// shortened TTLs do not grow the queue without bound. After a compaction the
    /// queue holds at most one entry per instance, so the next one comes at least
    /// `instances + QUEUE_SLACK` pushes later: amortised, each push pays O(log n).
    pub(super) fn compact_queue(&mut self) {
        if self.queue.len() <= 2 * self.instances + QUEUE_SLACK {
            return;
        }
        let services = &self.services;
        self.queue.retain(|&Reverse((due, idx, slot))| {
            services
                .get(idx as usize)
                .and_then(Option::as_ref)
                .and_then(|s| s.get(slot))
                .is_some_and(|i| i.queued_ms == due)
        });
    }
}

/// Pushes an entry; `true` if it is now the earliest (the task must be woken).
pub(super) fn push(queue: &mut BinaryHeap<QueueEntry>, deadline: u64, idx: u32, slot: u32) -> bool {
    let entry = Reverse((deadline, idx, slot));
    queue.push(entry);
    queue.peek() == Some(&entry)
}
