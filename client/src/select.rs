//! Picking one server from a list: the seed's `SelectMode`, plus weights.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::error::Error;
use crate::protocol::Instance;

/// How [`Discovery::get`](crate::Discovery::get) picks one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SelectMode {
    /// Uniformly at random (the seed's `RandomSelect`).
    #[default]
    Random,
    /// In turn, starting at a random position so that many clients do not all start
    /// on the first server (the seed's `RoundRobinSelect`).
    RoundRobin,
    /// At random, in proportion to [`Instance::weight`]; weight 0 is never picked.
    WeightedRandom,
}

/// The state selection needs between picks: a seeded RNG and the round-robin cursor.
#[derive(Debug, Clone)]
pub(crate) struct Selector {
    rng: SmallRng,
    next: usize,
}

impl Selector {
    /// A selector drawing from `rng`, the round-robin cursor placed at random as the
    /// seed does (`r.Intn(math.MaxInt32 - 1)`).
    pub(crate) fn new(mut rng: SmallRng) -> Self {
        let next = rng.random_range(0..u32::MAX) as usize;
        Selector { rng, next }
    }

    /// A selector seeded with `seed` (reproducible), or from the OS when `None`.
    pub(crate) fn seeded(seed: Option<u64>) -> Self {
        Selector::new(match seed {
            Some(seed) => SmallRng::seed_from_u64(seed),
            None => SmallRng::from_os_rng(),
        })
    }

    /// Picks one of `instances` by `mode`. An empty list, or all-zero weights under
    /// [`SelectMode::WeightedRandom`], is [`Error::NoServers`].
    pub(crate) fn pick<'a>(
        &mut self,
        mode: SelectMode,
        instances: &'a [Instance],
    ) -> Result<&'a Instance, Error> {
        let n = instances.len();
        if n == 0 {
            return Err(Error::NoServers);
        }
        let index = match mode {
            SelectMode::Random => self.rng.random_range(0..n),
            SelectMode::RoundRobin => {
                // Modulo the current length: the list may have shrunk since last time.
                let index = self.next % n;
                self.next = (index + 1) % n;
                index
            }
            SelectMode::WeightedRandom => self.weighted(instances)?,
        };
        Ok(&instances[index])
    }

    fn weighted(&mut self, instances: &[Instance]) -> Result<usize, Error> {
        let total: u64 = instances.iter().map(|i| u64::from(i.weight)).sum();
        if total == 0 {
            return Err(Error::NoServers);
        }
        let mut point = self.rng.random_range(0..total);
        for (index, instance) in instances.iter().enumerate() {
            let weight = u64::from(instance.weight);
            if point < weight {
                return Ok(index);
            }
            point -= weight;
        }
        // Unreachable: `point < total`, the sum of the weights walked above.
        Err(Error::NoServers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(weights: &[u32]) -> Vec<Instance> {
        weights
            .iter()
            .enumerate()
            .map(|(i, &w)| Instance {
                weight: w,
                ..Instance::from_addr(format!("h:{i}"))
            })
            .collect()
    }

    fn counts(
        selector: &mut Selector,
        mode: SelectMode,
        instances: &[Instance],
        draws: usize,
    ) -> Vec<usize> {
        let mut counts = vec![0; instances.len()];
        for _ in 0..draws {
            let picked = selector.pick(mode, instances).expect("pick");
            let index = instances.iter().position(|i| i == picked).expect("known");
            counts[index] += 1;
        }
        counts
    }

    #[test]
    fn random_is_roughly_uniform() {
        let instances = list(&[1, 1, 1, 1]);
        let counts = counts(
            &mut Selector::seeded(Some(7)),
            SelectMode::Random,
            &instances,
            40_000,
        );
        for c in counts {
            assert!((9_000..11_000).contains(&c), "{c}");
        }
    }

    #[test]
    fn round_robin_cycles_exactly_from_a_random_start() {
        let instances = list(&[1, 1, 1]);
        let mut selector = Selector::seeded(Some(1));
        let first = selector
            .pick(SelectMode::RoundRobin, &instances)
            .expect("pick")
            .clone();
        let start = instances.iter().position(|i| *i == first).expect("known");
        for k in 1..10 {
            let picked = selector
                .pick(SelectMode::RoundRobin, &instances)
                .expect("pick");
            assert_eq!(*picked, instances[(start + k) % 3]);
        }
        let starts: std::collections::BTreeSet<_> = (0..20)
            .map(|seed| {
                Selector::seeded(Some(seed))
                    .pick(SelectMode::RoundRobin, &instances)
                    .expect("pick")
                    .addr
                    .clone()
            })
            .collect();
        assert!(starts.len() > 1, "start is random");
    }

    #[test]
    fn round_robin_is_safe_when_the_list_shrinks() {
        let mut selector = Selector::seeded(Some(3));
        let long = list(&[1; 5]);
        for _ in 0..4 {
            selector.pick(SelectMode::RoundRobin, &long).expect("pick");
        }
        let short = list(&[1; 2]);
        for _ in 0..5 {
            assert!(selector.pick(SelectMode::RoundRobin, &short).is_ok());
        }
        assert_eq!(
            selector.pick(SelectMode::RoundRobin, &[]),
            Err(Error::NoServers)
        );
    }

    #[test]
    fn weighted_random_is_proportional_and_skips_zero() {
        let instances = list(&[1, 3, 0, 6]);
        let counts = counts(
            &mut Selector::seeded(Some(9)),
            SelectMode::WeightedRandom,
            &instances,
            50_000,
        );
        assert_eq!(counts[2], 0);
        for (c, expected) in [(counts[0], 5_000), (counts[1], 15_000), (counts[3], 30_000)] {
            let tolerance = expected / 10;
            assert!(c.abs_diff(expected) < tolerance, "{c} vs {expected}");
        }
    }

    #[test]
    fn all_zero_weights_is_no_servers() {
        let mut selector = Selector::seeded(Some(0));
        let drained = list(&[0, 0]);
        let err = selector.pick(SelectMode::WeightedRandom, &drained);
        assert_eq!(err, Err(Error::NoServers));
    }
}
