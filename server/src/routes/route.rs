//! Which route a path names, and which methods it allows: the table the handler
//! matches `(method, route)` against.

use http::Method;
use percent_encoding::percent_decode_str;
use rollcall_protocol::{API_PREFIX, DEFAULT_SERVICE, METRICS_PATH, READY_PATH};

use crate::auth::Access;
use crate::error::{ApiError, ErrorFormat};
use crate::metrics::RouteLabel;

/// Liveness probe path.
pub(super) const HEALTH_PATH: &str = "/healthz";

/// A path the registry answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Route<'a> {
    /// The seed protocol (configurable path, `/_rpc_/registry` by default).
    Seed,
    /// `/healthz`.
    Health,
    /// `/readyz`.
    Ready,
    /// `/metrics`.
    Metrics,
    /// `/v1/services`.
    Services,
    /// `/v1/services/{service}`.
    Service(&'a str),
    /// `/v1/services/{service}/instances`.
    Instances(&'a str),
    /// `/v1/services/{service}/instances/{addr}`, the address still percent-encoded.
    Instance(&'a str, &'a str),
    /// `/v1/services/{service}/leases`.
    Leases(&'a str),
    /// `/v1/services/{service}/changes`: the change feed.
    Changes(&'a str),
}

impl<'a> Route<'a> {
    /// The route at `path`, or `None` (404).
    pub(super) fn parse(path: &'a str, seed_path: &str) -> Option<Route<'a>> {
        if path == seed_path {
            return Some(Route::Seed);
        }
        match path {
            HEALTH_PATH => return Some(Route::Health),
            READY_PATH => return Some(Route::Ready),
            METRICS_PATH => return Some(Route::Metrics),
            _ => {}
        }
        let rest = path.strip_prefix(API_PREFIX)?.strip_prefix("/services")?;
        if rest.is_empty() {
            return Some(Route::Services);
        }
        let mut segments = rest.strip_prefix('/')?.split('/');
        let parts = (
            segments.next(),
            segments.next(),
            segments.next(),
            segments.next(),
        );
        let route = match parts {
            (Some(s), None, None, None) => Route::Service(s),
            (Some(s), Some("instances"), None, None) => Route::Instances(s),
            (Some(s), Some("instances"), Some(a), None) if !a.is_empty() => Route::Instance(s, a),
            (Some(s), Some("leases"), None, None) => Route::Leases(s),
            (Some(s), Some("changes"), None, None) => Route::Changes(s),
            _ => return None,
        };
        match route {
            Route::Service("")
            | Route::Instances("")
            | Route::Instance("", _)
            | Route::Leases("")
            | Route::Changes("") => None,
            route => Some(route),
        }
    }

    /// Methods this route answers, for `Allow` and CORS preflights. Every route
    /// that answers `GET` answers `HEAD` too.
    pub(super) fn allow(self) -> &'static str {
        match self {
            Route::Seed => "GET, HEAD, POST, OPTIONS",
            Route::Instances(_) => "POST, OPTIONS",
            Route::Instance(..) => "DELETE, OPTIONS",
            Route::Health
            | Route::Ready
            | Route::Metrics
            | Route::Services
            | Route::Service(_)
            | Route::Leases(_)
            | Route::Changes(_) => "GET, HEAD, OPTIONS",
        }
    }

    /// The route as a metric label: its name, never its service or address.
    pub(super) fn label(self) -> RouteLabel {
        match self {
            Route::Seed => RouteLabel::Seed,
            Route::Health => RouteLabel::Health,
            Route::Ready => RouteLabel::Ready,
            Route::Metrics => RouteLabel::Metrics,
            Route::Services => RouteLabel::Services,
            Route::Service(_) => RouteLabel::Service,
            Route::Instances(_) => RouteLabel::Instances,
            Route::Instance(..) => RouteLabel::Instance,
            Route::Leases(_) => RouteLabel::Leases,
            Route::Changes(_) => RouteLabel::Changes,
        }
    }

    /// Whether `method` on this route is answered from the registry's cache (the
    /// lists, the index, the change feed), so that a stale cache must say so
    /// ([`rollcall_protocol::HEADER_STALE`]).
    pub(super) fn reads_the_cache(self, method: &Method) -> bool {
        let read = *method == Method::GET || *method == Method::HEAD;
        let cached = match self {
            Route::Seed | Route::Services | Route::Service(_) | Route::Changes(_) => true,
            Route::Health
            | Route::Ready
            | Route::Metrics
            | Route::Instances(_)
            | Route::Instance(..)
            | Route::Leases(_) => false,
        };
        read && cached
    }

    /// What `method` on this route reads or writes: what the token check and the
    /// CORS write check go by. `None` for a method the route does not answer (the
    /// handler's `405`). The match names every route, so a new one does not build
    /// until it says here whether it reads or writes.
    pub(super) fn access(self, method: &Method) -> Option<Access<'a>> {
        if *method == Method::OPTIONS {
            return Some(Access::Open);
        }
        let read = *method == Method::GET || *method == Method::HEAD;
        let post = *method == Method::POST;
        match self {
            Route::Health | Route::Ready => read.then_some(Access::Open),
            // Metrics name no service: when reads are private, any valid token may read them.
            Route::Metrics => read.then_some(Access::Index),
            Route::Seed if read => Some(Access::Read(DEFAULT_SERVICE)),
            Route::Seed => post.then_some(Access::SeedWrite),
            Route::Services => read.then_some(Access::Index),
            Route::Service(service) | Route::Leases(service) | Route::Changes(service) => {
                read.then_some(Access::Read(service))
            }
            Route::Instances(service) => post.then_some(Access::Write(service)),
            Route::Instance(service, _) => {
                (*method == Method::DELETE).then_some(Access::Write(service))
            }
        }
    }

    /// How this route writes errors.
    pub(super) fn error_format(self) -> ErrorFormat {
        match self {
            Route::Seed | Route::Health | Route::Ready | Route::Metrics => ErrorFormat::Text,
            _ => ErrorFormat::Json,
        }
    }
}

/// How to write a 404 for a path no route matched.
pub(super) fn not_found_format(path: &str) -> ErrorFormat {
    if path.starts_with(API_PREFIX) {
        ErrorFormat::Json
    } else {
        ErrorFormat::Text
    }
}

/// Decodes a percent-encoded path segment strictly: every `%` must start a two-digit
/// hex escape and the result must be UTF-8.
pub(super) fn decode_segment(segment: &str) -> Result<String, ApiError> {
    let bytes = segment.as_bytes();
    for (i, _) in segment.match_indices('%') {
        let hex = bytes
            .get(i + 1..i + 3)
            .ok_or(ApiError::BadPercentEncoding)?;
        if !hex.iter().all(u8::is_ascii_hexdigit) {
            return Err(ApiError::BadPercentEncoding);
        }
    }
    percent_decode_str(segment)
        .decode_utf8()
        .map(|decoded| decoded.into_owned())
        .map_err(|_| ApiError::BadPercentEncoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "/_rpc_/registry";

    #[test]
    fn parses_every_route() {
        let parse = |p| Route::parse(p, SEED);
        assert_eq!(parse(SEED), Some(Route::Seed));
        assert_eq!(parse("/healthz"), Some(Route::Health));
        assert_eq!(parse("/readyz"), Some(Route::Ready));
        assert_eq!(parse("/metrics"), Some(Route::Metrics));
        assert_eq!(parse("/v1/services"), Some(Route::Services));
        assert_eq!(parse("/v1/services/a"), Some(Route::Service("a")));
        assert_eq!(
            parse("/v1/services/a/instances"),
            Some(Route::Instances("a"))
        );
        assert_eq!(
            parse("/v1/services/a/instances/tcp@h%3A1"),
            Some(Route::Instance("a", "tcp@h%3A1"))
        );
        assert_eq!(parse("/v1/services/a/leases"), Some(Route::Leases("a")));
        assert_eq!(parse("/v1/services/a/changes"), Some(Route::Changes("a")));
        for missing in [
            "/",
            "/v1",
            "/v1/",
            "/v1/services/",
            "/v1/servicesx",
            "/v1/services//instances",
            "/v1/services/a/instances/",
            "/v1/services/a/other",
            "/v1/services//changes",
            "/v1/services/a/changes/x",
            "/v1/services/a/instances/x/y",
            "/_rpc_/registry/",
        ] {
            assert_eq!(parse(missing), None, "{missing}");
        }
    }

    #[test]
    fn every_route_declares_what_it_reads_or_writes() {
        let access = |path, method| Route::parse(path, SEED).and_then(|r| r.access(&method));
        assert_eq!(access(SEED, Method::GET), Some(Access::Read("default")));
        assert_eq!(access(SEED, Method::HEAD), Some(Access::Read("default")));
        assert_eq!(access(SEED, Method::POST), Some(Access::SeedWrite));
        assert_eq!(access("/healthz", Method::HEAD), Some(Access::Open));
        assert_eq!(access("/v1/services", Method::GET), Some(Access::Index));
        assert_eq!(
            access("/v1/services/a", Method::GET),
            Some(Access::Read("a"))
        );
        assert_eq!(
            access("/v1/services/a/leases", Method::HEAD),
            Some(Access::Read("a"))
        );
        assert_eq!(
            access("/v1/services/a/instances", Method::POST),
            Some(Access::Write("a"))
        );
        assert_eq!(
            access("/v1/services/a/instances/h:1", Method::DELETE),
            Some(Access::Write("a"))
        );
        assert_eq!(
            access("/v1/services/a/instances", Method::OPTIONS),
            Some(Access::Open)
        );
        assert_eq!(access("/v1/services/a", Method::POST), None);
        assert_eq!(access("/v1/services/a/instances", Method::GET), None);
        assert_eq!(access(SEED, Method::DELETE), None);
    }

    #[test]
    fn decodes_segments_strictly() {
        assert_eq!(decode_segment("tcp@h%3A1").as_deref(), Ok("tcp@h:1"));
        assert_eq!(decode_segment("a%2Fb").as_deref(), Ok("a/b"));
        for bad in ["%", "%4", "%zz", "a%2", "%ff"] {
            assert_eq!(
                decode_segment(bad),
                Err(ApiError::BadPercentEncoding),
                "{bad}"
            );
        }
    }
}
