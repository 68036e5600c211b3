//! Which frontend a request asks first, and which next, when an endpoint has several
//! registry URLs. No I/O: every method is handed the time.
//!
//! - **Spread.** Each client draws a *home* frontend at random (from a seedable
//!   RNG), so a fleet started with the same list spreads its load.
//! - **Sticky.** A request starts at the frontend that answered last (*current*),
//!   so a client that failed over stays where it was answered instead of paying
//!   for the dead one on every request.
//! - **Benched.** A frontend that failed (no connection, a timeout, `5xx`) is tried
//!   after every other for a while: [`FRONTEND_RETRY_MIN`], doubling with each
//!   failure in a row up to [`FRONTEND_RETRY_MAX`]. It is never skipped: when all
//!   have failed, each is still tried.
//! - **Home again.** Once the home frontend's bench is over, requests start there
//!   again, so the fleet spreads again after a frontend comes back; if it fails
//!   again, it is benched for twice as long.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::rt::Instant;

/// How long a frontend that failed is tried only after the others, the first time:
/// long enough that a dead frontend costs a client one failed attempt per half
/// minute at most, short enough that load spreads again soon after it returns.
pub const FRONTEND_RETRY_MIN: Duration = Duration::from_secs(30);

/// The longest a frontend that keeps failing is tried last before requests start
/// at it again (the bench doubles with each failure in a row up to this): a
/// frontend gone for good then costs one attempt per five minutes.
pub const FRONTEND_RETRY_MAX: Duration = Duration::from_secs(5 * 60);

/// What a client knows about its frontends; shared by the clones of one client
/// (its heartbeats, discovery and watches learn from each other's failures).
#[derive(Debug)]
pub(crate) struct Frontends {
    state: Mutex<Rotation>,
}

#[derive(Debug)]
struct Rotation {
    /// Where this client starts when all is well.
    home: usize,
    /// The frontend that answered last.
    current: usize,
    health: Vec<Health>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Health {
    /// Failures in a row.
    failures: u32,
    /// Until when the frontend is tried after the others.
    benched_until: Option<Instant>,
}

impl Health {
    fn benched(&self, now: Instant) -> bool {
        self.benched_until.is_some_and(|until| now < until)
    }
}

impl Frontends {
    /// `count` frontends (at least one), the home drawn from `seed` (or the OS when
    /// `None`; no randomness is drawn for a single frontend).
    pub(crate) fn new(count: usize, seed: Option<u64>) -> Frontends {
        let count = count.max(1);
        let home = if count == 1 {
            0
        } else {
            let mut rng = match seed {
                Some(seed) => SmallRng::seed_from_u64(seed),
                None => SmallRng::from_os_rng(),
            };
            rng.random_range(0..count)
        };
        Frontends {
            state: Mutex::new(Rotation {
                home,
                current: home,
                health: vec![Health::default(); count],
            }),
        }
    }

    /// The order in which a request made at `now` tries the frontends: home if its
    /// bench is over, else the current one; then the rest in ring order; benched
    /// frontends after all the others.
    pub(crate) fn order(&self, now: Instant) -> Vec<usize> {
        let rotation = self.lock();
        let count = rotation.health.len();
        let start = if rotation.health[rotation.home].benched(now) {
            rotation.current
        } else {
            rotation.home
        };
        let mut order: Vec<usize> = (0..count).map(|k| (start + k) % count).collect();
        // Stable: ring order is kept within the unbenched and within the benched.
        order.sort_by_key(|&index| rotation.health[index].benched(now));
        order
    }

    /// Frontend `index` answered (any status but a failover one): requests start
    /// there from now on.
    pub(crate) fn answered(&self, index: usize) {
        let mut rotation = self.lock();
        if let Some(health) = rotation.health.get_mut(index) {
            *health = Health::default();
            rotation.current = index;
        }
    }

    /// Frontend `index` failed at `now`: bench it, longer after each failure in a
    /// row.
    pub(crate) fn failed(&self, index: usize, now: Instant) {
        let mut rotation = self.lock();
        if let Some(health) = rotation.health.get_mut(index) {
            health.failures = health.failures.saturating_add(1);
            let doublings = health.failures.saturating_sub(1).min(16);
            let bench = FRONTEND_RETRY_MIN
                .saturating_mul(1 << doublings)
                .min(FRONTEND_RETRY_MAX);
            health.benched_until = now.checked_add(bench);
        }
    }

    /// The frontend requests start at now.
    pub(crate) fn first(&self, now: Instant) -> usize {
        self.order(now)[0]
    }

    fn lock(&self) -> MutexGuard<'_, Rotation> {
        // Plain assignments: valid after any panic, poisoning is moot.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(base: Instant, secs: u64) -> Instant {
        base + Duration::from_secs(secs)
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_frontend_goes_last_until_its_bench_is_over() {
        let now = Instant::now();
        let frontends = Frontends::new(3, Some(1));
        let home = frontends.first(now);
        let next = (home + 1) % 3;
        assert_eq!(frontends.order(now), [home, next, (home + 2) % 3]);

        frontends.failed(home, now);
        frontends.answered(next);
        assert_eq!(frontends.order(at(now, 1)), [next, (home + 2) % 3, home]);
        // The bench is over: home first again.
        assert_eq!(frontends.first(at(now, 30)), home);
        // It fails again: benched twice as long.
        frontends.failed(home, at(now, 30));
        assert_eq!(frontends.first(at(now, 89)), next);
        assert_eq!(frontends.first(at(now, 90)), home);
        frontends.answered(home);
        frontends.failed(home, at(now, 91));
        assert_eq!(frontends.first(at(now, 120)), next, "bench back to 30 s");
        assert_eq!(frontends.first(at(now, 121)), home);
    }

    #[tokio::test(start_paused = true)]
    async fn benches_double_up_to_the_maximum_and_all_benched_are_still_tried() {
        let now = Instant::now();
        let frontends = Frontends::new(2, Some(5));
        let home = frontends.first(now);
        for _ in 0..20 {
            frontends.failed(home, now);
        }
        frontends.failed(1 - home, now);
        let mut order = frontends.order(now);
        order.sort_unstable();
        assert_eq!(order, [0, 1], "every frontend is tried");
        let later = now + FRONTEND_RETRY_MAX;
        assert_eq!(frontends.first(later), home);
    }

    #[test]
    fn homes_spread_over_the_frontends_and_follow_the_seed() {
        let mut counts = [0; 3];
        for seed in 0..300 {
            let Frontends { state } = Frontends::new(3, Some(seed));
            counts[state.into_inner().expect("lock").home] += 1;
        }
        assert!(counts.iter().all(|&n| n > 70), "{counts:?}");
        let home = |seed| Frontends::new(5, Some(seed)).lock().home;
        assert_eq!(home(9), home(9));
        assert_eq!(Frontends::new(1, None).lock().home, 0);
    }
}
