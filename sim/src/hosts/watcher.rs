//! Watcher hosts: a watch stream of the scenario's service, folded into a
//! [`ServiceView`], every item recorded.

use std::sync::Arc;

use futures_util::StreamExt;
use rollcall_client::{RegistryClient, ServiceView, WatchOptions};

use super::{Factory, Host, HostConfig};

/// A watcher host named `name`: follows the scenario's service with
/// [`RegistryClient::watch_with`] until the host stops, recording each item
/// ([`Host::record_watch`]). Its list requests time out as the clients'
/// discovery's; its jitter RNG is seeded from the run's seed.
pub(crate) fn watcher(name: &str, config: &HostConfig) -> Factory {
    let name: Arc<str> = name.into();
    let config = config.clone();
    Box::new(move || {
        let (name, config) = (name.clone(), config.clone());
        Box::pin(async move {
            let host = Host::new(&name, &config);
            let client = RegistryClient::new(host.transport(), config.api.endpoint());
            let client = match config.discovery.request_timeout {
                Some(timeout) => client.with_timeout(timeout),
                None => client,
            };
            let options = WatchOptions {
                rng_seed: Some(host.seed_for("watch")),
                ..config.watch.clone()
            };
            let mut stream = client.watch_with(config.api.service(), options)?;
            let mut view = ServiceView::new();
            while let Some(event) = stream.next().await {
                view.apply(&event);
                host.record_watch(&event, &view);
            }
            Ok(())
        })
    })
}
