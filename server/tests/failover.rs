//! Several registry frontends serving one registry, and clients given all their
//! URLs: one frontend killed mid-traffic (every socket closed, as a crash does)
//! while heartbeats beat, discoveries (polling and watching) discover, an XClient
//! calls and a watch follows; a frontend that accepts and never answers; every
//! frontend down; the command line with a comma-separated `--registry`.
//!
//! Each frontend runs on a tokio runtime of its own, so killing it drops its
//! accept loop and every connection at once. The registry lives on the test's
//! runtime (its expiry task with it), shared by all frontends as an etcd cluster
//! would be.

pub mod common;

use std::collections::BTreeMap;
use std::future::pending;
use std::process::Output;
use std::time::Duration;

use common::{eventually, served, who_am_server};
use futures_util::StreamExt;
use rollcall_client::transport::HyperTransport;
use rollcall_client::{
    Deadline, DiscoveryOptions, Heartbeat, HeartbeatOptions, ListSource, RegistryClient,
    RegistryDiscovery, RegistryEndpoint, RpcClient, SelectMode, ServiceView, XClient,
};
use rollcall_protocol::{DEFAULT_PATH, DEFAULT_SERVICE, RegisterRequest};
use rollcall_server::{ConnOptions, HttpConfig, Registry, RegistryConfig, RegistryService, serve};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;

/// The TTL every instance gets: short, so a few seconds cover several lifetimes.
const TTL: Duration = Duration::from_secs(2);

/// The timeout of each request to one frontend.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(1);

/// Longest a test waits for something that should happen in milliseconds:
/// generous, so a loaded machine fails nothing.
const PATIENCE: Duration = Duration::from_secs(20);

/// A registry frontend on a runtime of its own; [`Frontend::kill`] is a crash.
struct Frontend {
    url: String,
    runtime: Option<Runtime>,
}

impl Frontend {
    fn start(registry: &Registry) -> Frontend {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("non-blocking");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let service = RegistryService::new(registry.clone(), HttpConfig::default());
        runtime.spawn(async move {
            let listener = TcpListener::from_std(listener)?;
            serve(listener, service, ConnOptions::default(), pending()).await
        });
        Frontend {
            url,
            runtime: Some(runtime),
        }
    }

    /// Drops the accept loop, every connection and every held request at once.
    fn kill(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for Frontend {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One registry (instances live [`TTL`], no warm-up) and three frontends.
fn cluster() -> (Registry, Vec<Frontend>) {
    let registry = Registry::new(RegistryConfig {
        default_ttl: TTL,
        warmup: Some(Duration::ZERO),
        ..RegistryConfig::default()
    });
    let frontends = (0..3).map(|_| Frontend::start(&registry)).collect();
    (registry, frontends)
}

fn urls(frontends: &[Frontend]) -> Vec<String> {
    frontends.iter().map(|f| f.url.clone()).collect()
}

/// A client of `endpoint` whose first frontend is `first`: the seed is searched
/// for, so each test knows its clients start at the frontend it kills.
fn client_starting_at(endpoint: &RegistryEndpoint, first: &str) -> RegistryClient<HyperTransport> {
    (0..)
        .map(|seed| {
            RegistryClient::new(HyperTransport::new(), endpoint.clone()).with_rng_seed(seed)
        })
        .find(|client| client.frontend().starts_with(first))
        .expect("some seed starts there")
        .with_timeout(REQUEST_TIMEOUT)
}

fn registration(addr: &str) -> RegisterRequest {
    RegisterRequest {
        addr: addr.to_owned(),
        metadata: BTreeMap::new(),
        weight: None,
        ttl_ms: Some(TTL.as_millis() as u64),
    }
}

fn discovery(
    client: RegistryClient<HyperTransport>,
    source: ListSource,
) -> RegistryDiscovery<HyperTransport> {
    let options = DiscoveryOptions {
        source,
        // Polling: often, so the lost frontend is met at once. Watching: never,
        // so every change it serves came from its watch.
        refresh: match source {
            ListSource::Poll => Duration::from_millis(100),
            ListSource::Watch => Duration::from_secs(3600),
        },
        // Short: a discovery that lost its registry for longer than this fails.
        max_stale: Duration::from_secs(3),
        request_timeout: Some(REQUEST_TIMEOUT),
        rng_seed: Some(11),
    };
    RegistryDiscovery::new(client, options)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_a_frontend_loses_no_instance_no_call_and_no_change() {
    let (registry, mut frontends) = cluster();
    let endpoint = RegistryEndpoint::json_many(urls(&frontends), "echo").expect("urls");
    let doomed = frontends[0].url.clone();
    let start_at_doomed = || client_starting_at(&endpoint, &doomed);

    // Two servers keep themselves registered; so does a seed-protocol client.
    let mut heartbeats = Vec::new();
    for name in ["one", "two"] {
        let addr = who_am_server(name, pending()).await;
        let options = HeartbeatOptions {
            request_timeout: REQUEST_TIMEOUT,
            rng_seed: Some(5),
            ..HeartbeatOptions::default()
        };
        heartbeats.push(Heartbeat::start(
            start_at_doomed(),
            registration(&addr),
            options,
        ));
    }
    let seed_urls = frontends.iter().map(|f| format!("{}{DEFAULT_PATH}", f.url));
    let seed_endpoint = RegistryEndpoint::seed_many(seed_urls).expect("seed urls");
    let seed_client = client_starting_at(&seed_endpoint, &doomed);
    heartbeats.push(Heartbeat::start(
        seed_client,
        registration("tcp@10.0.0.9:1"),
        HeartbeatOptions::default(),
    ));
    eventually("three registered", PATIENCE, async || {
        registry.list("echo").len() == 2 && registry.list(DEFAULT_SERVICE).len() == 1
    })
    .await;

    let polling = discovery(start_at_doomed(), ListSource::Poll);
    let watching = discovery(start_at_doomed(), ListSource::Watch);
    let mut view = ServiceView::new();
    let mut watch = start_at_doomed().watch("echo").expect("a watch");
    let xclient = XClient::new(
        polling,
        SelectMode::RoundRobin,
        RpcClient::new(HyperTransport::new()),
    );
    let call = async || {
        xclient
            .call::<_, String>("Who.Am", &(), Deadline::after(PATIENCE))
            .await
    };
    assert!(call().await.is_ok());
    assert_eq!(served(&watching).await.len(), 2);
    while view.instances().len() < 2 {
        let event = watch.next().await.expect("never ends");
        view.apply(&event);
    }

    frontends[0].kill();

    // Two TTLs of traffic without the frontend everyone started at.
    let until_then = tokio::time::Instant::now() + TTL * 2;
    let mut answers = BTreeMap::<String, usize>::new();
    while tokio::time::Instant::now() < until_then {
        let name = call().await.expect("every call succeeds");
        *answers.entry(name).or_default() += 1;
        assert_eq!(served(&watching).await.len(), 2);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        answers.len(),
        2,
        "both servers kept being called: {answers:?}"
    );
    assert_eq!(registry.stats().expirations, 0, "no instance expired");
    assert_eq!(registry.list("echo").len(), 2);
    assert_eq!(registry.list(DEFAULT_SERVICE).len(), 1);
    for heartbeat in &heartbeats {
        let status = heartbeat.status();
        assert!(status.beats_ok >= 4, "{status:?}");
    }

    // A change after the loss reaches the watch and the watching discovery.
    let writer = start_at_doomed();
    writer
        .register(&registration("c:1"))
        .await
        .expect("via another frontend");
    assert_ne!(writer.frontend(), doomed);
    while !view.instances().iter().any(|i| i.addr == "c:1") {
        let event = tokio::time::timeout(PATIENCE, watch.next())
            .await
            .expect("the watch delivers the change")
            .expect("never ends");
        view.apply(&event);
    }
    eventually("the watching discovery serves c:1", PATIENCE, async || {
        served(&watching).await.contains(&"c:1".to_owned())
    })
    .await;
    writer.deregister("c:1").await.expect("deregistered");
    for heartbeat in heartbeats {
        heartbeat.stop().await.expect("stopped");
    }
}

#[tokio::test]
async fn a_frontend_that_never_answers_costs_one_timeout_then_is_left() {
    let (_registry, frontends) = cluster();
    // Accepts connections (the kernel's backlog) but never reads them: a hung process.
    let hung = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let hung_url = format!("http://{}", hung.local_addr().expect("addr"));
    let endpoint =
        RegistryEndpoint::json_many([hung_url.clone(), frontends[1].url.clone()], "echo")
            .expect("urls");
    let client = client_starting_at(&endpoint, &hung_url).with_timeout(Duration::from_millis(300));
    assert_eq!(client.longest_request(), Duration::from_millis(600));
    client
        .register(&registration("a:1"))
        .await
        .expect("via the second");
    assert_eq!(client.frontend(), frontends[1].url);
    let list = client.list(None).await.expect("list").expect("changed");
    assert_eq!(list.instances.len(), 1);
    assert_eq!(
        client.frontend(),
        frontends[1].url,
        "sticks to the one that answers"
    );
}

#[tokio::test]
async fn every_frontend_down_gives_the_last_error() {
    let hung = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let hung_url = format!("http://{}", hung.local_addr().expect("addr"));
    let refused_url = "http://127.0.0.1:1".to_owned();
    let endpoint =
        RegistryEndpoint::json_many([refused_url.clone(), hung_url], "echo").expect("urls");
    let client =
        client_starting_at(&endpoint, &refused_url).with_timeout(Duration::from_millis(300));
    let error = client.list(None).await.expect_err("nobody answers");
    assert!(error.is_timeout(), "the hung one, tried last: {error:?}");
}

async fn rollcall(registry: &str, args: &[&str]) -> Output {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_rollcall"))
        .args(args)
        .env("ROLLCALL_REGISTRY", registry)
        .env_remove("RUST_LOG")
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(PATIENCE, output)
        .await
        .expect("rollcall finished in time")
        .expect("rollcall ran")
}

#[tokio::test]
async fn the_command_line_takes_a_comma_separated_registry_list() {
    let (registry, frontends) = cluster();
    registry.register("echo", registration("a:1")).expect("a");
    // Two of three are down, the first among them; blanks around commas are fine.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed_url = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let list = format!("http://127.0.0.1:1 , {closed_url},{}", frontends[2].url);
    let listed = rollcall(&list, &["list", "echo", "--json"]).await;
    assert!(listed.status.success(), "{listed:?}");
    assert!(String::from_utf8_lossy(&listed.stdout).contains("a:1"));
    let gone = rollcall(&list, &["deregister", "echo", "a:1"]).await;
    assert!(gone.status.success(), "{gone:?}");
    assert!(registry.list("echo").is_empty());

    let down = rollcall("http://127.0.0.1:1,http://127.0.0.1:1/", &["list"]).await;
    assert_eq!(down.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&down.stderr).into_owned();
    assert!(
        stderr.starts_with("rollcall list: cannot reach the registry at "),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let invalid = rollcall("http://127.0.0.1:1,ftp://x", &["list"]).await;
    assert_eq!(invalid.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&invalid.stderr),
        "rollcall list: --registry: ftp://x: not an http:// or https:// URL with a host\n"
    );
}
