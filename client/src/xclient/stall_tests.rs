//! Calls through a registry that stalls: the failure measured in issue 9. A frozen
//! registry (SIGSTOP) still accepts connections but never answers; callers use a
//! deadline shorter than the registry's request timeout. Before, the refresh ran
//! inside the caller's future, its deadline cancelled it, nothing was recorded, and
//! every call failed while both servers were up. Now calls to live servers keep
//! succeeding from the last good list.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::*;
use crate::protocol::{Instance, InstanceList};
use crate::registry_client::fake::{FakeTransport, json};
use crate::rt::Instant;
use crate::{DEFAULT_REQUEST_TIMEOUT, DiscoveryOptions, FAILED_REFRESH_RETRY, RegistryClient};
use crate::{RegistryDiscovery, RegistryEndpoint};

/// How long a frozen registry keeps a request: far past any timeout.
const FROZEN: Duration = Duration::from_secs(3600);

/// The caller's deadline, as measured: shorter than the registry timeout (5 s).
const CALL_DEADLINE: Duration = Duration::from_secs(1);

type Client = XClient<RegistryDiscovery<FakeTransport>, FakeTransport>;

/// A registry at host `registry` listing two `Foo` servers, frozen while `frozen`
/// is set; the servers answer every call with 12 after 5 ms.
fn world(frozen: Arc<AtomicBool>) -> (FakeTransport, Client) {
    let fake = FakeTransport::delayed(move |r| match r.uri().host() {
        Some("registry") => {
            let list = InstanceList {
                service: "foo".into(),
                epoch: 1,
                revision: 2,
                warming: false,
                stale: false,
                instances: vec![Instance::from_addr("foo:1"), Instance::from_addr("foo:2")],
            };
            let delay = if frozen.load(Ordering::SeqCst) {
                FROZEN
            } else {
                Duration::ZERO
            };
            (delay, Ok(json(200, &list)))
        }
        _ => (Duration::from_millis(5), Ok(json(200, &12))),
    });
    let registry = RegistryClient::new(
        fake.clone(),
        RegistryEndpoint::json("http://registry:9999", "foo"),
    );
    let options = DiscoveryOptions {
        refresh: Duration::from_secs(2),
        rng_seed: Some(9),
        ..DiscoveryOptions::default()
    };
    let discovery = RegistryDiscovery::new(registry, options);
    let xc = XClient::new(
        discovery,
        SelectMode::RoundRobin,
        RpcClient::new(fake.clone()),
    );
    (fake, xc)
}

fn registry_requests(fake: &FakeTransport) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.uri().host() == Some("registry"))
        .count()
}

async fn call(xc: &Client) -> Result<i64, Error> {
    xc.call("Foo.Sum", &(3, 9), Deadline::after(CALL_DEADLINE))
        .await
}

#[tokio::test(start_paused = true)]
async fn calls_to_live_servers_keep_flowing_while_the_registry_hangs() {
    let frozen = Arc::new(AtomicBool::new(false));
    let (fake, xc) = world(Arc::clone(&frozen));
    assert_eq!(call(&xc).await, Ok(12));

    frozen.store(true, Ordering::SeqCst);
    // Twenty seconds of calls every 250 ms, as measured: none may fail.
    for n in 0..80 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(call(&xc).await, Ok(12), "call {n}");
    }
    let error = xc.discovery().last_error();
    assert!(error.as_ref().is_some_and(Error::is_timeout), "{error:?}");
    // One request at a time, each held for the timeout, then a pause.
    let spacing = DEFAULT_REQUEST_TIMEOUT + FAILED_REFRESH_RETRY;
    let most = 2 + (Duration::from_secs(20).as_millis() / spacing.as_millis()) as usize;
    assert!(
        registry_requests(&fake) <= most,
        "{}",
        registry_requests(&fake)
    );

    // Thawed: the next refresh succeeds and the error clears.
    frozen.store(false, Ordering::SeqCst);
    tokio::time::sleep(spacing).await;
    assert_eq!(call(&xc).await, Ok(12));
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(xc.discovery().last_error(), None);
}

#[tokio::test(start_paused = true)]
async fn a_caller_without_a_list_waits_only_its_deadline_and_the_failure_is_kept() {
    let (fake, xc) = world(Arc::new(AtomicBool::new(true)));
    let started = Instant::now();
    assert_eq!(call(&xc).await, Err(Error::DeadlineExceeded));
    assert_eq!(started.elapsed(), CALL_DEADLINE);
    // The refresh outlives the caller, and its failure is recorded when its own
    // timeout ends, 5 s after it started.
    let just_after = Duration::from_millis(1);
    tokio::time::sleep(DEFAULT_REQUEST_TIMEOUT - CALL_DEADLINE + just_after).await;
    let error = xc.discovery().last_error();
    assert!(error.as_ref().is_some_and(Error::is_timeout), "{error:?}");
    // Within the retry pause the next caller gets that error at once.
    let started = Instant::now();
    let next = call(&xc).await;
    assert!(next.as_ref().is_err_and(Error::is_timeout), "{next:?}");
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(registry_requests(&fake), 1);
}
