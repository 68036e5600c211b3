//! The JSON API under faults: registration with weights, revisions and `304`s,
//! and what `WeightedRandom` and `Random` selection do with the list.

use std::collections::BTreeMap;

use rollcall_client::protocol::RegisterRequest;
use rollcall_client::{Deadline, SelectMode};
use rollcall_server::{ConnOptions, RpcError, RpcServer, serve};
use rollcall_sim::{
    Api, ClientHost, Event, Failure, HostResult, Plan, Record, Scenario, ServerHost, millis, secs,
    seeds,
};
use rollcall_sim_tests::SUM;

/// A server of [`SUM`] registering with `weight`.
fn weighted(
    weight: u32,
) -> impl Fn(ServerHost) -> std::pin::Pin<Box<dyn Future<Output = HostResult>>> {
    move |host| {
        Box::pin(async move {
            let rpc = RpcServer::new().register(SUM, |(a, b): (i64, i64)| async move {
                Ok::<_, RpcError>(a + b)
            })?;
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

/// Successful RPCs of `client`, per server (`host:port`).
fn answered_by(records: &[Record], client: &str) -> BTreeMap<String, u32> {
    let mut counts = BTreeMap::new();
    for record in records {
        if let Event::RpcDone {
            client: c,
            server,
            outcome: Ok(200),
        } = &record.event
            && c == client
        {
            *counts.entry(server.clone()).or_default() += 1;
        }
    }
    counts
}

/// Over the JSON API, with weights 1, 3 and 6 and server-1 crashing for 10 s:
/// every default invariant holds; clients poll with revisions (the registry
/// answers `304` when nothing changed); `WeightedRandom` sends more calls to
/// heavier servers, in weight order; `Random` spreads them evenly over the two
/// servers that never failed.
#[test]
fn json_api_selection_follows_weights() -> Result<(), Failure> {
    let duration = secs(90);
    let scenario = Scenario::new("json_api_selection_follows_weights")
        .api(Api::json("arith"))
        .server("server-1", weighted(1))
        .server("server-2", weighted(3))
        .server("server-3", weighted(6))
        .client("client-1", picker(SelectMode::WeightedRandom))
        .client("client-2", picker(SelectMode::Random))
        .plan(
            Plan::new()
                .at(secs(30))
                .crash("server-1")
                .at(secs(40))
                .restart("server-1"),
        )
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
        let weighted = answered_by(records, "client-1");
        let count = |counts: &BTreeMap<String, u32>, server: &str| {
            counts.get(&format!("{server}:8000")).copied().unwrap_or(0)
        };
        let (w1, w2, w3) = (
            count(&weighted, "server-1"),
            count(&weighted, "server-2"),
            count(&weighted, "server-3"),
        );
        if !(w1 < w2 && w2 < w3) {
            return Err(run.fail(format!(
                "WeightedRandom answered by weight 1: {w1}, 3: {w2}, 6: {w3}; expected in weight order"
            )));
        }
        let random = answered_by(records, "client-2");
        let (r2, r3) = (count(&random, "server-2"), count(&random, "server-3"));
        // Even: the two counts differ by less than 4 standard deviations of a fair
        // coin's (√n for n calls), about 1 in 15,000 for a fair selection.
        let spread = 4.0 * f64::from(r2 + r3).sqrt();
        if r2.min(r3) == 0 || f64::from(r2.abs_diff(r3)) > spread {
            return Err(run.fail(format!(
                "Random answered by server-2 {r2} times, server-3 {r3} times: not even"
            )));
        }
        run.finish();
    }
    Ok(())
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
