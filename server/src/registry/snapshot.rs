//! Lists as served: the JSON body of `GET /v1/services/{service}` and the seed's
//! `X-rpc-Servers` value, serialised once per membership change and then shared.
//!
//! Serialisation borrows straight from the stored instances (no intermediate
//! `InstanceList` of owned strings), so building a list of 100,000 instances costs
//! one sort and one buffer.

use std::sync::Arc;

use bytes::Bytes;
use http::HeaderValue;
use rollcall_protocol::ListVersion;
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};
use tracing::error;

use super::instance::{Instance, Metadata};
use super::service::Service;

/// Bytes reserved per instance when serialising, so the buffer rarely regrows.
const JSON_BYTES_PER_INSTANCE: usize = 96;

/// One service's list at one revision, with its JSON body already serialised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    epoch: u64,
    revision: u64,
    warming: bool,
    stale: bool,
    instances: usize,
    body: Bytes,
}

impl Snapshot {
    /// The service's revision this list shows.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The registry run, revision and warm-up state this list shows: its `ETag`.
    pub fn version(&self) -> ListVersion {
        ListVersion {
            epoch: self.epoch,
            revision: self.revision,
            warming: self.warming,
        }
    }

    /// Whether the registry was warming up when this list was built.
    pub fn warming(&self) -> bool {
        self.warming
    }

    /// Whether the list came from a cache that may be behind its store (see
    /// [`rollcall_protocol::stale`]).
    pub fn stale(&self) -> bool {
        self.stale
    }

    /// How many instances the list holds.
    pub fn len(&self) -> usize {
        self.instances
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.instances == 0
    }

    /// The [`InstanceList`](rollcall_protocol::InstanceList) as JSON, sorted by
    /// address. Cloning the `Bytes` shares the buffer, so every `GET` serves it
    /// without a copy.
    pub fn body(&self) -> &Bytes {
        &self.body
    }
}

/// Builds the JSON list of `service`.
pub(super) fn json(service: &Service, epoch: u64, warming: bool, stale: bool) -> Arc<Snapshot> {
    let instances = service.sorted();
    let view = ListView {
        service: &service.name,
        epoch,
        revision: service.revision,
        warming,
        stale,
        instances: &instances,
    };
    Arc::new(Snapshot {
        epoch,
        revision: service.revision,
        warming,
        stale,
        instances: instances.len(),
        body: serialise(&view, instances.len()),
    })
}

/// The JSON list of a service the registry does not hold: empty, at `revision`
/// (0, or the revision at which empty services were last forgotten).
pub(super) fn json_empty(
    name: &str,
    epoch: u64,
    revision: u64,
    warming: bool,
    stale: bool,
) -> Arc<Snapshot> {
    let view = ListView {
        service: name,
        epoch,
        revision,
        warming,
        stale,
        instances: &[],
    };
    Arc::new(Snapshot {
        epoch,
        revision,
        warming,
        stale,
        instances: 0,
        body: serialise(&view, 0),
    })
}

/// Builds the seed's header value: addresses sorted and comma-joined.
pub(super) fn header(service: &Service) -> HeaderValue {
    let instances = service.sorted();
    let capacity = instances.iter().map(|i| i.addr.len() + 1).sum();
    let mut joined = Vec::with_capacity(capacity);
    for (n, instance) in instances.iter().enumerate() {
        if n > 0 {
            joined.push(b',');
        }
        joined.extend_from_slice(instance.addr.as_bytes());
    }
    // Addresses are validated as visible ASCII without commas, so this cannot fail.
    HeaderValue::from_maybe_shared(Bytes::from(joined)).unwrap_or_else(|err| {
        error!(%err, "an address is not a valid header value");
        HeaderValue::from_static("")
    })
}

fn serialise(view: &ListView<'_>, len: usize) -> Bytes {
    let mut buf = Vec::with_capacity(64 + len.saturating_mul(JSON_BYTES_PER_INSTANCE));
    if let Err(err) = serde_json::to_writer(&mut buf, view) {
        // Writing borrowed strings and integers into a Vec cannot fail.
        error!(%err, "serialising a list failed");
        buf.clear();
    }
    buf.shrink_to_fit();
    Bytes::from(buf)
}

/// Serialises as an `InstanceList`, field for field.
struct ListView<'a> {
    service: &'a str,
    epoch: u64,
    revision: u64,
    warming: bool,
    stale: bool,
    instances: &'a [&'a Instance],
}

impl Serialize for ListView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("InstanceList", 6)?;
        s.serialize_field("service", self.service)?;
        s.serialize_field("epoch", &self.epoch)?;
        s.serialize_field("revision", &self.revision)?;
        s.serialize_field("warming", &self.warming)?;
        // Written only when set, as the protocol's type does.
        if self.stale {
            s.serialize_field("stale", &self.stale)?;
        } else {
            s.skip_field("stale")?;
        }
        s.serialize_field("instances", &InstancesView(self.instances))?;
        s.end()
    }
}

/// Serialises as a sequence of `Instance`s, without collecting them first.
struct InstancesView<'a>(&'a [&'a Instance]);

impl Serialize for InstancesView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|i| InstanceView(i)))
    }
}

/// Serialises as an `Instance`, field for field (also inside change events).
pub(super) struct InstanceView<'a>(pub(super) &'a Instance);

impl Serialize for InstanceView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let instance = self.0;
        let mut s = serializer.serialize_struct("Instance", 4)?;
        s.serialize_field("addr", &*instance.addr)?;
        s.serialize_field("metadata", &MetadataView(instance.metadata.as_deref()))?;
        s.serialize_field("weight", &instance.weight)?;
        s.serialize_field("ttl_ms", &instance.ttl_ms)?;
        s.end()
    }
}

struct MetadataView<'a>(Option<&'a Metadata>);

impl Serialize for MetadataView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let entries = self.0.map(|m| &m.0[..]).unwrap_or_default();
        let mut map = serializer.serialize_map(Some(entries.len()))?;
        for (key, value) in entries {
            map.serialize_entry(&**key, &**value)?;
        }
        map.end()
    }
}
