//! Which seeds a scenario runs, and how to replay one.
//!
//! Every scenario runs its fixed seeds (regression cases: each seed a simulation
//! ever failed on stays in its list) and then a sweep. The environment narrows or
//! widens that, never the code:
//! - `SIM_SEED=<n>`: run only seed `n`, and print `seed=<n> trace=<hash>`;
//! - `SIM_SEEDS=<count>`: sweep `count` seeds instead of [`DEFAULT_SWEEP`];
//! - `SIM_TRACE=1`: print every record of every run.

use std::io::Write;

/// Seeds swept by each scenario unless `SIM_SEEDS` says otherwise.
pub const DEFAULT_SWEEP: u64 = 100;

/// First seed of the sweep: sweeps use `SWEEP_BASE..SWEEP_BASE + count`, apart from
/// the small numbers the fixed lists use.
pub const SWEEP_BASE: u64 = 1_000;

/// The seeds to run: `SIM_SEED` alone if set, else `fixed` then the sweep.
///
/// # Panics
/// If `SIM_SEED` or `SIM_SEEDS` is set but not a number: a typo must not silently
/// run the default sweep.
pub fn seeds(fixed: &[u64]) -> Vec<u64> {
    if let Some(seed) = env_u64("SIM_SEED") {
        return vec![seed];
    }
    let sweep = env_u64("SIM_SEEDS").unwrap_or(DEFAULT_SWEEP);
    fixed
        .iter()
        .copied()
        .chain(SWEEP_BASE..SWEEP_BASE + sweep)
        .collect()
}

/// Whether one seed was asked for (`SIM_SEED`): then each run prints its trace line.
pub fn single_seed() -> bool {
    env_u64("SIM_SEED").is_some()
}

/// The command that replays `seed` of `scenario` (the test's name).
pub fn replay_line(scenario: &str, seed: u64) -> String {
    format!(
        "SIM_SEED={seed} cargo test --release -p rollcall-sim-tests --test scenarios {scenario}"
    )
}

/// Whether `SIM_TRACE` is set (to anything but `0`): then every run prints all
/// its records, to read what a replayed seed did.
pub fn print_records() -> bool {
    std::env::var("SIM_TRACE").is_ok_and(|v| v != "0")
}

/// Prints `seed=<n> trace=<hash>`.
pub fn print_trace(seed: u64, trace: u64) {
    print_raw(&format!("seed={seed} trace={trace:016x}\n"));
}

/// Writes `text` straight to stderr. The test harness captures `println!` and
/// `eprintln!` of passing tests; a replay must show its output anyway.
pub fn print_raw(text: &str) {
    // A closed stderr leaves nothing to report to; the run itself is unaffected.
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// A seed for one consumer (`label`: "heartbeat/server-1", "xclient/client-0", ..)
/// derived from the run's seed, so every RNG in a simulation follows the one seed
/// while no two share a stream.
pub fn derive(seed: u64, label: &str) -> u64 {
    splitmix64(seed ^ crate::observer::fnv1a(label.as_bytes()))
}

/// SplitMix64's finaliser: spreads nearby inputs (seeds 1, 2, 3) over the whole range.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn env_u64(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    Some(
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a number")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_seeds_differ_per_label_and_repeat_per_seed() {
        assert_eq!(derive(7, "a"), derive(7, "a"));
        assert_ne!(derive(7, "a"), derive(7, "b"));
        assert_ne!(derive(7, "a"), derive(8, "a"));
    }
}
