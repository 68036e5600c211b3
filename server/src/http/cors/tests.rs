//! The CORS policy's answers, without a socket.

use super::*;
use http::header::ORIGIN;

const EXPOSE: &str = "X-One, X-Two";

fn strings(origins: &[&str]) -> Vec<String> {
    origins.iter().map(|o| (*o).to_owned()).collect()
}

fn policy(read: &[&str], write: &[&str]) -> Cors {
    Cors::new(
        &strings(read),
        &strings(write),
        "Content-Type",
        Some(EXPOSE),
    )
}

fn preflight_from(
    origin: &'static str,
    method: &'static str,
    headers: Option<&'static str>,
) -> HeaderMap {
    let mut request = HeaderMap::new();
    request.insert(ORIGIN, HeaderValue::from_static(origin));
    request.insert(
        ACCESS_CONTROL_REQUEST_METHOD,
        HeaderValue::from_static(method),
    );
    if let Some(headers) = headers {
        request.insert(
            ACCESS_CONTROL_REQUEST_HEADERS,
            HeaderValue::from_static(headers),
        );
    }
    request
}

#[test]
fn star_allows_everyone_to_read() {
    let mut headers = HeaderMap::new();
    policy(&["*"], &[]).apply(None, &mut headers);
    assert_eq!(headers[ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert_eq!(headers[ACCESS_CONTROL_EXPOSE_HEADERS], EXPOSE);
    assert!(headers.get(VARY).is_none());
}

#[test]
fn a_list_echoes_only_matching_origins() {
    let cors = policy(&["https://a.example"], &["https://w.example"]);
    for (origin, allowed) in [
        ("https://a.example", true),
        ("https://w.example", true),
        ("https://b.example", false),
    ] {
        let mut headers = HeaderMap::new();
        cors.apply(Some(&HeaderValue::from_static(origin)), &mut headers);
        assert_eq!(headers[VARY], "Origin");
        let echoed = headers.get(ACCESS_CONTROL_ALLOW_ORIGIN);
        assert_eq!(echoed.is_some(), allowed, "{origin}");
        if allowed {
            assert_eq!(echoed.expect("echoed"), origin);
        }
    }
}

#[test]
fn no_origins_adds_nothing() {
    let cors = policy(&[], &[]);
    assert!(!cors.is_open());
    let mut headers = HeaderMap::new();
    cors.apply(
        Some(&HeaderValue::from_static("https://a.example")),
        &mut headers,
    );
    assert!(headers.is_empty());
}

#[test]
fn read_preflights_are_granted_to_any_page() {
    let cors = policy(&["*"], &[]);
    let response = cors
        .preflight(
            &preflight_from("https://x.example", "GET", None),
            "GET, OPTIONS",
        )
        .expect("a read");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let headers = response.headers();
    assert_eq!(headers[ACCESS_CONTROL_ALLOW_METHODS], "GET, OPTIONS");
    assert_eq!(headers[ACCESS_CONTROL_ALLOW_HEADERS], "Content-Type");
    assert_eq!(headers[ALLOW], "GET, OPTIONS");
}

#[test]
fn write_preflights_only_for_write_origins() {
    let cors = policy(&["*"], &["https://w.example"]);
    for (method, headers) in [
        ("POST", None),
        ("DELETE", None),
        ("PUT", None),
        ("GET", Some("content-type, Authorization")),
    ] {
        let refused = cors.preflight(
            &preflight_from("https://x.example", method, headers),
            "POST",
        );
        assert_eq!(
            refused.map(drop),
            Err("https://x.example".to_owned()),
            "{method}"
        );
        let granted = cors.preflight(
            &preflight_from("https://w.example", method, headers),
            "POST",
        );
        assert!(granted.is_ok(), "{method}");
    }
    let any = policy(&[], &["*"]);
    assert!(
        any.preflight(&preflight_from("https://x.example", "POST", None), "POST")
            .is_ok()
    );
}

#[test]
fn writes_without_an_origin_are_not_a_pages() {
    let cors = policy(&["*"], &["https://w.example"]);
    assert!(cors.may_write(None));
    assert!(cors.may_write(Some(&HeaderValue::from_static("https://w.example"))));
    assert!(!cors.may_write(Some(&HeaderValue::from_static("https://x.example"))));
    assert!(!cors.may_write(Some(&HeaderValue::from_static("null"))));
}
