//! The failover example as a test: the kit must pass correct failover code and
//! catch the broken variant, with a replay that reproduces the failure exactly.

use rollcall_sim::Failure;
use rollcall_sim::seeds::{DEFAULT_SWEEP, SWEEP_BASE};

#[path = "../examples/failover/app.rs"]
mod app;

use app::Retry;

/// The client that retries on another instance keeps the promise of failover
/// under every random fault plan of the sweep (`SIM_SEEDS`, 100 by default).
#[test]
fn failover_to_another_instance_passes_the_sweep() -> Result<(), Failure> {
    app::scenario(
        "failover_to_another_instance_passes_the_sweep",
        Retry::OnAnotherInstance,
    )
    .sweep(&[])
}

/// The client that retries on the instance it picked first is caught within the
/// default sweep's seeds, by the failover check, and replaying the seed fails the
/// same way at the same simulated time with the same trace.
#[test]
fn retrying_the_same_instance_is_caught_and_replays() {
    let name = "retrying_the_same_instance_is_caught_and_replays";
    let scenario = app::scenario(name, Retry::OnSameInstance);
    let caught = (SWEEP_BASE..SWEEP_BASE + DEFAULT_SWEEP)
        .find_map(|seed| scenario.run(seed).err())
        .expect("the sweep catches the bug");
    assert!(
        caught
            .what()
            .starts_with("no call fails while a live server is listed"),
        "caught by the wrong thing: {caught}"
    );
    assert!(
        caught
            .replay()
            .starts_with(&format!("SIM_SEED={} cargo test", caught.seed()))
            && caught
                .replay()
                .ends_with(&format!("--test failover {name}")),
        "{}",
        caught.replay()
    );
    let again = scenario
        .run(caught.seed())
        .expect_err("the replay fails too");
    assert_eq!(
        (again.trace(), again.at(), again.what()),
        (caught.trace(), caught.at(), caught.what())
    );
}
