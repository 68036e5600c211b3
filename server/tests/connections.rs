//! Connection limits: how many connections are served at once (past the limit,
//! new ones wait), and the write timeout that drops a client that stops reading.

pub mod common;

use std::time::Duration;

use common::TestServer;
use rollcall_server::{ConnOptions, HttpConfig, Registry, RegistryConfig, RegistryService, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Reads one answer to a `GET /healthz` (body `ok`) from a kept-alive connection.
async fn read_health_answer(stream: &mut tokio::net::TcpStream) -> String {
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.ends_with(b"\r\n\r\nok") {
        let n = stream.read(&mut buf).await.expect("read");
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&answer));
        answer.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&answer).into_owned()
}

const HEALTH: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

/// Past the connection limit the accept loop waits: a new connection gets its
/// answer only once an established one closes, and established connections keep
/// being served meanwhile.
#[tokio::test]
async fn past_the_connection_limit_new_connections_wait() {
    let http = HttpConfig {
        conn: ConnOptions {
            max_connections: 1,
            ..Default::default()
        },
        ..Default::default()
    };
    let server = TestServer::with(Default::default(), http).await;
    let mut first = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    first.write_all(HEALTH).await.expect("send");
    assert!(
        read_health_answer(&mut first)
            .await
            .starts_with("HTTP/1.1 200")
    );

    let mut second = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("the OS queues it");
    second.write_all(HEALTH).await.expect("send");
    let mut byte = [0u8; 1];
    let waited = tokio::time::timeout(Duration::from_millis(300), second.read(&mut byte)).await;
    assert!(waited.is_err(), "answered past the limit: {waited:?}");

    // The established connection is still served.
    first.write_all(HEALTH).await.expect("send again");
    assert!(
        read_health_answer(&mut first)
            .await
            .starts_with("HTTP/1.1 200")
    );

    drop(first);
    let answer = tokio::time::timeout(Duration::from_secs(5), read_health_answer(&mut second))
        .await
        .expect("served once the first closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// A registry whose sockets have small send buffers (so a response fills them
/// quickly), one connection at most, and a short write timeout.
async fn server_for_slow_readers(write_timeout: Duration) -> (std::net::SocketAddr, Registry) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    // Accepted sockets inherit the listener's buffer size.
    socket.set_send_buffer_size(4096).expect("send buffer");
    socket
        .bind("127.0.0.1:0".parse().expect("addr"))
        .expect("bind");
    let listener = socket.listen(16).expect("listen");
    let addr = listener.local_addr().expect("addr");
    let registry = Registry::new(RegistryConfig::default());
    let conn = ConnOptions {
        max_connections: 1,
        write_timeout,
        ..Default::default()
    };
    let service = RegistryService::new(registry.clone(), HttpConfig::default());
    tokio::spawn(serve(listener, service, conn, std::future::pending()));
    (addr, registry)
}

/// A client that asks for a large list and stops reading is dropped after the
/// write timeout, and its connection (here the only one allowed) is freed.
#[tokio::test]
async fn a_client_that_stops_reading_is_dropped() {
    let (addr, registry) = server_for_slow_readers(Duration::from_millis(300)).await;
    // About 4 KB of metadata each: 200 of them list as 800 KB.
    let label = "x".repeat(1000);
    let metadata: std::collections::BTreeMap<String, String> = ["a", "b", "c", "d"]
        .map(|key| (key.to_owned(), label.clone()))
        .into();
    for n in 0..200 {
        let request = rollcall_protocol::RegisterRequest {
            addr: format!("10.0.0.1:{n}"),
            metadata: metadata.clone(),
            weight: None,
            ttl_ms: None,
        };
        registry.register("big", request).expect("register");
    }
    let full = registry.list("big").body().len();
    assert!(full > 700_000, "{full}");

    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("receive buffer");
    let mut stalled = socket.connect(addr).await.expect("connect");
    stalled
        .write_all(b"GET /v1/services/big HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("send");
    // It reads nothing. The one connection allowed is taken until it is dropped:
    let mut next = tokio::net::TcpStream::connect(addr).await.expect("connect");
    next.write_all(HEALTH).await.expect("send");
    let answer = tokio::time::timeout(Duration::from_secs(10), read_health_answer(&mut next))
        .await
        .expect("the stalled connection was dropped and its slot freed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // What the stalled client can still read ends well short of the list.
    let mut got = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stalled.read_to_end(&mut got)).await;
    assert!(got.len() < full, "read {} of {full}", got.len());
}
