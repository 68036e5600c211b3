//! Browser runtime: the page's monotonic clock (`performance.now()`), its timers
//! (`setTimeout` through gloo-timers) and its microtask queue for spawning.
//!
//! `std::time::Instant::now()` compiles for wasm32 but panics when called in a
//! browser, so the client uses this [`Instant`] there instead.

use std::future::Future;
use std::ops::{Add, Sub};
use std::time::Duration;

use wasm_bindgen::JsCast;

/// A point on the page's monotonic clock, in milliseconds since the page started.
#[derive(Debug, Clone, Copy)]
pub struct Instant(f64);

// Milliseconds read from the clock are never NaN, so `total_cmp` is the usual order.
impl PartialEq for Instant {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Instant {}

impl PartialOrd for Instant {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Instant {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl Instant {
    /// Now, on the page's monotonic clock; falls back to `Date.now()` where there is
    /// no `performance` object.
    pub fn now() -> Instant {
        let performance = js_sys::Reflect::get(&js_sys::global(), &"performance".into())
            .ok()
            .and_then(|p| p.dyn_into::<web_sys::Performance>().ok());
        match performance {
            Some(p) => Instant(p.now()),
            None => Instant(js_sys::Date::now()),
        }
    }

    /// Time since `earlier`, zero if `earlier` is later.
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        Duration::from_secs_f64(((self.0 - earlier.0) / 1000.0).max(0.0))
    }

    /// Time since this instant.
    pub fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(*self)
    }

    /// This instant plus `duration`; `None` if it cannot be represented.
    pub fn checked_add(&self, duration: Duration) -> Option<Instant> {
        let ms = self.0 + duration.as_secs_f64() * 1000.0;
        ms.is_finite().then_some(Instant(ms))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, rhs: Duration) -> Instant {
        Instant(self.0 + rhs.as_secs_f64() * 1000.0)
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_duration_since(rhs)
    }
}

/// Sleeps for `duration` with the page's `setTimeout`, chaining timers for sleeps
/// longer than one honours (see [`super::timer`]).
pub async fn sleep(duration: Duration) {
    for ms in super::timer::timer_chunks(duration, super::timer::MAX_TIMER_MS) {
        gloo_timers::future::TimeoutFuture::new(ms).await;
    }
}

/// Runs `fut` in the background on the page's event loop.
pub fn spawn<F>(fut: F)
where
    F: Future<Output = ()> + 'static,
{
    wasm_bindgen_futures::spawn_local(fut);
}
