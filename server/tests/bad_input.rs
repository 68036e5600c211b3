//! A table of bad requests: each must get its status, and none may change anything;
//! on the memory store and over etcd (where nothing in etcd may change either).

pub mod common;

use common::{Backing, Reply, TestServer};
use rollcall_server::{Auth, AuthOptions, HttpConfig, RegistryConfig, Rules};

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

const JSON: (&str, &str) = ("Content-Type", "application/json");

fn register(name: &'static str, body: String, status: u16) -> Case {
    Case {
        body: body.into_bytes(),
        headers: vec![(JSON.0, JSON.1.to_owned())],
        ..case(name, "POST", "/v1/services/echo/instances", "", status)
    }
}

/// `base` with `headers` instead of its own.
fn with_headers(base: Case, headers: &[(&'static str, &str)]) -> Case {
    Case {
        headers: headers.iter().map(|(n, v)| (*n, (*v).to_owned())).collect(),
        ..base
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
        case("POST to readiness", "POST", "/readyz", "", 405),
        case("DELETE the metrics", "DELETE", "/metrics", "", 405),
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
        case(
            "HEAD a write route",
            "HEAD",
            "/v1/services/echo/instances",
            "",
            405,
        ),
        // A JSON write must say it is JSON: these are what a page sends unasked.
        with_headers(
            register(
                "register as text/plain",
                r#"{"addr":"a:9"}"#.to_owned(),
                415,
            ),
            &[("Content-Type", "text/plain")],
        ),
        with_headers(
            register("register as a form", r#"{"addr":"a:9"}"#.to_owned(), 415),
            &[("Content-Type", "application/x-www-form-urlencoded")],
        ),
        with_headers(
            register(
                "register without a type",
                r#"{"addr":"a:9"}"#.to_owned(),
                415,
            ),
            &[],
        ),
        register(
            "metadata over 4096 bytes in all",
            format!(
                r#"{{"addr":"a:9","metadata":{{"a":"{v}","b":"{v}","c":"{v}","d":"{v}","e":"{v}"}}}}"#,
                v = "v".repeat(1000)
            ),
            400,
        ),
        // Pages of other origins may read, not write (no --cors-write-origin).
        with_headers(
            register("register from a page", r#"{"addr":"a:9"}"#.to_owned(), 403),
            &[JSON, ("Origin", "https://evil.example")],
        ),
        with_headers(
            register(
                "simple-request register from a page",
                r#"{"addr":"a:9"}"#.to_owned(),
                403,
            ),
            &[
                ("Content-Type", "text/plain"),
                ("Origin", "https://evil.example"),
            ],
        ),
        with_headers(
            seed_post("seed: heartbeat from a page", Some("a:9".to_owned()), 403),
            &[("X-rpc-Server", "a:9"), ("Origin", "null")],
        ),
        with_headers(
            case(
                "DELETE from a page",
                "DELETE",
                "/v1/services/echo/instances/a:1",
                "",
                403,
            ),
            &[("Origin", "https://evil.example")],
        ),
        with_headers(
            case("token from a page", "GET", "/v1/services", "", 403),
            &[
                ("Origin", "https://evil.example"),
                ("Authorization", "Bearer x"),
            ],
        ),
        with_headers(
            case(
                "write preflight from a page",
                "OPTIONS",
                "/v1/services/echo/instances",
                "",
                403,
            ),
            &[
                ("Origin", "https://evil.example"),
                ("Access-Control-Request-Method", "POST"),
            ],
        ),
    ]
}

/// Everything observable about the registry, read from it directly (so the same
/// check works where reads over HTTP need a token), and over etcd every key it
/// holds there.
async fn observe(server: &TestServer) -> impl PartialEq + std::fmt::Debug {
    let registry = &server.registry;
    (
        registry.revision(),
        registry.len(),
        registry.list("echo").body().clone(),
        registry.list("default").body().clone(),
        registry.servers_header("default"),
        registry.index(),
        server.etcd_keys().await,
    )
}

async fn send(server: &TestServer, case: &Case) -> Reply {
    let headers: Vec<(&str, &str)> = case.headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    server
        .send(case.method, &case.path, &headers, &case.body)
        .await
}

/// Registers `echo` `a:1` and seed `b:1`, then sends every case: each must get
/// its status and leave the registry as it was.
async fn check_table(server: &TestServer, cases: &[Case], token: &str) {
    let auth = format!("Bearer {token}");
    let reply = server
        .send(
            "POST",
            "/v1/services/echo/instances",
            &[JSON, ("Authorization", &auth)],
            br#"{"addr":"a:1","metadata":{"k":"v"},"weight":5}"#,
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let reply = server
        .send(
            "POST",
            "/_rpc_/registry",
            &[("X-rpc-Server", "b:1"), ("Authorization", &auth)],
            b"",
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let before = observe(server).await;
    assert_eq!(server.registry.len(), 2);
    if server.in_memory() {
        assert_eq!(server.registry.revision(), 2);
    }
    for case in cases {
        let reply = send(server, case).await;
        assert_eq!(reply.status, case.status, "{}: {}", case.name, reply.text());
        assert_eq!(
            observe(server).await,
            before,
            "{} changed the registry",
            case.name
        );
    }
}

on_both_stores!(
    bad_requests_get_their_status_and_change_nothing,
    token_refusals_get_their_status_and_change_nothing,
    a_chunked_body_over_the_limit_is_413,
);

async fn bad_requests_get_their_status_and_change_nothing(backing: Backing) {
    let server = TestServer::on(backing, RegistryConfig::default(), HttpConfig::default()).await;
    let cases = cases();
    assert!(cases.len() >= 20);
    // Tokens are off: the token sent is ignored.
    check_table(&server, &cases, WRITER).await;
}

/// Writes `echo` and `default`.
const WRITER: &str = "writer-0123456789abcdef";
/// Reads everything.
const READER: &str = "reader-0123456789abcdef";

/// Requests refused for their token, on a registry with tokens and private reads.
fn token_cases() -> Vec<Case> {
    let bearer = |token: &str| format!("Bearer {token}");
    let json_with = |auth: Option<String>| {
        let mut headers = vec![(JSON.0, JSON.1.to_owned())];
        headers.extend(auth.map(|a| ("Authorization", a)));
        headers
    };
    let register_as = |name, auth: Option<String>, status| Case {
        headers: json_with(auth),
        ..register(name, r#"{"addr":"a:9"}"#.to_owned(), status)
    };
    let with_auth = |base: Case, auth: String| Case {
        headers: base
            .headers
            .into_iter()
            .chain([("Authorization", auth)])
            .collect(),
        ..base
    };
    vec![
        register_as("register without a token", None, 401),
        register_as(
            "register with an unknown token",
            Some(bearer("guess-0123456789abcdef")),
            401,
        ),
        register_as("register with a read token", Some(bearer(READER)), 403),
        register_as(
            "register with a Basic header",
            Some("Basic d3JpdGVyOng=".to_owned()),
            401,
        ),
        Case {
            path: "/v1/services/other/instances".to_owned(),
            ..register_as(
                "register in an uncovered service",
                Some(bearer(WRITER)),
                403,
            )
        },
        seed_post(
            "seed: heartbeat without a token",
            Some("c:1".to_owned()),
            401,
        ),
        with_auth(
            seed_post(
                "seed: heartbeat with a read token",
                Some("c:1".to_owned()),
                403,
            ),
            bearer(READER),
        ),
        case(
            "DELETE without a token",
            "DELETE",
            "/v1/services/echo/instances/a:1",
            "",
            401,
        ),
        with_auth(
            case(
                "DELETE with a read token",
                "DELETE",
                "/v1/services/echo/instances/a:1",
                "",
                403,
            ),
            bearer(READER),
        ),
        case("list without a token", "GET", "/v1/services/echo", "", 401),
        case(
            "leases without a token",
            "GET",
            "/v1/services/echo/leases",
            "",
            401,
        ),
        case("index without a token", "GET", "/v1/services", "", 401),
        case(
            "seed: list without a token",
            "GET",
            "/_rpc_/registry",
            "",
            401,
        ),
        // A good token does not lift the other rules.
        with_auth(
            register(
                "text/plain with a token",
                r#"{"addr":"a:9"}"#.to_owned(),
                415,
            ),
            bearer(WRITER),
        )
        .with_type("text/plain"),
    ]
}

impl Case {
    fn with_type(mut self, content_type: &str) -> Case {
        for (name, value) in &mut self.headers {
            if *name == JSON.0 {
                *value = content_type.to_owned();
            }
        }
        self
    }
}

async fn token_refusals_get_their_status_and_change_nothing(backing: Backing) {
    let rules = Rules::parse(&format!(
        "{WRITER} write echo\n{WRITER} write default\n{READER} read *\n"
    ))
    .expect("rules");
    let options = AuthOptions {
        private_reads: true,
        seed_open: false,
    };
    let http = HttpConfig {
        auth: Auth::tokens(rules, options),
        ..HttpConfig::default()
    };
    let server = TestServer::on(backing, RegistryConfig::default(), http).await;
    check_table(&server, &token_cases(), WRITER).await;
}

async fn a_chunked_body_over_the_limit_is_413(backing: Backing) {
    let server = TestServer::on(backing, RegistryConfig::default(), HttpConfig::default()).await;
    let chunk = "x".repeat(60_000);
    let body = format!(r#"{{"addr":"a:1","metadata":{{"k":"{chunk}{chunk}"}}}}"#);
    let mut raw = b"POST /v1/services/echo/instances HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    raw.extend_from_slice(format!("{:x}\r\n{body}\r\n0\r\n\r\n", body.len()).as_bytes());
    let reply = server.send_raw(&raw).await;
    assert_eq!(reply.status, 413, "{}", reply.text());
    assert_eq!(reply.error(), "request body larger than 65536 bytes");
    assert_eq!(server.registry.len(), 0);
}
