//! Client failover across several registry frontends: three frontend hosts serve
//! one registry (held by the store host, as frontends over one etcd cluster);
//! servers and clients are given all three URLs. Each seed draws its faults:
//! frontends crashed and restarted, hung and resumed, links from servers and
//! clients to a frontend cut and healed, sometimes two frontends at once.
//!
//! The invariant: no live server is lost from discovery while at least one
//! frontend is reachable. The kit's world counts a server as able to renew, and a
//! client as connected, while it reaches at least one frontend, so its liveness
//! check says exactly that: a server that can renew is on every connected
//! client's list (within the usual bound of both becoming healthy), at every
//! step; and no server's registration expires while it can renew (servers never
//! crash here, so every expiry would be a lost server). Calls never fail: the
//! servers stay up and reachable throughout.
//!
//! Replay one seed: `SIM_SEED=<n> cargo test --release -p rollcall-sim-tests --test
//! frontends <test>`; widen the sweep with `SIM_SEEDS=<count>`.

use std::time::Duration;

use rollcall_client::{DiscoveryOptions, ListSource, SelectMode};
use rollcall_sim::seeds::seeds_sweeping;
use rollcall_sim::{Api, Check, Failure, Plan, Scenario, checks, millis, secs, seeds};
use rollcall_sim_tests::{arith_server, caller};

/// The frontends every run has.
const FRONTENDS: usize = 3;

/// Faults start after everyone registered and discovered, and end before the run
/// does, so the last seconds check that everything settled.
const FAULTS_FROM: Duration = secs(6);

/// One window of faults every this long.
const WINDOW: Duration = secs(12);

/// Windows of faults per run.
const WINDOWS: u64 = 6;

/// The run: the faults, then a quiet quarter minute.
const RUN: Duration = secs(6 + 12 * 6 + 15);

fn frontend(i: u64) -> String {
    format!("frontend-{}", i % FRONTENDS as u64 + 1)
}

/// A number in `0..n` drawn from `seed` for `label`.
fn draw(seed: u64, label: &str, n: u64) -> u64 {
    seeds::derive(seed, label) % n
}

/// The seed's faults: in each window, one frontend (drawn) is crashed, hung, or
/// cut off from a drawn half of the servers and clients, for 3 to 10 s; in a
/// third of the windows a second frontend is crashed or hung for an overlapping
/// span. The third frontend is never touched in a window, so everyone can always
/// reach one, except where a cut and a second fault leave some host none (then
/// the invariant does not apply to it).
fn faults(seed: u64, servers: &[String], clients: &[String]) -> Plan {
    let mut plan = Plan::new();
    for window in 0..WINDOWS {
        let label = |what: &str| format!("frontends/{window}/{what}");
        let start = FAULTS_FROM + WINDOW * window as u32 + millis(draw(seed, &label("at"), 1_500));
        let length = millis(3_000 + draw(seed, &label("length"), 7_000));
        let first = draw(seed, &label("first"), FRONTENDS as u64);
        let target = frontend(first);
        plan = match draw(seed, &label("kind"), 3) {
            0 => plan.at(start).crash(&target).after(length).restart(&target),
            1 => plan.at(start).hang(&target).after(length).resume(&target),
            _ => {
                let cut: Vec<&String> = servers
                    .iter()
                    .chain(clients)
                    .filter(|host| draw(seed, &label(host), 2) == 0)
                    .collect();
                let mut plan = plan.at(start);
                for host in &cut {
                    plan = plan.partition(host, &target);
                }
                plan = plan.after(length);
                for host in &cut {
                    plan = plan.heal(host, &target);
                }
                plan
            }
        };
        if draw(seed, &label("second"), 3) == 0 {
            let second = frontend(first + 1);
            let offset = millis(draw(seed, &label("offset"), 2_000));
            let length = millis(2_000 + draw(seed, &label("second length"), 5_000));
            plan = if draw(seed, &label("second kind"), 2) == 0 {
                plan.at(start + offset)
                    .crash(&second)
                    .after(length)
                    .restart(&second)
            } else {
                plan.at(start + offset)
                    .hang(&second)
                    .after(length)
                    .resume(&second)
            };
        }
    }
    plan
}

/// No registration expires: servers never crash and always reach some frontend
/// (no fault cuts a server off from two frontends while the third is down for
/// long), so an expiry is a server lost through the frontends' failures.
fn no_expiry() -> Check {
    Check::new("no live server expires", |world| {
        match world.expiries().first() {
            Some(expiry) => Err(format!(
                "{} expired at {:?} (last renewed at {:?})",
                expiry.addr, expiry.at, expiry.renewed
            )),
            None => Ok(()),
        }
    })
}

/// Three servers, three calling clients (a call or broadcast every 300 ms, each
/// under a 3 s deadline), three frontends, the JSON API, the kit's usual
/// discovery settings (refresh 2 s, stale after 15 s, 1 s per request) with lists
/// from `source`.
fn scenario(name: &str, source: ListSource) -> Scenario {
    Scenario::new(name)
        .api(Api::json("arith"))
        .frontends(FRONTENDS)
        .servers(3, arith_server)
        .clients(3, caller(SelectMode::RoundRobin, millis(300), secs(3)))
        .discovery(DiscoveryOptions {
            source,
            refresh: secs(2),
            max_stale: secs(15),
            request_timeout: Some(secs(1)),
            ..DiscoveryOptions::default()
        })
        .check(checks::no_call_fails_while_listed())
        .check(no_expiry())
        .duration(RUN)
}

fn sweep(name: &str, source: ListSource) -> Result<(), Failure> {
    let base = scenario(name, source);
    let (servers, clients) = (base.server_names(), base.client_names());
    for seed in seeds::seeds(&[1, 2, 3]) {
        base.clone()
            .plan(faults(seed, &servers, &clients))
            .run(seed)?;
    }
    Ok(())
}

/// Discovery polling (every 2 s, 1 s per frontend tried): no live server lost.
#[test]
fn polling_discovery_survives_frontend_failures() -> Result<(), Failure> {
    sweep(
        "polling_discovery_survives_frontend_failures",
        ListSource::Poll,
    )
}

/// Discovery watching (a held request on one frontend; when it fails, the next
/// is asked at once): no live server lost.
#[test]
fn watching_discovery_survives_frontend_failures() -> Result<(), Failure> {
    sweep(
        "watching_discovery_survives_frontend_failures",
        ListSource::Watch,
    )
}

/// Two runs of one seed give the same trace, event for event: the store, its
/// relays and every client's choice of frontend follow the seed, in both modes
/// (the registry wakes the held requests of a service in the order they began to
/// wait, so watchers woken together answer in the same order every run).
#[test]
fn frontend_runs_replay() -> Result<(), Failure> {
    for source in [ListSource::Poll, ListSource::Watch] {
        replays(source)?;
    }
    Ok(())
}

fn replays(source: ListSource) -> Result<(), Failure> {
    // Shown if a replay fails: which discovery mode it was.
    eprintln!("checking that {source:?} runs replay");
    let base = scenario("frontend_runs_replay", source);
    let (servers, clients) = (base.server_names(), base.client_names());
    for seed in seeds_sweeping(&[1, 2], 10) {
        let scenario = base.clone().plan(faults(seed, &servers, &clients));
        scenario.assert_replays(seed, RUN)?;
    }
    Ok(())
}
