//! The JSON API under faults: registration with weights, revisions and `304`s,
//! and what `WeightedRandom` and `Random` selection do with the list.

use std::collections::BTreeMap;
use std::time::Duration;

use rollcall_client::protocol::RegisterRequest;
use rollcall_client::{Deadline, SelectMode};
use rollcall_server::{ConnOptions, serve};
use rollcall_sim::{
    Api, Check, ClientHost, Event, Failure, HostResult, Plan, Record, Scenario, ServerHost, checks,
    millis, secs, seeds, trace,
};
use rollcall_sim_tests::{SUM, arith};

/// A server of [`SUM`] registering with `weight`.
fn weighted(
    weight: u32,
) -> impl Fn(ServerHost) -> std::pin::Pin<Box<dyn Future<Output = HostResult>>> {
    move |host| {
        Box::pin(async move {
            let rpc = arith()?;
            let registration = RegisterRequest {
                weight: Some(weight),
                ..host.registration()
            };
            let listener = host.listen_with(registration).await?;
            serve(
                listener,
                rpc,
                ConnOptions::default(),
                std::future::pending(),
            )
            .await?;
            Ok(())
        })
    }
}

/// A client calling [`SUM`] on one server picked by `mode`, every 200 ms.
fn picker(
    mode: SelectMode,
) -> impl Fn(ClientHost) -> std::pin::Pin<Box<dyn Future<Output = HostResult>>> {
    move |host| {
        Box::pin(async move {
            let xclient = host.xclient(mode);
            loop {
                tokio::time::sleep(millis(200)).await;
                let call = xclient.call::<_, i64>(SUM, &(1, 2), Deadline::after(secs(1)));
                // Failures are expected while server-1 is down and still listed.
                let _ = host.observe(SUM, call).await;
            }
        })
    }
}

/// Weights of the selection scenario's servers: one of each kind of share, and
/// one that must never be picked by weight.
const WEIGHTS: [(&str, u32); 4] = [
    ("server-1", 1),
    ("server-2", 3),
    ("server-3", 6),
    ("server-4", 0),
];

/// Over the JSON API, with weights 1, 3, 6 and 0 and server-1 crashing for 10 s
/// (still listed until it expires, so picked and failing), a `WeightedRandom`
/// client and a `Random` one, each calling every 200 ms.
///
/// Invariants, after every step: the defaults; every request goes to a server
/// its client lists (`checks::calls_only_to_listed`); the weight-0 server is
/// never picked by weight. At the end: clients polled with revisions (`304`s
/// seen), and each client's picks per server are within [`TOLERANCE`] standard
/// deviations of what its mode expects over the lists it picked from
/// ([`Frequencies`]): for `WeightedRandom` a server's weight over the list's
/// total, for `Random` one over the list's length (weight 0 included).
#[test]
fn json_api_selection_follows_weights() -> Result<(), Failure> {
    let duration = secs(90);
    let mut scenario = Scenario::new("json_api_selection_follows_weights").api(Api::json("arith"));
    for (server, weight) in WEIGHTS {
        scenario = scenario.server(server, weighted(weight));
    }
    let scenario = scenario
        .client("client-1", picker(SelectMode::WeightedRandom))
        .client("client-2", picker(SelectMode::Random))
        .plan(
            Plan::new()
                .at(secs(30))
                .crash("server-1")
                .at(secs(40))
                .restart("server-1"),
        )
        .check(checks::calls_only_to_listed())
        .check(Check::new("weight 0 never picked by weight", |world| {
            let sent = world.new_records().iter().find(|r| {
                matches!(&r.event, Event::RpcSent { client, server }
                    if client == "client-1" && server == "server-4:8000")
            });
            match sent {
                Some(r) => Err(format!("client-1 picked server-4 (weight 0) at {:?}", r.at)),
                None => Ok(()),
            }
        }))
        .duration(duration);
    for seed in seeds(&[1, 2]) {
        let mut run = scenario.start(seed);
        run.until(duration)?;
        let records = run.records();
        let renewals = records
            .iter()
            .filter(|r| matches!(&r.event, Event::Renewed { addr } if addr == "server-2:8000"))
            .count();
        if renewals < 2 {
            return Err(run.fail(format!(
                "server-2 renewed {renewals} times over the JSON API"
            )));
        }
        if !records
            .iter()
            .any(|r| matches!(r.event, Event::Unchanged { .. }))
        {
            return Err(run.fail("no client was ever told its list was unchanged (304)"));
        }
        let tick = run.timing().tick;
        for (client, mode) in [
            ("client-1", SelectMode::WeightedRandom),
            ("client-2", SelectMode::Random),
        ] {
            let frequencies = Frequencies::of(records, client, mode, tick);
            // Enough for the normal approximation below: the smallest share, a
            // tenth, is expected 20 times or more.
            if frequencies.judged < 200 {
                return Err(run.fail(format!(
                    "{client}: only {} picks judged",
                    frequencies.judged
                )));
            }
            if let Err(why) = frequencies.within(TOLERANCE) {
                return Err(run.fail(format!("{client} ({mode:?}): {why}")));
            }
        }
        run.finish();
    }
    Ok(())
}

/// How many standard deviations a server's picks may stray from what the mode
/// expects. Each pick is an independent draw of the client's seeded RNG, so the
/// difference between picks and expectation is a sum of independent centred
/// terms (of the variance summed below); with hundreds of picks it is close to
/// normal, and a correct selection strays beyond 5 σ with odds of about 6 in ten
/// million per server and client: for the 8 judged per seed, 1 in 2,000 over the
/// 100-seed sweep, 1 in 200 over 1,000 seeds. A seed's draws never change, so a
/// seed that passes always passes.
const TOLERANCE: f64 = 5.0;

/// One client's picks per server against what its mode expects.
#[derive(Debug, Default)]
struct Frequencies {
    /// Per server (`host:port`): picks, expected picks, variance.
    servers: BTreeMap<String, (f64, f64, f64)>,
    /// Picks judged: those made while the client's list was the same for a tick
    /// either side, so the list picked from is known (the kit samples lists on
    /// ticks; a pick in a tick where the list changed may be from either).
    judged: u32,
}

impl Frequencies {
    fn of(records: &[Record], client: &str, mode: SelectMode, tick: Duration) -> Frequencies {
        let served = trace::served(records, client);
        let weight = |addr: &str| {
            let host = addr.split(':').next().unwrap_or(addr);
            WEIGHTS
                .iter()
                .find(|(s, _)| *s == host)
                .map_or(1, |(_, w)| *w)
        };
        let mut out = Frequencies::default();
        for record in records {
            let Event::RpcSent { client: c, server } = &record.event else {
                continue;
            };
            if c != client {
                continue;
            }
            let at = record.at;
            let changed = served
                .iter()
                .any(|s| s.at > at.saturating_sub(tick) && s.at <= at + tick);
            let Some(list) = served
                .iter()
                .rev()
                .find(|s| s.at <= at)
                .and_then(|s| s.list)
            else {
                continue;
            };
            if changed || list.is_empty() {
                continue;
            }
            let total: u32 = list.iter().map(|a| weight(a)).sum();
            for addr in list {
                let p = match mode {
                    SelectMode::WeightedRandom if total > 0 => {
                        f64::from(weight(addr)) / f64::from(total)
                    }
                    _ => 1.0 / list.len() as f64,
                };
                let entry = out.servers.entry(addr.clone()).or_default();
                entry.1 += p;
                entry.2 += p * (1.0 - p);
            }
            out.servers.entry(server.clone()).or_default().0 += 1.0;
            out.judged += 1;
        }
        out
    }

    /// Whether every server's picks are within `z` standard deviations.
    fn within(&self, z: f64) -> Result<(), String> {
        for (server, (picked, expected, variance)) in &self.servers {
            if (picked - expected).abs() > z * variance.sqrt() {
                return Err(format!(
                    "{server} picked {picked} times of {}, expected {expected:.1} ± {:.1}: {self:?}",
                    self.judged,
                    z * variance.sqrt()
                ));
            }
        }
        Ok(())
    }
}

/// A crash and restart, with calls and broadcasts going on, keeps every default
/// invariant over either protocol.
#[test]
fn both_protocols_survive_a_crash() -> Result<(), Failure> {
    for api in [Api::Seed, Api::json("arith")] {
        let scenario =
            rollcall_sim_tests::calling("both_protocols_survive_a_crash", millis(500), secs(2))
                .api(api)
                .plan(
                    Plan::new()
                        .at(secs(10))
                        .crash("server-2")
                        .at(secs(25))
                        .restart("server-2"),
                )
                .duration(secs(45));
        for seed in seeds(&[1]) {
            scenario.run(seed)?;
        }
    }
    Ok(())
}
