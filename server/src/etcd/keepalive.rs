//! Lease keep-alives, every lease on a few long-lived streams.
//!
//! etcd's `LeaseKeepAlive` is a bidirectional stream: each request names a lease,
//! each answer its id and remaining TTL (`0`: no such lease). A stream per lease is
//! not viable for ten thousand instances, and opening one per heartbeat is bound
//! by stream set-up; so a frontend keeps [`STREAMS`] streams open (a lease goes to
//! the stream its id picks) and pipelines requests on them. A renewal of a lease
//! already asked about and not yet answered joins that request rather than send
//! another. A stream that ends fails the renewals waiting on it; the next renewal
//! opens a new one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use etcd_client::{LeaseClient, LeaseKeepAliveStream, LeaseKeeper};
use tokio::sync::{oneshot, watch};
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::error::EtcdError;

/// Keep-alive streams per frontend: etcd serves each stream in one goroutine, so
/// two use two of its cores; more buys nothing on the machines measured.
pub(super) const STREAMS: usize = 2;

/// What a keep-alive found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Renewed {
    /// The lease is alive, its TTL started again.
    Alive,
    /// No such lease: it expired or was revoked.
    Gone,
}

/// The keep-alive streams of one frontend.
pub(super) struct Keepalives {
    client: LeaseClient,
    slots: Vec<Arc<Slot>>,
    timeout: Duration,
}

impl std::fmt::Debug for Keepalives {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keepalives")
            .field("slots", &self.slots)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct Slot {
    state: Mutex<SlotState>,
}

#[derive(Debug)]
enum SlotState {
    Idle,
    /// A renewal is opening the stream: others wait for the sender to drop.
    Opening(watch::Receiver<()>),
    Open(Open),
}

#[derive(Debug)]
struct Open {
    /// Sends requests on the stream; its id is set per request.
    keeper: LeaseKeeper,
    /// Requests sent and not yet answered, by lease.
    pending: Arc<Mutex<HashMap<i64, Pending>>>,
    /// The task reading answers.
    reader: AbortHandle,
}

#[derive(Debug)]
struct Pending {
    sent: Instant,
    waiters: Vec<oneshot::Sender<i64>>,
}

/// What a renewal does next, decided under the slot's lock.
enum Step {
    /// Wait for the answer; send the request first if given a keeper.
    Wait(oneshot::Receiver<i64>, Option<LeaseKeeper>),
    /// Another renewal opens the stream: wait for it, then look again.
    Opening(watch::Receiver<()>),
    /// Open the stream (with this lease's request as its first).
    Open(OpeningGuard),
}

impl Keepalives {
    pub(super) fn new(client: LeaseClient, timeout: Duration) -> Keepalives {
        let slots = (0..STREAMS)
            .map(|_| {
                Arc::new(Slot {
                    state: Mutex::new(SlotState::Idle),
                })
            })
            .collect();
        Keepalives {
            client,
            slots,
            timeout,
        }
    }

    /// One keep-alive of `lease`, answered within the timeout.
    pub(super) async fn renew(&self, lease: i64) -> Result<Renewed, EtcdError> {
        let deadline = Instant::now() + self.timeout;
        let late = || EtcdError::Timeout(self.timeout);
        let slot = &self.slots[usize::try_from(lease.unsigned_abs() % STREAMS as u64).unwrap_or(0)];
        loop {
            match Slot::step(slot, lease, self.timeout) {
                Step::Wait(answer, send) => {
                    if let Some(mut keeper) = send {
                        tokio::time::timeout_at(deadline, keeper.keep_alive())
                            .await
                            .map_err(|_| late())?
                            .map_err(|_| EtcdError::StreamLost)?;
                    }
                    return match tokio::time::timeout_at(deadline, answer).await {
                        Ok(Ok(ttl)) if ttl > 0 => Ok(Renewed::Alive),
                        Ok(Ok(_)) => Ok(Renewed::Gone),
                        Ok(Err(_)) => Err(EtcdError::StreamLost),
                        Err(_) => Err(late()),
                    };
                }
                Step::Opening(mut opened) => {
                    // Ends (with an error) once the opener is done, whatever happened.
                    let _ = tokio::time::timeout_at(deadline, opened.changed())
                        .await
                        .map_err(|_| late())?;
                }
                Step::Open(guard) => {
                    let mut client = self.client.clone();
                    let opened = tokio::time::timeout_at(deadline, client.keep_alive(lease)).await;
                    return match opened {
                        Ok(Ok((keeper, stream))) => {
                            guard.install(keeper, stream);
                            Ok(Renewed::Alive)
                        }
                        // The stream's first answer said there is no such lease.
                        Ok(Err(etcd_client::Error::LeaseKeepAliveError(_))) => Ok(Renewed::Gone),
                        Ok(Err(err)) => Err(err.into()),
                        Err(_) => Err(late()),
                    };
                }
            }
        }
    }
}

impl Drop for Keepalives {
    fn drop(&mut self) {
        for slot in &self.slots {
            if let SlotState::Open(open) = &*lock(&slot.state) {
                open.reader.abort();
            }
        }
    }
}

impl Slot {
    fn step(slot: &Arc<Slot>, lease: i64, timeout: Duration) -> Step {
        let mut state = lock(&slot.state);
        match &*state {
            SlotState::Open(open) => {
                let (answer, waiting) = oneshot::channel();
                let now = Instant::now();
                let mut pending = lock(&open.pending);
                let send = match pending.get_mut(&lease) {
                    // Asked a moment ago: this renewal shares that answer.
                    Some(asked) if now.duration_since(asked.sent) < timeout => {
                        asked.waiters.push(answer);
                        false
                    }
                    // Asked so long ago that the answer is lost: ask again.
                    Some(asked) => {
                        asked.waiters.push(answer);
                        asked.sent = now;
                        true
                    }
                    None => {
                        let waiters = vec![answer];
                        pending.insert(lease, Pending { sent: now, waiters });
                        true
                    }
                };
                let keeper = send.then(|| LeaseKeeper {
                    id: lease,
                    sender: open.keeper.sender.clone(),
                });
                Step::Wait(waiting, keeper)
            }
            SlotState::Opening(opened) => Step::Opening(opened.clone()),
            SlotState::Idle => {
                let (done, opened) = watch::channel(());
                *state = SlotState::Opening(opened);
                Step::Open(OpeningGuard {
                    slot: Arc::clone(slot),
                    _done: done,
                    installed: false,
                })
            }
        }
    }
}

/// Held by the renewal opening a stream: installs it, or (if the renewal failed or
/// was dropped mid-way) sets the slot back to idle. Others waiting see its sender
/// drop either way.
struct OpeningGuard {
    slot: Arc<Slot>,
    _done: watch::Sender<()>,
    installed: bool,
}

impl OpeningGuard {
    fn install(mut self, keeper: LeaseKeeper, stream: LeaseKeepAliveStream) {
        let pending = Arc::new(Mutex::new(HashMap::new()));
        let reader = tokio::spawn(read(
            Arc::downgrade(&self.slot),
            Arc::clone(&pending),
            stream,
        ))
        .abort_handle();
        *lock(&self.slot.state) = SlotState::Open(Open {
            keeper,
            pending,
            reader,
        });
        self.installed = true;
    }
}

impl Drop for OpeningGuard {
    fn drop(&mut self) {
        if !self.installed {
            let mut state = lock(&self.slot.state);
            if matches!(&*state, SlotState::Opening(_)) {
                *state = SlotState::Idle;
            }
        }
    }
}

/// Hands each answer to the renewals waiting for its lease. When the stream ends,
/// the slot goes back to idle and the renewals still waiting fail.
async fn read(
    slot: Weak<Slot>,
    pending: Arc<Mutex<HashMap<i64, Pending>>>,
    mut stream: LeaseKeepAliveStream,
) {
    while let Ok(Some(answer)) = stream.message().await {
        let asked = lock(&pending).remove(&answer.id());
        for waiter in asked.into_iter().flat_map(|p| p.waiters) {
            // A waiter gone (its request dropped) needs no answer.
            let _ = waiter.send(answer.ttl());
        }
    }
    if let Some(slot) = slot.upgrade() {
        let mut state = lock(&slot.state);
        if let SlotState::Open(open) = &*state
            && Arc::ptr_eq(&open.pending, &pending)
        {
            *state = SlotState::Idle;
        }
    }
    // Dropping the senders fails every renewal still waiting on this stream.
    lock(&pending).clear();
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // State swaps and map inserts only: consistent after any panic.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
