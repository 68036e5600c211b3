//! Where the registry lives in etcd, under one prefix (`/rollcall` by default):
//!
//! | key | value | lease |
//! |---|---|---|
//! | `<prefix>/services/<service>/<addr>` | the instance as JSON (`Instance`) | the instance's own, with its TTL (none for TTL 0) |
//! | `<prefix>/left/<service>/<addr>` | empty: written with the deletion of a deregistered instance | the instance's |
//! | `<prefix>/barrier` | empty: written to learn the mirror has caught up | none |
//!
//! Service names hold no `/`, so a key splits at the first one after the
//! service; an address may hold anything the protocol allows.

use rollcall_protocol::{Instance, validate_addr, validate_service};

/// The prefix when none is configured (`--etcd-prefix`).
pub const DEFAULT_ETCD_PREFIX: &str = "/rollcall";

/// Longest prefix accepted: keys stay well under etcd's limits with the longest
/// service name and address.
const MAX_PREFIX_LEN: usize = 256;

/// The key layout of one registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Keys {
    /// Without a trailing `/`.
    prefix: String,
}

/// What a key under the prefix is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind<'a> {
    Instance {
        service: &'a str,
        addr: &'a str,
    },
    Left {
        service: &'a str,
        addr: &'a str,
    },
    /// The barrier, or anything this version does not write.
    Other,
}

/// Why a prefix cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrefixError {
    #[error("the etcd prefix must start with / (got {0:?})")]
    NoLeadingSlash(String),
    #[error(
        "the etcd prefix must be visible ASCII without spaces, at most {MAX_PREFIX_LEN} bytes (got {0:?})"
    )]
    Unusable(String),
}

impl Keys {
    /// The layout under `prefix` (a trailing `/` is dropped; `/` alone is the root).
    pub(crate) fn new(prefix: &str) -> Result<Keys, PrefixError> {
        if !prefix.starts_with('/') {
            return Err(PrefixError::NoLeadingSlash(prefix.to_owned()));
        }
        if prefix.len() > MAX_PREFIX_LEN || !prefix.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(PrefixError::Unusable(prefix.to_owned()));
        }
        Ok(Keys {
            prefix: prefix.trim_end_matches('/').to_owned(),
        })
    }

    /// Everything this registry writes: what its one watch covers.
    pub(crate) fn all(&self) -> String {
        format!("{}/", self.prefix)
    }

    /// Every instance: what a listing reads.
    pub(crate) fn instances(&self) -> String {
        format!("{}/services/", self.prefix)
    }

    pub(crate) fn instance(&self, service: &str, addr: &str) -> String {
        format!("{}/services/{service}/{addr}", self.prefix)
    }

    pub(crate) fn left(&self, service: &str, addr: &str) -> String {
        format!("{}/left/{service}/{addr}", self.prefix)
    }

    pub(crate) fn barrier(&self) -> String {
        format!("{}/barrier", self.prefix)
    }

    /// What `key` is; keys that do not parse as this version writes them are
    /// [`KeyKind::Other`].
    pub(crate) fn parse<'a>(&self, key: &'a [u8]) -> KeyKind<'a> {
        let Ok(key) = std::str::from_utf8(key) else {
            return KeyKind::Other;
        };
        let Some(rest) = key
            .strip_prefix(self.prefix.as_str())
            .and_then(|rest| rest.strip_prefix('/'))
        else {
            return KeyKind::Other;
        };
        let (kind, rest) = match rest.split_once('/') {
            Some(("services", rest)) => (true, rest),
            Some(("left", rest)) => (false, rest),
            _ => return KeyKind::Other,
        };
        let Some((service, addr)) = rest.split_once('/') else {
            return KeyKind::Other;
        };
        if validate_service(service).is_err() || validate_addr(addr).is_err() {
            return KeyKind::Other;
        }
        if kind {
            KeyKind::Instance { service, addr }
        } else {
            KeyKind::Left { service, addr }
        }
    }
}

/// The value of an instance key.
pub(crate) fn encode(instance: &Instance) -> Vec<u8> {
    // Strings, a map of strings and integers: serialising cannot fail.
    serde_json::to_vec(instance).unwrap_or_default()
}

/// The instance an instance key holds, if its value is one and names `addr`
/// (anything else was not written by rollcall, and is left out).
pub(crate) fn decode(addr: &str, value: &[u8]) -> Option<Instance> {
    let instance: Instance = serde_json::from_slice(value).ok()?;
    (instance.addr == addr).then_some(instance)
}

/// The end of the key range that starts with `prefix`: its last byte below 0xff
/// raised by one, as etcd's prefix ranges are written.
pub(crate) fn range_end(prefix: &str) -> Vec<u8> {
    let mut end = prefix.as_bytes().to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_others_are_other() {
        let keys = Keys::new("/rc/").expect("prefix");
        assert_eq!(keys.all(), "/rc/");
        let instance = keys.instance("pay", "tcp@10.0.0.1:80/x");
        assert_eq!(instance, "/rc/services/pay/tcp@10.0.0.1:80/x");
        assert_eq!(
            keys.parse(instance.as_bytes()),
            KeyKind::Instance {
                service: "pay",
                addr: "tcp@10.0.0.1:80/x"
            }
        );
        assert_eq!(
            keys.parse(keys.left("pay", "a:1").as_bytes()),
            KeyKind::Left {
                service: "pay",
                addr: "a:1"
            }
        );
        for other in [
            keys.barrier(),
            "/rc/services/pay".to_owned(),
            "/rc/services/bad service/a:1".to_owned(),
            "/rc2/services/pay/a:1".to_owned(),
            "/rc/other/pay/a:1".to_owned(),
        ] {
            assert_eq!(keys.parse(other.as_bytes()), KeyKind::Other, "{other}");
        }
        assert_eq!(keys.parse(b"/rc/services/s/\xff"), KeyKind::Other);
    }

    #[test]
    fn prefixes_must_be_absolute_and_visible() {
        assert!(Keys::new("rollcall").is_err());
        assert!(Keys::new("/roll call").is_err());
        assert!(Keys::new(&format!("/{}", "a".repeat(300))).is_err());
        assert_eq!(Keys::new("/").expect("root").all(), "/");
        assert_eq!(
            Keys::new(DEFAULT_ETCD_PREFIX).expect("default").instances(),
            "/rollcall/services/"
        );
    }

    #[test]
    fn values_must_be_instances_of_their_key() {
        let instance = Instance::from_addr("a:1");
        let value = encode(&instance);
        assert_eq!(decode("a:1", &value), Some(instance));
        assert_eq!(decode("b:1", &value), None);
        assert_eq!(decode("a:1", b"garbage"), None);
    }

    #[test]
    fn range_ends_follow_the_prefix() {
        assert_eq!(range_end("/a/"), b"/a0".to_vec());
        assert_eq!(range_end("a\u{7f}"), b"a\x80".to_vec());
    }
}
