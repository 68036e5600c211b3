//! What monitoring asks: `/readyz` (is the registry's list complete yet?) and
//! `/metrics`. Liveness, `/healthz`, is answered beside the routing table.

use bytes::Bytes;
use http::{HeaderValue, StatusCode};

use crate::Registry;
use crate::http::{Reply, respond};
use crate::metrics::{CONTENT_TYPE, Metrics};

/// `GET /readyz`: `503` while the registry warms up after its start (its lists may
/// lack live instances that have not beaten since), or while its store cannot be
/// reached (answers may be behind, writes fail); `200` otherwise.
pub(super) fn ready(registry: &Registry) -> Reply {
    let left = registry.warmup_left();
    if registry.stale() {
        let message =
            "the store is unreachable: reads come from a cache that may be behind, writes fail";
        respond::text(StatusCode::SERVICE_UNAVAILABLE, message)
    } else if left.is_zero() {
        respond::text(StatusCode::OK, Bytes::from_static(b"ready"))
    } else {
        let message = format!("warming up: {} ms left", crate::error::millis(left));
        respond::text(StatusCode::SERVICE_UNAVAILABLE, message)
    }
}

/// `GET /metrics`: the Prometheus text format. Encoding into a `String` cannot
/// fail; if it ever did, a bare `500` and the reason in the log.
pub(super) fn metrics(metrics: &Metrics) -> Reply {
    match metrics.encode() {
        Ok(text) => respond::typed(
            StatusCode::OK,
            text.into(),
            HeaderValue::from_static(CONTENT_TYPE),
        ),
        Err(error) => {
            tracing::error!(%error, "encoding metrics failed");
            respond::empty(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}
