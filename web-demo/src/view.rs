//! The dashboard's view state: what the page shows, as plain data. The DOM glue
//! fills it from the registry; [`render`](crate::render) turns it into HTML.
//!
//! Times are milliseconds on one clock the glue chooses (the page's wall clock);
//! nothing here reads a clock, so every state can be built in a test.

use std::collections::BTreeMap;

use rollcall_protocol::{InstanceList, LeaseList};

/// Everything the status line and the service list show.
#[derive(Debug, Clone, PartialEq)]
pub struct DashboardView {
    /// The registry's base URL.
    pub registry: String,
    pub connection: Connection,
    /// The last list fetched. Kept when the registry stops answering, so the page
    /// shows what it last knew, marked stale, rather than going blank.
    pub snapshot: Option<Snapshot>,
}

/// How the last refresh went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// No answer yet from this registry.
    Connecting,
    /// The last refresh succeeded.
    Live,
    /// The last refresh failed, with the client's error message.
    Unreachable { error: String },
}

/// The registry's services as fetched at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Sorted by name, as the registry's index lists them.
    pub services: Vec<ServiceView>,
    /// When the fetch finished, on the glue's clock.
    pub fetched_at_ms: f64,
    /// The same moment as a time of day, for people.
    pub fetched_at_label: String,
}

/// One service and its alive instances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceView {
    pub name: String,
    pub revision: u64,
    /// Sorted by address.
    pub instances: Vec<InstanceView>,
}

/// One alive instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceView {
    pub addr: String,
    pub metadata: BTreeMap<String, String>,
    pub weight: u32,
    /// TTL granted, `0` for never expires.
    pub ttl_ms: u64,
    /// `None` when the lease list (a separate request) did not have this address:
    /// the instance registered or expired between the two requests.
    pub lease: Option<LeaseView>,
}

/// An instance's heartbeat age and time left, as of the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseView {
    pub since_heartbeat_ms: u64,
    /// `None`: never expires.
    pub expires_in_ms: Option<u64>,
}

impl LeaseView {
    /// The lease `age_ms` after the snapshot: older by that much, with that much less
    /// time left. Keeps a stale list honest about how long ago things were true.
    pub fn aged(self, age_ms: u64) -> LeaseView {
        LeaseView {
            since_heartbeat_ms: self.since_heartbeat_ms.saturating_add(age_ms),
            expires_in_ms: self.expires_in_ms.map(|left| left.saturating_sub(age_ms)),
        }
    }
}

impl DashboardView {
    /// A page that has not heard from `registry` yet.
    pub fn new(registry: String) -> Self {
        DashboardView {
            registry,
            connection: Connection::Connecting,
            snapshot: None,
        }
    }

    /// A refresh succeeded.
    pub fn refreshed(&mut self, snapshot: Snapshot) {
        self.connection = Connection::Live;
        self.snapshot = Some(snapshot);
    }

    /// A refresh failed: the last list stays, now stale.
    pub fn failed(&mut self, error: String) {
        self.connection = Connection::Unreachable { error };
    }

    /// Whether the list on screen is older than the last attempt to refresh it.
    pub fn is_stale(&self) -> bool {
        self.snapshot.is_some() && matches!(self.connection, Connection::Unreachable { .. })
    }
}

impl Snapshot {
    /// Alive instances across all services.
    pub fn instance_count(&self) -> usize {
        self.services.iter().map(|s| s.instances.len()).sum()
    }
}

impl ServiceView {
    /// Joins a service's instance list with its lease list (`None` if that request
    /// failed: the instances still show, without heartbeat times).
    pub fn new(list: InstanceList, leases: Option<LeaseList>) -> Self {
        let leases: BTreeMap<String, LeaseView> = leases
            .map(|l| l.leases)
            .unwrap_or_default()
            .into_iter()
            .map(|l| {
                let view = LeaseView {
                    since_heartbeat_ms: l.since_heartbeat_ms,
                    expires_in_ms: l.expires_in_ms,
                };
                (l.addr, view)
            })
            .collect();
        let mut instances: Vec<InstanceView> = list
            .instances
            .into_iter()
            .map(|i| InstanceView {
                lease: leases.get(&i.addr).copied(),
                addr: i.addr,
                metadata: i.metadata,
                weight: i.weight,
                ttl_ms: i.ttl_ms,
            })
            .collect();
        instances.sort_by(|a, b| a.addr.cmp(&b.addr));
        ServiceView {
            name: list.service,
            revision: list.revision,
            instances,
        }
    }
}

#[cfg(test)]
mod tests {
    use rollcall_protocol::{Instance, Lease};

    use super::*;

    fn list() -> InstanceList {
        let mut a = Instance::from_addr("127.0.0.1:2");
        a.metadata.insert("name".to_owned(), "foo-2".to_owned());
        InstanceList {
            service: "default".to_owned(),
            epoch: 9,
            revision: 4,
            warming: false,
            stale: false,
            instances: vec![a, Instance::from_addr("127.0.0.1:1")],
        }
    }

    #[test]
    fn joins_instances_with_their_leases_by_address() {
        let leases = LeaseList {
            service: "default".to_owned(),
            revision: 4,
            leases: vec![Lease {
                addr: "127.0.0.1:2".to_owned(),
                since_heartbeat_ms: 300,
                expires_in_ms: Some(1_700),
            }],
        };
        let view = ServiceView::new(list(), Some(leases));
        assert_eq!(view.name, "default");
        let addrs: Vec<_> = view.instances.iter().map(|i| i.addr.as_str()).collect();
        assert_eq!(addrs, ["127.0.0.1:1", "127.0.0.1:2"]);
        assert_eq!(view.instances[0].lease, None);
        assert_eq!(
            view.instances[1].lease.map(|l| l.expires_in_ms),
            Some(Some(1_700))
        );
    }

    #[test]
    fn a_failed_refresh_keeps_the_list_and_marks_it_stale() {
        let mut dash = DashboardView::new("http://r".to_owned());
        assert!(!dash.is_stale());
        dash.failed("refused".to_owned());
        assert!(!dash.is_stale(), "nothing shown yet, so nothing stale");
        dash.refreshed(Snapshot {
            services: vec![ServiceView::new(list(), None)],
            fetched_at_ms: 0.0,
            fetched_at_label: "12:00:00".to_owned(),
        });
        dash.failed("refused".to_owned());
        assert!(dash.is_stale());
        assert_eq!(
            dash.snapshot.as_ref().map(Snapshot::instance_count),
            Some(2)
        );
    }

    #[test]
    fn leases_age_without_wrapping() {
        let lease = LeaseView {
            since_heartbeat_ms: 100,
            expires_in_ms: Some(500),
        };
        let aged = lease.aged(800);
        assert_eq!(aged.since_heartbeat_ms, 900);
        assert_eq!(aged.expires_in_ms, Some(0));
    }
}
