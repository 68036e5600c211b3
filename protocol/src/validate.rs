//! Validation of what clients send: addresses, service names, metadata, weights.

use std::collections::BTreeMap;

use crate::limits::{
    MAX_ADDR_LEN, MAX_METADATA_ENTRIES, MAX_METADATA_KEY_LEN, MAX_METADATA_VALUE_LEN,
    MAX_SERVICE_LEN, MAX_WEIGHT,
};

/// Why a value was refused. The message is safe to show a client as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("invalid address: {0}")]
    InvalidAddress(&'static str),
    #[error("invalid service name: {0}")]
    InvalidService(&'static str),
    #[error("invalid metadata: {0}")]
    InvalidMetadata(&'static str),
    #[error("invalid weight: must be at most {MAX_WEIGHT}")]
    InvalidWeight,
    #[error("invalid method name {0:?}: want \"Service.Method\"")]
    InvalidMethod(String),
    #[error("invalid token: {0}")]
    InvalidToken(&'static str),
}

/// Checks an address as registered: 1 to [`MAX_ADDR_LEN`] bytes of printable ASCII,
/// with no whitespace, control character or comma (the seed's list separator).
/// `proto@host:port` (the seed's form) and bracketed IPv6 are allowed.
pub fn validate_addr(addr: &str) -> Result<(), ProtocolError> {
    if addr.is_empty() {
        return Err(ProtocolError::InvalidAddress("empty"));
    }
    if addr.len() > MAX_ADDR_LEN {
        return Err(ProtocolError::InvalidAddress("longer than 255 bytes"));
    }
    for b in addr.bytes() {
        match b {
            b',' => return Err(ProtocolError::InvalidAddress("contains a comma")),
            b' ' | b'\t' => return Err(ProtocolError::InvalidAddress("contains whitespace")),
            0..=0x1f | 0x7f => {
                return Err(ProtocolError::InvalidAddress(
                    "contains a control character",
                ));
            }
            0x80.. => return Err(ProtocolError::InvalidAddress("contains non-ASCII bytes")),
            _ => {}
        }
    }
    Ok(())
}

/// Splits the seed's `proto@host:port` form into its protocol (if any) and the part
/// to connect to: `"tcp@localhost:50001"` gives `(Some("tcp"), "localhost:50001")`.
pub fn split_addr(addr: &str) -> (Option<&str>, &str) {
    match addr.split_once('@') {
        Some((proto, rest)) if !proto.is_empty() => (Some(proto), rest),
        _ => (None, addr),
    }
}

/// Checks a service name: 1 to [`MAX_SERVICE_LEN`] bytes of ASCII letters, digits,
/// `.`, `_` and `-`, so it can stand in a URL path unescaped.
pub fn validate_service(service: &str) -> Result<(), ProtocolError> {
    if service.is_empty() {
        return Err(ProtocolError::InvalidService("empty"));
    }
    if service.len() > MAX_SERVICE_LEN {
        return Err(ProtocolError::InvalidService("longer than 128 bytes"));
    }
    let ok = service
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !ok {
        return Err(ProtocolError::InvalidService(
            "only ASCII letters, digits, '.', '_' and '-' are allowed",
        ));
    }
    Ok(())
}

/// Checks instance metadata: at most [`MAX_METADATA_ENTRIES`] entries, keys of 1 to
/// [`MAX_METADATA_KEY_LEN`] bytes without control characters, values of at most
/// [`MAX_METADATA_VALUE_LEN`] bytes.
pub fn validate_metadata(metadata: &BTreeMap<String, String>) -> Result<(), ProtocolError> {
    if metadata.len() > MAX_METADATA_ENTRIES {
        return Err(ProtocolError::InvalidMetadata("more than 64 entries"));
    }
    for (key, value) in metadata {
        if key.is_empty() {
            return Err(ProtocolError::InvalidMetadata("empty key"));
        }
        if key.len() > MAX_METADATA_KEY_LEN {
            return Err(ProtocolError::InvalidMetadata("key longer than 128 bytes"));
        }
        if key.chars().any(char::is_control) {
            return Err(ProtocolError::InvalidMetadata(
                "key contains a control character",
            ));
        }
        if value.len() > MAX_METADATA_VALUE_LEN {
            return Err(ProtocolError::InvalidMetadata(
                "value longer than 1024 bytes",
            ));
        }
    }
    Ok(())
}

/// Checks a weight: at most [`MAX_WEIGHT`].
pub fn validate_weight(weight: u32) -> Result<(), ProtocolError> {
    if weight > MAX_WEIGHT {
        return Err(ProtocolError::InvalidWeight);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_seeds_address_forms() {
        for ok in [
            "localhost:50001",
            "tcp@127.0.0.1:50001",
            "http@[::1]:80",
            "a",
        ] {
            assert_eq!(validate_addr(ok), Ok(()), "{ok}");
        }
        assert_eq!(validate_addr(&"a".repeat(MAX_ADDR_LEN)), Ok(()));
    }

    #[test]
    fn refuses_addresses_that_would_corrupt_the_list() {
        for bad in ["", "a,b", "a b", "a\tb", "a\nb", "a\u{7f}", "é:1"] {
            assert!(validate_addr(bad).is_err(), "{bad:?}");
        }
        assert!(validate_addr(&"a".repeat(MAX_ADDR_LEN + 1)).is_err());
    }

    #[test]
    fn splits_protocol_from_address() {
        assert_eq!(split_addr("tcp@h:1"), (Some("tcp"), "h:1"));
        assert_eq!(split_addr("h:1"), (None, "h:1"));
        assert_eq!(split_addr("@h:1"), (None, "@h:1"));
    }

    #[test]
    fn service_names_are_path_safe() {
        assert_eq!(validate_service("Foo.v2_beta-1"), Ok(()));
        for bad in ["", "a/b", "a b", "a%20", "ü"] {
            assert!(validate_service(bad).is_err(), "{bad:?}");
        }
        assert!(validate_service(&"s".repeat(MAX_SERVICE_LEN + 1)).is_err());
    }

    #[test]
    fn metadata_and_weight_limits() {
        let mut m = BTreeMap::new();
        m.insert("zone".to_owned(), "eu-1".to_owned());
        assert_eq!(validate_metadata(&m), Ok(()));
        m.insert(String::new(), "x".to_owned());
        assert!(validate_metadata(&m).is_err());
        let big: BTreeMap<_, _> = (0..=MAX_METADATA_ENTRIES)
            .map(|i| (i.to_string(), String::new()))
            .collect();
        assert!(validate_metadata(&big).is_err());
        assert_eq!(validate_weight(MAX_WEIGHT), Ok(()));
        assert!(validate_weight(MAX_WEIGHT + 1).is_err());
    }
}
