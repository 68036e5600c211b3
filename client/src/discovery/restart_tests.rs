//! Discovery across a registry restart: the registry comes back empty, and its
//! servers re-register within a heartbeat period. Clients must not drop to an empty
//! list in between, yet must believe a service that really drained.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;
use crate::protocol::{HEADER_SERVERS, InstanceList};
use crate::registry_client::fake::{FakeTransport, json, reply};
use crate::registry_client::{RegistryClient, RegistryEndpoint};

/// A JSON registry answering whatever list `answer` holds at the time.
fn json_registry(answer: Arc<Mutex<InstanceList>>) -> RegistryDiscovery<FakeTransport> {
    let fake = FakeTransport::new(move |_| {
        let list = answer
            .lock()
            .map(|l| l.clone())
            .unwrap_or_else(|e| e.into_inner().clone());
        Ok(json(200, &list))
    });
    let client = RegistryClient::new(fake, RegistryEndpoint::json("http://r", "svc"));
    RegistryDiscovery::new(client, options())
}

fn options() -> DiscoveryOptions {
    DiscoveryOptions {
        refresh: Duration::from_secs(1),
        max_stale: Duration::from_secs(60),
        request_timeout: None,
        rng_seed: Some(3),
    }
}

fn list(epoch: u64, revision: u64, addrs: &[&str]) -> InstanceList {
    InstanceList {
        service: "svc".into(),
        epoch,
        revision,
        warming: false,
        instances: addrs.iter().map(|a| Instance::from_addr(*a)).collect(),
    }
}

async fn addrs(discovery: &RegistryDiscovery<FakeTransport>) -> Result<Vec<String>, Error> {
    let all = discovery.get_all().await?;
    Ok(all.into_iter().map(|i| i.addr).collect())
}

#[tokio::test(start_paused = true)]
async fn a_restarted_registry_does_not_empty_the_list() {
    let answer = Arc::new(Mutex::new(list(1, 9, &["a:1", "b:1"])));
    let discovery = json_registry(Arc::clone(&answer));
    assert_eq!(
        addrs(&discovery).await,
        Ok(vec!["a:1".into(), "b:1".into()])
    );

    // Restarted: another epoch, nobody registered yet. The old list is served.
    *answer.lock().expect("lock") = list(2, 0, &[]);
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(
        addrs(&discovery).await,
        Ok(vec!["a:1".into(), "b:1".into()])
    );
    assert_eq!(discovery.last_error(), Some(Error::NoServers));

    // The servers beat again: the new run's list replaces the old one.
    *answer.lock().expect("lock") = list(2, 1, &["b:1"]);
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(addrs(&discovery).await, Ok(vec!["b:1".into()]));
    assert_eq!(discovery.last_error(), None);
    assert_eq!(discovery.revision(), Some(1));
}

#[tokio::test(start_paused = true)]
async fn a_service_that_drained_is_believed_at_once() {
    let answer = Arc::new(Mutex::new(list(1, 9, &["a:1"])));
    let discovery = json_registry(Arc::clone(&answer));
    assert_eq!(addrs(&discovery).await, Ok(vec!["a:1".into()]));

    // Same run, later revision, nobody left: a real drain, not a restart.
    *answer.lock().expect("lock") = list(1, 10, &[]);
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(addrs(&discovery).await, Ok(vec![]));
    assert_eq!(
        discovery.get(SelectMode::Random).await,
        Err(Error::NoServers)
    );
}

#[tokio::test(start_paused = true)]
async fn the_seed_protocol_doubts_a_sudden_empty_list_until_max_stale() {
    let header = Arc::new(Mutex::new("a:1,b:1"));
    let served = Arc::clone(&header);
    let fake = FakeTransport::new(move |_| {
        let value = *served.lock().unwrap_or_else(|e| e.into_inner());
        Ok(reply(200, &[(HEADER_SERVERS, value)], ""))
    });
    let client = RegistryClient::new(fake, RegistryEndpoint::seed("http://r/_rpc_/registry"));
    let discovery = RegistryDiscovery::new(client, options());
    assert_eq!(
        addrs(&discovery).await,
        Ok(vec!["a:1".into(), "b:1".into()])
    );

    *header.lock().expect("lock") = "";
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(
        addrs(&discovery).await,
        Ok(vec!["a:1".into(), "b:1".into()])
    );
    // Still empty past max_stale: believed.
    tokio::time::advance(Duration::from_secs(61)).await;
    assert_eq!(addrs(&discovery).await, Ok(vec![]));
    assert_eq!(
        discovery.get(SelectMode::Random).await,
        Err(Error::NoServers)
    );
}
