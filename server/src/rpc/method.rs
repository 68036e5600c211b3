//! Type erasure of RPC methods: each typed handler becomes a function from the
//! request body's bytes to the reply's bytes, so methods of different argument and
//! reply types live in one map.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::RpcError;

/// Why a call failed, as the host maps it to a status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum CallError {
    /// The body did not decode as the method's arguments (`400`); serde's reason.
    BadArguments(String),
    /// The handler failed (`500`); its own message.
    Handler(String),
    /// The reply could not be encoded (`500`).
    Encode(String),
}

/// The future of one erased call.
pub(super) type CallFuture = Pin<Box<dyn Future<Output = Result<Bytes, CallError>> + Send>>;

/// One registered method: decodes its arguments, runs, encodes its reply.
pub(super) type ErasedMethod = Arc<dyn Fn(Bytes) -> CallFuture + Send + Sync>;

/// Wraps a typed handler. Decoding happens before the handler's future is created,
/// so arguments that do not decode never reach user code.
pub(super) fn erase<A, R, F, Fut>(handler: F) -> ErasedMethod
where
    A: DeserializeOwned + Send + 'static,
    R: Serialize + Send + 'static,
    F: Fn(A) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, RpcError>> + Send + 'static,
{
    Arc::new(move |body: Bytes| -> CallFuture {
        let args = match serde_json::from_slice::<A>(&body) {
            Ok(args) => args,
            Err(error) => {
                let reason = error.to_string();
                return Box::pin(async move { Err(CallError::BadArguments(reason)) });
            }
        };
        let call = handler(args);
        Box::pin(async move {
            let reply = call
                .await
                .map_err(|error| CallError::Handler(error.to_string()))?;
            serde_json::to_vec(&reply)
                .map(Bytes::from)
                .map_err(|error| CallError::Encode(error.to_string()))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn decodes_runs_and_encodes() {
        let double = erase(|n: i64| async move { Ok::<_, RpcError>(n * 2) });
        assert_eq!(
            double(Bytes::from_static(b"21")).await,
            Ok(Bytes::from_static(b"42"))
        );
    }

    #[tokio::test]
    async fn separates_bad_arguments_from_handler_errors() {
        let picky = erase(|n: u8| async move {
            if n == 0 {
                Err(RpcError::new("zero"))
            } else {
                Ok(n)
            }
        });
        assert!(matches!(
            picky(Bytes::from_static(b"\"x\"")).await,
            Err(CallError::BadArguments(_))
        ));
        assert_eq!(
            picky(Bytes::from_static(b"0")).await,
            Err(CallError::Handler("zero".to_owned()))
        );
    }
}
