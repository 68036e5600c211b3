//! Configured limits: body size, metadata bytes, instance and service counts, and
//! connection timeouts (slow headers, idle keep-alive) with the client's pool
//! around them. Connections at once and slow readers: `connections.rs`.

pub mod common;

use std::time::Duration;

use common::TestServer;
use rollcall_client::transport::HyperTransport;
use rollcall_client::{RegistryClient, RegistryEndpoint};
use rollcall_server::{ConnOptions, HttpConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn a_smaller_body_limit_is_honoured() {
    let http = HttpConfig {
        max_body_bytes: 16,
        ..Default::default()
    };
    let server = TestServer::with(Default::default(), http).await;
    let reply = server
        .post_json(
            "/v1/services/echo/instances",
            r#"{"addr":"a:1","weight":1}"#,
        )
        .await;
    assert_eq!(reply.status, 413);
    let reply = server
        .post_json("/v1/services/echo/instances", r#"{"addr":"a:1"}"#)
        .await;
    assert_eq!(reply.status, 201);
}

#[tokio::test]
async fn limits_answer_507_and_renewals_still_work() {
    let config = rollcall_server::RegistryConfig {
        max_instances: 2,
        max_services: 1,
        ..Default::default()
    };
    let server = TestServer::with(config, Default::default()).await;
    for addr in ["a:1", "a:2"] {
        let body = format!(r#"{{"addr":"{addr}"}}"#);
        assert_eq!(
            server
                .post_json("/v1/services/echo/instances", &body)
                .await
                .status,
            201
        );
    }
    let full = server
        .post_json("/v1/services/echo/instances", r#"{"addr":"a:3"}"#)
        .await;
    assert_eq!(full.status, 507);
    assert_eq!(full.error(), "registry full: at most 2 instances");
    assert_eq!(
        server
            .post_json("/v1/services/echo/instances", r#"{"addr":"a:1"}"#)
            .await
            .status,
        200
    );
    server
        .send("DELETE", "/v1/services/echo/instances/a:2", &[], b"")
        .await;
    let other = server
        .post_json("/v1/services/other/instances", r#"{"addr":"a:1"}"#)
        .await;
    assert_eq!(other.status, 507);
    assert_eq!(other.error(), "registry full: at most 1 services");
}

/// A registry whose header-read (and idle) timeout is `limit`.
async fn server_with_header_timeout(limit: Duration) -> TestServer {
    let http = HttpConfig {
        conn: ConnOptions {
            header_read_timeout: limit,
            ..Default::default()
        },
        ..Default::default()
    };
    TestServer::with(Default::default(), http).await
}

/// Opens a connection, sends `bytes`, and reads until the server closes it:
/// what it answered, and how long after the send it closed.
async fn until_closed(server: &TestServer, bytes: &[u8]) -> (String, Duration) {
    let mut stream = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    stream.write_all(bytes).await.expect("send");
    let started = tokio::time::Instant::now();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("closed well before 5 s")
        .expect("read");
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

/// A client that starts a request and never finishes its headers (slowloris) is
/// cut off after the header-read timeout, while a prompt client is served.
#[tokio::test]
async fn slow_headers_are_cut_off() {
    let server = server_with_header_timeout(Duration::from_millis(300)).await;
    let (answer, after) =
        until_closed(&server, b"GET /_rpc_/registry HTTP/1.1\r\nHost: x\r\n").await;
    assert!(
        after >= Duration::from_millis(250),
        "closed after {after:?}"
    );
    // The server closes the connection, possibly after a 408.
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    assert_eq!(server.get("/_rpc_/registry").await.status, 200);
}

/// A keep-alive connection left idle after its request is closed once the
/// header-read timeout passes without a next request, so idle clients cannot pile
/// up open connections.
#[tokio::test]
async fn idle_keep_alive_connections_are_closed() {
    let server = server_with_header_timeout(Duration::from_millis(300)).await;
    let (answer, after) =
        until_closed(&server, b"GET /_rpc_/registry HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        after >= Duration::from_millis(250),
        "closed after {after:?}, before the timeout"
    );
}

/// The defaults fit together: discovery refreshes (10 s) reuse their pooled
/// connection, and the client lets it go (20 s) before the server closes it (30 s),
/// so a request is not sent on a connection the server is closing.
#[test]
fn client_pool_lets_go_before_the_server_closes() {
    use rollcall_client::transport::POOL_IDLE_TIMEOUT;
    use rollcall_protocol::DEFAULT_REFRESH;
    use rollcall_server::DEFAULT_HEADER_READ_TIMEOUT;
    assert!(DEFAULT_REFRESH < POOL_IDLE_TIMEOUT);
    assert!(POOL_IDLE_TIMEOUT < DEFAULT_HEADER_READ_TIMEOUT);
}

/// A server whose idle timeout is shorter than the client's pool closes
/// connections just as the client reuses them; the client's reads still succeed
/// every time. (Without the transport's retry about half of these failed.)
#[tokio::test]
async fn reads_succeed_across_the_servers_idle_timeout() {
    let idle = Duration::from_millis(100);
    let server = server_with_header_timeout(idle).await;
    let endpoint = RegistryEndpoint::seed(format!("http://{}/_rpc_/registry", server.addr));
    let client = RegistryClient::new(HyperTransport::new(), endpoint);
    for round in 0..30u64 {
        client
            .list(None)
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        // Around the idle timeout: a little before, at, and a little after it.
        let offset = Duration::from_micros(round % 5 * 100);
        tokio::time::sleep(idle + offset - Duration::from_micros(200)).await;
    }
}

/// Metadata over the total byte limit is refused with the reason, for a new
/// instance and for a renewal, and nothing changes.
#[tokio::test]
async fn metadata_over_its_byte_limit_is_refused() {
    let config = rollcall_server::RegistryConfig {
        max_metadata_bytes: 10,
        ..Default::default()
    };
    let server = TestServer::with(config, Default::default()).await;
    let path = "/v1/services/echo/instances";
    // "zone" + "eu-1-a" = 10 bytes: at the limit.
    let fits = server
        .post_json(path, r#"{"addr":"a:1","metadata":{"zone":"eu-1-a"}}"#)
        .await;
    assert_eq!(fits.status, 201, "{}", fits.text());
    let revision = server.registry.revision();
    for addr in ["a:1", "a:2"] {
        let body = format!(r#"{{"addr":"{addr}","metadata":{{"zone":"eu-1-ab"}}}}"#);
        let over = server.post_json(path, &body).await;
        assert_eq!(over.status, 400, "{addr}");
        assert_eq!(
            over.error(),
            "invalid metadata: 11 bytes of keys and values, more than the limit of 10"
        );
    }
    assert_eq!(server.registry.revision(), revision);
    let listed: rollcall_protocol::InstanceList = server.get("/v1/services/echo").await.json();
    assert_eq!(listed.instances.len(), 1);
    assert_eq!(listed.instances[0].metadata["zone"], "eu-1-a");
}
