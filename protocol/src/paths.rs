//! Paths of the JSON API, built from a service name (and an address).
//!
//! | method | path | what |
//! |---|---|---|
//! | `GET` | `/v1/services` | every service with its instance count ([`ServiceIndex`](crate::ServiceIndex)) |
//! | `GET` | `/v1/services/{service}` | the alive instances ([`InstanceList`](crate::InstanceList)); `ETag` is the revision, `If-None-Match` answers 304 |
//! | `POST` | `/v1/services/{service}/instances` | register or renew ([`RegisterRequest`](crate::RegisterRequest) → [`RegisterResponse`](crate::RegisterResponse)) |
//! | `DELETE` | `/v1/services/{service}/instances/{addr}` | deregister (address percent-encoded) |
//! | `GET` | `/v1/services/{service}/leases` | time since the last heartbeat and time left, per instance ([`LeaseList`](crate::LeaseList)) |
//! | `GET` | `/v1/services/{service}/changes` | the change feed ([`ChangeBatch`](crate::ChangeBatch)); see [`watch`](crate::watch) |
//!
//! `GET` of a list or of the index also takes a blocking query (`?index=N&wait=D`):
//! see [`watch`](crate::watch).

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// Path prefix of the JSON API.
pub const API_PREFIX: &str = "/v1";

/// Path prefix of the JSON-over-HTTP RPC: `POST /_rpc_/call/Service.Method`.
pub const RPC_PATH_PREFIX: &str = "/_rpc_/call/";

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_path_escapes_what_a_segment_cannot_hold() {
        assert_eq!(
            instance("default", "tcp@[::1]:80"),
            "/v1/services/default/instances/tcp@[::1]:80"
        );
        assert_eq!(instance("s", "a/b%c"), "/v1/services/s/instances/a%2Fb%25c");
    }
}
