//! Long sleeps on timers that take a signed 32-bit delay: the browser's
//! `setTimeout` treats anything from 2³¹ ms (about 24.9 days) as 0 and fires at
//! once, so a longer sleep is a chain of shorter timers.

use std::time::Duration;

/// The longest delay one browser timer honours, in milliseconds.
pub(crate) const MAX_TIMER_MS: u32 = i32::MAX as u32;

/// The delays, in milliseconds, of the timers that together sleep `duration`
/// (rounded down to the millisecond, as the browser does): as many of `max_ms` as
/// fit, then the rest; a single zero for a zero duration.
pub(crate) fn timer_chunks(duration: Duration, max_ms: u32) -> impl Iterator<Item = u32> {
    let max_ms = max_ms.max(1);
    let mut left = duration.as_millis();
    let mut first = true;
    std::iter::from_fn(move || {
        if left == 0 && !first {
            return None;
        }
        first = false;
        let chunk = u32::try_from(left).unwrap_or(u32::MAX).min(max_ms);
        left -= u128::from(chunk);
        Some(chunk)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(ms: u64, max: u32) -> Vec<u32> {
        timer_chunks(Duration::from_millis(ms), max).collect()
    }

    #[test]
    fn long_sleeps_are_chained_below_the_limit() {
        assert_eq!(chunks(0, 10), [0]);
        assert_eq!(chunks(7, 10), [7]);
        assert_eq!(chunks(10, 10), [10]);
        assert_eq!(chunks(25, 10), [10, 10, 5]);
        let month = 31 * 24 * 3600 * 1000;
        let real = chunks(month, MAX_TIMER_MS);
        assert_eq!(real.len(), 2);
        assert!(real.iter().all(|&ms| ms <= MAX_TIMER_MS));
        assert_eq!(real.iter().map(|&ms| u64::from(ms)).sum::<u64>(), month);
        let forever = timer_chunks(Duration::MAX, MAX_TIMER_MS);
        assert!(forever.take(1000).all(|ms| ms == MAX_TIMER_MS));
    }
}
