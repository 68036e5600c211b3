//! The call panel's data: the form as typed, checked into a [`CallRequest`], and the
//! outcome the panel shows ([`CallView`]).

use rollcall_client::SelectMode;
use rollcall_protocol::validate_service;
use serde_json::Value;

/// The panel's fields as the user typed them.
#[derive(Debug, Clone, Copy)]
pub struct CallForm<'a> {
    pub service: &'a str,
    pub method: &'a str,
    pub args: &'a str,
    pub mode: &'a str,
}

/// A checked call: a valid service name, a `Service.Method`, arguments that are JSON.
#[derive(Debug, Clone)]
pub struct CallRequest {
    pub service: String,
    pub method: String,
    pub args: Value,
    pub mode: SelectMode,
}

/// Whether one instance answers (picked by the mode) or all of them do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    Call,
    Broadcast,
}

/// What the panel shows under the buttons.
#[derive(Debug, Clone, PartialEq)]
pub enum CallView {
    /// Nothing called yet.
    Idle,
    /// A call or broadcast is in flight.
    Running { kind: CallKind, method: String },
    /// The form or the call failed before any instance answered (bad input, no
    /// instances, registry unreachable).
    Failed { error: String },
    /// One instance answered a call.
    Answered(InstanceResult),
    /// Every instance's result of a broadcast, sorted by address.
    Broadcast {
        method: String,
        results: Vec<InstanceResult>,
    },
}

/// One instance's answer (or error) and how long it took.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceResult {
    pub addr: String,
    pub elapsed_ms: f64,
    pub outcome: Result<Value, String>,
}

/// The modes the panel offers, as `(value, label)` in the `<select>`.
pub const MODES: [(&str, SelectMode); 3] = [
    ("Random", SelectMode::Random),
    ("RoundRobin", SelectMode::RoundRobin),
    ("WeightedRandom", SelectMode::WeightedRandom),
];

impl CallForm<'_> {
    /// Checks the form; the error says which field is wrong and why.
    pub fn parse(&self) -> Result<CallRequest, String> {
        let service = self.service.trim();
        validate_service(service).map_err(|e| format!("service: {e}"))?;
        let method = self.method.trim();
        if !is_service_method(method) {
            return Err(format!(
                "method: {method:?} is not of the form Service.Method"
            ));
        }
        let args: Value =
            serde_json::from_str(self.args).map_err(|e| format!("arguments: not JSON: {e}"))?;
        let mode = MODES
            .iter()
            .find(|(name, _)| *name == self.mode)
            .map(|(_, mode)| *mode)
            .ok_or_else(|| format!("mode: unknown select mode {:?}", self.mode))?;
        Ok(CallRequest {
            service: service.to_owned(),
            method: method.to_owned(),
            args,
            mode,
        })
    }
}

/// The seed's `Service.Method`: two non-empty parts of ASCII letters, digits, `_` and
/// `-` around one dot (the RPC host refuses anything else, and the name becomes a
/// URL path segment).
fn is_service_method(name: &str) -> bool {
    let part_ok = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
    };
    name.split_once('.')
        .is_some_and(|(service, method)| part_ok(service) && part_ok(method))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form<'a>(service: &'a str, method: &'a str, args: &'a str) -> CallForm<'a> {
        CallForm {
            service,
            method,
            args,
            mode: "RoundRobin",
        }
    }

    #[test]
    fn parses_the_default_form() {
        let req = form(" default ", "Foo.Sum", r#"{"Num1": 3, "Num2": 9}"#)
            .parse()
            .expect("valid");
        assert_eq!(req.service, "default");
        assert_eq!(req.method, "Foo.Sum");
        assert_eq!(req.args["Num2"], 9);
        assert!(matches!(req.mode, SelectMode::RoundRobin));
    }

    #[test]
    fn names_the_field_at_fault() {
        let err = |f: CallForm<'_>| f.parse().map(|_| ()).unwrap_err();
        assert!(err(form("a b", "Foo.Sum", "1")).starts_with("service:"));
        for bad in ["Foo", "Foo.Sum.x", ".Sum", "Foo/x.Sum", ""] {
            assert!(err(form("s", bad, "1")).starts_with("method:"), "{bad:?}");
        }
        assert!(err(form("s", "Foo.Sum", "{Num1: 3}")).starts_with("arguments:"));
        let mut bad_mode = form("s", "Foo.Sum", "1");
        bad_mode.mode = "Fastest";
        assert!(err(bad_mode).starts_with("mode:"));
    }

    #[test]
    fn every_offered_mode_parses() {
        for (name, _) in MODES {
            let mut f = form("s", "A.b", "null");
            f.mode = name;
            assert!(f.parse().is_ok(), "{name}");
        }
    }
}
