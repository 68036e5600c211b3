//! Proof that the kit finds real bugs: a small service behind a rollcall registry,
//! and a client that retries a failed call on another instance, swept over 100
//! seeds of random faults.
//!
//! ```sh
//! cargo run --release -p rollcall-sim --example failover            # passes
//! cargo run --release -p rollcall-sim --example failover -- --bug   # caught, with a replay command
//! cargo run --release -p rollcall-sim --example failover -- --bug --keep-going   # every seed that catches it
//! SIM_SEED=1000 cargo run --release -p rollcall-sim --example failover -- --bug  # one seed again
//! ```
//!
//! `--bug` retries on the instance picked first instead of another one; the check
//! "no call fails while a live server is listed" catches it. `SIM_SEEDS=<n>` sweeps
//! `n` seeds; `SIM_TRACE=1` prints every event.

mod app;

use std::process::ExitCode;

use app::Retry;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let unknown: Vec<&String> = args
        .iter()
        .filter(|a| !matches!(a.as_str(), "--bug" | "--keep-going"))
        .collect();
    if !unknown.is_empty() {
        eprintln!("failover: unknown argument(s) {unknown:?}; expected --bug, --keep-going");
        return ExitCode::FAILURE;
    }
    let retry = if args.iter().any(|a| a == "--bug") {
        Retry::OnSameInstance
    } else {
        Retry::OnAnotherInstance
    };
    let keep_going = args.iter().any(|a| a == "--keep-going");
    let scenario = app::scenario("failover", retry);
    let seeds = rollcall_sim::seeds(&[]);
    let mut caught = Vec::new();
    for &seed in &seeds {
        if let Err(failure) = scenario.run(seed) {
            if caught.is_empty() || !keep_going {
                println!("{failure}");
            }
            caught.push((seed, failure.at()));
            if !keep_going {
                break;
            }
        }
    }
    match caught.as_slice() {
        [] => {
            println!(
                "failover ({retry:?}): {} seed(s), every check held",
                seeds.len()
            );
            ExitCode::SUCCESS
        }
        [(seed, at)] if !keep_going => {
            let nth = seeds.iter().position(|s| s == seed).map_or(0, |i| i + 1);
            println!(
                "failover ({retry:?}): caught at seed {seed} (seed {nth} of {}), simulated {at:?}; --keep-going runs them all",
                seeds.len()
            );
            ExitCode::FAILURE
        }
        _ => {
            let seeds_caught: Vec<u64> = caught.iter().map(|(s, _)| *s).collect();
            let first = caught.iter().map(|(_, at)| *at).min().unwrap_or_default();
            let last = caught.iter().map(|(_, at)| *at).max().unwrap_or_default();
            println!(
                "failover ({retry:?}): caught in {} of {} seed(s), between simulated {first:?} and {last:?}: {seeds_caught:?}",
                caught.len(),
                seeds.len()
            );
            ExitCode::FAILURE
        }
    }
}
