//! CORS: which pages of other origins a browser lets read an answer, which may
//! write, and the answers to their preflights. One policy type serves the registry
//! (the dashboard is often served from elsewhere) and the RPC host (to a page,
//! every server is another origin); each says which origins may read and write,
//! and which request and exposed headers it allows.
//!
//! Reading and writing are apart because a browser sends some writes without
//! asking first: a "simple request" (a form post, a `text/plain` body) goes out
//! with the user's network access, from any page. So a page of a read origin can
//! show the list, but only a write origin may change it or send a token: its
//! preflight is refused, and a write that arrives from another `Origin` anyway is
//! refused by the handler ([`Cors::may_write`]) before it changes anything.

use http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_HEADERS,
    ACCESS_CONTROL_REQUEST_METHOD, ALLOW, VARY,
};
use http::{HeaderMap, HeaderValue, Method, StatusCode};

use super::{Reply, respond};

/// How long (seconds) a browser may cache a preflight answer.
const PREFLIGHT_MAX_AGE: HeaderValue = HeaderValue::from_static("600");

/// Longest client-sent origin repeated in a refusal's message.
const MAX_SHOWN_ORIGIN: usize = 128;

/// Which origins may read answers and which may write, and what a page may send
/// and read.
#[derive(Debug, Clone)]
pub(crate) struct Cors {
    read: Origins,
    write: Origins,
    /// Request headers a page may send (`Access-Control-Allow-Headers`).
    allow_headers: HeaderValue,
    /// Response headers a page may read beyond the basic ones, if any.
    expose_headers: Option<HeaderValue>,
}

/// A set of origins: `*`, or exact ones.
#[derive(Debug, Clone, Default)]
struct Origins {
    /// `*` was listed: every origin.
    any: bool,
    /// Exact origins (`https://dash.example`), echoed when they match.
    exact: Vec<HeaderValue>,
}

impl Origins {
    /// Origins that cannot be header values can never match, and are skipped
    /// (`HttpConfig::validate` refuses them first).
    fn new(origins: &[String]) -> Origins {
        Origins {
            any: origins.iter().any(|o| o == "*"),
            exact: origins
                .iter()
                .filter(|o| *o != "*")
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect(),
        }
    }

    fn allows(&self, origin: &HeaderValue) -> bool {
        self.any || self.exact.iter().any(|allowed| allowed == origin)
    }

    fn is_empty(&self) -> bool {
        !self.any && self.exact.is_empty()
    }
}

impl Cors {
    /// A policy letting `read` origins read and `write` origins read and write (`*`
    /// for any; an empty list for none).
    pub(crate) fn new(
        read: &[String],
        write: &[String],
        allow_headers: &'static str,
        expose_headers: Option<&'static str>,
    ) -> Cors {
        Cors {
            read: Origins::new(read),
            write: Origins::new(write),
            allow_headers: HeaderValue::from_static(allow_headers),
            expose_headers: expose_headers.map(HeaderValue::from_static),
        }
    }

    /// Whether any other origin is allowed at all.
    pub(crate) fn is_open(&self) -> bool {
        !self.read.is_empty() || !self.write.is_empty()
    }

    /// Whether a page of `origin` may read answers.
    fn allows(&self, origin: &HeaderValue) -> bool {
        self.read.allows(origin) || self.write.allows(origin)
    }

    /// Whether a request carrying `origin` may write or send a token. Without an
    /// `Origin` it is no page's cross-origin request (a program, or a page's
    /// same-origin `GET`): the browser's rules do not apply.
    pub(crate) fn may_write(&self, origin: Option<&HeaderValue>) -> bool {
        origin.is_none_or(|origin| self.write.allows(origin))
    }

    /// Adds the CORS headers for a request from `origin` to an answer's `headers`.
    pub(crate) fn apply(&self, origin: Option<&HeaderValue>, headers: &mut HeaderMap) {
        if !self.is_open() {
            return;
        }
        if let Some(expose) = &self.expose_headers {
            headers.insert(ACCESS_CONTROL_EXPOSE_HEADERS, expose.clone());
        }
        if self.read.any {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
            return;
        }
        // The answer depends on the Origin: caches must key on it.
        headers.append(VARY, HeaderValue::from_static("Origin"));
        if let Some(origin) = origin.filter(|o| self.allows(o)) {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        }
    }

    /// The answer to a preflight (`request` holds its headers) for a route
    /// answering `methods`: `204` with what may be sent, or, when it asks to write
    /// (any method but `GET`/`HEAD`, or an `Authorization` header) from an origin
    /// that may not, `Err` with the origin as it may be shown.
    pub(crate) fn preflight(
        &self,
        request: &HeaderMap,
        methods: &'static str,
    ) -> Result<Reply, String> {
        let origin = request.get(http::header::ORIGIN);
        if asks_to_write(request) && !self.may_write(origin) {
            return Err(shown_origin(origin));
        }
        let mut response = respond::empty(StatusCode::NO_CONTENT);
        let headers = response.headers_mut();
        let methods = HeaderValue::from_static(methods);
        headers.insert(ALLOW, methods.clone());
        headers.insert(ACCESS_CONTROL_ALLOW_METHODS, methods);
        headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, self.allow_headers.clone());
        headers.insert(ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE);
        Ok(response)
    }
}

/// Whether a preflight asks for a write: a method other than `GET` or `HEAD`, or
/// to send `Authorization`.
fn asks_to_write(request: &HeaderMap) -> bool {
    let method = request
        .get(ACCESS_CONTROL_REQUEST_METHOD)
        .map(|m| Method::from_bytes(m.as_bytes()).unwrap_or(Method::POST));
    let writes = method.is_some_and(|m| m != Method::GET && m != Method::HEAD);
    let token = request
        .get_all(ACCESS_CONTROL_REQUEST_HEADERS)
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
        .any(|name| name.trim_ascii().eq_ignore_ascii_case(b"authorization"));
    writes || token
}

/// An `Origin` as it may be repeated in a message: text, and not too long.
pub(crate) fn shown_origin(origin: Option<&HeaderValue>) -> String {
    match origin {
        None => "no origin".to_owned(),
        Some(origin) => String::from_utf8_lossy(origin.as_bytes())
            .chars()
            .take(MAX_SHOWN_ORIGIN)
            .collect(),
    }
}

#[cfg(test)]
mod tests;
