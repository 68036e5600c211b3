//! When a watch sends its next request: spaced from the last one, or after a
//! jittered exponential backoff when the last one failed.

use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::WatchOptions;
use crate::rt::{self, Instant};

/// The request timing of one watch.
#[derive(Debug)]
pub(super) struct Pacer {
    options: WatchOptions,
    rng: SmallRng,
    /// Failures in a row, for the backoff.
    failures: u32,
    /// A backoff to sleep before the next request.
    retry_in: Option<Duration>,
    /// When the last request went out.
    last_request: Option<Instant>,
}

impl Pacer {
    pub(super) fn new(options: WatchOptions) -> Pacer {
        let rng = match options.rng_seed {
            Some(seed) => SmallRng::seed_from_u64(seed),
            None => SmallRng::from_os_rng(),
        };
        Pacer {
            options,
            rng,
            failures: 0,
            retry_in: None,
            last_request: None,
        }
    }

    pub(super) fn options(&self) -> &WatchOptions {
        &self.options
    }

    /// Waits until the next request may go: the backoff after a failure, else at
    /// least `gap` (plus up to `jitter`, at random) after the last request.
    pub(super) async fn ready(&mut self, gap: Duration, jitter: Duration) {
        if let Some(delay) = self.retry_in.take() {
            rt::sleep(delay).await;
        } else if let Some(last) = self.last_request {
            let since = last.elapsed();
            if since < gap {
                let jitter = self.random_up_to(jitter);
                rt::sleep(gap - since + jitter).await;
            }
        }
        self.last_request = Some(Instant::now());
    }

    /// The spacing of requests while following: `min_interval`, plus up to a quarter.
    pub(super) fn following(&self) -> (Duration, Duration) {
        let gap = self.options.min_interval;
        (gap, gap / 4)
    }

    /// The spacing of polls of a registry that cannot watch: `poll_interval`, plus
    /// up to a sixteenth.
    pub(super) fn polling(&self) -> (Duration, Duration) {
        let gap = self.options.poll_interval;
        (gap, gap / 16)
    }

    /// The last request succeeded.
    pub(super) fn succeeded(&mut self) {
        self.failures = 0;
    }

    /// The last request failed: the delay before the next, uniform between
    /// `backoff_min` and `backoff_min · 2^(failures−1)`, capped at `backoff_max`.
    /// Jitter keeps watchers that lost the registry together from returning together.
    pub(super) fn failed(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let floor = self.options.backoff_min.min(self.options.backoff_max);
        let doublings = self.failures.saturating_sub(1).min(30);
        let ceiling = floor
            .saturating_mul(1 << doublings)
            .min(self.options.backoff_max);
        let delay = floor + self.random_up_to(ceiling.saturating_sub(floor));
        self.retry_in = Some(delay);
        delay
    }

    fn random_up_to(&mut self, bound: Duration) -> Duration {
        let nanos = u64::try_from(bound.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(self.rng.random_range(0..=nanos))
    }
}
