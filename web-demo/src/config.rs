//! Which registry the page talks to: `?registry=<url>` in the page's address, else
//! the page's own origin (the registry serves the dashboard at `/`); and the token
//! it sends, if the registry wants one.
//!
//! A registry on another origin works too, provided it answers CORS (rollcall's does;
//! to send a token from another origin, the page's origin must be one of the
//! registry's `--cors-write-origin`s).
//!
//! The token is kept for the browser tab only (`sessionStorage` under
//! [`TOKEN_STORAGE_KEY`]), never in `localStorage` or the address, so it leaves with
//! the tab and never lands in a shared link or the history.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use rollcall_protocol::Token;

/// What a query value escapes: everything but RFC 3986's unreserved characters, so
/// `127.0.0.1` stays readable in the address bar while `&`, `=`, `/`, `:` are escaped.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The query parameter that names the registry.
pub const REGISTRY_PARAM: &str = "registry";

/// Where the tab keeps the token (`sessionStorage`).
pub const TOKEN_STORAGE_KEY: &str = "rollcall-token";

/// The token typed in the page: none if the field is blank, else a valid token or
/// the reason it is not one (never repeating it).
pub fn token_from_field(text: &str) -> Result<Option<Token>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    Token::new(text).map(Some).map_err(|e| e.to_string())
}

/// The registry's base URL for a page at `origin` whose query string is `search`
/// (`location.search`, with or without its leading `?`).
pub fn registry_url(search: &str, origin: &str) -> Result<String, String> {
    match query_param(search, REGISTRY_PARAM) {
        Some(value) if !value.trim().is_empty() => normalize(&value),
        _ => normalize(origin).map_err(|_| {
            format!(
                "the page's origin {origin:?} is not a registry: \
                 open the dashboard from the registry, or add ?{REGISTRY_PARAM}=<url>"
            )
        }),
    }
}

/// Checks a registry base URL and puts it in the form the client joins paths to:
/// `http(s)://host[:port][/prefix]`, with no trailing slash, query or fragment.
pub fn normalize(url: &str) -> Result<String, String> {
    let url = url.trim();
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| format!("{url:?} is not an http:// or https:// URL"))?;
    if rest.contains(['?', '#']) || rest.chars().any(char::is_whitespace) {
        return Err(format!(
            "{url:?}: a registry URL has no query, fragment or spaces"
        ));
    }
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err(format!("{url:?} has no host"));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// The query string (with its `?`) that names `registry`, for the address bar, so a
/// reload or a shared link keeps the registry chosen in the page.
pub fn query_for(registry: &str) -> String {
    format!(
        "?{REGISTRY_PARAM}={}",
        utf8_percent_encode(registry, QUERY_VALUE)
    )
}

/// The decoded value of the first `name=value` pair of `search`.
fn query_param(search: &str, name: &str) -> Option<String> {
    search
        .trim_start_matches('?')
        .split('&')
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| {
            let value = value.replace('+', " ");
            percent_decode_str(&value).decode_utf8_lossy().into_owned()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameter_wins_over_origin() {
        let search = "?x=1&registry=http%3A%2F%2F127.0.0.1%3A9999%2F";
        assert_eq!(
            registry_url(search, "http://page.example"),
            Ok("http://127.0.0.1:9999".to_owned())
        );
        assert_eq!(
            registry_url("registry=http://h:1", "http://o"),
            Ok("http://h:1".to_owned())
        );
    }

    #[test]
    fn falls_back_to_the_page_origin() {
        assert_eq!(
            registry_url("", "http://127.0.0.1:9999"),
            Ok("http://127.0.0.1:9999".to_owned())
        );
        assert_eq!(
            registry_url("?registry=", "https://r.example"),
            Ok("https://r.example".to_owned())
        );
        // A page opened from a file has the origin "null".
        assert!(registry_url("", "null").is_err());
    }

    #[test]
    fn refuses_what_is_not_a_base_url() {
        for bad in [
            "",
            "ftp://h",
            "127.0.0.1:9999",
            "http://",
            "http://h/?q",
            "http://h #",
        ] {
            assert!(normalize(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            normalize(" https://h:1/api/ "),
            Ok("https://h:1/api".to_owned())
        );
    }

    #[test]
    fn a_blank_token_field_is_no_token() {
        assert!(matches!(token_from_field("  "), Ok(None)));
        let token = token_from_field(" s3cret-0123456789abcdef ").expect("valid");
        assert_eq!(
            token.map(|t| t.expose().to_owned()).as_deref(),
            Some("s3cret-0123456789abcdef")
        );
        let short = token_from_field("s3cret").expect_err("too short");
        assert_eq!(short, "invalid token: shorter than 16 characters");
        assert!(!short.contains("s3cret"));
    }

    #[test]
    fn query_round_trips() {
        let url = "http://127.0.0.1:9999/a b&c";
        let q = query_for(url);
        assert_eq!(q, "?registry=http%3A%2F%2F127.0.0.1%3A9999%2Fa%20b%26c");
        assert_eq!(query_param(&q, REGISTRY_PARAM).as_deref(), Some(url));
    }
}
