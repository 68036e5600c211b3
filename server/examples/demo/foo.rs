//! The seed's `Foo` service, shared by the demo, its integration test and
//! `demo_servers`: `Foo.Sum` adds; `Foo.Sleep` sleeps `Num1` seconds, then adds.

use std::time::Duration;

use rollcall_server::{RpcError, RpcServer};
use serde::{Deserialize, Serialize};

/// Longest `Foo.Sleep` honoured, so a typo in the dashboard cannot park a request
/// for hours.
pub const MAX_SLEEP: Duration = Duration::from_secs(60);

/// The seed's `Args`, spelled as Go's JSON encoding spells it (`Num1`, `Num2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Args {
    pub num1: i64,
    pub num2: i64,
}

impl Args {
    fn sum(self) -> Result<i64, RpcError> {
        self.num1
            .checked_add(self.num2)
            .ok_or_else(|| RpcError::new("Foo: sum overflows"))
    }
}

/// An RPC host with `Foo.Sum` and `Foo.Sleep`.
pub fn foo_service() -> Result<RpcServer, RpcError> {
    RpcServer::new()
        .register("Foo.Sum", |args: Args| async move { args.sum() })?
        .register("Foo.Sleep", |args: Args| async move {
            let secs = u64::try_from(args.num1).map_err(|_| RpcError::new("negative sleep"))?;
            tokio::time::sleep(Duration::from_secs(secs).min(MAX_SLEEP)).await;
            args.sum()
        })
}
