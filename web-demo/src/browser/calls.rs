//! The call panel's two actions, on the client library: [`RegistryDiscovery`] finds
//! the instances, [`SelectMode`](rollcall_client::SelectMode) picks one,
//! [`RpcClient`] calls it. Each result records which instance answered and how long
//! it took, which `XClient` (built on the same parts) does not report.

use std::time::Duration;

use futures_util::future::join_all;
use rollcall_client::rt::{self, Deadline};
use rollcall_client::transport::FetchTransport;
use rollcall_client::{Discovery, RegistryDiscovery, RpcClient};
use serde_json::Value;

use crate::call::{CallRequest, CallView, InstanceResult};

/// How long a call or a whole broadcast may take, discovery included: long enough
/// for the seed's `Foo.Sleep` with a few seconds, short enough that a hung server
/// shows as an error rather than a spinner.
pub const CALL_BUDGET: Duration = Duration::from_secs(10);

/// Calls one instance, picked by the request's mode.
pub async fn call(
    discovery: &RegistryDiscovery<FetchTransport>,
    rpc: &RpcClient<FetchTransport>,
    request: &CallRequest,
) -> CallView {
    let deadline = Deadline::after(CALL_BUDGET);
    let addr = match discover(deadline, discovery.get(request.mode)).await {
        Ok(instance) => instance.addr,
        Err(failed) => return failed,
    };
    CallView::Answered(timed_call(rpc, addr, request, deadline).await)
}

/// Calls every instance at once and reports each one's result, sorted by address.
pub async fn broadcast(
    discovery: &RegistryDiscovery<FetchTransport>,
    rpc: &RpcClient<FetchTransport>,
    request: &CallRequest,
) -> CallView {
    let deadline = Deadline::after(CALL_BUDGET);
    let mut addrs = match discover(deadline, discovery.get_all()).await {
        Ok(instances) => instances.into_iter().map(|i| i.addr).collect::<Vec<_>>(),
        Err(failed) => return failed,
    };
    addrs.sort();
    let calls = addrs
        .into_iter()
        .map(|addr| timed_call(rpc, addr, request, deadline));
    CallView::Broadcast {
        method: request.method.clone(),
        results: join_all(calls).await,
    }
}

/// Runs a discovery step under `deadline`; a failure becomes the panel's error.
async fn discover<T>(
    deadline: Deadline,
    step: impl Future<Output = Result<T, rollcall_client::Error>>,
) -> Result<T, CallView> {
    let error = match deadline.run(step).await {
        Some(Ok(found)) => return Ok(found),
        Some(Err(e)) => e.to_string(),
        None => "discovery: deadline exceeded".to_owned(),
    };
    Err(CallView::Failed { error })
}

/// One RPC to `addr` under `deadline`, timed on the page's monotonic clock.
async fn timed_call(
    rpc: &RpcClient<FetchTransport>,
    addr: String,
    request: &CallRequest,
    deadline: Deadline,
) -> InstanceResult {
    let started = rt::Instant::now();
    let outcome = rpc
        .call::<Value, Value>(&addr, &request.method, &request.args, deadline)
        .await
        .map_err(|e| e.to_string());
    InstanceResult {
        addr,
        elapsed_ms: started.elapsed().as_secs_f64() * 1_000.0,
        outcome,
    }
}
