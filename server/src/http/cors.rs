//! CORS: lets the browser dashboard (or any page allowed) read the registry from
//! another origin, including the custom headers it answers with.

use bytes::Bytes;
use http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ALLOW, VARY,
};
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use http_body_util::Full;

/// Response headers a page may read: the seed's list, the granted TTL, the revision.
const EXPOSE_HEADERS: &str = "X-rpc-Servers, X-rpc-Ttl-Ms, ETag";

/// Request headers a page may send.
const ALLOW_HEADERS: &str = "Content-Type, X-rpc-Server, If-None-Match";

/// How long (seconds) a browser may cache a preflight answer.
const PREFLIGHT_MAX_AGE: &str = "600";

/// The configured allowed origins.
#[derive(Debug, Clone)]
pub(super) struct Cors {
    any: bool,
    origins: Vec<String>,
}

impl Cors {
    /// `["*"]` (or any list containing `*`) allows every origin.
    pub(super) fn new(origins: &[String]) -> Cors {
        Cors {
            any: origins.iter().any(|o| o == "*"),
            origins: origins.to_vec(),
        }
    }

    /// Adds the CORS headers for a request from `origin` to `headers`.
    pub(super) fn apply(&self, origin: Option<&HeaderValue>, headers: &mut HeaderMap) {
        headers.insert(
            ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
        if self.any {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
            return;
        }
        // The answer depends on the Origin: caches must key on it.
        headers.append(VARY, HeaderValue::from_static("Origin"));
        let allowed = origin.filter(|o| {
            o.to_str()
                .is_ok_and(|o| self.origins.iter().any(|allowed| allowed == o))
        });
        if let Some(origin) = allowed {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        }
    }
}

/// The `204` answer to a preflight for a route allowing `allow`.
pub(super) fn preflight(allow: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    headers.insert(ALLOW, HeaderValue::from_static(allow));
    headers.insert(
        ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(allow),
    );
    headers.insert(
        ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOW_HEADERS),
    );
    headers.insert(
        ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(PREFLIGHT_MAX_AGE),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_allows_everyone() {
        let mut headers = HeaderMap::new();
        Cors::new(&["*".to_owned()]).apply(None, &mut headers);
        assert_eq!(headers[ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert_eq!(headers[ACCESS_CONTROL_EXPOSE_HEADERS], EXPOSE_HEADERS);
        assert!(headers.get(VARY).is_none());
    }

    #[test]
    fn a_list_echoes_only_matching_origins() {
        let cors = Cors::new(&["https://a.example".to_owned()]);
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
}
