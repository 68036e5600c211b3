//! The host's routing and status mapping, called without a socket.

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use rollcall_protocol::ErrorBody;
use serde::{Deserialize, Serialize};

use super::{RpcError, RpcServer};

/// The seed's `Args`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Args {
    num1: i64,
    num2: i64,
}

#[derive(Debug, Serialize)]
struct Pair {
    sum: i64,
}

fn foo() -> RpcServer {
    RpcServer::new()
        .register("Foo.Sum", |args: Args| async move {
            Ok::<_, RpcError>(args.num1 + args.num2)
        })
        .and_then(|s| {
            s.register("Foo.Fail", |_: Args| async move {
                Err::<i64, _>(RpcError::new("no luck"))
            })
        })
        .and_then(|s| {
            s.register("Foo.Pair", |args: Args| async move {
                Ok::<_, RpcError>(Pair {
                    sum: args.num1 + args.num2,
                })
            })
        })
        .expect("valid names")
}

async fn send(
    server: &RpcServer,
    method: Method,
    path: &str,
    body: &'static str,
) -> (StatusCode, Bytes) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .expect("request");
    response_parts(server.dispatch(request).await).await
}

/// A reply's status and whole body.
async fn response_parts(response: crate::http::Reply) -> (StatusCode, Bytes) {
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("full body")
        .to_bytes();
    (status, body)
}

/// A request with no body, as a preflight or a wrong-method probe is.
fn bodiless(method: Method, path: &str) -> Request<Full<Bytes>> {
    Request::builder()
        .method(method)
        .uri(path)
        .body(Full::new(Bytes::new()))
        .expect("request")
}

fn error_of(body: &Bytes) -> String {
    serde_json::from_slice::<ErrorBody>(body)
        .expect("ErrorBody")
        .error
}

#[tokio::test]
async fn calls_a_method_and_answers_its_json_reply() {
    let server = foo();
    let (status, body) = send(
        &server,
        Method::POST,
        "/_rpc_/call/Foo.Sum",
        r#"{"Num1":3,"Num2":9}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, Bytes::from_static(b"12"));
    let (status, body) = send(
        &server,
        Method::POST,
        "/_rpc_/call/Foo.Pair",
        r#"{"Num1":1,"Num2":1}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, Bytes::from_static(br#"{"sum":2}"#));
}

#[tokio::test]
async fn unknown_method_is_404_with_the_seeds_message() {
    let (status, body) = send(&foo(), Method::POST, "/_rpc_/call/Foo.Bar", "{}").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_of(&body), "rpc server: can't find method Foo.Bar");
    let (status, _) = send(&foo(), Method::POST, "/elsewhere", "{}").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn arguments_that_do_not_decode_are_400() {
    for bad in ["", "nonsense", r#"{"Num1":"x","Num2":1}"#, r#"{"Num1":1}"#] {
        let (status, body) = send(&foo(), Method::POST, "/_rpc_/call/Foo.Sum", bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}");
        assert!(error_of(&body).contains("invalid arguments"), "{bad:?}");
    }
}

#[tokio::test]
async fn handler_error_is_500_with_its_message() {
    let (status, body) = send(
        &foo(),
        Method::POST,
        "/_rpc_/call/Foo.Fail",
        r#"{"Num1":1,"Num2":1}"#,
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(error_of(&body), "no luck");
}

#[tokio::test]
async fn only_post_is_allowed() {
    let request = bodiless(Method::GET, "/_rpc_/call/Foo.Sum");
    let response = foo().dispatch(request).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        response.headers().get("allow").map(|v| v.as_bytes()),
        Some(&b"POST, OPTIONS"[..])
    );
}

#[tokio::test]
async fn body_over_the_limit_is_413() {
    let server = foo().max_body(8);
    let (status, body) = send(
        &server,
        Method::POST,
        "/_rpc_/call/Foo.Sum",
        r#"{"Num1":3,"Num2":9}"#,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(error_of(&body).contains("larger than 8 bytes"));
}

#[test]
fn registration_refuses_bad_and_duplicate_names() {
    let sum = |args: Args| async move { Ok::<_, RpcError>(args.num1 + args.num2) };
    assert_eq!(
        RpcServer::new().register("FooSum", sum).map(|_| ()),
        Err(RpcError::InvalidMethodName("FooSum".to_owned()))
    );
    assert_eq!(
        foo().register("Foo.Sum", sum).map(|_| ()),
        Err(RpcError::DuplicateMethod("Foo.Sum".to_owned()))
    );
    assert_eq!(
        foo().methods().collect::<Vec<_>>(),
        ["Foo.Fail", "Foo.Pair", "Foo.Sum"]
    );
}

/// A call with `content-type` (if any) and `origin` (if any).
fn call_from(
    origin: Option<&'static str>,
    content_type: Option<&'static str>,
) -> Request<Full<Bytes>> {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/_rpc_/call/Foo.Sum");
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    request
        .body(Full::new(Bytes::from_static(br#"{"Num1":3,"Num2":9}"#)))
        .expect("request")
}

fn preflight_from(origin: &'static str) -> Request<Full<Bytes>> {
    Request::builder()
        .method(Method::OPTIONS)
        .uri("/_rpc_/call/Foo.Sum")
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .body(Full::new(Bytes::new()))
        .expect("request")
}

#[tokio::test]
async fn no_page_may_call_unless_allowed() {
    let closed = foo();
    let preflight = closed.dispatch(preflight_from("https://x.example")).await;
    assert_eq!(preflight.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    let call = closed
        .dispatch(call_from(
            Some("https://x.example"),
            Some("application/json"),
        ))
        .await;
    assert_eq!(call.status(), StatusCode::FORBIDDEN);
    assert!(call.headers().get("access-control-allow-origin").is_none());
    // Programs send no Origin: they may call.
    let program = closed
        .dispatch(call_from(None, Some("application/json")))
        .await;
    assert_eq!(program.status(), StatusCode::OK);
}

#[tokio::test]
async fn allowed_origins_may_call_and_others_may_not() {
    let server = foo().allow_origin("https://dash.example");
    let response = server
        .dispatch(preflight_from("https://dash.example"))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let headers = response.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://dash.example"
    );
    assert_eq!(headers["access-control-allow-methods"], "POST, OPTIONS");
    assert_eq!(headers["access-control-allow-headers"], "Content-Type");
    let call = server
        .dispatch(call_from(
            Some("https://dash.example"),
            Some("application/json"),
        ))
        .await;
    assert_eq!(call.status(), StatusCode::OK);
    assert_eq!(
        call.headers()["access-control-allow-origin"],
        "https://dash.example"
    );

    let other = server.dispatch(preflight_from("https://x.example")).await;
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
    let call = server
        .dispatch(call_from(
            Some("https://x.example"),
            Some("application/json"),
        ))
        .await;
    assert_eq!(call.status(), StatusCode::FORBIDDEN);
    let (status, body) = response_parts(call).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(error_of(&body).contains("https://x.example"), "{body:?}");

    // Errors carry the header too, or the page could not read why a call failed.
    let any = foo().allow_origin("*");
    let missing = Request::builder()
        .method(Method::POST)
        .uri("/_rpc_/call/Foo.Missing")
        .header("origin", "https://y.example")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(b"{}")))
        .expect("request");
    let response = any.dispatch(missing).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn calls_must_be_declared_json() {
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let response = foo().dispatch(call_from(None, content_type)).await;
        let (status, body) = response_parts(response).await;
        assert_eq!(
            status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        assert!(error_of(&body).contains("application/json"), "{body:?}");
    }
    let charset = foo()
        .dispatch(call_from(None, Some("application/json; charset=utf-8")))
        .await;
    assert_eq!(charset.status(), StatusCode::OK);
}

#[tokio::test(start_paused = true)]
async fn a_body_slower_than_the_host_allows_is_408() {
    use http_body_util::StreamBody;
    let server = foo().body_timeout(std::time::Duration::from_secs(2));
    let never =
        futures_util::stream::pending::<Result<hyper::body::Frame<Bytes>, std::io::Error>>();
    let request = Request::builder()
        .method(Method::POST)
        .uri("/_rpc_/call/Foo.Sum")
        .header("content-type", "application/json")
        .body(StreamBody::new(never))
        .expect("request");
    let started = tokio::time::Instant::now();
    let (status, body) = response_parts(server.dispatch(request).await).await;
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
    assert!(error_of(&body).contains("timed out"), "{body:?}");
    assert_eq!(started.elapsed(), std::time::Duration::from_secs(2));
}
