//! Calls through discovery: to one server picked by mode, or broadcast to all (the
//! seed's `XClient`).

use std::future::Future;

use futures_util::stream::{FuturesUnordered, StreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::discovery::Discovery;
use crate::error::Error;
use crate::rpc::{RpcClient, decode, encode};
use crate::rt::Deadline;
use crate::select::SelectMode;
use crate::transport::{MaybeSend, Transport};

/// An RPC client that finds its servers through a [`Discovery`].
#[derive(Debug)]
pub struct XClient<D, T> {
    discovery: D,
    mode: SelectMode,
    rpc: RpcClient<T>,
}

impl<D: Discovery, T: Transport> XClient<D, T> {
    /// Calls servers found by `discovery`, picking one by `mode` for [`XClient::call`].
    pub fn new(discovery: D, mode: SelectMode, rpc: RpcClient<T>) -> Self {
        XClient {
            discovery,
            mode,
            rpc,
        }
    }

    /// The discovery in use, e.g. to read
    /// [`RegistryDiscovery::last_error`](crate::RegistryDiscovery::last_error).
    pub fn discovery(&self) -> &D {
        &self.discovery
    }

    /// Calls `method` on one server picked by the mode. Discovery and the call both
    /// run under `deadline`: when it passes, [`Error::DeadlineExceeded`].
    pub fn call<'a, A, R>(
        &'a self,
        method: &str,
        args: &A,
        deadline: Deadline,
    ) -> impl Future<Output = Result<R, Error>> + MaybeSend + use<'a, D, T, A, R>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let body = encode(args);
        let method = method.to_owned();
        let work = async move {
            let body = body?;
            let server = self.discovery.get(self.mode).await?;
            let request = self.rpc.request(&server.addr, &method, body)?;
            decode(&self.rpc.send(request, deadline).await?)
        };
        async move {
            deadline
                .run(work)
                .await
                .unwrap_or(Err(Error::DeadlineExceeded))
        }
    }

    /// Calls `method` on every server at once. The first error ends the broadcast
    /// with that error, cancelling the calls still running; otherwise the reply is
    /// the first success's (the seed's semantics). No server is
    /// [`Error::NoServers`]; a passed `deadline`, [`Error::DeadlineExceeded`].
    pub fn broadcast<'a, A, R>(
        &'a self,
        method: &str,
        args: &A,
        deadline: Deadline,
    ) -> impl Future<Output = Result<R, Error>> + MaybeSend + use<'a, D, T, A, R>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned + MaybeSend,
    {
        let body = encode(args);
        let method = method.to_owned();
        let work = async move {
            let body = body?;
            let servers = self.discovery.get_all().await?;
            if servers.is_empty() {
                return Err(Error::NoServers);
            }
            let mut calls = FuturesUnordered::new();
            for server in &servers {
                let request = self.rpc.request(&server.addr, &method, body.clone())?;
                calls.push(self.rpc.send(request, deadline));
            }
            let mut reply = None;
            while let Some(outcome) = calls.next().await {
                let decoded = decode::<R>(&outcome?)?;
                if reply.is_none() {
                    reply = Some(decoded);
                }
            }
            reply.ok_or(Error::NoServers)
        };
        async move {
            deadline
                .run(work)
                .await
                .unwrap_or(Err(Error::DeadlineExceeded))
        }
    }
}

/// Natively every public future must be `Send`, so calls can be spawned on a
/// multi-threaded runtime: checked here at compile time, over the real transport.
#[cfg(not(target_arch = "wasm32"))]
const _: fn(
    &XClient<
        crate::RegistryDiscovery<crate::transport::HyperTransport>,
        crate::transport::HyperTransport,
    >,
) = |client| {
    fn assert_send<F: Send>(_: F) {}
    assert_send(client.call::<_, u32>("Foo.Sum", &(1, 2), Deadline::never()));
    assert_send(client.broadcast::<_, u32>("Foo.Sum", &(1, 2), Deadline::never()));
    assert_send(client.discovery().get(SelectMode::Random));
    assert_send(client.discovery().force_refresh());
};

#[cfg(test)]
mod tests;

#[cfg(test)]
mod stall_tests;
