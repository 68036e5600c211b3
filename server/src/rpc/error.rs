//! What an RPC method, or registering one, can fail with.

/// An RPC failure. A handler returns [`RpcError::Handler`] (made with
/// [`RpcError::new`]); its message is what the caller reads, with status `500`, so it
/// must be safe to show. The other variants refuse a registration: they are the
/// builder's errors, so a bad method name is found when the host is set up rather
/// than when the first call misses it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpcError {
    /// The method's own failure, sent to the caller as it is.
    #[error("{0}")]
    Handler(String),
    /// A method name not of the seed's `Service.Method` form.
    #[error("rpc server: invalid method name {0:?}: want \"Service.Method\"")]
    InvalidMethodName(String),
    /// A second method registered under the same name (the seed: "service already
    /// defined").
    #[error("rpc server: method already defined: {0}")]
    DuplicateMethod(String),
}

impl RpcError {
    /// A handler's error with `message` for the caller.
    pub fn new(message: impl Into<String>) -> Self {
        RpcError::Handler(message.into())
    }
}

/// Checks the seed's `Service.Method` form: exactly one dot, with a non-empty part on
/// either side. Both parts become one path segment of the call URL, so characters
/// that a path cannot hold unescaped are refused too.
pub(super) fn validate_method_name(name: &str) -> Result<(), RpcError> {
    let invalid = || RpcError::InvalidMethodName(name.to_owned());
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
            assert_eq!(validate_method_name(ok), Ok(()), "{ok}");
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
        ] {
            assert_eq!(
                validate_method_name(bad),
                Err(RpcError::InvalidMethodName(bad.to_owned())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn handler_error_shows_its_message() {
        assert_eq!(
            RpcError::new("division by zero").to_string(),
            "division by zero"
        );
    }
}
