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
    /// A method name not of the seed's `Service.Method` form
    /// ([`validate_method`](rollcall_protocol::validate_method)).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handler_error_shows_its_message() {
        assert_eq!(
            RpcError::new("division by zero").to_string(),
            "division by zero"
        );
    }
}
