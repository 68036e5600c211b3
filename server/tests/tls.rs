//! HTTPS end to end: a registry and an RPC server on TLS, certificates made on the
//! fly by a test CA; a heartbeat, discovery and a call through them; and what a
//! client that does not speak TLS, or does not trust the CA, gets.

pub mod common;

use std::time::Duration;

use common::TestServer;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rollcall_client::transport::HyperTransport;
use rollcall_client::{
    Deadline, Discovery, DiscoveryOptions, Heartbeat, HeartbeatOptions, RegistryClient,
    RegistryDiscovery, RegistryEndpoint, RpcClient, SelectMode, Transport, XClient,
};
use rollcall_protocol::RegisterRequest;
use rollcall_server::{ConnOptions, HttpConfig, RpcError, RpcServer, TlsConfig, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A test CA and a server certificate it signed for `localhost` and 127.0.0.1.
struct Pki {
    ca_pem: String,
    server: TlsConfig,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "rollcall test CA");
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
    let key = KeyPair::generate().expect("server key");
    let params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("server params");
    let cert = params
        .signed_by(&key, &ca_cert, &ca_key)
        .expect("server certificate");
    let server = TlsConfig::from_pem(cert.pem().as_bytes(), key.serialize_pem().as_bytes())
        .expect("usable certificate");
    Pki {
        ca_pem: ca_cert.pem(),
        server,
    }
}

fn tls_conn(pki: &Pki) -> ConnOptions {
    ConnOptions {
        tls: Some(pki.server.clone()),
        header_read_timeout: Duration::from_secs(2),
        ..ConnOptions::default()
    }
}

async fn tls_registry(pki: &Pki) -> TestServer {
    let http = HttpConfig {
        conn: tls_conn(pki),
        ..HttpConfig::default()
    };
    TestServer::with(Default::default(), http).await
}

/// An RPC server with `Foo.Sum` on HTTPS; its address as registered.
async fn tls_rpc_server(pki: &Pki) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let methods = RpcServer::new()
        .register("Foo.Sum", |(a, b): (i64, i64)| async move {
            Ok::<_, RpcError>(a + b)
        })
        .expect("method");
    tokio::spawn(serve(
        listener,
        methods,
        tls_conn(pki),
        std::future::pending(),
    ));
    format!("https@{addr}")
}

#[tokio::test]
async fn heartbeat_discovery_and_a_call_over_https() {
    let pki = pki();
    let registry = tls_registry(&pki).await;
    let transport = HyperTransport::with_ca_pem(pki.ca_pem.as_bytes()).expect("CA");
    let base = format!("https://127.0.0.1:{}", registry.addr.port());
    let endpoint = RegistryEndpoint::json(base.as_str(), "foo");

    let addr = tls_rpc_server(&pki).await;
    let request = RegisterRequest {
        addr: addr.clone(),
        metadata: Default::default(),
        weight: None,
        ttl_ms: None,
    };
    let client = RegistryClient::new(transport.clone(), endpoint.clone());
    let heartbeat = Heartbeat::start(client, request, HeartbeatOptions::default());
    tokio::time::timeout(Duration::from_secs(10), async {
        while registry.registry.list("foo").is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("registered over HTTPS");

    let discovery = RegistryDiscovery::new(
        RegistryClient::new(transport.clone(), endpoint),
        DiscoveryOptions::default(),
    );
    let listed = discovery.get_all().await.expect("discovered over HTTPS");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].addr, addr);
    let xc = XClient::new(discovery, SelectMode::Random, RpcClient::new(transport));
    let deadline = Deadline::after(Duration::from_secs(5));
    let sum: i64 = xc.call("Foo.Sum", &(3, 9), deadline).await.expect("call");
    assert_eq!(sum, 12);

    heartbeat.stop().await.expect("deregistered over HTTPS");
    assert!(registry.registry.list("foo").is_empty());
}

/// Plain HTTP to the HTTPS port fails at once, and the port keeps serving.
#[tokio::test]
async fn plain_http_to_the_tls_port_fails_cleanly() {
    let pki = pki();
    let registry = tls_registry(&pki).await;
    let plain = format!("http://{}/v1/services", registry.addr);
    let request = http::Request::get(plain)
        .body(bytes::Bytes::new())
        .expect("request");
    let error = HyperTransport::new()
        .send(request, Duration::from_secs(5))
        .await
        .expect_err("not TLS");
    assert!(
        !matches!(error, rollcall_client::TransportError::Timeout(_)),
        "an error, not a hang: {error:?}"
    );

    // The raw view: the server answers no HTTP and closes the connection.
    let mut stream = tokio::net::TcpStream::connect(registry.addr)
        .await
        .expect("connect");
    stream
        .write_all(b"GET /v1/services HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("send");
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("closed, not left hanging");
    assert!(closed.is_ok() || answer.is_empty(), "{closed:?}");
    assert!(!answer.starts_with(b"HTTP/"), "answered in plain HTTP");

    let https = HyperTransport::with_ca_pem(pki.ca_pem.as_bytes()).expect("CA");
    let good = http::Request::get(format!(
        "https://127.0.0.1:{}/healthz",
        registry.addr.port()
    ))
    .body(bytes::Bytes::new())
    .expect("request");
    let reply = https
        .send(good, Duration::from_secs(5))
        .await
        .expect("https");
    assert_eq!(reply.status(), 200);
}

/// A client that does not trust the server's CA refuses it; a silent client does
/// not hold up the accept loop, and is dropped after the handshake timeout.
#[tokio::test]
async fn untrusted_certificates_and_silent_handshakes_are_refused() {
    let pki = pki();
    let registry = tls_registry(&pki).await;
    let url = format!("https://127.0.0.1:{}/healthz", registry.addr.port());
    let other_ca = pki_other_ca();
    let stranger = HyperTransport::with_ca_pem(other_ca.as_bytes()).expect("CA");
    let request = http::Request::get(url.as_str())
        .body(bytes::Bytes::new())
        .expect("request");
    let error = stranger
        .send(request, Duration::from_secs(5))
        .await
        .expect_err("untrusted");
    assert!(error.to_string().contains("certificate"), "{error}");

    // Connect and say nothing: others are served meanwhile, and it is cut off.
    let mut silent = tokio::net::TcpStream::connect(registry.addr)
        .await
        .expect("connect");
    let trusted = HyperTransport::with_ca_pem(pki.ca_pem.as_bytes()).expect("CA");
    let request = http::Request::get(url.as_str())
        .body(bytes::Bytes::new())
        .expect("request");
    let reply = trusted
        .send(request, Duration::from_secs(5))
        .await
        .expect("served");
    assert_eq!(reply.status(), 200);
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), silent.read_to_end(&mut rest))
        .await
        .expect("closed after the handshake timeout")
        .expect("read");
    assert!(rest.is_empty());
}

/// The PEM of a CA that signed nothing here.
fn pki_other_ca() -> String {
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.self_signed(&key).expect("certificate").pem()
}
