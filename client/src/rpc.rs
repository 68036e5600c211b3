//! One RPC: JSON arguments `POST`ed to `http://{host:port}/_rpc_/call/{Service.Method}`
//! (or `https://`), JSON reply back (see ARCHITECTURE.md, "RPC").

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::protocol::{call_url, validate_method};
use crate::rt::Deadline;
use crate::transport::{MaybeSend, Transport, TransportError};

/// Longest a single call may take when the caller's deadline allows more (or is
/// [`Deadline::never`]): a hung server must not hold a call forever.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Calls methods on one server at a time, over a [`Transport`].
///
/// Cheap to clone when the transport is (clones share its connection pool).
#[derive(Debug, Clone)]
pub struct RpcClient<T> {
    transport: T,
    default_timeout: Duration,
    /// Call servers whose address names no scheme over HTTPS.
    https: bool,
}

impl<T: Transport> RpcClient<T> {
    /// A client over `transport` with [`DEFAULT_CALL_TIMEOUT`].
    pub fn new(transport: T) -> Self {
        RpcClient {
            transport,
            default_timeout: DEFAULT_CALL_TIMEOUT,
            https: false,
        }
    }

    /// Calls over HTTPS every server whose address does not say otherwise. An
    /// address may always choose: `https@host:port` is called over HTTPS and
    /// `http@host:port` over plain HTTP; a bare `host:port` or the seed's
    /// `tcp@host:port` over plain HTTP unless this is set.
    pub fn with_https(mut self) -> Self {
        self.https = true;
        self
    }

    /// Changes the longest a single call may take, whatever the deadline.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.default_timeout = timeout;
        self
    }

    /// Calls `method` (`"Service.Method"`) at `addr` (`host:port`, or the seed's
    /// `proto@host:port`) with `args`, and decodes the reply.
    ///
    /// The request's timeout is the deadline's remaining time capped at the client's
    /// timeout; when it is the deadline that ran out the error is
    /// [`Error::DeadlineExceeded`]. The arguments are encoded before the future is
    /// returned, so it does not borrow them.
    pub fn call<'a, A, R>(
        &'a self,
        addr: &str,
        method: &str,
        args: &A,
        deadline: Deadline,
    ) -> impl Future<Output = Result<R, Error>> + MaybeSend + use<'a, T, A, R>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let prepared = encode(args).and_then(|body| self.request(addr, method, body));
        async move {
            let body = self.send(prepared?, deadline).await?;
            decode(&body)
        }
    }

    /// Builds the request for one call.
    pub(crate) fn request(
        &self,
        addr: &str,
        method: &str,
        body: Bytes,
    ) -> Result<http::Request<Bytes>, Error> {
        validate_method(method)?;
        let url = call_url(addr, method, self.https);
        http::Request::post(url.as_str())
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .map_err(|_| Error::InvalidUrl(url))
    }

    /// Sends a built call under `deadline`; the reply body on `2xx`.
    pub(crate) async fn send(
        &self,
        request: http::Request<Bytes>,
        deadline: Deadline,
    ) -> Result<Bytes, Error> {
        if deadline.is_expired() {
            return Err(Error::DeadlineExceeded);
        }
        let url = request.uri().to_string();
        let timeout = deadline.cap(self.default_timeout);
        let response = match self.transport.send(request, timeout).await {
            Ok(response) => response,
            Err(TransportError::Timeout(_)) if deadline.is_expired() => {
                return Err(Error::DeadlineExceeded);
            }
            Err(e) => return Err(e.into()),
        };
        if response.status().is_success() {
            Ok(response.into_body())
        } else {
            Err(Error::from_status(&url, &response))
        }
    }
}

/// Encodes call arguments.
pub(crate) fn encode<A: Serialize + ?Sized>(args: &A) -> Result<Bytes, Error> {
    serde_json::to_vec(args)
        .map(Bytes::from)
        .map_err(|e| Error::Codec(format!("encoding arguments: {e}")))
}

/// Decodes a reply.
pub(crate) fn decode<R: DeserializeOwned>(body: &[u8]) -> Result<R, Error> {
    serde_json::from_slice(body).map_err(|e| Error::Codec(format!("decoding reply: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ErrorBody;
    use crate::registry_client::fake::{FakeTransport, json, reply};

    #[tokio::test]
    async fn posts_json_to_the_method_path_without_the_protocol() {
        let fake = FakeTransport::new(|r| {
            let args: (i32, i32) = serde_json::from_slice(r.body()).expect("args");
            Ok(json(200, &(args.0 + args.1)))
        });
        let rpc = RpcClient::new(fake.clone());
        let sum: i32 = rpc
            .call("tcp@h:1", "Foo.Sum", &(2, 3), Deadline::never())
            .await
            .expect("call");
        assert_eq!(sum, 5);
        let sent = &fake.requests()[0];
        assert_eq!(sent.uri(), "http://h:1/_rpc_/call/Foo.Sum");
        assert_eq!(sent.headers()[CONTENT_TYPE], "application/json");
    }

    #[tokio::test]
    async fn https_by_address_or_by_default() {
        let fake = FakeTransport::new(|_| Ok(json(200, &1)));
        let plain = RpcClient::new(fake.clone());
        let https = RpcClient::new(fake.clone()).with_https();
        for (rpc, addr) in [(&plain, "https@h:1"), (&https, "h:2"), (&https, "http@h:3")] {
            let _: i32 = rpc
                .call(addr, "Foo.Sum", &(1, 2), Deadline::never())
                .await
                .expect("call");
        }
        let urls: Vec<String> = fake
            .requests()
            .iter()
            .map(|r| r.uri().to_string())
            .collect();
        assert_eq!(
            urls,
            [
                "https://h:1/_rpc_/call/Foo.Sum",
                "https://h:2/_rpc_/call/Foo.Sum",
                "http://h:3/_rpc_/call/Foo.Sum"
            ]
        );
    }

    #[tokio::test]
    async fn errors_carry_the_servers_message() {
        let fake = FakeTransport::new(|_| {
            let body = ErrorBody {
                error: "rpc server: can't find method Foo.Bar".into(),
            };
            Ok(json(404, &body))
        });
        let rpc = RpcClient::new(fake);
        let err = rpc
            .call::<_, i32>("h:1", "Foo.Bar", &(), Deadline::never())
            .await
            .expect_err("404");
        assert_eq!(err.status(), Some(404));
        assert!(
            err.to_string().contains("can't find method Foo.Bar"),
            "{err}"
        );
        let bad = rpc
            .call::<_, i32>("h:1", "a/b", &(), Deadline::never())
            .await;
        assert!(matches!(bad, Err(Error::Protocol(_))), "{bad:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_or_own_timeout() {
        let slow = FakeTransport::delayed(|_| (Duration::from_secs(60), Ok(reply(200, &[], "1"))));
        let rpc = RpcClient::new(slow).with_timeout(Duration::from_secs(5));
        let err = rpc
            .call::<_, i32>(
                "h:1",
                "Foo.Sleep",
                &(),
                Deadline::after(Duration::from_secs(2)),
            )
            .await
            .expect_err("deadline");
        assert_eq!(err, Error::DeadlineExceeded);
        let err = rpc
            .call::<_, i32>(
                "h:1",
                "Foo.Sleep",
                &(),
                Deadline::after(Duration::from_secs(20)),
            )
            .await
            .expect_err("own timeout");
        assert!(
            matches!(err, Error::Transport(TransportError::Timeout(_))),
            "{err:?}"
        );
    }
}
