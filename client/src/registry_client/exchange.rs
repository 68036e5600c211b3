//! Sending one request to the registry: to the frontend [`Frontends`] says first,
//! and on to the next when it cannot be reached, times out or answers
//! `500`/`502`/`503`/`504`.
//!
//! Every request the client sends may be sent again to another frontend: lists,
//! the index, leases and watches are reads; a JSON registration and a seed `POST`
//! register or renew to the same state however often they land; a `DELETE`
//! removes the instance once (sent again after a first that did land, it is
//! answered `404`, which [`Heartbeat::stop`](crate::Heartbeat::stop) counts as
//! done). A request that is not safe to repeat must not use [`RegistryClient::send`].
//!
//! Each attempt has its own timeout; each frontend is tried at most once per
//! request, so a request takes at most one timeout per registry URL.

use bytes::Bytes;
use http::header::{AUTHORIZATION, HeaderName};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use std::time::Duration;

use super::RegistryClient;
use crate::error::Error;
use crate::rt::Instant;
use crate::transport::{HttpRequest, HttpResponse, Transport, TransportError};

/// One request, to be sent to whichever frontend answers.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    method: Method,
    /// Appended to each registry URL: the JSON API's path and query, or nothing
    /// for the seed protocol's full URL.
    path: String,
    headers: HeaderMap,
    body: Bytes,
    /// `None`: the client's timeout.
    timeout: Option<Duration>,
    /// A blocking query asked again of the frontends after the first, answered at
    /// once (`wait=0`) under this timeout: the answer a watch needs after its
    /// frontend failed, without holding it for another wait.
    catch_up: Option<(String, Duration)>,
}

impl Call {
    pub(crate) fn new(method: Method, path: impl Into<String>) -> Call {
        Call {
            method,
            path: path.into(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            timeout: None,
            catch_up: None,
        }
    }

    pub(crate) fn get(path: impl Into<String>) -> Call {
        Call::new(Method::GET, path)
    }

    pub(crate) fn header(mut self, name: HeaderName, value: HeaderValue) -> Call {
        self.headers.insert(name, value);
        self
    }

    pub(crate) fn body(mut self, body: Bytes) -> Call {
        self.body = body;
        self
    }

    /// A blocking query: held up to `timeout` by the first frontend; `path`
    /// (the same query with `wait=0`) under `catch_up_timeout` on the others.
    pub(crate) fn held(
        mut self,
        timeout: Duration,
        path: String,
        catch_up_timeout: Duration,
    ) -> Call {
        self.timeout = Some(timeout);
        self.catch_up = Some((path, catch_up_timeout));
        self
    }
}

/// A frontend's answer, and the URL it was asked at (for error messages).
#[derive(Debug)]
pub(crate) struct Answered {
    pub(crate) url: String,
    pub(crate) response: HttpResponse,
}

/// Whether a request that got no answer moves on to the next frontend: yes when
/// the frontend could not be reached or did not answer in time; not when the
/// request itself is unusable (the same on every frontend).
fn moves_on(error: &TransportError) -> bool {
    matches!(
        error,
        TransportError::Timeout(_) | TransportError::Connect(_) | TransportError::Io(_)
    )
}

/// Whether an answer with `status` moves on to the next frontend: a frontend that
/// failed (`500`), a proxy that found none behind it (`502`, `504`), or one that
/// cannot serve now (`503`: its etcd is unreachable, or too many held requests).
/// Any other status is the registry's answer, the same on every frontend.
fn fails_over(status: StatusCode) -> bool {
    matches!(status.as_u16(), 500 | 502 | 503 | 504)
}

impl<T: Transport> RegistryClient<T> {
    /// Sends `call` to the frontends in [`Frontends::order`](super::failover) until
    /// one answers; a `2xx` or `304` is `Ok`, any other answer an error. When every
    /// frontend failed, the last failure. The token, if any, goes with every attempt.
    pub(crate) async fn send(&self, call: Call) -> Result<Answered, Error> {
        let order = self.frontends.order(Instant::now());
        let mut last = None;
        for (attempt, index) in order.into_iter().enumerate() {
            let base = &self.endpoint.urls()[index];
            let (path, timeout) = match (&call.catch_up, attempt) {
                (Some((path, timeout)), 1..) => (path.as_str(), *timeout),
                _ => (call.path.as_str(), call.timeout.unwrap_or(self.timeout)),
            };
            let url = format!("{base}{path}");
            let request = self.build(&call, &url)?;
            let error = match self.transport.send(request, timeout).await {
                Ok(response) if !fails_over(response.status()) => {
                    self.frontends.answered(index);
                    return judge(url, response);
                }
                Ok(response) => Error::from_status(&url, &response),
                Err(error) if moves_on(&error) => Error::Transport(error),
                Err(error) => return Err(Error::Transport(error)),
            };
            tracing::debug!(%url, %error, "registry frontend failed; trying the next");
            self.frontends.failed(index, Instant::now());
            last = Some(error);
        }
        Err(last.unwrap_or_else(|| Error::InvalidUrl("no registry URL".to_owned())))
    }

    fn build(&self, call: &Call, url: &str) -> Result<HttpRequest, Error> {
        let mut request = http::Request::builder()
            .method(call.method.clone())
            .uri(url)
            .body(call.body.clone())
            .map_err(|_| Error::InvalidUrl(url.to_owned()))?;
        let headers = request.headers_mut();
        for (name, value) in &call.headers {
            headers.insert(name, value.clone());
        }
        if let Some(token) = &self.token {
            // The token's alphabet is that of a header value: this cannot fail.
            if let Ok(value) = HeaderValue::from_str(&token.bearer_header()) {
                headers.insert(AUTHORIZATION, value);
            }
        }
        Ok(request)
    }
}

/// A `2xx` or `304` answer is `Ok`, anything else an error.
fn judge(url: String, response: HttpResponse) -> Result<Answered, Error> {
    let status = response.status();
    if status.is_success() || status == StatusCode::NOT_MODIFIED {
        Ok(Answered { url, response })
    } else {
        Err(Error::from_status(&url, &response))
    }
}
