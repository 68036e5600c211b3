//! CORS: which pages of other origins a browser lets read an answer, and the
//! answers to their preflights. One policy type serves the registry (the dashboard
//! is often served from elsewhere) and the RPC host (to a page, every server is
//! another origin); each says which origins, request headers and exposed headers
//! it allows.

use http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ALLOW, VARY,
};
use http::{HeaderMap, HeaderValue, StatusCode};

use super::{Reply, respond};

/// How long (seconds) a browser may cache a preflight answer.
const PREFLIGHT_MAX_AGE: HeaderValue = HeaderValue::from_static("600");

/// Which origins may read answers, and what a page may send and read.
#[derive(Debug, Clone)]
pub(crate) struct Cors {
    /// `*` was listed: every origin, answered with `*`.
    any: bool,
    /// Exact origins (`https://dash.example`), echoed when they match.
    origins: Vec<HeaderValue>,
    /// Request headers a page may send (`Access-Control-Allow-Headers`).
    allow_headers: HeaderValue,
    /// Response headers a page may read beyond the basic ones, if any.
    expose_headers: Option<HeaderValue>,
}

impl Cors {
    /// A policy allowing `origins` (`*` for any; an empty list for none). Origins
    /// that cannot be header values can never match, and are skipped.
    pub(crate) fn new(
        origins: &[String],
        allow_headers: &'static str,
        expose_headers: Option<&'static str>,
    ) -> Cors {
        Cors {
            any: origins.iter().any(|o| o == "*"),
            origins: origins
                .iter()
                .filter(|o| *o != "*")
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect(),
            allow_headers: HeaderValue::from_static(allow_headers),
            expose_headers: expose_headers.map(HeaderValue::from_static),
        }
    }

    /// Whether any other origin is allowed at all.
    pub(crate) fn is_open(&self) -> bool {
        self.any || !self.origins.is_empty()
    }

    /// Whether a request from `origin` may read the answer.
    pub(crate) fn allows(&self, origin: &HeaderValue) -> bool {
        self.any || self.origins.iter().any(|allowed| allowed == origin)
    }

    /// Adds the CORS headers for a request from `origin` to an answer's `headers`.
    pub(crate) fn apply(&self, origin: Option<&HeaderValue>, headers: &mut HeaderMap) {
        if !self.is_open() {
            return;
        }
        if let Some(expose) = &self.expose_headers {
            headers.insert(ACCESS_CONTROL_EXPOSE_HEADERS, expose.clone());
        }
        if self.any {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
            return;
        }
        // The answer depends on the Origin: caches must key on it.
        headers.append(VARY, HeaderValue::from_static("Origin"));
        if let Some(origin) = origin.filter(|o| self.allows(o)) {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        }
    }

    /// The `204` answer to a preflight for a route answering `methods`.
    pub(crate) fn preflight(&self, methods: &'static str) -> Reply {
        let mut response = respond::empty(StatusCode::NO_CONTENT);
        let headers = response.headers_mut();
        let methods = HeaderValue::from_static(methods);
        headers.insert(ALLOW, methods.clone());
        headers.insert(ACCESS_CONTROL_ALLOW_METHODS, methods);
        headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, self.allow_headers.clone());
        headers.insert(ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPOSE: &str = "X-One, X-Two";

    fn policy(origins: &[&str]) -> Cors {
        let origins: Vec<String> = origins.iter().map(|o| (*o).to_owned()).collect();
        Cors::new(&origins, "Content-Type", Some(EXPOSE))
    }

    #[test]
    fn star_allows_everyone() {
        let mut headers = HeaderMap::new();
        policy(&["*"]).apply(None, &mut headers);
        assert_eq!(headers[ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert_eq!(headers[ACCESS_CONTROL_EXPOSE_HEADERS], EXPOSE);
        assert!(headers.get(VARY).is_none());
    }

    #[test]
    fn a_list_echoes_only_matching_origins() {
        let cors = policy(&["https://a.example"]);
        let mut headers = HeaderMap::new();
        cors.apply(
            Some(&HeaderValue::from_static("https://a.example")),
            &mut headers,
        );
        assert_eq!(headers[ACCESS_CONTROL_ALLOW_ORIGIN], "https://a.example");
        assert_eq!(headers[VARY], "Origin");
        let mut headers = HeaderMap::new();
        cors.apply(
            Some(&HeaderValue::from_static("https://b.example")),
            &mut headers,
        );
        assert!(headers.get(ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
        assert_eq!(headers[VARY], "Origin");
    }

    #[test]
    fn no_origins_adds_nothing() {
        let cors = policy(&[]);
        assert!(!cors.is_open());
        let mut headers = HeaderMap::new();
        cors.apply(
            Some(&HeaderValue::from_static("https://a.example")),
            &mut headers,
        );
        assert!(headers.is_empty());
    }

    #[test]
    fn preflights_name_methods_and_headers() {
        let response = policy(&["*"]).preflight("POST, OPTIONS");
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let headers = response.headers();
        assert_eq!(headers[ACCESS_CONTROL_ALLOW_METHODS], "POST, OPTIONS");
        assert_eq!(headers[ACCESS_CONTROL_ALLOW_HEADERS], "Content-Type");
        assert_eq!(headers[ALLOW], "POST, OPTIONS");
    }
}
