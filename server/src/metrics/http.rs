//! Requests by route and status, and their durations by route.
//!
//! Labels are bounded by construction: a route is one of [`RouteLabel`] (a route,
//! never a path or a service name), a status one of a fixed list or `other`. So the
//! counters are a fixed array, created with the service, and recording a request
//! is an index and relaxed atomic additions: no lock shared by all requests. (A
//! prometheus-client `Family` takes a read lock per lookup, and its `Histogram` a
//! lock per observation; pre-created handles would avoid the first but not the
//! second, so these are our own atomics, encoded through prometheus-client by a
//! custom `Collector`.)

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http::StatusCode;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;

use super::histogram::AtomicHistogram;

/// Which route answered, as a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RouteLabel {
    /// The seed protocol's path.
    Seed,
    Health,
    Ready,
    Metrics,
    /// `GET /v1/services`.
    Services,
    /// `/v1/services/{service}`.
    Service,
    /// `/v1/services/{service}/instances`.
    Instances,
    /// `/v1/services/{service}/instances/{addr}`.
    Instance,
    /// `/v1/services/{service}/leases`.
    Leases,
    /// `/v1/services/{service}/changes`.
    Changes,
    /// Anything else: dashboard files and unknown paths.
    Other,
}

impl RouteLabel {
    const ALL: [RouteLabel; 11] = [
        RouteLabel::Seed,
        RouteLabel::Health,
        RouteLabel::Ready,
        RouteLabel::Metrics,
        RouteLabel::Services,
        RouteLabel::Service,
        RouteLabel::Instances,
        RouteLabel::Instance,
        RouteLabel::Leases,
        RouteLabel::Changes,
        RouteLabel::Other,
    ];

    /// The label value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RouteLabel::Seed => "seed",
            RouteLabel::Health => "healthz",
            RouteLabel::Ready => "readyz",
            RouteLabel::Metrics => "metrics",
            RouteLabel::Services => "services",
            RouteLabel::Service => "service",
            RouteLabel::Instances => "instances",
            RouteLabel::Instance => "instance",
            RouteLabel::Leases => "leases",
            RouteLabel::Changes => "changes",
            RouteLabel::Other => "other",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Statuses counted under their own label; any other is `other`. Every status the
/// registry answers is here, and those a proxy or a later version may add (401,
/// 403, 429).
const STATUSES: [u16; 16] = [
    200, 201, 204, 304, 400, 401, 403, 404, 405, 408, 413, 415, 429, 500, 503, 507,
];

/// Label values of [`STATUSES`], then `other`.
const STATUS_LABELS: [&str; STATUSES.len() + 1] = [
    "200", "201", "204", "304", "400", "401", "403", "404", "405", "408", "413", "415", "429",
    "500", "503", "507", "other",
];

fn status_index(status: StatusCode) -> usize {
    let code = status.as_u16();
    STATUSES
        .iter()
        .position(|&s| s == code)
        .unwrap_or(STATUSES.len())
}

/// One route's figures.
#[derive(Debug, Default)]
struct RouteMetrics {
    by_status: [AtomicU64; STATUS_LABELS.len()],
    duration: AtomicHistogram,
}

/// Requests and durations of the HTTP front, per route (and status).
#[derive(Debug)]
pub(crate) struct HttpMetrics {
    routes: [RouteMetrics; RouteLabel::ALL.len()],
}

impl HttpMetrics {
    pub(crate) fn new() -> HttpMetrics {
        HttpMetrics {
            routes: Default::default(),
        }
    }

    /// Counts one request answered with `status` after `elapsed`.
    pub(crate) fn record(&self, route: RouteLabel, status: StatusCode, elapsed: Duration) {
        let figures = &self.routes[route.index()];
        figures.by_status[status_index(status)].fetch_add(1, Ordering::Relaxed);
        figures.duration.observe(elapsed);
    }
}

impl Collector for HttpMetrics {
    /// Series that never counted anything are left out, so a scrape lists the
    /// routes and statuses seen rather than every combination.
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let mut requests = encoder.encode_descriptor(
            "rollcall_http_requests",
            "HTTP requests answered, by route and status.",
            None,
            MetricType::Counter,
        )?;
        for route in RouteLabel::ALL {
            let figures = &self.routes[route.index()];
            for (count, status) in figures.by_status.iter().zip(STATUS_LABELS) {
                let count = count.load(Ordering::Relaxed);
                if count == 0 {
                    continue;
                }
                let labels = [("route", route.as_str()), ("status", status)];
                ConstCounter::new(count).encode(requests.encode_family(&labels)?)?;
            }
        }
        let mut durations = encoder.encode_descriptor(
            "rollcall_http_request_duration_seconds",
            "Time to answer an HTTP request, by route.",
            None,
            MetricType::Histogram,
        )?;
        for route in RouteLabel::ALL {
            let histogram = &self.routes[route.index()].duration;
            if histogram.count() == 0 {
                continue;
            }
            let labels = [("route", route.as_str())];
            histogram.encode(durations.encode_family(&labels)?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_outside_the_list_share_one_label() {
        assert_eq!(STATUS_LABELS[status_index(StatusCode::OK)], "200");
        assert_eq!(
            STATUS_LABELS[status_index(StatusCode::INSUFFICIENT_STORAGE)],
            "507"
        );
        assert_eq!(
            STATUS_LABELS[status_index(StatusCode::IM_A_TEAPOT)],
            "other"
        );
        for (status, label) in STATUSES.iter().zip(STATUS_LABELS) {
            assert_eq!(status.to_string(), label);
        }
    }

    #[test]
    fn route_labels_index_their_own_slot() {
        for (i, route) in RouteLabel::ALL.iter().enumerate() {
            assert_eq!(route.index(), i, "{route:?}");
        }
    }
}
