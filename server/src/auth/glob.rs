//! Which services a rule covers: `*` (every service), `pay*` (every service whose
//! name starts with `pay`) or `payments` (that one).

use std::fmt;

use rollcall_protocol::validate_service;

/// A service pattern of a token rule.
#[derive(Clone, PartialEq, Eq)]
pub(super) enum ServiceGlob {
    Any,
    Prefix(Box<str>),
    Exact(Box<str>),
}

impl ServiceGlob {
    /// Parses a pattern: `*`, a service name, or a service name's start then `*`.
    /// The reason of a refusal is safe to print (it never repeats the input).
    pub(super) fn parse(pattern: &str) -> Result<ServiceGlob, String> {
        if pattern == "*" {
            return Ok(ServiceGlob::Any);
        }
        let (name, prefix) = match pattern.strip_suffix('*') {
            Some(start) => (start, true),
            None => (pattern, false),
        };
        if name.contains('*') {
            return Err("'*' may only end a service pattern".to_owned());
        }
        validate_service(name).map_err(|e| format!("service pattern: {e}"))?;
        Ok(if prefix {
            ServiceGlob::Prefix(name.into())
        } else {
            ServiceGlob::Exact(name.into())
        })
    }

    /// Whether `service` matches.
    pub(super) fn matches(&self, service: &str) -> bool {
        match self {
            ServiceGlob::Any => true,
            ServiceGlob::Prefix(start) => service.starts_with(&**start),
            ServiceGlob::Exact(name) => service == &**name,
        }
    }
}

impl fmt::Debug for ServiceGlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceGlob::Any => f.write_str("*"),
            ServiceGlob::Prefix(start) => write!(f, "{start}*"),
            ServiceGlob::Exact(name) => f.write_str(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_prefix_and_exact() {
        let any = ServiceGlob::parse("*").expect("any");
        assert!(any.matches("payments") && any.matches("default"));
        let prefix = ServiceGlob::parse("pay*").expect("prefix");
        assert!(prefix.matches("pay") && prefix.matches("payments"));
        assert!(!prefix.matches("repay"));
        let exact = ServiceGlob::parse("payments").expect("exact");
        assert!(exact.matches("payments"));
        assert!(!exact.matches("payments2") && !exact.matches("pay"));
    }

    #[test]
    fn refuses_other_patterns() {
        for bad in ["", "**", "*pay", "pa*y", "p*y*", "a b", "a/b*"] {
            assert!(ServiceGlob::parse(bad).is_err(), "{bad:?}");
        }
    }
}
