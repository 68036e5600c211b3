//! Which seeds run, how each run's seeds are derived, and how to replay one.
//!
//! A scenario runs its fixed seeds (regression cases: each seed it ever failed on
//! stays in its list) and then a sweep. The environment narrows or widens that,
//! never the code:
//! - `SIM_SEED=<n>`: run only seed `n`, and print `seed=<n> trace=<hash>` even
//!   when the test passes;
//! - `SIM_SEEDS=<count>`: sweep `count` seeds instead of [`DEFAULT_SWEEP`];
//! - `SIM_TRACE=1`: print every record of every run.

use std::io::Write;
use std::path::Path;

use crate::observer::fnv1a;

/// Seeds swept by each scenario unless `SIM_SEEDS` says otherwise.
pub const DEFAULT_SWEEP: u64 = 100;

/// First seed of the sweep: sweeps use `SWEEP_BASE..SWEEP_BASE + count`, apart from
/// the small numbers fixed lists use.
pub const SWEEP_BASE: u64 = 1_000;

/// The seeds to run: `SIM_SEED` alone if set, else `fixed` then the sweep.
///
/// # Panics
/// If `SIM_SEED` or `SIM_SEEDS` is set but not a number: a typo must not silently
/// run the default sweep.
pub fn seeds(fixed: &[u64]) -> Vec<u64> {
    seeds_sweeping(fixed, DEFAULT_SWEEP)
}

/// [`seeds`], with a sweep of `sweep` seeds unless `SIM_SEEDS` says otherwise: for
/// a scenario whose runs cost more than the seed changes them.
///
/// # Panics
/// As [`seeds`].
pub fn seeds_sweeping(fixed: &[u64], sweep: u64) -> Vec<u64> {
    if let Some(seed) = env_u64("SIM_SEED") {
        return vec![seed];
    }
    let sweep = env_u64("SIM_SEEDS").unwrap_or(sweep);
    fixed
        .iter()
        .copied()
        .chain(SWEEP_BASE..SWEEP_BASE + sweep)
        .collect()
}

/// Whether one seed was asked for (`SIM_SEED`): then each run prints its trace
/// line past the test harness's capture.
pub fn single_seed() -> bool {
    env_u64("SIM_SEED").is_some()
}

/// Whether `SIM_TRACE` is set (to anything but `0`): then every run prints all
/// its records, to read what a replayed seed did.
pub fn print_records() -> bool {
    std::env::var("SIM_TRACE").is_ok_and(|v| v != "0")
}

/// A seed for one consumer (`"heartbeat/server-1"`, `"discovery/client-2"`,
/// `"plan"`, ..) derived from the run's seed, so every RNG in a simulation follows
/// the one seed while no two share a stream.
pub fn derive(seed: u64, label: &str) -> u64 {
    splitmix64(seed ^ fnv1a(label.as_bytes()))
}

/// SplitMix64's finaliser: spreads nearby inputs (seeds 1, 2, 3) over the whole range.
pub(crate) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The command that replays `seed` of `scenario` in the program running now.
///
/// cargo tells a test or example its package (`CARGO_PKG_NAME`); the executable's
/// path tells an example (`target/<profile>/examples/<name>`) from a test binary
/// (`target/<profile>/deps/<target>-<hash>`, the library's own tests when the
/// target is the package's name). An example is replayed with the arguments it
/// was given; a test is picked by the scenario's name.
pub fn replay_command(scenario: &str, seed: u64) -> String {
    let release = if cfg!(debug_assertions) {
        ""
    } else {
        " --release"
    };
    // Set by `cargo run` and `cargo test`; absent when the binary is run by hand.
    let package = std::env::var("CARGO_PKG_NAME").ok();
    let package_arg = package
        .as_ref()
        .map_or(String::new(), |p| format!(" -p {p}"));
    let Some(exe) = std::env::current_exe().ok() else {
        return format!("SIM_SEED={seed} cargo test{release}{package_arg} {scenario}");
    };
    let stem = exe
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if exe.parent().and_then(Path::file_name) == Some("examples".as_ref()) {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let args = if args.is_empty() {
            String::new()
        } else {
            format!(" -- {}", args.join(" "))
        };
        return format!("SIM_SEED={seed} cargo run{release}{package_arg} --example {stem}{args}");
    }
    // `scenarios-76e8e9a19acee64e`: the target's name, then cargo's hash.
    let target = stem
        .rsplit_once('-')
        .map_or(stem.as_str(), |(name, _)| name);
    let target = match &package {
        Some(package) if target == package.replace('-', "_") => " --lib".to_owned(),
        Some(_) => format!(" --test {target}"),
        None => String::new(),
    };
    format!("SIM_SEED={seed} cargo test{release}{package_arg}{target} {scenario}")
}

/// Prints `seed=<n> trace=<hash>`: to stdout (which the test harness shows for
/// failing tests), and straight to stderr when one seed was asked for.
pub(crate) fn report_trace(seed: u64, trace: u64) {
    let line = format!("seed={seed} trace={trace:016x}\n");
    if single_seed() {
        print_raw(&line);
    } else {
        print!("{line}");
    }
}

/// Writes `text` straight to stderr. The test harness captures `println!` and
/// `eprintln!` of passing tests; a replay must show its output anyway.
pub(crate) fn print_raw(text: &str) {
    // A closed stderr leaves nothing to report to; the run itself is unaffected.
    let _ = std::io::stderr().write_all(text.as_bytes());
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

    #[test]
    fn the_replay_command_names_this_test_binary() {
        let line = replay_command("some_scenario", 1042);
        assert!(line.starts_with("SIM_SEED=1042 cargo test"), "{line}");
        assert!(
            line.ends_with("-p rollcall-sim --lib some_scenario"),
            "{line}"
        );
    }
}
