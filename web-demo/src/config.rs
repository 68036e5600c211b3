//! What the page's address and fields say: which registry to talk to
//! (`?registry=<url>` in the page's address, else the page's own origin, where the
//! registry serves the dashboard at `/`), the filter (`?q=`), and the token it
//! sends, if the registry wants one.
//!
//! The registry field takes a comma-separated list of base URLs (a registry run as
//! several frontends over etcd, [`registry_urls`], [`parse_registries`]): the page
//! talks to one and moves to another when it cannot be reached, as the client does.
//!
//! A registry on another origin works too, provided it answers CORS (rollcall's does;
//! to send a token from another origin, the page's origin must be one of the
//! registry's `--cors-write-origin`s).
//!
//! The token is kept for the browser tab only (`sessionStorage` under
//! [`TOKEN_STORAGE_KEY`]), never in `localStorage` or the address, so it leaves with
//! the tab and never lands in a shared link or the history.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use rollcall_client::RegistryEndpoint;
use rollcall_protocol::{DEFAULT_SERVICE, Token};

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

/// The query parameter that holds the filter.
pub const FILTER_PARAM: &str = "q";

/// The registries' base URLs for a page at `origin` whose query string is `search`
/// (`location.search`, with or without its leading `?`): `?registry=` if given
/// (one URL or a comma-separated list), else the page's origin.
pub fn registry_urls(search: &str, origin: &str) -> Result<Vec<String>, String> {
    match query_param(search, REGISTRY_PARAM) {
        Some(value) if !value.trim().is_empty() => parse_registries(&value),
        _ => normalize(origin).map(|url| vec![url]).map_err(|_| {
            format!(
                "the page's origin {origin:?} is not a registry: \
                 open the dashboard from the registry, or add ?{REGISTRY_PARAM}=<url>"
            )
        }),
    }
}

/// The registry field: one base URL or several, comma-separated, each checked
/// ([`normalize`]); blanks between commas are skipped. At least one.
pub fn parse_registries(text: &str) -> Result<Vec<String>, String> {
    let urls = text
        .split(',')
        .filter(|part| !part.trim().is_empty())
        .map(normalize)
        .collect::<Result<Vec<String>, String>>()?;
    if urls.is_empty() {
        return Err("no registry URL given".to_owned());
    }
    // The client's rules for a list of frontends (how many, no repeats) are the
    // ones the page runs on.
    let endpoint = RegistryEndpoint::json_many(urls, DEFAULT_SERVICE).map_err(|e| e.to_string())?;
    Ok(endpoint.urls().to_vec())
}

/// The filter given as `?q=` (empty if none).
pub fn filter_param(search: &str) -> String {
    query_param(search, FILTER_PARAM).unwrap_or_default()
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

/// The query string for the address bar: the registries (`None`: the page's
/// origin, left out) and the filter (left out when blank), so a reload or a shared
/// link shows the same view. Empty when there is nothing to say.
pub fn query_for(registries: Option<&[String]>, filter: &str) -> String {
    let mut pairs = Vec::new();
    if let Some(registries) = registries {
        let value = registries.join(",");
        pairs.push(format!(
            "{REGISTRY_PARAM}={}",
            utf8_percent_encode(&value, QUERY_VALUE)
        ));
    }
    if !filter.trim().is_empty() {
        pairs.push(format!(
            "{FILTER_PARAM}={}",
            utf8_percent_encode(filter, QUERY_VALUE)
        ));
    }
    if pairs.is_empty() {
        String::new()
    } else {
        format!("?{}", pairs.join("&"))
    }
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

    fn urls(list: &[&str]) -> Result<Vec<String>, String> {
        Ok(list.iter().map(|u| (*u).to_owned()).collect())
    }

    #[test]
    fn query_parameter_wins_over_origin() {
        let search = "?x=1&registry=http%3A%2F%2F127.0.0.1%3A9999%2F";
        assert_eq!(
            registry_urls(search, "http://page.example"),
            urls(&["http://127.0.0.1:9999"])
        );
        assert_eq!(
            registry_urls("registry=http://h:1", "http://o"),
            urls(&["http://h:1"])
        );
    }

    #[test]
    fn falls_back_to_the_page_origin() {
        assert_eq!(
            registry_urls("", "http://127.0.0.1:9999"),
            urls(&["http://127.0.0.1:9999"])
        );
        assert_eq!(
            registry_urls("?registry=", "https://r.example"),
            urls(&["https://r.example"])
        );
        // A page opened from a file has the origin "null".
        assert!(registry_urls("", "null").is_err());
    }

    #[test]
    fn several_registries_are_a_comma_separated_list() {
        assert_eq!(
            parse_registries(" http://a:1/ , ,https://b:2"),
            urls(&["http://a:1", "https://b:2"])
        );
        assert_eq!(
            registry_urls(
                "?registry=http%3A%2F%2Fa%3A1%2Chttp%3A%2F%2Fb%3A2",
                "http://o"
            ),
            urls(&["http://a:1", "http://b:2"])
        );
        assert!(parse_registries(" , ").is_err());
        let bad = parse_registries("http://a:1,b:2").expect_err("one bad URL");
        assert!(bad.contains("\"b:2\""), "{bad}");
        // The client's rules: a frontend named twice is one, and a list is bounded.
        assert_eq!(
            parse_registries("http://a:1, http://a:1/"),
            urls(&["http://a:1"])
        );
        let many: Vec<String> = (0..=rollcall_client::MAX_REGISTRY_URLS)
            .map(|port| format!("http://a:{port}"))
            .collect();
        let refused = parse_registries(&many.join(",")).expect_err("too many");
        assert!(refused.contains("more than"), "{refused}");
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
        let registries = vec![
            "http://127.0.0.1:9999/a b&c".to_owned(),
            "http://h:2".to_owned(),
        ];
        let q = query_for(Some(&registries), "zone=eu-1 10.0.");
        assert_eq!(
            q,
            "?registry=http%3A%2F%2F127.0.0.1%3A9999%2Fa%20b%26c%2Chttp%3A%2F%2Fh%3A2\
             &q=zone%3Deu-1%2010.0."
        );
        assert_eq!(
            query_param(&q, REGISTRY_PARAM).as_deref(),
            Some("http://127.0.0.1:9999/a b&c,http://h:2")
        );
        assert_eq!(filter_param(&q), "zone=eu-1 10.0.");
        assert_eq!(filter_param("?q=a+b"), "a b");
        assert_eq!(filter_param(""), "");
        assert_eq!(query_for(None, "  "), "");
        assert_eq!(query_for(None, "pay"), "?q=pay");
    }
}
