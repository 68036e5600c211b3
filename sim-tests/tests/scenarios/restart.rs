//! A registry restart with staggered re-registration: servers beating at
//! different phases come back one by one over a warm-up, some die meanwhile, a
//! client starts during the warm-up, and round-robin callers keep calling.

use std::time::Duration;

use rollcall_client::{Deadline, DiscoveryOptions, SelectMode};
use rollcall_sim::{
    ClientHost, Failure, HostResult, Plan, REGISTRY, Scenario, ServerHost, millis, secs, seeds,
    trace,
};
use rollcall_sim_tests::{SUM, api_for, arith_server, jitter};

use super::restart_checks::{dead_servers_leave, listed_servers_stay, round_robin_is_fair};

/// TTL (and so warm-up, the registry's default): heartbeats every 10 s (a third
/// of it, ± 10%), so re-registration after a restart takes up to a period.
const TTL: Duration = secs(30);

/// How far apart the servers start, and so how far apart their beats are.
const STAGGER: Duration = secs(2);

/// A server of [`SUM`] that starts listening (and beating) `delay` into its host's
/// start: the fleet's heartbeat phases differ by [`STAGGER`].
fn staggered(
    delay: Duration,
) -> impl Fn(ServerHost) -> std::pin::Pin<Box<dyn Future<Output = HostResult>>> {
    move |host| {
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            arith_server(host).await
        })
    }
}

/// Round-robin calls (no broadcasts: each call is one pick) every 100 ms, each
/// with a 1 s deadline, recorded.
async fn round_robin(host: ClientHost) -> HostResult {
    let xclient = host.xclient(SelectMode::RoundRobin);
    for n in 0_i64.. {
        tokio::time::sleep(millis(100)).await;
        let call = xclient.call::<_, i64>(SUM, &(n, 1), Deadline::after(secs(1)));
        // Calls to a server that died and is still kept may fail: judged by the
        // picks, not the outcomes.
        let _ = host.observe(SUM, call).await;
    }
    Ok(())
}

/// Five servers started [`STAGGER`] apart (TTL and warm-up 30 s), two
/// round-robin callers from the start and a third started during the warm-up
/// (its first list is a warming one). The registry crashes 20-30 s in and comes
/// back 1-5 s later, empty; server-5 dies while it is down, server-4 2-20 s
/// after it is back (before or after re-registering). Discovery: refresh 2 s, max
/// stale 60 s (over the downtime plus the warm-up, so the kept servers last the
/// whole warm-up). Over the JSON API for even seeds, the seed protocol for odd
/// ones (`api_for`).
///
/// Invariants, after every step (bounds justified in `restart_checks`):
/// - while warming, every server that is alive (up since before the registry
///   went down) and was on a client's list when it went down stays on that
///   client's list;
/// - a server that died during the restart, without re-registering, is off
///   every list by the end of the warm-up plus a refresh plus the slack;
/// - under round-robin, no server gets more than its fair share of a client's
///   picks in any one-second window: `k / n + c + 1` for `k` picks over a list of
///   at least `n` servers that changed `c` times.
///
/// And at the end: the late client's first list came while the registry warmed
/// up, and every surviving server re-registered within a period plus backoff.
#[test]
fn registry_restart_with_staggered_reregistration() -> Result<(), Failure> {
    let name = "registry_restart_with_staggered_reregistration";
    for seed in seeds(&[]) {
        let api = api_for(seed);
        let crash = jitter(seed, "crash", secs(20), secs(10));
        let back = crash + jitter(seed, "down", secs(1), secs(4));
        let late = back + jitter(seed, "late", secs(1), secs(9));
        let dies = back + jitter(seed, "dies", secs(2), secs(18));
        let plan = Plan::new()
            .at(Duration::ZERO)
            .crash("client-3")
            .at(crash)
            .crash(REGISTRY)
            .at(crash + (back - crash) / 2)
            .crash("server-5")
            .at(back)
            .restart(REGISTRY)
            .at(late)
            .restart("client-3")
            .at(dies)
            .crash("server-4");
        let mut scenario = Scenario::new(name).api(api).ttl(TTL);
        for i in 0..5_u32 {
            scenario = scenario.server(&format!("server-{}", i + 1), staggered(STAGGER * i));
        }
        let scenario = scenario
            .clients(3, round_robin)
            .discovery(DiscoveryOptions {
                refresh: secs(2),
                max_stale: secs(60),
                request_timeout: Some(secs(1)),
                ..DiscoveryOptions::default()
            })
            .plan(plan);
        let timing = scenario.timing();
        let duration = back + timing.warmup + timing.refresh + timing.slack() + secs(5);
        let scenario = scenario
            .check(listed_servers_stay())
            .check(dead_servers_leave())
            .check(round_robin_is_fair(&["client-1", "client-2", "client-3"]))
            .duration(duration);
        let mut run = scenario.start(seed);
        run.until(duration)?;
        let records = run.records();
        let first = trace::served(records, "client-3")
            .iter()
            .find(|s| s.list.is_some())
            .map(|s| s.at);
        if first.is_none_or(|at| at >= back + timing.warmup) {
            return Err(run.fail(format!(
                "client-3's first list came at {first:?}, not during the warm-up (from {back:?})"
            )));
        }
        let registered_by = back + timing.period + timing.backoff;
        for server in ["server-1", "server-2", "server-3"] {
            let addr = scenario.server_addr(server);
            let again = trace::registrations(records, &addr);
            if !again.iter().any(|&at| at > back && at <= registered_by) {
                return Err(run.fail(format!(
                    "{server} registered at {again:?}; registry back at {back:?}, bound {registered_by:?}"
                )));
            }
        }
        run.finish();
    }
    Ok(())
}
