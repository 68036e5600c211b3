//! Topics that held requests wait on, the count of held requests, the shutdown
//! signal that ends them all, and the RNG that spreads their timeouts.
//!
//! A topic is a [`Signal`]: a version counter and a `Notify`. A change bumps the
//! version and wakes every waiter, in the order they began to wait (so a
//! simulated run wakes them in the same order every time; `tokio::sync::watch`
//! spreads its receivers over notifiers picked at random); a receiver subscribed
//! before the registry's state was read cannot miss a change made after (its
//! version is then unseen). Topics of
//! services live in a map under their own `std` mutex, apart from the registry's
//! state lock, held only for a lookup or an insertion; each counts its watchers in
//! an atomic, so only the last to leave takes the lock to remove it. Shutdown sets a
//! flag and wakes every topic, so a held request waits on one channel only: waking
//! ten thousand of them touches no shared lock beyond the channel's own.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rollcall_protocol::max_jitter;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::ApiError;

/// Every topic, the held-request count and the shutdown signal.
#[derive(Debug)]
pub(crate) struct Hub {
    /// Watched services by name. A topic is removed when its last watcher leaves.
    topics: Mutex<HashMap<Arc<str>, Arc<ServiceTopic>>>,
    /// Mirror of `topics.len()`, so a change nobody watches skips the lock.
    watched: AtomicUsize,
    /// The service index: woken by every change.
    index: Arc<Signal>,
    /// Set once the server shuts down: held requests answer at once.
    closing: AtomicBool,
    /// Held requests now.
    held: AtomicUsize,
    max_held: usize,
    rng: Mutex<SmallRng>,
}

/// One watched service's channel and the count of its watchers.
#[derive(Debug)]
struct ServiceTopic {
    signal: Arc<Signal>,
    watchers: AtomicUsize,
}

/// What a held request waits on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Topic<'a> {
    /// One service's list and changes.
    Service(&'a str),
    /// The service index: every change.
    Index,
}

/// Why a held request stopped waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Woken {
    Changed,
    TimedOut,
    Closing,
}

impl Hub {
    pub(crate) fn new(max_held: usize, rng_seed: Option<u64>) -> Hub {
        let rng = match rng_seed {
            Some(seed) => SmallRng::seed_from_u64(seed),
            None => SmallRng::from_os_rng(),
        };
        Hub {
            topics: Mutex::new(HashMap::new()),
            watched: AtomicUsize::new(0),
            index: Arc::new(Signal::default()),
            closing: AtomicBool::new(false),
            held: AtomicUsize::new(0),
            max_held,
            rng: Mutex::new(rng),
        }
    }

    /// Requests held now.
    pub(crate) fn held(&self) -> usize {
        self.held.load(Ordering::Acquire)
    }

    /// Whether the server is shutting down.
    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }

    /// Ends every held request and every one to come: they answer at once. The flag
    /// is set before the topics are woken, and a request looks at it again after
    /// subscribing, so none is left waiting.
    pub(crate) fn close(&self) {
        self.closing.store(true, Ordering::SeqCst);
        self.notify_all();
    }

    /// Wakes every held request: a change of every service (the warm-up's end).
    pub(crate) fn notify_all(&self) {
        self.index.send();
        let signals: Vec<Arc<Signal>> = lock(&self.topics)
            .values()
            .map(|topic| Arc::clone(&topic.signal))
            .collect();
        for signal in signals {
            signal.send();
        }
    }

    /// A random extra wait of up to [`max_jitter`] of `wait`.
    pub(crate) fn jitter(&self, wait: Duration) -> Duration {
        let bound = u64::try_from(max_jitter(wait).as_millis()).unwrap_or(u64::MAX);
        let ms = lock(&self.rng).random_range(0..=bound);
        Duration::from_millis(ms)
    }

    /// Takes a place among the held requests and subscribes to `topic`. Must be
    /// called before the registry's state is read, so no change is missed between
    /// that read and the wait. `503` past the limit.
    pub(crate) fn subscribe(self: &Arc<Self>, topic: Topic<'_>) -> Result<Subscription, ApiError> {
        let max = self.max_held;
        self.held
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .map_err(|_| ApiError::TooManyWatchers { max })?;
        let (service, changed) = match topic {
            Topic::Index => (None, Receiver::new(&self.index)),
            Topic::Service(name) => {
                let mut topics = lock(&self.topics);
                let topic = match topics.get(name) {
                    Some(topic) => Arc::clone(topic),
                    None => {
                        let topic = Arc::new(ServiceTopic {
                            signal: Arc::new(Signal::default()),
                            watchers: AtomicUsize::new(0),
                        });
                        topics.insert(Arc::from(name), Arc::clone(&topic));
                        self.watched.store(topics.len(), Ordering::Release);
                        topic
                    }
                };
                topic.watchers.fetch_add(1, Ordering::AcqRel);
                let changed = Receiver::new(&topic.signal);
                (Some((Box::<str>::from(name), topic)), changed)
            }
        };
        Ok(Subscription {
            hub: Arc::clone(self),
            service,
            changed,
        })
    }

    /// Wakes the watchers of `services` (names, possibly repeated) and of the index.
    /// Called after the change, with the state lock released.
    pub(crate) fn notify(&self, services: &[Arc<str>]) {
        if services.is_empty() {
            return;
        }
        self.index.send();
        if self.watched.load(Ordering::Acquire) == 0 {
            return;
        }
        let signals: Vec<Arc<Signal>> = {
            let topics = lock(&self.topics);
            let mut signals: Vec<Arc<Signal>> = Vec::new();
            for name in services {
                if let Some(topic) = topics.get(name)
                    && !signals.iter().any(|s| Arc::ptr_eq(s, &topic.signal))
                {
                    signals.push(Arc::clone(&topic.signal));
                }
            }
            signals
        };
        // Outside the lock: waking thousands of tasks takes a while.
        for signal in signals {
            signal.send();
        }
    }
}

/// One held request's place and topic; dropping it (answered, or the client gone)
/// gives both back at once.
#[derive(Debug)]
pub(crate) struct Subscription {
    hub: Arc<Hub>,
    service: Option<(Box<str>, Arc<ServiceTopic>)>,
    changed: Receiver,
}

impl Subscription {
    /// Waits until the topic changes, `until` passes, or the server shuts down.
    pub(crate) async fn wait(&mut self, until: Instant) -> Woken {
        if self.hub.is_closing() {
            return Woken::Closing;
        }
        // Biased: a fixed polling order keeps simulated runs reproducible.
        let woken = tokio::select! {
            biased;
            () = self.changed.changed() => Woken::Changed,
            () = tokio::time::sleep_until(until) => Woken::TimedOut,
        };
        if self.hub.is_closing() {
            return Woken::Closing;
        }
        woken
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.held.fetch_sub(1, Ordering::AcqRel);
        let Some((name, topic)) = &self.service else {
            return;
        };
        if topic.watchers.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        // Perhaps the last: subscriptions count under this lock, so look again.
        let mut topics = lock(&self.hub.topics);
        if topics
            .get(&**name)
            .is_some_and(|t| Arc::ptr_eq(t, topic) && t.watchers.load(Ordering::Acquire) == 0)
        {
            topics.remove(&**name);
            self.hub.watched.store(topics.len(), Ordering::Release);
        }
    }
}

/// A version and the tasks waiting for it to move.
#[derive(Debug, Default)]
pub(crate) struct Signal {
    version: AtomicU64,
    notify: Notify,
}

impl Signal {
    /// Moves the version on and wakes every waiter, oldest first.
    fn send(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
        self.notify.notify_waiters();
    }
}

/// One waiter's view of a [`Signal`]: the version it has seen.
#[derive(Debug)]
struct Receiver {
    signal: Arc<Signal>,
    seen: u64,
}

impl Receiver {
    /// A receiver that has seen the signal's current version.
    fn new(signal: &Arc<Signal>) -> Receiver {
        Receiver {
            signal: Arc::clone(signal),
            seen: signal.version.load(Ordering::Acquire),
        }
    }

    /// Waits until the version moves past the one seen (at once if it has).
    async fn changed(&mut self) {
        loop {
            let notified = self.signal.notify.notified();
            let mut notified = std::pin::pin!(notified);
            // Registered before the version is read, so a send in between wakes it.
            notified.as_mut().enable();
            let now = self.signal.version.load(Ordering::Acquire);
            if now != self.seen {
                self.seen = now;
                return;
            }
            notified.await;
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Map inserts and removals, an RNG step: consistent after any panic.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(3600)
    }

    #[tokio::test(start_paused = true)]
    async fn a_change_wakes_only_its_service() {
        let hub = Arc::new(Hub::new(10, Some(1)));
        let mut a = hub.subscribe(Topic::Service("a")).expect("a");
        let mut b = hub.subscribe(Topic::Service("b")).expect("b");
        let mut index = hub.subscribe(Topic::Index).expect("index");
        hub.notify(&[Arc::from("a")]);
        assert_eq!(a.wait(far()).await, Woken::Changed);
        assert_eq!(index.wait(far()).await, Woken::Changed);
        let until = Instant::now() + Duration::from_secs(1);
        assert_eq!(b.wait(until).await, Woken::TimedOut);
    }

    #[tokio::test(start_paused = true)]
    async fn places_are_bounded_and_given_back_with_topics() {
        let hub = Arc::new(Hub::new(2, Some(1)));
        let a = hub.subscribe(Topic::Service("a")).expect("a");
        let a2 = hub.subscribe(Topic::Service("a")).expect("a2");
        assert_eq!(
            hub.subscribe(Topic::Index).map(drop),
            Err(ApiError::TooManyWatchers { max: 2 })
        );
        assert_eq!(hub.held(), 2);
        drop(a);
        assert_eq!(lock(&hub.topics).len(), 1, "a2 still watches a");
        drop(a2);
        assert_eq!(hub.held(), 0);
        assert!(lock(&hub.topics).is_empty());
        assert_eq!(hub.watched.load(Ordering::Acquire), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn closing_ends_every_wait() {
        let hub = Arc::new(Hub::new(10, Some(1)));
        let mut a = hub.subscribe(Topic::Service("a")).expect("a");
        hub.close();
        assert!(hub.is_closing());
        assert_eq!(a.wait(far()).await, Woken::Closing);
    }

    #[test]
    fn jitter_stays_within_a_sixteenth_and_replays() {
        let one = Hub::new(1, Some(7));
        let two = Hub::new(1, Some(7));
        let wait = Duration::from_secs(16);
        let draws: Vec<Duration> = (0..100).map(|_| one.jitter(wait)).collect();
        assert!(draws.iter().all(|d| *d <= Duration::from_secs(1)));
        assert!(draws.iter().any(|d| *d > Duration::ZERO));
        assert_eq!(
            draws,
            (0..100).map(|_| two.jitter(wait)).collect::<Vec<_>>()
        );
        assert_eq!(one.jitter(Duration::ZERO), Duration::ZERO);
    }
}
