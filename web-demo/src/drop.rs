//! Telling a service that lost many instances at once: a zone gone, a bad deploy.
//! A service is marked when its count fell by at least [`DROP_FRACTION`] of the
//! highest count it had within the last [`DROP_WINDOW_MS`].

use std::collections::VecDeque;

/// How much of a service must go to mark it: a quarter. Single instances coming
/// and going in a service of five or more stay unmarked; losing a zone out of
/// three or four does not.
pub const DROP_FRACTION: f64 = 0.25;

/// How far back the peak is looked for: a minute, long enough to see a drop that
/// came as a few expiries in a row, short enough that the mark goes once the
/// service is stable again.
pub const DROP_WINDOW_MS: f64 = 60_000.0;

/// A service's instance counts over the last window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CountHistory {
    /// `(when, count from then on)`, oldest first; the first one may be older than
    /// the window: it is the count the window started with.
    samples: VecDeque<(f64, usize)>,
}

/// A drop worth marking: from `peak` down to `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drop {
    pub peak: usize,
    pub now: usize,
}

impl CountHistory {
    /// The count became `count` at `at_ms`.
    pub fn record(&mut self, at_ms: f64, count: usize) {
        if self.samples.back().map(|(_, c)| *c) == Some(count) {
            return;
        }
        self.samples.push_back((at_ms, count));
        self.forget_before(at_ms - DROP_WINDOW_MS);
    }

    /// The drop to mark at `now_ms`, if any.
    pub fn drop_at(&self, now_ms: f64) -> Option<Drop> {
        let start = now_ms - DROP_WINDOW_MS;
        let (_, current) = *self.samples.back()?;
        // Every count that was current at some time within the window.
        let peak = self
            .samples
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                self.samples
                    .get(i + 1)
                    .is_none_or(|(next_at, _)| *next_at > start)
            })
            .map(|(_, (_, count))| *count)
            .max()?;
        let lost = peak.saturating_sub(current);
        // Counts are far below 2^52: the conversions are exact.
        (lost > 0 && lost as f64 >= peak as f64 * DROP_FRACTION)
            .then_some(Drop { peak, now: current })
    }

    /// Drops samples that ended before `start`, keeping the one current at it.
    fn forget_before(&mut self, start: f64) {
        while self.samples.len() > 1 && self.samples.get(1).is_some_and(|(at, _)| *at <= start) {
            self.samples.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sharp_drop_is_marked_for_a_minute() {
        let mut h = CountHistory::default();
        h.record(0.0, 100);
        h.record(1_000.0, 99);
        assert_eq!(h.drop_at(1_000.0), None, "one instance is churn");
        h.record(5_000.0, 80);
        assert_eq!(h.drop_at(5_000.0), None, "20 of 100 is less than a quarter");
        h.record(6_000.0, 60);
        assert_eq!(h.drop_at(6_000.0), Some(Drop { peak: 100, now: 60 }));
        // The peak was current until 1 s; it leaves the window a minute later.
        assert_eq!(h.drop_at(60_999.0), Some(Drop { peak: 100, now: 60 }));
        assert_eq!(h.drop_at(61_001.0), Some(Drop { peak: 99, now: 60 }));
        assert_eq!(h.drop_at(66_001.0), None, "stable for a minute");
    }

    #[test]
    fn growth_and_an_empty_history_are_not_drops() {
        let mut h = CountHistory::default();
        assert_eq!(h.drop_at(0.0), None);
        h.record(0.0, 0);
        h.record(10.0, 50);
        assert_eq!(h.drop_at(20.0), None);
        h.record(30.0, 0);
        assert_eq!(h.drop_at(40.0), Some(Drop { peak: 50, now: 0 }));
    }

    #[test]
    fn the_history_stays_bounded_by_the_window() {
        let mut h = CountHistory::default();
        for i in 0..10_000_u32 {
            h.record(f64::from(i) * 100.0, (i % 7) as usize);
        }
        // 60 s of samples 100 ms apart, plus the one current at the window's start.
        assert!(h.samples.len() <= 602, "{}", h.samples.len());
    }
}
