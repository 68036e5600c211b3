//! When the next beat comes: the period, jittered, after a beat the registry
//! accepted; an exponential, jittered backoff after one that failed.

use std::time::Duration;

use rand::Rng;
use rand::rngs::SmallRng;

use super::{HeartbeatOptions, PERIOD_JITTER_PERCENT};

/// `period` moved by up to [`PERIOD_JITTER_PERCENT`] either way, uniformly.
pub(super) fn jittered(period: Duration, rng: &mut SmallRng) -> Duration {
    let nanos = u64::try_from(period.as_nanos()).unwrap_or(u64::MAX);
    let span = nanos / 100 * u64::from(PERIOD_JITTER_PERCENT);
    let low = nanos - span;
    Duration::from_nanos(low.saturating_add(rng.random_range(0..=span.saturating_mul(2))))
}

/// The delay before retry number `attempt` (from 1): uniform between
/// `backoff_min` and `backoff_min · 2^(attempt−1)`, capped at `backoff_max`, at
/// half the TTL, and at a third of the lease time `left` (but not below
/// `backoff_min`): retries come faster as expiry nears, so a few lost beats in a
/// row do not outlast the lease. Jitter keeps many servers that lost the registry
/// together from beating in lockstep when it returns.
pub(super) fn backoff(
    options: &HeartbeatOptions,
    rng: &mut SmallRng,
    attempt: u32,
    ttl: Duration,
    left: Option<Duration>,
) -> Duration {
    let mut cap = options.backoff_max;
    if !ttl.is_zero() {
        cap = cap.min(ttl / 2);
    }
    if let Some(left) = left {
        cap = cap.min((left / 3).max(options.backoff_min));
    }
    let floor = options.backoff_min.min(cap);
    let doublings = attempt.saturating_sub(1).min(30);
    let ceiling = floor.saturating_mul(1 << doublings).min(cap);
    let span = ceiling.saturating_sub(floor).as_nanos();
    let span = u64::try_from(span).unwrap_or(u64::MAX);
    floor + Duration::from_nanos(rng.random_range(0..=span))
}
