//! Watching: blocking queries on lists and on the service index, and the change
//! feed of one service.
//!
//! | method | path | what |
//! |---|---|---|
//! | `GET` | `/v1/services/{service}?index=N&wait=D&epoch=E` | the list, once the service's revision is above `N` (at once if it already is), or after `D` plus a jitter of up to `D/16` |
//! | `GET` | `/v1/services/{service}/changes?since=N&wait=D&epoch=E` | every change after revision `N`, in order ([`ChangeBatch`]), with the same waiting rules; `410 Gone` when the log no longer holds them or `E` is not the registry's epoch |
//! | `GET` | `/v1/services?index=N&wait=D&epoch=E` | the service index, once the registry's revision is above `N` |
//!
//! Every list, index and change answer carries [`HEADER_INDEX`]: the revision to send
//! as the next `index` (or `since`). Within one epoch it never goes backwards; a
//! restarted registry has another epoch, and a client starts over (lists again).
//! `wait` defaults to [`DEFAULT_WAIT`] and is capped by the server (`--max-wait`,
//! [`DEFAULT_MAX_WAIT`] by default). The parameters are parsed and written by
//! [`crate::query`].

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::json::Instance;
use crate::paths::API_PREFIX;
use crate::query::WatchQuery;

/// Response header on every list, index and change answer: the revision the answer
/// shows, to send back as `index` (or `since`) to wait for the next change.
pub const HEADER_INDEX: &str = "X-Rollcall-Index";

/// How long a blocking query waits when it gives `index` (or `since`) without
/// `wait`: a minute, as Consul's blocking queries do, long enough that an idle watch
/// costs one request a minute, short enough that a vanished client is noticed.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(60);

/// Longest wait a registry grants unless configured otherwise (`--max-wait`): five
/// minutes, the seed's TTL, so no request is held longer than an instance lives.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(5 * 60);

/// A held request is answered after its wait plus a random jitter of up to
/// `wait / WAIT_JITTER_DIVISOR`, so watchers that started together do not come back
/// together (Consul uses the same sixteenth).
pub const WAIT_JITTER_DIVISOR: u32 = 16;

/// The largest jitter a server adds to `wait`: what a client's timeout must allow
/// for beyond the wait itself.
pub fn max_jitter(wait: Duration) -> Duration {
    wait / WAIT_JITTER_DIVISOR
}

/// What happened to an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// It registered (it was not listed before).
    Register,
    /// Its metadata, weight or TTL changed; `instance` shows the new values.
    Update,
    /// It was deregistered; `instance` shows it as it was.
    Deregister,
    /// Its TTL ran out without a heartbeat; `instance` shows it as it was.
    Expire,
}

impl ChangeKind {
    /// The name on the wire: `register`, `update`, `deregister`, `expire`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Register => "register",
            ChangeKind::Update => "update",
            ChangeKind::Deregister => "deregister",
            ChangeKind::Expire => "expire",
        }
    }

    /// Whether the instance is listed after this change.
    pub fn is_listed(self) -> bool {
        matches!(self, ChangeKind::Register | ChangeKind::Update)
    }
}

/// One change of one instance, at the registry revision it took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeEvent {
    pub revision: u64,
    #[serde(rename = "type")]
    pub kind: ChangeKind,
    pub instance: Instance,
}

/// Answer to `GET /v1/services/{service}/changes`: every change of the service after
/// the `since` asked for, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeBatch {
    /// The registry run the revisions belong to.
    pub epoch: u64,
    /// Every change of the service up to this revision has now been delivered: the
    /// `since` of the next request. Never below the `since` asked for.
    pub revision: u64,
    /// Whether the registry is still warming up (see
    /// [`InstanceList::warming`](crate::InstanceList)); `false` from a registry that
    /// does not say.
    #[serde(default)]
    pub warming: bool,
    /// As in [`InstanceList::stale`](crate::InstanceList): written only when `true`.
    #[serde(default, skip_serializing_if = "crate::stale::is_false")]
    pub stale: bool,
    /// Empty when the wait ran out with nothing new.
    pub events: Vec<ChangeEvent>,
}

/// `GET`: the change feed of `service`, without parameters.
pub fn changes(service: &str) -> String {
    format!("{API_PREFIX}/services/{service}/changes")
}

/// `GET`: `service`'s list as a blocking query.
pub fn watch_service(service: &str, query: &WatchQuery) -> String {
    format!(
        "{}?{}",
        crate::paths::service(service),
        query.to_list_query()
    )
}

/// `GET`: `service`'s changes after `query.after`, as a blocking query.
pub fn watch_changes(service: &str, query: &WatchQuery) -> String {
    format!("{}?{}", changes(service), query.to_changes_query())
}

/// `GET`: the service index as a blocking query.
pub fn watch_services(query: &WatchQuery) -> String {
    format!("{}?{}", crate::paths::services(), query.to_list_query())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_batches_read_as_documented() {
        let text = r#"{"epoch":7,"revision":12,"events":[
            {"revision":11,"type":"register","instance":{"addr":"h:1","metadata":{},"weight":1,"ttl_ms":300000}},
            {"revision":12,"type":"expire","instance":{"addr":"h:2","metadata":{"zone":"eu"},"weight":2,"ttl_ms":1000}}]}"#;
        let batch: ChangeBatch = serde_json::from_str(text).expect("batch");
        assert_eq!(batch.events.len(), 2);
        assert_eq!(batch.events[0].kind, ChangeKind::Register);
        assert_eq!(batch.events[1].kind, ChangeKind::Expire);
        let back = serde_json::to_string(&batch.events[1]).expect("json");
        assert!(
            back.starts_with(r#"{"revision":12,"type":"expire","#),
            "{back}"
        );
        assert!(serde_json::from_str::<ChangeKind>(r#""moved""#).is_err());
    }

    #[test]
    fn paths_carry_the_query() {
        let query = WatchQuery {
            after: 5,
            wait: Duration::from_secs(30),
            epoch: Some(9),
        };
        assert_eq!(
            watch_service("s", &query),
            "/v1/services/s?index=5&wait=30s&epoch=9"
        );
        assert_eq!(
            watch_changes("s", &query),
            "/v1/services/s/changes?since=5&wait=30s&epoch=9"
        );
        assert_eq!(
            watch_services(&query),
            "/v1/services?index=5&wait=30s&epoch=9"
        );
        assert_eq!(max_jitter(Duration::from_secs(16)), Duration::from_secs(1));
    }
}
