//! The seed's day-7 scenario, run in-process: the same code as
//! `cargo run --example demo`, with its outcomes checked instead of printed.

#[path = "../examples/demo/foo.rs"]
mod foo;
#[path = "../examples/demo/scenario.rs"]
mod scenario;

use std::sync::Arc;
use std::time::Duration;

use scenario::{Demo, Kind, Report, SLEEP_DEADLINE};
use tokio::time::Instant;

/// Slack over the 2 s deadline for a loaded machine: this checks that broadcasts
/// give up at their deadline rather than waiting for the 4 s sleeps, not speed.
const MARGIN: Duration = Duration::from_millis(1500);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_scenario_calls_and_broadcasts_as_the_seed_does() {
    let quiet: Report = Arc::new(|_line| {});
    let demo = Demo::start(quiet)
        .await
        .expect("registry and servers start");

    let calls = demo.call().await.expect("discovery finds the servers");
    assert_eq!(calls.len(), 5);
    let mut sums: Vec<_> = calls
        .iter()
        .map(|o| {
            assert_eq!(o.kind, Kind::Call);
            let reply = o.result.as_ref().unwrap_or_else(|e| panic!("{o}: {e}"));
            assert_eq!(*reply, o.args.num1 + o.args.num2, "{o}");
            o.args.num1
        })
        .collect();
    sums.sort_unstable();
    assert_eq!(sums, [0, 1, 2, 3, 4]);

    let started = Instant::now();
    let broadcasts = demo.broadcast().await.expect("discovery finds the servers");
    let took = started.elapsed();
    assert_eq!(broadcasts.len(), 10);
    for outcome in &broadcasts {
        assert_eq!(outcome.kind, Kind::Broadcast);
        let args = outcome.args;
        match (outcome.method, args.num1) {
            ("Foo.Sum", _) | ("Foo.Sleep", 0..=1) => {
                assert_eq!(outcome.result, Ok(args.num1 + args.num2), "{outcome}");
            }
            ("Foo.Sleep", _) => {
                let error = outcome
                    .result
                    .as_ref()
                    .expect_err("sleep of 2 s or more misses the deadline");
                assert!(error.is_timeout(), "{outcome}");
                assert_eq!(
                    outcome.to_string(),
                    "broadcast Foo.Sleep error: rpc: call: deadline exceeded"
                );
            }
            (other, _) => panic!("unexpected method {other}"),
        }
    }
    // Sum broadcasts are quick; the Sleep ones end at their deadline, not after 4 s.
    assert!(took < SLEEP_DEADLINE + MARGIN, "broadcasts took {took:?}");

    demo.stop().await;
}
