//! JSON bodies of the API under `/v1`. Unknown fields are refused on requests, so a
//! typo (`"wieght"`) is a 400 rather than a silent default.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Body of `POST /v1/services/{service}/instances`: register, or renew and update,
/// one instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// Where the instance is reached; see [`validate_addr`](crate::validate_addr).
    pub addr: String,
    /// Free-form labels (zone, version, ...), replaced as a whole on each request.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
    /// Weight for weighted selection; [`DEFAULT_WEIGHT`](crate::DEFAULT_WEIGHT) if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
    /// Requested TTL in milliseconds; the server's default if absent. It must fall
    /// within the server's bounds; `0` (never expire) only where the server's default
    /// is itself `0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_ms: Option<u64>,
}

/// Answer to a registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterResponse {
    pub service: String,
    pub addr: String,
    /// The TTL granted, in milliseconds (`0`: never expires). Heartbeats derive their
    /// period from it.
    pub ttl_ms: u64,
    /// `true` if the instance was not registered before this request.
    pub created: bool,
    /// The service's revision after this request.
    pub revision: u64,
}

/// One alive instance as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    pub addr: String,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    #[serde(default = "default_weight")]
    pub weight: u32,
    /// TTL granted to the instance, in milliseconds (`0`: never expires).
    #[serde(default)]
    pub ttl_ms: u64,
}

fn default_weight() -> u32 {
    crate::DEFAULT_WEIGHT
}

impl Instance {
    /// An instance known only by its address, as the seed protocol lists it.
    pub fn from_addr(addr: impl Into<String>) -> Self {
        Instance {
            addr: addr.into(),
            metadata: BTreeMap::new(),
            weight: crate::DEFAULT_WEIGHT,
            ttl_ms: 0,
        }
    }
}

/// Answer to `GET /v1/services/{service}`: the alive instances, sorted by address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceList {
    pub service: String,
    /// Identifies one run of the registry: drawn at random when it starts. Another
    /// epoch means the registry restarted and lost its state, and its revisions
    /// started again. `0` where there is none (the seed protocol).
    #[serde(default)]
    pub epoch: u64,
    /// Increases on every membership change (register, deregister, expiry, metadata or
    /// weight change); unchanged by a plain renewal.
    pub revision: u64,
    /// `true` while the registry warms up after a start: it may not yet list every
    /// live instance, because some have not beaten since. Clients keep the servers of
    /// their previous list meanwhile. Absent (an older registry): `false`.
    #[serde(default)]
    pub warming: bool,
    /// `true` when the answer comes from a frontend's cache while its store cannot
    /// be reached, so the list may be behind (see [`crate::stale`]). Written only
    /// when `true`; absent: `false`.
    #[serde(default, skip_serializing_if = "crate::stale::is_false")]
    pub stale: bool,
    pub instances: Vec<Instance>,
}

impl InstanceList {
    /// Which state of which registry run this list shows.
    pub fn version(&self) -> ListVersion {
        ListVersion {
            epoch: self.epoch,
            revision: self.revision,
            warming: self.warming,
        }
    }
}

/// A list's registry run, revision and warm-up state: what its `ETag` names. The
/// epoch is needed since a restarted registry counts revisions from zero again; the
/// warm-up state since its end changes the answer (`warming`) without a membership
/// change, and a client polling with `If-None-Match` must learn of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListVersion {
    pub epoch: u64,
    pub revision: u64,
    pub warming: bool,
}

impl ListVersion {
    /// The `ETag` of a list at this version, quotes included: `"<epoch hex>.<revision>"`,
    /// or `"<epoch hex>.<revision>.w"` while the registry warms up.
    pub fn etag(&self) -> String {
        let warming = if self.warming { ".w" } else { "" };
        format!("\"{:x}.{}{warming}\"", self.epoch, self.revision)
    }
}

/// One entry of `GET /v1/services`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSummary {
    pub service: String,
    pub revision: u64,
    pub instances: usize,
}

/// Answer to `GET /v1/services`, sorted by service name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceIndex {
    /// Whether the registry is still warming up (see [`InstanceList::warming`]).
    #[serde(default)]
    pub warming: bool,
    /// The registry run, as in [`InstanceList::epoch`]; `0` from a registry that
    /// does not send it.
    #[serde(default)]
    pub epoch: u64,
    /// The registry-wide revision this index shows: the `index` to wait on for the
    /// next change anywhere.
    #[serde(default)]
    pub revision: u64,
    /// As in [`InstanceList::stale`].
    #[serde(default, skip_serializing_if = "crate::stale::is_false")]
    pub stale: bool,
    pub services: Vec<ServiceSummary>,
}

/// How long ago an instance last beat, and how long it has left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub addr: String,
    pub since_heartbeat_ms: u64,
    /// `None` for an instance that never expires.
    pub expires_in_ms: Option<u64>,
}

/// Answer to `GET /v1/services/{service}/leases`, sorted by address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseList {
    pub service: String,
    pub revision: u64,
    pub leases: Vec<Lease>,
}

/// Body of every 4xx/5xx answer of the JSON API and of the RPC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_differ_across_registry_runs() {
        let a = ListVersion {
            epoch: 0xab,
            revision: 7,
            warming: false,
        };
        let b = ListVersion { epoch: 0xac, ..a };
        assert_eq!(a.etag(), "\"ab.7\"");
        assert_ne!(a.etag(), b.etag());
    }

    #[test]
    fn the_end_of_warm_up_changes_the_etag() {
        let warming = ListVersion {
            epoch: 0xab,
            revision: 7,
            warming: true,
        };
        let warm = ListVersion {
            warming: false,
            ..warming
        };
        assert_eq!(warming.etag(), "\"ab.7.w\"");
        assert_ne!(warming.etag(), warm.etag());
    }

    #[test]
    fn lists_from_registries_without_warm_up_still_parse() {
        let old = r#"{"service":"s","epoch":1,"revision":2,"instances":[{"addr":"h:1"}]}"#;
        let list: InstanceList = serde_json::from_str(old).expect("old answer");
        assert!(!list.warming);
        assert_eq!(list.instances[0].weight, crate::DEFAULT_WEIGHT);
        let index: ServiceIndex = serde_json::from_str(r#"{"services":[]}"#).expect("old index");
        assert!(!index.warming);
        assert!(!list.stale && !index.stale);
    }

    #[test]
    fn stale_is_written_only_when_true() {
        let mut list = InstanceList {
            service: "s".to_owned(),
            epoch: 1,
            revision: 2,
            warming: false,
            stale: false,
            instances: Vec::new(),
        };
        let fresh = serde_json::to_string(&list).expect("json");
        assert!(!fresh.contains("stale"), "{fresh}");
        list.stale = true;
        let stale = serde_json::to_string(&list).expect("json");
        assert!(stale.contains(r#""stale":true"#), "{stale}");
        let back: InstanceList = serde_json::from_str(&stale).expect("parses");
        assert!(back.stale);
    }

    #[test]
    fn register_request_defaults_and_rejects_unknown_fields() {
        let r: RegisterRequest = serde_json::from_str(r#"{"addr":"h:1"}"#).expect("minimal");
        assert_eq!(r.weight, None);
        assert!(r.metadata.is_empty());
        let err = serde_json::from_str::<RegisterRequest>(r#"{"addr":"h:1","wieght":2}"#);
        assert!(err.is_err());
    }
}
