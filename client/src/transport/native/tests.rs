//! The hyper transport against scripted raw-socket servers.

use super::*;

#[tokio::test]
async fn refuses_other_schemes() {
    let request = http::Request::get("ftp://example.invalid/")
        .body(Bytes::new())
        .expect("request");
    let err = HyperTransport::new()
        .send(request, Duration::from_secs(1))
        .await
        .expect_err("ftp");
    assert!(matches!(err, TransportError::InvalidRequest(_)), "{err:?}");
}

#[tokio::test]
async fn a_transport_on_its_own_connector_refuses_https() {
    let request = http::Request::get("https://example.invalid/")
        .body(Bytes::new())
        .expect("request");
    let plain = HyperTransport::with_connector(HttpConnector::new());
    let err = plain
        .send(request, Duration::from_secs(1))
        .await
        .expect_err("no TLS");
    assert!(
        matches!(&err, TransportError::InvalidRequest(m) if m.contains("plain HTTP only")),
        "{err:?}"
    );
}

#[test]
fn a_ca_file_must_hold_a_certificate() {
    let empty = HyperTransport::with_ca_pem(b"");
    assert!(matches!(empty, Err(TransportError::Tls(_))), "{empty:?}");
    let garbage = HyperTransport::with_ca_pem(
        b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    );
    assert!(
        matches!(garbage, Err(TransportError::Tls(_))),
        "{garbage:?}"
    );
    let missing = HyperTransport::with_ca_file("/nonexistent/ca.pem");
    assert!(
        matches!(&missing, Err(TransportError::Tls(m)) if m.contains("/nonexistent/ca.pem")),
        "{missing:?}"
    );
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let request = http::Request::get(format!("http://{addr}/"))
        .body(Bytes::new())
        .expect("request");
    let err = HyperTransport::new()
        .send(request, Duration::from_secs(5))
        .await
        .expect_err("refused");
    assert!(matches!(err, TransportError::Connect(_)), "{err:?}");
}

/// Reads from `stream` up to the end of a request head; false if the peer closed.
async fn read_head(stream: &tokio::net::TcpStream) -> bool {
    let (mut head, mut buf) = (Vec::new(), [0u8; 1024]);
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        stream.readable().await.expect("readable");
        match stream.try_read(&mut buf) {
            Ok(0) => return false,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => panic!("read: {e}"),
        }
    }
    true
}

async fn write_all(stream: &tokio::net::TcpStream, mut rest: &[u8]) {
    while !rest.is_empty() {
        stream.writable().await.expect("writable");
        match stream.try_write(rest) {
            Ok(n) => rest = &rest[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => panic!("write: {e}"),
        }
    }
}

async fn listen() -> (tokio::net::TcpListener, std::net::SocketAddr) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    (listener, addr)
}

/// Serves one connection: reads a request head, writes `response` as is (or
/// nothing when `None`), then holds the connection open.
async fn serve_once(response: Option<Vec<u8>>) -> std::net::SocketAddr {
    let (listener, addr) = listen().await;
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        if read_head(&stream).await {
            write_all(&stream, response.as_deref().unwrap_or_default()).await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    });
    addr
}

/// How a scripted server drops a kept-alive connection when it is reused.
#[derive(Clone, Copy)]
enum OnReuse {
    /// Closed (a FIN): a server's idle timeout firing just as the client reuses it.
    Close,
    /// Reset (linger zero), as by a server process restarted behind it.
    Reset,
}

/// Answers the first request of a kept-alive connection, then drops it as `how`
/// says when the next request arrives, unanswered. Any later connection is
/// answered normally.
async fn serve_dropping_on_reuse(how: OnReuse) -> std::net::SocketAddr {
    const ANSWER: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
    let (listener, addr) = listen().await;
    tokio::spawn(async move {
        let (first, _) = listener.accept().await.expect("accept");
        assert!(read_head(&first).await, "first request");
        write_all(&first, ANSWER).await;
        read_head(&first).await;
        if let OnReuse::Reset = how {
            first.set_zero_linger().expect("linger");
        }
        drop(first);
        loop {
            let (stream, _) = listener.accept().await.expect("accept");
            tokio::spawn(async move {
                while read_head(&stream).await {
                    write_all(&stream, ANSWER).await;
                }
            });
        }
    });
    addr
}

/// A reused connection reset before any answer: a `GET` is sent again on a new
/// connection and answered.
#[tokio::test]
async fn an_idempotent_request_survives_a_connection_reset_on_reuse() {
    let limit = Duration::from_secs(5);
    let addr = serve_dropping_on_reuse(OnReuse::Reset).await;
    let transport = HyperTransport::new();
    for attempt in ["first", "reused"] {
        let response = transport.send(get(addr), limit).await.expect(attempt);
        assert_eq!(response.body().as_ref(), b"ok", "{attempt}");
    }
}

/// A request the server drops on a reused connection: an idempotent one is sent
/// again on a new connection and answered; a POST, which might have taken effect,
/// is not repeated and reports the failure.
#[tokio::test]
async fn idempotent_requests_survive_a_connection_closed_on_reuse() {
    let limit = Duration::from_secs(5);
    let addr = serve_dropping_on_reuse(OnReuse::Close).await;
    let transport = HyperTransport::new();
    for attempt in ["first", "reused"] {
        let response = transport.send(get(addr), limit).await.expect(attempt);
        assert_eq!(response.body().as_ref(), b"ok", "{attempt}");
    }

    let addr = serve_dropping_on_reuse(OnReuse::Close).await;
    let transport = HyperTransport::new();
    let post = || {
        http::Request::post(format!("http://{addr}/"))
            .body(Bytes::from_static(b"{}"))
            .expect("request")
    };
    transport.send(post(), limit).await.expect("first POST");
    let err = transport
        .send(post(), limit)
        .await
        .expect_err("a POST is not repeated");
    assert!(matches!(err, TransportError::Io(_)), "{err:?}");
}

fn get(addr: std::net::SocketAddr) -> HttpRequest {
    http::Request::get(format!("http://{addr}/"))
        .body(Bytes::new())
        .expect("request")
}

#[tokio::test]
async fn reads_a_whole_response_and_caps_its_size() {
    let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nx-a: b\r\n\r\nhello".to_vec();
    let addr = serve_once(Some(answer.clone())).await;
    let response = HyperTransport::new()
        .send(get(addr), Duration::from_secs(5))
        .await
        .expect("response");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-a"], "b");
    assert_eq!(response.body().as_ref(), b"hello");
    let addr = serve_once(Some(answer)).await;
    let err = HyperTransport::new()
        .with_max_body(4)
        .send(get(addr), Duration::from_secs(5))
        .await
        .expect_err("too large");
    assert!(
        matches!(&err, TransportError::Io(m) if m.contains("larger than 4")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let addr = serve_once(None).await;
    let limit = Duration::from_millis(200);
    let err = HyperTransport::new()
        .send(get(addr), limit)
        .await
        .expect_err("silent");
    assert_eq!(err, TransportError::Timeout(limit));
}

#[test]
fn futures_are_send() {
    fn assert_send<F: Send>(_: F) {}
    let transport = HyperTransport::new();
    let request = http::Request::new(Bytes::new());
    assert_send(transport.send(request, Duration::from_secs(1)));
}
