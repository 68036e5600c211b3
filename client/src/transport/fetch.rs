//! The browser's `fetch`, as a [`Transport`].
//!
//! Requests are cross-origin-capable (`mode: cors`): the registry answers CORS and
//! exposes `X-rpc-Servers`. The timeout races the fetch against a page timer and, when
//! the timer wins, aborts the fetch through an `AbortController` so the browser does
//! not keep the request open.

use std::time::Duration;

use bytes::Bytes;
use gloo_net::http::{Method as FetchMethod, RequestBuilder};

use super::{HttpRequest, HttpResponse, Transport, TransportError};
use crate::rt;

/// A [`Transport`] on the browser's fetch API. Connection reuse is the browser's.
#[derive(Debug, Clone, Default)]
pub struct FetchTransport {
    _private: (),
}

impl FetchTransport {
    pub fn new() -> Self {
        FetchTransport::default()
    }
}

impl Transport for FetchTransport {
    async fn send(
        &self,
        request: HttpRequest,
        timeout: Duration,
    ) -> Result<HttpResponse, TransportError> {
        let controller = web_sys::AbortController::new()
            .map_err(|e| TransportError::InvalidRequest(format!("{e:?}")))?;
        let exchange = exchange(request, controller.signal());
        match rt::timeout(timeout, exchange).await {
            Some(result) => result,
            None => {
                controller.abort();
                Err(TransportError::Timeout(timeout))
            }
        }
    }
}

async fn exchange(
    request: HttpRequest,
    signal: web_sys::AbortSignal,
) -> Result<HttpResponse, TransportError> {
    let (parts, body) = request.into_parts();
    let method = fetch_method(&parts.method)?;
    let mut builder = RequestBuilder::new(&parts.uri.to_string())
        .method(method)
        .abort_signal(Some(&signal));
    for (name, value) in &parts.headers {
        let value = value
            .to_str()
            .map_err(|_| TransportError::InvalidRequest(format!("header {name} is not text")))?;
        builder = builder.header(name.as_str(), value);
    }
    let fetch_request = if body.is_empty() {
        builder.build()
    } else {
        let array = js_sys::Uint8Array::from(body.as_ref());
        builder.body(array)
    }
    .map_err(|e| TransportError::InvalidRequest(e.to_string()))?;

    // A fetch that fails outright is a network error: refused, unreachable, or
    // blocked by CORS. The browser does not say which.
    let response = fetch_request
        .send()
        .await
        .map_err(|e| TransportError::Connect(e.to_string()))?;
    let mut builder = http::Response::builder().status(response.status());
    for (name, value) in response.headers().entries() {
        builder = builder.header(name, value);
    }
    let body = response
        .binary()
        .await
        .map_err(|e| TransportError::Io(e.to_string()))?;
    builder
        .body(Bytes::from(body))
        .map_err(|e| TransportError::Io(e.to_string()))
}

fn fetch_method(method: &http::Method) -> Result<FetchMethod, TransportError> {
    Ok(match *method {
        http::Method::GET => FetchMethod::GET,
        http::Method::POST => FetchMethod::POST,
        http::Method::PUT => FetchMethod::PUT,
        http::Method::DELETE => FetchMethod::DELETE,
        http::Method::PATCH => FetchMethod::PATCH,
        http::Method::HEAD => FetchMethod::HEAD,
        http::Method::OPTIONS => FetchMethod::OPTIONS,
        ref other => {
            return Err(TransportError::InvalidRequest(format!(
                "method {other} is not supported by fetch"
            )));
        }
    })
}
