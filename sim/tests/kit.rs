//! The kit's own behaviour: failure reports, faults, the JSON API, refusals of a
//! broken scenario, determinism of everything a plan can do.

use std::pin::Pin;
use std::time::Duration;

use rollcall_client::{Deadline, SelectMode};
use rollcall_server::{ConnOptions, RpcError, RpcServer, serve};
use rollcall_sim::{
    Api, Check, ClientHost, Event, FaultKind, HostResult, Network, Plan, RandomFaults, Scenario,
    ServerHost, checks, millis, secs, seeds, trace,
};

/// Invariants of a listener: checks that the kit reports what users must know.
#[path = "kit/checks.rs"]
mod check_tests;

/// Checks with a state, a sick registry, list requests, loss windows, watchers.
#[path = "kit/extensions.rs"]
mod extensions;

/// The method the test servers offer.
const ECHO: &str = "Test.Echo";

/// A server echoing numbers, registered while it listens.
async fn echo_server(host: ServerHost) -> HostResult {
    let rpc = RpcServer::new().register(ECHO, |n: u64| async move { Ok::<_, RpcError>(n) })?;
    serve(
        host.listen().await?,
        rpc,
        ConnOptions::default(),
        std::future::pending(),
    )
    .await?;
    Ok(())
}

/// A client calling once every 250 ms, without retrying: one attempt, 1 s.
fn one_shot(host: ClientHost) -> Pin<Box<dyn Future<Output = HostResult>>> {
    Box::pin(async move {
        let xclient = host.xclient(SelectMode::RoundRobin);
        for n in 0_u64.. {
            tokio::time::sleep(millis(250)).await;
            let call = xclient.call::<_, u64>(ECHO, &n, Deadline::after(secs(1)));
            let _ = host.observe(ECHO, call).await;
        }
        Ok(())
    })
}

fn basic(name: &str) -> Scenario {
    Scenario::new(name)
        .servers(3, echo_server)
        .idle_clients(2)
        .duration(secs(30))
}

/// A check of your own fails the run at the step it breaks, and the failure
/// carries the seed, the simulated time, the reason, the last events, the plan
/// and the command that replays it.
#[test]
fn a_failing_check_reports_everything_needed_to_replay() {
    let name = "a_failing_check_reports_everything_needed_to_replay";
    let stays = Check::new("server-1 stays registered", |world| {
        match world
            .expiries()
            .iter()
            .find(|e| e.addr == "tcp@server-1:8000")
        {
            Some(expiry) => Err(format!("it expired at {:?}", expiry.at)),
            None => Ok(()),
        }
    });
    let scenario = basic(name)
        .plan(Plan::new().at(secs(5)).crash("server-1"))
        .check(stays);
    let failure = scenario
        .run(7)
        .expect_err("server-1 expires after its crash");
    let ttl = scenario.timing().ttl;
    assert_eq!(failure.seed(), 7);
    assert!(
        failure
            .what()
            .starts_with("server-1 stays registered: it expired at")
    );
    assert!(
        failure.at() > secs(5) + ttl - scenario.timing().period,
        "{failure}"
    );
    assert!(failure.at() <= secs(5) + ttl + millis(100), "{failure}");
    assert!(
        failure
            .tail()
            .contains("Expired { addr: \"tcp@server-1:8000\" }")
    );
    assert_eq!(failure.plan(), "5s crash server-1\n");
    assert!(failure.replay().starts_with("SIM_SEED=7 cargo test"));
    assert!(failure.replay().ends_with(&format!("--test kit {name}")));
    let shown = failure.to_string();
    for part in [
        "seed=7 trace=",
        "failed at simulated",
        "last events:",
        "fault plan:",
        "replay: SIM_SEED=7",
    ] {
        assert!(shown.contains(part), "{part:?} missing from:\n{shown}");
    }
}

/// A hung server (every link held) stops renewing, expires, and leaves every
/// client's list; resumed, it is registered and listed again. The default
/// checks hold throughout.
#[test]
fn a_hung_server_expires_and_returns() -> Result<(), rollcall_sim::Failure> {
    let scenario = basic("a_hung_server_expires_and_returns")
        .plan(
            Plan::new()
                .at(secs(3))
                .hang("server-2")
                .at(secs(18))
                .resume("server-2"),
        )
        .duration(secs(35));
    for seed in seeds(&[1]) {
        let mut run = scenario.start(seed);
        run.until(secs(35))?;
        let addr = scenario.server_addr("server-2");
        let records = run.records();
        let [expired] = trace::expiries(records, &addr)[..] else {
            return Err(run.fail("server-2 should expire exactly once"));
        };
        if !(secs(3)..secs(18)).contains(&expired) {
            return Err(run.fail(format!("server-2 expired at {expired:?}, not while hung")));
        }
        let back = trace::registrations(records, &addr).last().copied();
        if back.is_none_or(|at| at <= secs(18)) {
            return Err(run.fail(format!("server-2 registered last at {back:?}")));
        }
        for client in scenario.client_names() {
            if trace::first_served(records, &client, &addr, false, secs(3)).is_none() {
                return Err(run.fail(format!("{client} never dropped server-2")));
            }
        }
        run.finish();
    }
    Ok(())
}

/// Over the JSON API the probes see renewals (inside the registry), lists with
/// their size, `304`s when nothing changed, and a deregistration, after which
/// the address leaves at once without breaking the expiry check.
#[test]
fn the_json_api_is_observed() -> Result<(), rollcall_sim::Failure> {
    let leaves = |host: ServerHost| async move {
        let rpc = RpcServer::new().register(ECHO, |n: u64| async move { Ok::<_, RpcError>(n) })?;
        let mut listener = host.listen().await?;
        let heartbeat = listener.take_heartbeat();
        let serving = serve(
            listener,
            rpc,
            ConnOptions::default(),
            tokio::time::sleep(secs(10)),
        );
        let (served, stopped) = tokio::join!(serving, async {
            tokio::time::sleep(secs(10)).await;
            match heartbeat {
                Some(heartbeat) => heartbeat.stop().await,
                None => Ok(()),
            }
        });
        served?;
        stopped?;
        Ok(())
    };
    let scenario = Scenario::new("the_json_api_is_observed")
        .api(Api::json("echo"))
        .servers(2, echo_server)
        .server("leaving", leaves)
        .idle_clients(1)
        .no_default_checks()
        .check(checks::registry_expiry())
        .check(checks::no_dead_server_served())
        .duration(secs(20));
    let mut run = scenario.start(3);
    run.until(secs(20))?;
    let records = run.records();
    let seen = |wanted: &dyn Fn(&Event) -> bool| records.iter().any(|r| wanted(&r.event));
    let checks: [(&str, bool); 5] = [
        (
            "a JSON renewal",
            seen(&|e| matches!(e, Event::Renewed { addr } if addr == "server-1:8000")),
        ),
        (
            "a full list",
            seen(&|e| matches!(e, Event::Refreshed { servers: 3, .. })),
        ),
        ("a 304", seen(&|e| matches!(e, Event::Unchanged { .. }))),
        (
            "the deregistration",
            seen(&|e| matches!(e, Event::Deregistered { addr } if addr == "leaving:8000")),
        ),
        (
            "the address leaving",
            !trace::expiries(records, "leaving:8000").is_empty(),
        ),
    ];
    for (what, found) in checks {
        if !found {
            return Err(run.fail(format!("no {what} in the trace")));
        }
    }
    Ok(())
}

/// Two runs of a seed record the same trace with everything a plan can do: random
/// crashes, hangs, holds and partitions, a loss window, a latency spike and a
/// registry restart, over the JSON API, with calls going on.
#[test]
fn every_fault_replays_exactly() {
    let plan = Plan::new()
        .at(secs(12))
        .loss(0.005, secs(5))
        .at(secs(20))
        .latency_spike(millis(600), secs(4))
        .at(secs(30))
        .registry_restart(secs(2));
    let scenario = Scenario::new("every_fault_replays_exactly")
        .api(Api::json("echo"))
        .servers(3, echo_server)
        .clients(2, one_shot)
        .plan(plan)
        .random_faults(RandomFaults {
            kinds: vec![
                FaultKind::Crash,
                FaultKind::Hang,
                FaultKind::Unresponsive,
                FaultKind::PartitionFromRegistry,
                FaultKind::PartitionFromClient,
            ],
            max_concurrent: 2,
            ..RandomFaults::default()
        })
        .no_default_checks()
        .duration(secs(40));
    for seed in rollcall_sim::seeds::seeds_sweeping(&[1, 2], 8) {
        let first = scenario.start(seed);
        let (mut a, mut b) = (first, scenario.start(seed));
        a.until(secs(40)).expect("no check to fail");
        b.until(secs(40)).expect("no check to fail");
        let (ra, rb) = (a.records().to_vec(), b.records().to_vec());
        let at = ra.iter().zip(&rb).position(|(x, y)| x != y);
        assert_eq!(at, None, "seed {seed}: the runs part at record {at:?}");
        assert_eq!(ra.len(), rb.len(), "seed {seed}");
        assert!(
            ra.iter()
                .any(|r| matches!(r.event, Event::Loss { per_million: 5000 }))
        );
        assert_eq!(a.finish(), b.finish(), "seed {seed}");
    }
}

/// A scenario that cannot run says why at its first step, before anything
/// happens, instead of turmoil panicking.
#[test]
fn a_broken_scenario_fails_at_once() {
    let unknown = basic("a_broken_scenario_fails_at_once")
        .plan(Plan::new().at(secs(5)).crash("server-9"))
        .run(1)
        .expect_err("server-9 does not exist");
    assert_eq!(unknown.at(), Duration::ZERO);
    assert!(unknown.what().contains("\"server-9\""), "{unknown}");
    let twice = basic("a_broken_scenario_fails_at_once")
        .server("server-1", echo_server)
        .run(1)
        .expect_err("server-1 is declared twice");
    assert!(
        twice.what().contains("two hosts are named \"server-1\""),
        "{twice}"
    );
    let failing = basic("a_broken_scenario_fails_at_once")
        .server("broken", |_host: ServerHost| async {
            Err("cannot start".into())
        })
        .run(1)
        .expect_err("a host's error fails the run");
    assert!(failing.what().contains("cannot start"), "{failing}");
}

/// Random plans are drawn per seed: the scenario's runs differ in their faults,
/// and each run's plan is part of its failure report.
#[test]
fn random_plans_follow_the_seed() {
    let scenario = basic("random_plans_follow_the_seed").random_faults(RandomFaults::default());
    let plans: Vec<String> = (1..=5)
        .map(|seed| scenario.start(seed).plan().to_string())
        .collect();
    assert_eq!(plans[0], scenario.start(1).plan().to_string());
    assert!(plans.iter().skip(1).any(|p| *p != plans[0]));
    assert!(plans.iter().all(|p| !p.is_empty()));
}

/// What the network does, for the checks: a spike raises the latency bound.
#[test]
fn a_spike_raises_the_latency_bound() {
    let quiet = basic("a_spike_raises_the_latency_bound");
    let spiky = quiet
        .clone()
        .plan(Plan::new().at(secs(5)).latency_spike(secs(1), secs(5)));
    assert_eq!(quiet.timing().max_latency, Network::default().max_latency);
    assert_eq!(spiky.timing().max_latency, secs(1));
}
