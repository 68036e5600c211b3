//! The code under test: a small service behind a rollcall registry, and a client
//! that fails over to another instance when a call fails. Shared by the example
//! (`main.rs`) and its test (`tests/failover.rs`).
//!
//! Both are written as production code would be: the service is generic over its
//! listener, the client over its discovery and transport. Only [`scenario`] knows
//! about the simulation.

use std::io;
use std::pin::Pin;
use std::time::Duration;

use rollcall_client::transport::Transport;
use rollcall_client::{Deadline, Discovery, Error, RpcClient, SelectMode};
use rollcall_server::{ConnOptions, Listener, RpcError, RpcServer, serve};
use rollcall_sim::{
    ClientHost, FaultKind, HostResult, Network, RandomFaults, Scenario, ServerHost, checks, millis,
    secs,
};

/// The service's one method: a quote by number.
pub const GET: &str = "Quotes.Get";

/// Time between two calls of a client.
const CALL_EVERY: Duration = millis(250);

/// How long a caller waits for a quote, failover included.
const CALL_DEADLINE: Duration = secs(3);

/// How long one attempt may take before the client tries elsewhere: well above a
/// call on a fresh connection (4 messages of at most 50 ms, each delivered on a
/// 50 ms tick), well below the deadline.
const ATTEMPT_TIMEOUT: Duration = secs(1);

/// Pause before trying again after a failed attempt: a refused connection fails
/// at once, and a client must not spin.
const RETRY_PAUSE: Duration = millis(50);

/// The service, on whatever listener it is given: tokio's in production, the
/// simulation's in a scenario.
pub async fn serve_quotes<L: Listener>(listener: L) -> io::Result<()> {
    let rpc = RpcServer::new()
        .register(GET, |n: u32| async move {
            Ok::<_, RpcError>(format!("quote #{n}: the network is reliable"))
        })
        .map_err(io::Error::other)?;
    serve(
        listener,
        rpc,
        ConnOptions::default(),
        std::future::pending(),
    )
    .await
}

/// Where a failed attempt is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// On the next instance discovery hands out: the failover the client means
    /// to do.
    OnAnotherInstance,
    /// On the instance picked first, until the deadline: the bug (the pick made
    /// once, outside the retry loop). A crashed, hung or cut-off instance that is
    /// still listed fails every attempt.
    OnSameInstance,
}

/// The caller: a quote from any instance, failing over until the deadline.
#[derive(Debug)]
pub struct QuoteClient<D, T> {
    discovery: D,
    rpc: RpcClient<T>,
    retry: Retry,
}

impl<D: Discovery, T: Transport> QuoteClient<D, T> {
    /// A client finding instances through `discovery`, calling through `rpc`.
    pub fn new(discovery: D, rpc: RpcClient<T>, retry: Retry) -> Self {
        QuoteClient {
            discovery,
            rpc,
            retry,
        }
    }

    /// Quote `n`: one attempt on an instance picked round-robin, each capped at
    /// [`ATTEMPT_TIMEOUT`], retried per [`Retry`] after [`RETRY_PAUSE`] until
    /// `deadline`.
    pub async fn quote(&self, n: u32, deadline: Deadline) -> Result<String, Error> {
        let mut server = self.discovery.get(SelectMode::RoundRobin).await?;
        loop {
            let attempt = Deadline::after(deadline.cap(ATTEMPT_TIMEOUT));
            match self.rpc.call(&server.addr, GET, &n, attempt).await {
                Ok(quote) => return Ok(quote),
                Err(error) if deadline.is_expired() => return Err(error),
                Err(_) => {
                    tokio::time::sleep(deadline.cap(RETRY_PAUSE)).await;
                    if self.retry == Retry::OnAnotherInstance {
                        server = self.discovery.get(SelectMode::RoundRobin).await?;
                    }
                }
            }
        }
    }
}

/// A client host: a quote every [`CALL_EVERY`], each recorded with its outcome.
fn caller(retry: Retry) -> impl Fn(ClientHost) -> Pin<Box<dyn Future<Output = HostResult>>> {
    move |host| {
        Box::pin(async move {
            let client =
                QuoteClient::new(host.discovery(), RpcClient::new(host.transport()), retry);
            for n in 0.. {
                tokio::time::sleep(CALL_EVERY).await;
                // A failure is judged by the check, from the record.
                let _ = host
                    .observe(GET, client.quote(n, Deadline::after(CALL_DEADLINE)))
                    .await;
            }
            Ok(())
        })
    }
}

/// Three instances of the service, two callers, a LAN (10-50 ms), one minute,
/// random faults drawn from the seed (one at a time: crashes, hangs, instances
/// that stop answering callers while still heartbeating, partitions from a
/// caller), and the promise failover makes: no call fails while a live instance
/// is listed.
pub fn scenario(name: &str, retry: Retry) -> Scenario {
    Scenario::new(name)
        .servers(3, |host: ServerHost| async move {
            serve_quotes(host.listen().await?).await?;
            Ok(())
        })
        .clients(2, caller(retry))
        .network(Network {
            min_latency: millis(10),
            max_latency: millis(50),
            ..Network::default()
        })
        .random_faults(RandomFaults {
            kinds: vec![
                FaultKind::Crash,
                FaultKind::Hang,
                FaultKind::Unresponsive,
                FaultKind::PartitionFromClient,
            ],
            ..RandomFaults::default()
        })
        .check(checks::no_call_fails_while_listed())
        .duration(secs(60))
}
