//! Tokens end to end: heartbeats and discovery carrying a token, what a request
//! without one (or with the wrong one) gets, private reads and the index they
//! filter, and the seed path left open for clients that cannot send a token.

pub mod common;

use std::time::Duration;

use common::{TestServer, registration};
use rollcall_client::transport::HyperTransport;
use rollcall_client::{
    Discovery, DiscoveryOptions, Heartbeat, HeartbeatOptions, RegistryClient, RegistryDiscovery,
    RegistryEndpoint,
};
use rollcall_protocol::{ServiceIndex, Token};
use rollcall_server::{Auth, AuthOptions, HttpConfig, RegistryConfig, Rules};

/// Writes (and reads) every `pay*` service.
const PAY_WRITER: &str = "paywriter-0123456789abcdef";
/// Reads `payments` only.
const PAY_READER: &str = "payreader-0123456789abcdef";
/// Writes everything.
const ADMIN: &str = "admin-0123456789abcdef";

async fn server(options: AuthOptions) -> TestServer {
    let rules = Rules::parse(&format!(
        "{PAY_WRITER} write pay*\n{PAY_READER} read payments\n{ADMIN} write *\n"
    ))
    .expect("rules");
    let http = HttpConfig {
        auth: Auth::tokens(rules, options),
        ..HttpConfig::default()
    };
    TestServer::with(RegistryConfig::default(), http).await
}

fn private() -> AuthOptions {
    AuthOptions {
        private_reads: true,
        seed_open: false,
    }
}

fn client(
    server: &TestServer,
    service: &str,
    token: Option<&str>,
) -> RegistryClient<HyperTransport> {
    let endpoint = RegistryEndpoint::json(format!("http://{}", server.addr), service);
    let client = RegistryClient::new(HyperTransport::new(), endpoint);
    match token {
        Some(token) => client.with_token(Token::new(token).expect("token")),
        None => client,
    }
}

#[tokio::test]
async fn heartbeats_and_discovery_carry_their_token() {
    let server = server(private()).await;
    let beating = Heartbeat::start(
        client(&server, "payments", Some(PAY_WRITER)),
        registration("a:1"),
        HeartbeatOptions::default(),
    );
    let refused = Heartbeat::start(
        client(&server, "payments", None),
        registration("b:1"),
        HeartbeatOptions::default(),
    );
    tokio::time::timeout(Duration::from_secs(10), async {
        while beating.status().beats_ok == 0 || refused.status().failures == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("both beat once");
    let error = refused.status().last_error.expect("refused");
    assert_eq!(error.status(), Some(401), "{error}");
    assert!(error.to_string().contains("needs a write token"), "{error}");

    let reader = RegistryDiscovery::new(
        client(&server, "payments", Some(PAY_READER)),
        DiscoveryOptions::default(),
    );
    let listed = reader.get_all().await.expect("a read token reads");
    let addrs: Vec<&str> = listed.iter().map(|i| i.addr.as_str()).collect();
    assert_eq!(addrs, ["a:1"]);
    let anonymous = RegistryDiscovery::new(
        client(&server, "payments", None),
        DiscoveryOptions::default(),
    );
    let error = anonymous.get_all().await.expect_err("reads are private");
    assert_eq!(error.status(), Some(401), "{error}");

    beating.stop().await.expect("deregistered with the token");
    assert!(server.registry.is_empty());
    drop(refused);
}

#[tokio::test]
async fn refusals_say_why_and_challenge() {
    let server = server(AuthOptions::default()).await;
    let path = "/v1/services/payments/instances";
    let json = ("Content-Type", "application/json");
    let body = br#"{"addr":"a:1"}"#;

    let missing = server.send("POST", path, &[json], body).await;
    assert_eq!(missing.status, 401);
    assert_eq!(
        missing.header("www-authenticate"),
        Some("Bearer realm=\"rollcall\"")
    );
    assert_eq!(
        missing.error(),
        "this registry needs a write token for service payments: send \"Authorization: Bearer <token>\""
    );
    let bearer = |token: &str| format!("Bearer {token}");
    let unknown = server
        .send(
            "POST",
            path,
            &[json, ("Authorization", &bearer("nope-0123456789abcdef"))],
            body,
        )
        .await;
    assert_eq!(unknown.status, 401);
    assert_eq!(
        unknown.header("www-authenticate"),
        Some("Bearer realm=\"rollcall\", error=\"invalid_token\"")
    );
    let reader = server
        .send(
            "POST",
            path,
            &[json, ("Authorization", &bearer(PAY_READER))],
            body,
        )
        .await;
    assert_eq!(reader.status, 403);
    assert_eq!(reader.header("www-authenticate"), None);
    assert_eq!(reader.error(), "this token may not write service payments");
    assert!(server.registry.is_empty());

    let seed = server
        .send("POST", "/_rpc_/registry", &[("X-rpc-Server", "s:1")], b"")
        .await;
    assert_eq!(seed.status, 401);
    assert_eq!(
        seed.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert!(
        seed.text().contains("for service default"),
        "{}",
        seed.text()
    );
    let admin = server
        .send(
            "POST",
            "/_rpc_/registry",
            &[("X-rpc-Server", "s:1"), ("Authorization", &bearer(ADMIN))],
            b"",
        )
        .await;
    assert_eq!(admin.status, 200);

    // Reads stay open without --private-reads, and the index shows everything.
    assert_eq!(server.get("/v1/services/default").await.status, 200);
    assert_eq!(
        server.get("/_rpc_/registry").await.header("X-rpc-Servers"),
        Some("s:1")
    );
    let index: ServiceIndex = server.get("/v1/services").await.json();
    assert_eq!(index.services.len(), 1);
}

#[tokio::test]
async fn private_reads_show_only_covered_services() {
    let server = server(private()).await;
    for (service, addr) in [("payments", "a:1"), ("payroll", "b:1"), ("default", "c:1")] {
        let admin = client(&server, service, Some(ADMIN));
        admin
            .register(&registration(addr))
            .await
            .expect("admin writes");
    }
    let names = |index: ServiceIndex| -> Vec<String> {
        index.services.into_iter().map(|s| s.service).collect()
    };
    let admin = client(&server, "default", Some(ADMIN))
        .services()
        .await
        .expect("index");
    assert_eq!(names(admin), ["default", "payments", "payroll"]);
    let writer = client(&server, "default", Some(PAY_WRITER))
        .services()
        .await
        .expect("index");
    assert_eq!(names(writer), ["payments", "payroll"], "write implies read");
    let reader = client(&server, "default", Some(PAY_READER))
        .services()
        .await
        .expect("index");
    assert_eq!(names(reader), ["payments"]);
    let anonymous = client(&server, "default", None).services().await;
    assert_eq!(anonymous.expect_err("private").status(), Some(401));

    let leases = client(&server, "payroll", Some(PAY_READER)).leases().await;
    assert_eq!(leases.expect_err("not covered").status(), Some(403));
    let seed = server.get("/_rpc_/registry").await;
    assert_eq!(seed.status, 401, "the seed's list is a read of default");
    assert_eq!(server.get("/healthz").await.status, 200, "probes stay open");
}

#[tokio::test]
async fn seed_open_lets_seed_heartbeats_in_without_a_token() {
    let server = server(AuthOptions {
        private_reads: false,
        seed_open: true,
    })
    .await;
    let seed = server
        .send("POST", "/_rpc_/registry", &[("X-rpc-Server", "s:1")], b"")
        .await;
    assert_eq!(seed.status, 200, "{}", seed.text());
    assert_eq!(seed.header("X-rpc-Ttl-Ms"), Some("300000"));
    // Only the seed path: the JSON API still needs a token, for default too.
    let json = client(&server, "default", None)
        .register(&registration("j:1"))
        .await;
    assert_eq!(json.expect_err("JSON write").status(), Some(401));
    let deregister = client(&server, "default", None).deregister("s:1").await;
    assert_eq!(deregister.expect_err("JSON write").status(), Some(401));
    assert_eq!(server.registry.len(), 1);
}
