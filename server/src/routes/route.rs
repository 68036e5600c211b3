//! Which route a path names, and which methods it allows: the table the handler
//! matches `(method, route)` against.

use percent_encoding::percent_decode_str;
use rollcall_protocol::API_PREFIX;

use crate::error::{ApiError, ErrorFormat};

/// Liveness probe path.
pub(super) const HEALTH_PATH: &str = "/healthz";

/// A path the registry answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Route<'a> {
    /// The seed protocol (configurable path, `/_rpc_/registry` by default).
    Seed,
    /// `/healthz`.
    Health,
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
        if path == HEALTH_PATH {
            return Some(Route::Health);
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

    /// Methods this route answers, for `Allow` and CORS preflights.
    pub(super) fn allow(self) -> &'static str {
        match self {
            Route::Seed => "GET, POST, OPTIONS",
            Route::Instances(_) => "POST, OPTIONS",
            Route::Instance(..) => "DELETE, OPTIONS",
            Route::Health
            | Route::Services
            | Route::Service(_)
            | Route::Leases(_)
            | Route::Changes(_) => "GET, OPTIONS",
        }
    }

    /// How this route writes errors.
    pub(super) fn error_format(self) -> ErrorFormat {
        match self {
            Route::Seed | Route::Health => ErrorFormat::Text,
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
