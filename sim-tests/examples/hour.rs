//! Wall time of one simulated hour: 100 servers heartbeating to one registry,
//! 10 clients discovering (each sampling its list every tick), the seed's defaults
//! (5 min TTL, 4 min period, 10 s refresh), latency up to 80% of a tick, every
//! invariant checked after every step.
//!
//! `cargo run --release -p rollcall-sim-tests --example hour [tick-ms] [seed]`
//!
//! Built on the kit (`rollcall_sim::Scenario`) like every scenario.
//!
//! The tick sets the cost: turmoil delivers messages by visiting every link for
//! every host on every step, O(hosts × links), so 110 hosts cost ~1.5 ms a step
//! whatever happens. The default tick is [`DEFAULT_TICK_MS`].

use std::time::{Duration, Instant};

use rollcall_client::{DiscoveryOptions, HeartbeatOptions};
use rollcall_sim::{Failure, Network};
use rollcall_sim_tests::arith_server;

/// The default tick, in milliseconds: a beat every 4 minutes and a refresh every
/// 10 s are still resolved well at one second.
const DEFAULT_TICK_MS: u64 = 1000;

fn main() -> Result<(), Failure> {
    let arg = |n: usize, default: u64| {
        std::env::args()
            .nth(n)
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let tick = Duration::from_millis(arg(1, DEFAULT_TICK_MS));
    let seed = arg(2, 1);
    let (servers, clients) = (100, 10);
    let duration = Duration::from_secs(60 * 60);
    let scenario = rollcall_sim::Scenario::new("hour")
        .servers(servers, arith_server)
        .idle_clients(clients)
        .duration(duration)
        .network(Network {
            tick,
            min_latency: tick / 10,
            max_latency: tick * 4 / 5,
            ..Network::default()
        })
        .ttl(Duration::from_secs(5 * 60))
        .heartbeat(HeartbeatOptions::default())
        .discovery(DiscoveryOptions::default());
    // Wall time is what this example measures: the simulation itself never
    // reads the real clock.
    let started = Instant::now();
    let mut run = scenario.start(seed);
    run.until(duration)?;
    let records = run.records().len();
    let trace = run.finish();
    println!(
        "simulated 1 h of {servers} servers and {clients} clients, tick {tick:?}, in {:.2?} wall ({records} records, seed={seed} trace={trace:016x})",
        started.elapsed()
    );
    Ok(())
}
