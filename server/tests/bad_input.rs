//! A table of bad requests: each must get its status, and none may change anything.

pub mod common;

use common::{Reply, TestServer};

/// One bad request and the status it must get.
struct Case {
    name: &'static str,
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    status: u16,
}

fn case(name: &'static str, method: &'static str, path: &str, body: &str, status: u16) -> Case {
    Case {
        name,
        method,
        path: path.to_owned(),
        headers: Vec::new(),
        body: body.as_bytes().to_vec(),
        status,
    }
}

fn register(name: &'static str, body: String, status: u16) -> Case {
    Case {
        body: body.into_bytes(),
        ..case(name, "POST", "/v1/services/echo/instances", "", status)
    }
}

fn seed_post(name: &'static str, addr: Option<String>, status: u16) -> Case {
    Case {
        headers: addr.map(|a| vec![("X-rpc-Server", a)]).unwrap_or_default(),
        ..case(name, "POST", "/_rpc_/registry", "", status)
    }
}

/// A `GET` of `path`: the watch API's query parameters.
fn get(name: &'static str, path: &str, status: u16) -> Case {
    case(name, "GET", path, "", status)
}

fn cases() -> Vec<Case> {
    let long_addr = "a".repeat(256);
    let long_service = "s".repeat(129);
    let many_metadata: Vec<String> = (0..65).map(|i| format!("\"k{i}\":\"v\"")).collect();
    vec![
        register(
            "body over 64 KiB",
            format!(
                r#"{{"addr":"a:9","metadata":{{"k":"{}"}}}}"#,
                "x".repeat(70_000)
            ),
            413,
        ),
        register("bad JSON", "{".to_owned(), 400),
        register("empty body", String::new(), 400),
        register("JSON null", "null".to_owned(), 400),
        register(
            "unknown field",
            r#"{"addr":"a:9","wieght":1}"#.to_owned(),
            400,
        ),
        register("wrong type", r#"{"addr":9}"#.to_owned(), 400),
        register("missing addr", "{}".to_owned(), 400),
        register(
            "duplicate field",
            r#"{"addr":"a:9","addr":"a:8"}"#.to_owned(),
            400,
        ),
        register("addr with comma", r#"{"addr":"a:9,b:9"}"#.to_owned(), 400),
        register("addr with space", r#"{"addr":"a :9"}"#.to_owned(), 400),
        register(
            "addr with control",
            r#"{"addr":"a\u0001:9"}"#.to_owned(),
            400,
        ),
        register(
            "addr of 256 bytes",
            format!(r#"{{"addr":"{long_addr}"}}"#),
            400,
        ),
        register("empty addr", r#"{"addr":""}"#.to_owned(), 400),
        register("non-ASCII addr", r#"{"addr":"é:9"}"#.to_owned(), 400),
        register(
            "TTL below min",
            r#"{"addr":"a:9","ttl_ms":999}"#.to_owned(),
            400,
        ),
        register(
            "TTL above max",
            r#"{"addr":"a:9","ttl_ms":86400001}"#.to_owned(),
            400,
        ),
        register("TTL zero", r#"{"addr":"a:9","ttl_ms":0}"#.to_owned(), 400),
        register(
            "TTL negative",
            r#"{"addr":"a:9","ttl_ms":-5}"#.to_owned(),
            400,
        ),
        register(
            "TTL beyond u64",
            r#"{"addr":"a:9","ttl_ms":1e30}"#.to_owned(),
            400,
        ),
        register(
            "weight too large",
            r#"{"addr":"a:9","weight":10001}"#.to_owned(),
            400,
        ),
        register(
            "weight negative",
            r#"{"addr":"a:9","weight":-1}"#.to_owned(),
            400,
        ),
        register(
            "too much metadata",
            format!(
                r#"{{"addr":"a:9","metadata":{{{}}}}}"#,
                many_metadata.join(",")
            ),
            400,
        ),
        register(
            "metadata value too long",
            format!(
                r#"{{"addr":"a:9","metadata":{{"k":"{}"}}}}"#,
                "v".repeat(1025)
            ),
            400,
        ),
        register(
            "metadata empty key",
            r#"{"addr":"a:9","metadata":{"":"v"}}"#.to_owned(),
            400,
        ),
        register(
            "existing instance, bad weight",
            r#"{"addr":"a:1","weight":20000}"#.to_owned(),
            400,
        ),
        case(
            "service with space",
            "POST",
            "/v1/services/bad%20name/instances",
            r#"{"addr":"a:9"}"#,
            400,
        ),
        case(
            "service too long",
            "POST",
            &format!("/v1/services/{long_service}/instances"),
            r#"{"addr":"a:9"}"#,
            400,
        ),
        case("list bad service", "GET", "/v1/services/b@d", "", 400),
        case("PUT a service", "PUT", "/v1/services/echo", "", 405),
        case("DELETE the index", "DELETE", "/v1/services", "", 405),
        case(
            "GET instances",
            "GET",
            "/v1/services/echo/instances",
            "",
            405,
        ),
        case(
            "POST an instance path",
            "POST",
            "/v1/services/echo/instances/a:1",
            "",
            405,
        ),
        get(
            "list: index not a number",
            "/v1/services/echo?index=abc",
            400,
        ),
        get("list: negative index", "/v1/services/echo?index=-1", 400),
        get("list: empty index", "/v1/services/echo?index=", 400),
        get(
            "list: index over 64 bits",
            "/v1/services/echo?index=18446744073709551616",
            400,
        ),
        get(
            "list: index twice",
            "/v1/services/echo?index=1&index=2",
            400,
        ),
        get(
            "list: wait without unit",
            "/v1/services/echo?index=1&wait=30",
            400,
        ),
        get(
            "list: wait unknown unit",
            "/v1/services/echo?index=1&wait=5x",
            400,
        ),
        get(
            "list: wait negative",
            "/v1/services/echo?index=1&wait=-1s",
            400,
        ),
        get(
            "list: wait fractional",
            "/v1/services/echo?index=1&wait=1.5s",
            400,
        ),
        get(
            "list: wait overflowing",
            "/v1/services/echo?index=1&wait=99999999999999999999s",
            400,
        ),
        get("list: wait without index", "/v1/services/echo?wait=5s", 400),
        get(
            "list: since instead of index",
            "/v1/services/echo?since=1",
            400,
        ),
        get("list: bad epoch", "/v1/services/echo?index=1&epoch=x", 400),
        get("index: bad index", "/v1/services?index=1e3", 400),
        get("index: bad wait", "/v1/services?index=1&wait=soon", 400),
        get("changes: no since", "/v1/services/echo/changes", 400),
        get(
            "changes: since not a number",
            "/v1/services/echo/changes?since=x",
            400,
        ),
        get(
            "changes: empty since",
            "/v1/services/echo/changes?since=",
            400,
        ),
        get(
            "changes: index instead of since",
            "/v1/services/echo/changes?index=1",
            400,
        ),
        get(
            "changes: bad wait",
            "/v1/services/echo/changes?since=1&wait=1y",
            400,
        ),
        get(
            "changes: wait without since",
            "/v1/services/echo/changes?wait=1s",
            400,
        ),
        get(
            "changes: since twice",
            "/v1/services/echo/changes?since=1&since=1",
            400,
        ),
        get(
            "changes: bad service",
            "/v1/services/b@d/changes?since=1",
            400,
        ),
        case(
            "changes: POST",
            "POST",
            "/v1/services/echo/changes",
            "",
            405,
        ),
        case("unknown prefix", "GET", "/v2/services", "", 404),
        case("unknown sub-path", "GET", "/v1/services/echo/nope", "", 404),
        case("root", "GET", "/", "", 404),
        case(
            "DELETE bad percent-encoding",
            "DELETE",
            "/v1/services/echo/instances/a%zz",
            "",
            400,
        ),
        case(
            "DELETE truncated escape",
            "DELETE",
            "/v1/services/echo/instances/a%3",
            "",
            400,
        ),
        case(
            "DELETE non-UTF-8",
            "DELETE",
            "/v1/services/echo/instances/%ff%fe",
            "",
            400,
        ),
        case(
            "DELETE bad addr",
            "DELETE",
            "/v1/services/echo/instances/a%2Cb",
            "",
            400,
        ),
        case(
            "DELETE unknown",
            "DELETE",
            "/v1/services/echo/instances/z:1",
            "",
            404,
        ),
        case(
            "DELETE in unknown service",
            "DELETE",
            "/v1/services/ghost/instances/a:1",
            "",
            404,
        ),
        Case {
            headers: vec![("X-Huge", "h".repeat(512 * 1024))],
            ..case("huge header", "GET", "/v1/services", "", 431)
        },
        seed_post("seed: missing header", None, 400),
        seed_post("seed: empty header", Some(String::new()), 400),
        seed_post("seed: comma", Some("a:1,b:1".to_owned()), 400),
        seed_post("seed: 256 bytes", Some(long_addr), 400),
        case("seed: PUT", "PUT", "/_rpc_/registry", "", 405),
        case("seed: DELETE", "DELETE", "/_rpc_/registry", "", 405),
    ]
}

/// Everything observable about the registry.
async fn observe(server: &TestServer) -> (u64, usize, Vec<u8>, Vec<u8>, Option<String>, String) {
    let echo = server.get("/v1/services/echo").await;
    let default = server.get("/v1/services/default").await;
    let seed = server.get("/_rpc_/registry").await;
    let index = server.get("/v1/services").await;
    (
        server.registry.revision(),
        server.registry.len(),
        echo.body,
        default.body,
        seed.header("X-rpc-Servers").map(str::to_owned),
        index.text(),
    )
}

async fn send(server: &TestServer, case: &Case) -> Reply {
    let headers: Vec<(&str, &str)> = case.headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    server
        .send(case.method, &case.path, &headers, &case.body)
        .await
}

#[tokio::test]
async fn bad_requests_get_their_status_and_change_nothing() {
    let server = TestServer::start().await;
    server
        .post_json(
            "/v1/services/echo/instances",
            r#"{"addr":"a:1","metadata":{"k":"v"},"weight":5}"#,
        )
        .await;
    server
        .send("POST", "/_rpc_/registry", &[("X-rpc-Server", "b:1")], b"")
        .await;
    let before = observe(&server).await;
    assert_eq!((before.0, before.1), (2, 2));
    let cases = cases();
    assert!(cases.len() >= 20);
    for case in &cases {
        let reply = send(&server, case).await;
        assert_eq!(reply.status, case.status, "{}: {}", case.name, reply.text());
        assert_eq!(
            observe(&server).await,
            before,
            "{} changed the registry",
            case.name
        );
    }
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_413() {
    let server = TestServer::start().await;
    let chunk = "x".repeat(60_000);
    let body = format!(r#"{{"addr":"a:1","metadata":{{"k":"{chunk}{chunk}"}}}}"#);
    let mut raw = b"POST /v1/services/echo/instances HTTP/1.1\r\nHost: t\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    raw.extend_from_slice(format!("{:x}\r\n{body}\r\n0\r\n\r\n", body.len()).as_bytes());
    let reply = server.send_raw(&raw).await;
    assert_eq!(reply.status, 413, "{}", reply.text());
    assert_eq!(reply.error(), "request body larger than 65536 bytes");
    assert_eq!(server.registry.len(), 0);
}
