//! RPC method names: the seed's `Service.Method` form. The client checks a name
//! before it sends a call and the RPC host before it registers a handler, by this
//! one rule, so a name one end takes the other never refuses.

use crate::validate::ProtocolError;

/// Checks the seed's `Service.Method` form: exactly one dot, with a non-empty part on
/// either side, each of ASCII letters, digits, `_` and `-`. The name becomes one
/// path segment of the call URL ([`RPC_PATH_PREFIX`](crate::RPC_PATH_PREFIX)), so
/// nothing that a path cannot hold unescaped is allowed.
pub fn validate_method(name: &str) -> Result<(), ProtocolError> {
    let invalid = || ProtocolError::InvalidMethod(name.to_owned());
    let (service, method) = name.split_once('.').ok_or_else(invalid)?;
    let part_ok = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
    };
    if part_ok(service) && part_ok(method) {
        Ok(())
    } else {
        Err(invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_service_dot_method() {
        for ok in ["Foo.Sum", "foo_v2.sleep-long", "A.b"] {
            assert_eq!(validate_method(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn refuses_other_shapes() {
        for bad in [
            "",
            "Foo",
            ".Sum",
            "Foo.",
            "Foo.Sum.x",
            "Foo/x.Sum",
            "F o.Sum",
            "Fö.Sum",
            "Foo.Sum?x",
        ] {
            assert_eq!(
                validate_method(bad),
                Err(ProtocolError::InvalidMethod(bad.to_owned())),
                "{bad:?}"
            );
        }
    }
}
