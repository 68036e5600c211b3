//! The browser's `fetch`, as a [`Transport`].
//!
//! Requests are cross-origin-capable (`mode: cors`): the registry answers CORS and
//! exposes `X-rpc-Servers`. The timeout races the fetch against a page timer and, when
//! the timer wins, aborts the fetch through an `AbortController` so the browser does
//! not keep the request open. The body is read chunk by chunk and refused past
//! [`MAX_RESPONSE_BODY`], as natively.

use std::time::Duration;

use bytes::Bytes;
use gloo_net::http::{Method as FetchMethod, RequestBuilder};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::{HttpRequest, HttpResponse, MAX_RESPONSE_BODY, Transport, TransportError};
use crate::rt;

/// A [`Transport`] on the browser's fetch API. Connection reuse is the browser's.
#[derive(Debug, Clone)]
pub struct FetchTransport {
    max_body: usize,
}

impl Default for FetchTransport {
    fn default() -> Self {
        FetchTransport {
            max_body: MAX_RESPONSE_BODY,
        }
    }
}

impl FetchTransport {
    pub fn new() -> Self {
        FetchTransport::default()
    }

    /// Changes the largest response body accepted (default [`MAX_RESPONSE_BODY`]).
    pub fn with_max_body(mut self, max_body: usize) -> Self {
        self.max_body = max_body;
        self
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
        let exchange = exchange(request, controller.signal(), self.max_body);
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
    max_body: usize,
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
    let body = read_body(&response, max_body).await?;
    builder
        .body(body)
        .map_err(|e| TransportError::Io(e.to_string()))
}

/// The whole body, refused as soon as it is known to exceed `max_body`: from its
/// `Content-Length` if it has one, else while reading (the stream is then
/// cancelled, so the browser stops downloading).
async fn read_body(
    response: &gloo_net::http::Response,
    max_body: usize,
) -> Result<Bytes, TransportError> {
    let too_large = || TransportError::Io(format!("response body larger than {max_body} bytes"));
    let declared = response.headers().get("content-length");
    if declared
        .and_then(|length| length.trim().parse::<u64>().ok())
        .is_some_and(|length| length > max_body as u64)
    {
        return Err(too_large());
    }
    let Some(stream) = response.body() else {
        return Ok(Bytes::new());
    };
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let failed = |e: wasm_bindgen::JsValue| TransportError::Io(format!("reading the body: {e:?}"));
    let mut body = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(failed)?;
        let done = js_sys::Reflect::get(&chunk, &"done".into()).map_err(failed)?;
        if done.as_bool().unwrap_or(true) {
            return Ok(Bytes::from(body));
        }
        let value = js_sys::Reflect::get(&chunk, &"value".into()).map_err(failed)?;
        let bytes = js_sys::Uint8Array::new(&value);
        let len = bytes.length() as usize;
        if body.len().saturating_add(len) > max_body {
            // Tells the browser to stop; the promise says nothing we need.
            drop(reader.cancel());
            return Err(too_large());
        }
        let start = body.len();
        body.resize(start + len, 0);
        bytes.copy_to(&mut body[start..]);
    }
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

/// In Chromium, through the browser harness (see `tests/browser.rs`).
#[cfg(test)]
mod tests {
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    use super::*;

    wasm_bindgen_test_configure!(run_in_browser);

    /// A response with a streamed body and no `Content-Length`, as a chunked one.
    fn streamed(text: &str) -> gloo_net::http::Response {
        let raw = web_sys::Response::new_with_opt_str(Some(text)).expect("response");
        gloo_net::http::Response::from(raw)
    }

    #[wasm_bindgen_test]
    async fn a_body_without_a_length_is_cut_at_the_limit() {
        assert_eq!(
            read_body(&streamed("0123456789"), 10).await,
            Ok(Bytes::from_static(b"0123456789"))
        );
        let refused = read_body(&streamed("0123456789"), 9).await;
        assert_eq!(
            refused,
            Err(TransportError::Io(
                "response body larger than 9 bytes".to_owned()
            ))
        );
    }
}
