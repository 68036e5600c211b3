//! Paths of the JSON API, built from a service name (and an address).
//!
//! | method | path | what |
//! |---|---|---|
//! | `GET` | `/v1/services` | every service with its instance count ([`ServiceIndex`](crate::ServiceIndex)) |
//! | `GET` | `/v1/services/{service}` | the alive instances ([`InstanceList`](crate::InstanceList)); `ETag` is the [`ListVersion`](crate::ListVersion), `If-None-Match` answers 304 |
//! | `POST` | `/v1/services/{service}/instances` | register or renew ([`RegisterRequest`](crate::RegisterRequest) → [`RegisterResponse`](crate::RegisterResponse)) |
//! | `DELETE` | `/v1/services/{service}/instances/{addr}` | deregister (address percent-encoded) |
//! | `GET` | `/v1/services/{service}/leases` | time since the last heartbeat and time left, per instance ([`LeaseList`](crate::LeaseList)) |
//! | `GET` | `/readyz` | `200` once warm, `503` while warming up ([`READY_PATH`]) |
//! | `GET` | `/metrics` | Prometheus text format ([`METRICS_PATH`]) |
//! | `GET` | `/v1/services/{service}/changes` | the change feed ([`ChangeBatch`](crate::ChangeBatch)); see [`watch`](crate::watch) |
//!
//! `GET` of a list or of the index also takes a blocking query (`?index=N&wait=D`):
//! see [`watch`](crate::watch).

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::validate::split_addr;

/// Path prefix of the JSON API.
pub const API_PREFIX: &str = "/v1";

/// Path prefix of the JSON-over-HTTP RPC: `POST /_rpc_/call/Service.Method`.
pub const RPC_PATH_PREFIX: &str = "/_rpc_/call/";

/// Readiness probe of the registry: `200` once warm, `503` while it warms up after a
/// start (it may not yet list every live instance). Liveness is `/healthz`.
pub const READY_PATH: &str = "/readyz";

/// The registry's metrics, in the Prometheus text format.
pub const METRICS_PATH: &str = "/metrics";

/// Characters escaped in an address used as a path segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'/')
    .add(b'?')
    .add(b'#')
    .add(b'%')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// `GET`: the index of services.
pub fn services() -> String {
    format!("{API_PREFIX}/services")
}

/// `GET`: one service's alive instances.
pub fn service(service: &str) -> String {
    format!("{API_PREFIX}/services/{service}")
}

/// `POST`: register or renew an instance of `service`.
pub fn instances(service: &str) -> String {
    format!("{API_PREFIX}/services/{service}/instances")
}

/// `DELETE`: deregister `addr` from `service`.
pub fn instance(service: &str, addr: &str) -> String {
    format!(
        "{API_PREFIX}/services/{service}/instances/{}",
        utf8_percent_encode(addr, SEGMENT)
    )
}

/// `GET`: leases (heartbeat ages) of one service's instances.
pub fn leases(service: &str) -> String {
    format!("{API_PREFIX}/services/{service}/leases")
}

/// The URL of a call of `method` on the server registered as `addr`. The seed's
/// `proto@host:port` form may name the scheme: `https@host:port` is called over
/// HTTPS and `http@host:port` over plain HTTP; any other protocol (the seed's
/// `tcp@`) or none is called over HTTPS if `https_by_default`, else plain HTTP.
pub fn call_url(addr: &str, method: &str, https_by_default: bool) -> String {
    let (proto, host) = split_addr(addr);
    let https = match proto {
        Some("https") => true,
        Some("http") => false,
        _ => https_by_default,
    };
    let scheme = if https { "https" } else { "http" };
    format!("{scheme}://{host}{RPC_PATH_PREFIX}{method}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_names_the_scheme_of_a_call() {
        assert_eq!(
            call_url("tcp@h:1", "Foo.Sum", false),
            "http://h:1/_rpc_/call/Foo.Sum"
        );
        assert_eq!(
            call_url("https@h:1", "Foo.Sum", false),
            "https://h:1/_rpc_/call/Foo.Sum"
        );
        assert_eq!(
            call_url("http@h:1", "Foo.Sum", true),
            "http://h:1/_rpc_/call/Foo.Sum"
        );
        assert_eq!(call_url("h:1", "A.b", true), "https://h:1/_rpc_/call/A.b");
    }

    #[test]
    fn instance_path_escapes_what_a_segment_cannot_hold() {
        assert_eq!(
            instance("default", "tcp@[::1]:80"),
            "/v1/services/default/instances/tcp@[::1]:80"
        );
        assert_eq!(instance("s", "a/b%c"), "/v1/services/s/instances/a%2Fb%25c");
    }
}
