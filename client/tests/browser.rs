//! The client in a real browser (Chromium through wasm-bindgen-test-runner and
//! chromedriver), against a live registry and demo RPC servers on another origin:
//! the fetch transport, CORS, discovery and calls, with the same code as natively.
//!
//! The harness (`xtask/src/web.rs`, `browser_tests`) starts a registry and
//! `demo_servers`, then runs
//! `ROLLCALL_TEST_REGISTRY=http://127.0.0.1:<port> CHROMEDRIVER=/usr/bin/chromedriver
//! cargo test -p rollcall-client --target wasm32-unknown-unknown`.
//! The registry URL is baked in at compile time: a test page has no environment.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use bytes::Bytes;
use rollcall_client::protocol::{HEADER_SERVERS, InstanceList, RegisterRequest, RegisterResponse};
use rollcall_client::rt::{Deadline, Instant};
use rollcall_client::transport::{FetchTransport, HttpRequest};
use rollcall_client::{
    Discovery, DiscoveryOptions, RegistryClient, RegistryDiscovery, RegistryEndpoint, RpcClient,
    SelectMode, ServiceView, Transport, TransportError, WatchEvent, WatchOptions, XClient,
};
use serde_json::json;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// Per-request timeout in these tests: loopback answers in milliseconds.
const TIMEOUT: Duration = Duration::from_secs(5);

/// The registry the harness started, as a base URL. Not `env!`: the file must still
/// compile (for clippy, say) without a registry; only running it needs one.
fn registry() -> &'static str {
    match option_env!("ROLLCALL_TEST_REGISTRY") {
        Some(url) => url,
        None => panic!(
            "ROLLCALL_TEST_REGISTRY was not set at compile time: run these tests through \
             the xtask harness (xtask/src/web.rs, browser_tests), which starts a registry"
        ),
    }
}

fn json_client(base: &str, service: &str) -> RegistryClient<FetchTransport> {
    RegistryClient::new(FetchTransport::new(), RegistryEndpoint::json(base, service))
}

fn get(url: &str) -> HttpRequest {
    http::Request::get(url).body(Bytes::new()).expect("request")
}

/// The demo servers registered in `default`, sorted by address.
async fn demo_instances() -> InstanceList {
    let list = json_client(registry(), "default")
        .list(None)
        .await
        .expect("list")
        .expect("a full list");
    assert!(list.instances.len() >= 2, "demo servers missing: {list:?}");
    list
}

#[wasm_bindgen_test]
async fn fetch_get_reads_status_and_body_cross_origin() {
    let url = format!("{}/v1/services/default", registry());
    let response = FetchTransport::new()
        .send(get(&url), TIMEOUT)
        .await
        .expect("GET");
    assert_eq!(response.status(), 200);
    let list: InstanceList = serde_json::from_slice(response.body()).expect("InstanceList");
    assert_eq!(list.service, "default");
}

#[wasm_bindgen_test]
async fn fetch_refuses_a_body_over_its_limit() {
    let url = format!("{}/v1/services/default", registry());
    let answer = FetchTransport::new()
        .with_max_body(16)
        .send(get(&url), TIMEOUT)
        .await;
    assert_eq!(
        answer.map(|r| r.status()),
        Err(TransportError::Io(
            "response body larger than 16 bytes".to_owned()
        ))
    );
}

#[wasm_bindgen_test]
async fn fetch_post_and_delete_round_trip() {
    let service = "browser-test";
    // A fresh address per run, so a rerun against the same registry creates again.
    let port = 20_000 + (js_sys::Math::random() * 40_000.0) as u32;
    let addr = format!("127.0.0.1:{port}");
    let body = serde_json::to_vec(&RegisterRequest {
        addr: addr.clone(),
        metadata: [("from".to_owned(), "wasm".to_owned())].into(),
        weight: Some(3),
        ttl_ms: None,
    })
    .expect("encode");
    let post = http::Request::post(format!("{}/v1/services/{service}/instances", registry()))
        .header("content-type", "application/json")
        .body(Bytes::from(body))
        .expect("request");
    let response = FetchTransport::new()
        .send(post, TIMEOUT)
        .await
        .expect("POST");
    assert_eq!(response.status(), 201, "{:?}", response.body());
    let answer: RegisterResponse = serde_json::from_slice(response.body()).expect("body");
    assert!(answer.created);
    assert_eq!(answer.addr, addr);

    let client = json_client(registry(), service);
    let listed = client.list(None).await.expect("list").expect("full list");
    let me = listed
        .instances
        .iter()
        .find(|i| i.addr == addr)
        .expect("registered");
    assert_eq!(me.weight, 3);
    assert_eq!(me.metadata.get("from").map(String::as_str), Some("wasm"));

    client.deregister(&addr).await.expect("DELETE");
    let again = client.deregister(&addr).await.expect_err("already gone");
    assert_eq!(again.status(), Some(404), "{again}");
}

#[wasm_bindgen_test]
async fn seed_protocol_header_is_exposed_to_the_page() {
    let url = format!("{}/_rpc_/registry", registry());
    let response = FetchTransport::new()
        .send(get(&url), TIMEOUT)
        .await
        .expect("GET");
    assert_eq!(response.status(), 200);
    let servers = response
        .headers()
        .get(HEADER_SERVERS)
        .and_then(|v| v.to_str().ok())
        .expect("X-rpc-Servers readable cross-origin (Access-Control-Expose-Headers)")
        .to_owned();
    for instance in &demo_instances().await.instances {
        assert!(servers.split(',').any(|s| s == instance.addr), "{servers}");
    }
    let seed = RegistryClient::new(FetchTransport::new(), RegistryEndpoint::seed(url));
    let listed = seed
        .list(None)
        .await
        .expect("seed list")
        .expect("full list");
    assert_eq!(listed.instances.len(), servers.split(',').count());
}

#[wasm_bindgen_test]
async fn fetch_gives_up_after_its_timeout() {
    let demo = demo_instances().await;
    let url = format!("http://{}/_rpc_/call/Foo.Sleep", demo.instances[0].addr);
    let slow = http::Request::post(url)
        .header("content-type", "application/json")
        .body(Bytes::from_static(br#"{"Num1": 3, "Num2": 0}"#))
        .expect("request");
    let started = Instant::now();
    let limit = Duration::from_millis(300);
    let error = FetchTransport::new()
        .send(slow, limit)
        .await
        .expect_err("must time out");
    assert_eq!(error, TransportError::Timeout(limit));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[wasm_bindgen_test]
async fn an_unreachable_registry_is_a_connect_error() {
    // Port 9 (discard) on loopback: nothing listens there on a test machine.
    let error = json_client("http://127.0.0.1:9", "default")
        .list(None)
        .await
        .expect_err("nothing listens");
    assert!(error.is_connect(), "{error}");
}

#[wasm_bindgen_test]
async fn registry_discovery_lists_and_selects_the_demo_servers() {
    let options = DiscoveryOptions {
        rng_seed: Some(7),
        ..DiscoveryOptions::default()
    };
    let discovery = RegistryDiscovery::new(json_client(registry(), "default"), options);
    let all = discovery.get_all().await.expect("get_all");
    assert_eq!(all, demo_instances().await.instances);
    let named = |i: &rollcall_client::Instance| {
        i.metadata
            .get("name")
            .is_some_and(|n| n.starts_with("foo-"))
    };
    assert!(all.iter().all(named), "{all:?}");
    // Round-robin visits every instance once per round.
    let mut picked = Vec::new();
    for _ in 0..all.len() {
        picked.push(
            discovery
                .get(SelectMode::RoundRobin)
                .await
                .expect("get")
                .addr,
        );
    }
    picked.sort();
    let expected: Vec<_> = all.iter().map(|i| i.addr.clone()).collect();
    assert_eq!(picked, expected);
    assert_eq!(discovery.last_error(), None);
}

#[wasm_bindgen_test]
async fn xclient_calls_and_broadcasts_through_the_registry() {
    let discovery = RegistryDiscovery::new(
        json_client(registry(), "default"),
        DiscoveryOptions::default(),
    );
    let rpc = RpcClient::new(FetchTransport::new());
    let xclient = XClient::new(discovery, SelectMode::Random, rpc);
    let args = json!({"Num1": 3, "Num2": 9});
    let deadline = Deadline::after(Duration::from_secs(5));
    let sum: i64 = xclient
        .call("Foo.Sum", &args, deadline)
        .await
        .expect("call");
    assert_eq!(sum, 12);
    let sum: i64 = xclient
        .broadcast("Foo.Sum", &args, deadline)
        .await
        .expect("broadcast");
    assert_eq!(sum, 12);

    // The seed's broadcast of a slow method under a short deadline.
    let slow = json!({"Num1": 2, "Num2": 0});
    let short = Deadline::after(Duration::from_millis(300));
    let error = xclient
        .broadcast::<_, i64>("Foo.Sleep", &slow, short)
        .await
        .expect_err("deadline");
    assert!(error.is_timeout(), "{error}");
}

#[wasm_bindgen_test]
async fn rpc_errors_reach_the_page_with_their_message() {
    let demo = demo_instances().await;
    let rpc = RpcClient::new(FetchTransport::new());
    let deadline = Deadline::after(TIMEOUT);
    let addr = &demo.instances[0].addr;
    let error = rpc
        .call::<_, i64>(addr, "Foo.Nope", &json!({}), deadline)
        .await
        .expect_err("unknown method");
    assert_eq!(error.status(), Some(404), "{error}");
    assert!(
        error.to_string().contains("can't find method Foo.Nope"),
        "{error}"
    );
    let error = rpc
        .call::<_, i64>(addr, "Foo.Sum", &json!({"Num1": "three"}), deadline)
        .await
        .expect_err("bad arguments");
    assert_eq!(error.status(), Some(400), "{error}");
}

#[wasm_bindgen_test]
async fn a_watch_follows_changes_over_fetch_and_its_index_is_readable() {
    use futures_util::StreamExt;
    use rollcall_client::protocol::{ChangeKind, HEADER_INDEX};

    // A service of its own, named by the page's clock, so reruns do not collide.
    let service = format!("browser-watch-{}", js_sys::Date::now() as u64);
    let client = json_client(registry(), &service);
    let options = WatchOptions {
        wait: Duration::from_secs(2),
        rng_seed: Some(1),
        ..WatchOptions::default()
    };
    let mut stream = client.watch_with(&service, options).expect("valid");
    let mut view = ServiceView::new();
    let first = stream.next().await.expect("an item");
    assert!(matches!(&first, WatchEvent::Reset(list) if list.instances.is_empty()));
    view.apply(&first);
    let request = RegisterRequest {
        addr: "10.9.9.9:1".to_owned(),
        metadata: Default::default(),
        weight: None,
        ttl_ms: Some(5_000),
    };
    client.register(&request).await.expect("register");
    let changed = loop {
        let changed = view.apply(&stream.next().await.expect("an item"));
        if !changed.is_empty() {
            break changed;
        }
    };
    assert_eq!(changed[0].kind, ChangeKind::Register);
    assert_eq!(changed[0].instance.addr, "10.9.9.9:1");
    // The header a page waits on next is readable cross-origin.
    let url = format!("{}/v1/services/{service}", registry());
    let response = FetchTransport::new()
        .send(get(&url), TIMEOUT)
        .await
        .expect("fetch");
    let index = response
        .headers()
        .get(HEADER_INDEX)
        .expect("X-Rollcall-Index exposed");
    assert_eq!(
        index.to_str().ok().and_then(|v| v.parse::<u64>().ok()),
        view.version().map(|v| v.revision)
    );
    client.deregister("10.9.9.9:1").await.expect("deregister");
}

#[wasm_bindgen_test]
async fn a_discovery_in_watch_mode_serves_changes_without_a_refresh() {
    use rollcall_client::ListSource;

    let service = format!("browser-discovery-{}", js_sys::Date::now() as u64);
    let client = json_client(registry(), &service);
    let options = DiscoveryOptions {
        source: ListSource::Watch,
        // Any change seen came from the watch: no refresh is due in this test.
        refresh: Duration::from_secs(3600),
        rng_seed: Some(3),
        ..DiscoveryOptions::default()
    };
    let discovery = RegistryDiscovery::new(client.clone(), options);
    assert!(discovery.get_all().await.expect("first list").is_empty());
    let request = RegisterRequest {
        addr: "10.9.9.8:1".to_owned(),
        metadata: Default::default(),
        weight: None,
        ttl_ms: Some(5_000),
    };
    client.register(&request).await.expect("register");
    let start = Instant::now();
    loop {
        let all = discovery.get_all().await.expect("served at once");
        if all.iter().any(|i| i.addr == "10.9.9.8:1") {
            break;
        }
        assert!(start.elapsed() < TIMEOUT, "the watch brought nothing");
        rollcall_client::rt::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(discovery.last_error(), None);
    drop(discovery);
    client.deregister("10.9.9.8:1").await.expect("deregister");
}

/// A client of `list` (comma-separated) that starts at `first`.
fn client_starting_at(list: &str, service: &str, first: &str) -> RegistryClient<FetchTransport> {
    let endpoint = RegistryEndpoint::parse_json(list, service).expect("a valid list");
    (0..)
        .map(|seed| {
            RegistryClient::new(FetchTransport::new(), endpoint.clone()).with_rng_seed(seed)
        })
        .find(|client| client.frontend() == first)
        .expect("some seed starts there")
        .with_timeout(TIMEOUT)
}

#[wasm_bindgen_test]
async fn a_registry_url_that_refuses_is_passed_over() {
    use futures_util::StreamExt;
    use rollcall_client::{Heartbeat, HeartbeatOptions, ListSource};

    let service = format!("browser-failover-{}", js_sys::Date::now() as u64);
    // Port 9 (discard): nothing listens there; the harness's registry does.
    let refusing = "http://127.0.0.1:9";
    let list = format!("{refusing}, {}", registry());
    let fresh = || client_starting_at(&list, &service, refusing);
    let request = RegisterRequest {
        addr: "10.9.9.7:1".to_owned(),
        metadata: Default::default(),
        weight: None,
        ttl_ms: Some(5_000),
    };

    // A heartbeat's first beat moves on to the registry that answers.
    let heartbeat = Heartbeat::start(fresh(), request.clone(), HeartbeatOptions::default());
    let client = fresh();
    let start = Instant::now();
    loop {
        let listed = client.list(None).await.expect("list").expect("full list");
        if listed.instances.iter().any(|i| i.addr == request.addr) {
            break;
        }
        assert!(start.elapsed() < TIMEOUT, "the heartbeat never landed");
        rollcall_client::rt::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        client.frontend(),
        registry().trim_end_matches('/'),
        "sticks to it"
    );

    // A watch and a watching discovery that start at the refusing URL.
    let options = WatchOptions {
        wait: Duration::from_secs(2),
        rng_seed: Some(1),
        ..WatchOptions::default()
    };
    let mut stream = fresh().watch_with(&service, options).expect("valid");
    match stream.next().await.expect("an item") {
        WatchEvent::Reset(list) => assert_eq!(list.instances.len(), 1),
        other => panic!("expected the list from the second URL, got {other:?}"),
    }
    let discovery = RegistryDiscovery::new(
        fresh(),
        DiscoveryOptions {
            source: ListSource::Watch,
            rng_seed: Some(4),
            ..DiscoveryOptions::default()
        },
    );
    let served = discovery.get_all().await.expect("served");
    assert_eq!(served.len(), 1, "{served:?}");
    assert_eq!(discovery.last_error(), None);

    // Stopping deregisters, through the registry that answers.
    heartbeat.stop().await.expect("deregistered");
    let listed = client.list(None).await.expect("list").expect("full list");
    assert!(listed.instances.is_empty(), "{listed:?}");
}
