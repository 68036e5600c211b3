//! The registry's own figures, read from [`Registry::stats`] on each scrape (one
//! lock hold, at scrape time only) and written through prometheus-client.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

use std::sync::Arc;

use crate::Store;

/// Reads the registry (and its store's own counters) when scraped.
#[derive(Debug)]
pub(super) struct RegistryCollector {
    store: Arc<dyn Store>,
}

impl RegistryCollector {
    pub(super) fn new(store: Arc<dyn Store>) -> RegistryCollector {
        RegistryCollector { store }
    }
}

/// Gauges as prometheus-client takes them.
fn gauge(value: usize) -> ConstGauge<i64> {
    ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX))
}

impl Collector for RegistryCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let stats = self.store.registry().stats();
        let gauges = [
            (
                "rollcall_instances",
                "Alive instances, all services together.",
                gauge(stats.instances),
            ),
            (
                "rollcall_services",
                "Services with at least one alive instance.",
                gauge(stats.services),
            ),
            (
                "rollcall_warming",
                "1 while the registry warms up after its start, else 0.",
                gauge(usize::from(stats.warming)),
            ),
            (
                "rollcall_stale",
                "1 while answers come from a cache its store cannot confirm (store unreachable), else 0.",
                gauge(usize::from(stats.stale)),
            ),
        ];
        for (name, help, value) in gauges {
            value.encode(encoder.encode_descriptor(name, help, None, value.metric_type())?)?;
        }
        let counters = [
            (
                "rollcall_registrations",
                "Registrations of instances not registered before.",
                stats.registrations,
            ),
            (
                "rollcall_renewals",
                "Registrations of instances already registered (heartbeats).",
                stats.renewals,
            ),
            (
                "rollcall_deregistrations",
                "Instances removed by a deregistration.",
                stats.deregistrations,
            ),
            (
                "rollcall_expirations",
                "Instances removed because their TTL ran out.",
                stats.expirations,
            ),
        ];
        let store = self.store.counters();
        let store = store.iter().map(|c| (c.name, c.help, c.value));
        for (name, help, value) in counters.into_iter().chain(store) {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        Ok(())
    }
}
