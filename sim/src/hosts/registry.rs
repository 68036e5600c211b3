//! The registry host: the real [`Registry`] and its routes, observed.

use std::future::pending;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rollcall_server::{
    ConnOptions, HttpConfig, Registry, RegistryConfig, RegistryService, WatchConfig, serve,
};

use super::{Factory, HostConfig};
use crate::api::REGISTRY_PORT;
use crate::net::SimListener;
use crate::probes::{ObservedHandler, poll_registry};
use crate::seeds::derive;

/// The registry host: a fresh, empty [`Registry`] on every (re)start, served on
/// [`REGISTRY_PORT`], its list polled every tick for the record.
pub(crate) fn registry(config: &HostConfig) -> Factory {
    let config = config.clone();
    // Each (re)start is another run of the registry, with its own epoch; counted
    // rather than drawn, so a replay is identical.
    let runs = Arc::new(AtomicU64::new(0));
    Box::new(move || {
        let config = config.clone();
        let epoch = runs.fetch_add(1, Ordering::Relaxed) + 1;
        Box::pin(async move {
            let registry = Registry::new(RegistryConfig {
                default_ttl: config.ttl,
                warmup: config.warmup,
                epoch: Some(epoch),
                // Held requests' jitter from the run's seed: replays repeat.
                watch: WatchConfig {
                    rng_seed: Some(derive(config.seed, &format!("registry watch/{epoch}"))),
                    ..WatchConfig::default()
                },
                ..RegistryConfig::default()
            });
            let service = config.api.service().to_owned();
            let observer = config.observer.clone();
            tokio::spawn(poll_registry(
                registry.clone(),
                service,
                observer.clone(),
                config.poll,
            ));
            let service = RegistryService::new(registry, HttpConfig::default());
            let handler = ObservedHandler::new(service, observer);
            let listener = SimListener::bind(REGISTRY_PORT).await?;
            serve(listener, handler, ConnOptions::default(), pending()).await?;
            Ok(())
        })
    })
}
