//! The registry's metrics, served at `/metrics` in the Prometheus text format
//! (version 0.0.4), written by the `prometheus-client` crate.
//!
//! [`Metrics`] is owned by the [`RegistryService`](crate::RegistryService) that
//! records into it: no global registry, so two registries in one process (tests, a
//! simulation) never mix their figures.
//!
//! - `http`: requests by route and status, and their durations: recorded on every
//!   request, so recording is lock-free (see [`HttpMetrics`]).
//! - `histogram`: the lock-free duration histogram those use.
//! - `registry`: the registry's own gauges and counters, read on each scrape.

mod histogram;
mod http;
mod registry;

pub(crate) use http::{HttpMetrics, RouteLabel};

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ::http::StatusCode;
use prometheus_client::encoding::prometheus_text;

use crate::Store;

/// The content type of [`Metrics::encode`]'s output.
pub(crate) const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// Every metric of one served registry.
pub(crate) struct Metrics {
    /// prometheus-client's registry, holding the two collectors below. Built once;
    /// a scrape only reads it.
    exposition: prometheus_client::registry::Registry,
    http: Arc<HttpMetrics>,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Metrics of `store`'s registry, of the store, and of the HTTP front serving
    /// it.
    pub(crate) fn new(store: Arc<dyn Store>) -> Metrics {
        let http = Arc::new(HttpMetrics::new());
        let mut exposition = prometheus_client::registry::Registry::default();
        exposition.register_collector(Box::new(registry::RegistryCollector::new(store)));
        exposition.register_collector(Box::new(Arc::clone(&http)));
        Metrics { exposition, http }
    }

    /// Records one answered request: a few relaxed atomic additions.
    pub(crate) fn record(&self, route: RouteLabel, status: StatusCode, elapsed: Duration) {
        self.http.record(route, status, elapsed);
    }

    /// Everything, in the Prometheus text format.
    pub(crate) fn encode(&self) -> Result<String, fmt::Error> {
        let mut text = String::new();
        prometheus_text::encode(&mut text, &self.exposition)?;
        Ok(text)
    }
}

#[cfg(test)]
mod tests;
