//! # rollcall-sim-tests
//!
//! rollcall's own simulations, the first user of [`rollcall_sim`]: the real
//! registry, heartbeats, discovery and `XClient` under crashes, partitions, loss,
//! latency spikes and registry restarts, over both protocols. The scenarios live
//! in `tests/scenarios.rs`; this crate holds what they share, written as any user
//! of the kit would write it:
//!
//! - [`arith`] and [`arith_server`]: [`SUM`] on rollcall's own RPC host, and a
//!   server host serving it;
//! - [`caller`]: a client host calling and broadcasting [`SUM`] through an
//!   `XClient`, recording each outcome;
//! - [`short`] and [`calling`]: the usual scenario shapes;
//! - [`jitter`] and [`api_for`]: what a seed varies besides the network.

use std::time::Duration;

use rollcall_client::{Deadline, Error, SelectMode};
use rollcall_server::{ConnOptions, RpcError, RpcServer, serve};
use rollcall_sim::{Api, ClientHost, HostResult, Scenario, ServerHost, error_kind, millis, seeds};

/// The method every server offers: the sum of two numbers.
pub const SUM: &str = "Arith.Sum";

/// The methods every server host offers: [`SUM`].
pub fn arith() -> Result<RpcServer, RpcError> {
    RpcServer::new().register(SUM, |(a, b): (i64, i64)| async move {
        a.checked_add(b)
            .ok_or_else(|| RpcError::Handler("overflow".to_owned()))
    })
}

/// A server host: [`SUM`] on rollcall's RPC host, registered while it listens.
pub async fn arith_server(host: ServerHost) -> HostResult {
    let rpc = arith()?;
    serve(
        host.listen().await?,
        rpc,
        ConnOptions::default(),
        std::future::pending(),
    )
    .await?;
    Ok(())
}

/// A client host's software: every `every`, a [`SUM`] of `n + 1` under `deadline`,
/// calls (to one server picked by `mode`) and broadcasts in turn, each recorded
/// with its outcome (`wrong reply` when the sum is not `n + 1`).
pub fn caller(
    mode: SelectMode,
    every: Duration,
    deadline: Duration,
) -> impl Fn(ClientHost) -> std::pin::Pin<Box<dyn Future<Output = HostResult>>> + Clone {
    move |host| Box::pin(call_loop(host, mode, every, deadline))
}

async fn call_loop(
    host: ClientHost,
    mode: SelectMode,
    every: Duration,
    deadline: Duration,
) -> HostResult {
    let xclient = host.xclient(mode);
    for n in 0_i64.. {
        tokio::time::sleep(every).await;
        let start = tokio::time::Instant::now();
        let broadcast = n % 2 == 1;
        let deadline = Deadline::after(deadline);
        let outcome: Result<i64, Error> = if broadcast {
            xclient.broadcast(SUM, &(n, 1), deadline).await
        } else {
            xclient.call(SUM, &(n, 1), deadline).await
        };
        let outcome = match outcome {
            Ok(sum) if sum == n + 1 => Ok(sum.to_string()),
            Ok(sum) => Err(format!("wrong reply {sum} to {n} + 1")),
            Err(error) => Err(format!("{}: {error}", error_kind(&error))),
        };
        let method = if broadcast { "broadcast" } else { "call" };
        host.record_call(method, start.elapsed(), outcome);
    }
    Ok(())
}

/// The sweep's usual shape: 3 [`arith_server`]s, 2 clients that only discover, the
/// kit's defaults (10 s TTL, default period, 20-200 ms latency, 50 ms tick).
pub fn short(name: &str) -> Scenario {
    Scenario::new(name).servers(3, arith_server).idle_clients(2)
}

/// [`short`], with clients that call round-robin every `every` under `deadline`.
pub fn calling(name: &str, every: Duration, deadline: Duration) -> Scenario {
    Scenario::new(name)
        .servers(3, arith_server)
        .clients(2, caller(SelectMode::RoundRobin, every, deadline))
}

/// The protocol a scenario that runs over both speaks with `seed`: the JSON API
/// for even seeds, the seed protocol for odd ones, so a sweep covers both at the
/// cost of one run a seed (the scenarios that do so are the suite's slowest).
pub fn api_for(seed: u64) -> Api {
    if seed.is_multiple_of(2) {
        Api::json("arith")
    } else {
        Api::Seed
    }
}

/// A duration from the seed, in `[low, low + span)` at millisecond steps: where
/// in a beat cycle a fault lands varies per seed.
pub fn jitter(seed: u64, label: &str, low: Duration, span: Duration) -> Duration {
    let span_ms = u64::try_from(span.as_millis()).unwrap_or(u64::MAX).max(1);
    low + millis(seeds::derive(seed, label) % span_ms)
}
