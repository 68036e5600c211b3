use std::time::Duration;

use super::*;
use crate::protocol::ErrorBody;
use crate::registry_client::fake::{FakeTransport, json, reply};
use crate::rt::Instant;
use crate::{
    DiscoveryOptions, MultiServersDiscovery, RegistryClient, RegistryDiscovery, RegistryEndpoint,
};

/// RPC servers: `fast` answers 1 at once, `slow` after 10 s, `bad` fails at once.
fn servers() -> FakeTransport {
    FakeTransport::delayed(|r| match r.uri().host() {
        Some("fast") => (Duration::ZERO, Ok(json(200, &1))),
        Some("slow") => (Duration::from_secs(10), Ok(json(200, &2))),
        _ => {
            let body = ErrorBody {
                error: "boom".into(),
            };
            (Duration::ZERO, Ok(json(500, &body)))
        }
    })
}

fn xclient(
    addrs: &[&str],
    mode: SelectMode,
) -> (FakeTransport, XClient<MultiServersDiscovery, FakeTransport>) {
    let fake = servers();
    let discovery = MultiServersDiscovery::from_addrs(addrs.iter().copied()).with_seed(2);
    (
        fake.clone(),
        XClient::new(discovery, mode, RpcClient::new(fake)),
    )
}

#[tokio::test(start_paused = true)]
async fn call_picks_one_server_by_mode() {
    let (fake, xc) = xclient(&["tcp@fast:1", "fast:2"], SelectMode::RoundRobin);
    for _ in 0..4 {
        let reply: u32 = xc
            .call("Foo.Sum", &(1, 2), Deadline::never())
            .await
            .expect("call");
        assert_eq!(reply, 1);
    }
    let ports: Vec<_> = fake.requests().iter().map(|r| r.uri().port_u16()).collect();
    assert_eq!(ports.len(), 4);
    assert!(
        ports.windows(2).all(|w| w[0] != w[1]),
        "alternates: {ports:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn call_under_a_deadline_gives_deadline_exceeded() {
    let (_fake, xc) = xclient(&["slow:1"], SelectMode::Random);
    let start = Instant::now();
    let err = xc
        .call::<_, u32>("Foo.Sleep", &(), Deadline::after(Duration::from_secs(2)))
        .await
        .expect_err("deadline");
    assert_eq!(err, Error::DeadlineExceeded);
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn broadcast_reaches_every_server_and_answers_the_first_success() {
    let (fake, xc) = xclient(&["slow:1", "fast:2"], SelectMode::Random);
    let start = Instant::now();
    let reply: u32 = xc
        .broadcast("Foo.Sum", &(1, 2), Deadline::never())
        .await
        .expect("broadcast");
    assert_eq!(reply, 1, "the first to succeed");
    assert_eq!(fake.count(), 2);
    assert_eq!(start.elapsed(), Duration::from_secs(10), "waits for all");
}

#[tokio::test(start_paused = true)]
async fn broadcast_ends_at_the_first_error_cancelling_the_rest() {
    let (fake, xc) = xclient(&["slow:1", "bad:2", "fast:3"], SelectMode::Random);
    let start = Instant::now();
    let err = xc
        .broadcast::<_, u32>("Foo.Sum", &(1, 2), Deadline::never())
        .await
        .expect_err("bad");
    assert_eq!(err.status(), Some(500));
    assert!(err.to_string().ends_with("boom"), "{err}");
    assert_eq!(start.elapsed(), Duration::ZERO, "slow call not awaited");
    assert!(fake.count() >= 2, "calls run concurrently");
}

#[tokio::test(start_paused = true)]
async fn broadcast_deadline_and_empty_list() {
    let (_fake, xc) = xclient(&["slow:1", "fast:2"], SelectMode::Random);
    let err = xc
        .broadcast::<_, u32>("Foo.Sleep", &(), Deadline::after(Duration::from_secs(2)))
        .await
        .expect_err("deadline");
    assert_eq!(err, Error::DeadlineExceeded);
    let (_fake, empty) = xclient(&[], SelectMode::Random);
    let err = empty
        .broadcast::<_, u32>("Foo.Sum", &(), Deadline::never())
        .await;
    assert_eq!(err, Err(Error::NoServers));
    let err = empty
        .call::<_, u32>("Foo.Sum", &(), Deadline::never())
        .await;
    assert_eq!(err, Err(Error::NoServers));
}

#[tokio::test(start_paused = true)]
async fn calls_through_registry_discovery() {
    let fake = FakeTransport::new(|r| match r.uri().path() {
        "/_rpc_/registry" => Ok(reply(200, &[("X-rpc-Servers", "tcp@fast:1")], "")),
        _ => Ok(json(200, &7)),
    });
    let client = RegistryClient::new(
        fake.clone(),
        RegistryEndpoint::seed("http://r/_rpc_/registry"),
    );
    let discovery = RegistryDiscovery::new(client, DiscoveryOptions::default());
    let xc = XClient::new(discovery, SelectMode::Random, RpcClient::new(fake.clone()));
    let reply: u32 = xc
        .call("Foo.Sum", &(3, 4), Deadline::after(Duration::from_secs(1)))
        .await
        .expect("call");
    assert_eq!(reply, 7);
    assert_eq!(fake.requests()[1].uri(), "http://fast:1/_rpc_/call/Foo.Sum");
    assert!(xc.discovery().last_error().is_none());
}
