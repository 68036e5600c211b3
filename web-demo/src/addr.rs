//! The order addresses are listed in: as people read them, not as strings. IP
//! addresses compare as numbers (`10.0.2.1` before `10.0.10.1`, IPv4 before IPv6),
//! then by port; host names compare with their digit runs as numbers (`web-2`
//! before `web-10`). The seed's `proto@` prefix only breaks ties.

use std::cmp::Ordering;
use std::net::{IpAddr, Ipv6Addr};

/// An address's sort key, computed once when the instance arrives, so sorting
/// ten thousand rows parses nothing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum AddrKey {
    /// An IP address with an optional port: before every host name.
    Ip {
        ip: IpAddr,
        port: Option<u16>,
        proto: String,
    },
    /// Anything else, in natural order.
    Name { parts: Vec<Part>, proto: String },
}

/// A run of a host name: digits (compared as a number) or anything else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Number { value: u64, text: String },
    Text(String),
}

impl AddrKey {
    /// The key of `addr` (`host:port`, `[v6]:port`, `proto@host:port`, or a name).
    pub fn of(addr: &str) -> AddrKey {
        let (proto, rest) = match addr.split_once('@') {
            Some((proto, rest)) if !proto.is_empty() => (proto.to_owned(), rest),
            _ => (String::new(), addr),
        };
        match parse_ip(rest) {
            Some((ip, port)) => AddrKey::Ip { ip, port, proto },
            None => AddrKey::Name {
                parts: natural_parts(rest),
                proto,
            },
        }
    }
}

/// `a.b.c.d[:port]` or `[v6][:port]` (or a bare v6 address).
fn parse_ip(text: &str) -> Option<(IpAddr, Option<u16>)> {
    if let Some(inner) = text.strip_prefix('[') {
        let (host, after) = inner.split_once(']')?;
        let ip: Ipv6Addr = host.parse().ok()?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?.parse().ok()?),
        };
        return Some((IpAddr::V6(ip), port));
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some((ip, None));
    }
    let (host, port) = text.rsplit_once(':')?;
    Some((IpAddr::V4(host.parse().ok()?), Some(port.parse().ok()?)))
}

/// `web-10.eu` as `web-`, 10, `.eu`.
fn natural_parts(text: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(first) = rest.chars().next() {
        let digits = first.is_ascii_digit();
        let end = rest
            .find(|c: char| c.is_ascii_digit() != digits)
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at(end);
        parts.push(if digits {
            Part::Number {
                // A run too long for u64 compares as the largest, then as text.
                value: run.parse().unwrap_or(u64::MAX),
                text: run.to_owned(),
            }
        } else {
            Part::Text(run.to_owned())
        });
        rest = tail;
    }
    parts
}

impl Ord for Part {
    fn cmp(&self, other: &Part) -> Ordering {
        match (self, other) {
            (
                Part::Number { value: a, text: x },
                Part::Number {
                    value: b, text: y, ..
                },
            ) => a.cmp(b).then_with(|| x.cmp(y)),
            // Digits before letters, as in ASCII.
            (Part::Number { .. }, Part::Text(_)) => Ordering::Less,
            (Part::Text(_), Part::Number { .. }) => Ordering::Greater,
            (Part::Text(a), Part::Text(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for Part {
    fn partial_cmp(&self, other: &Part) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(addrs: &[&str]) -> Vec<String> {
        let mut keyed: Vec<(AddrKey, &str)> = addrs.iter().map(|a| (AddrKey::of(a), *a)).collect();
        keyed.sort();
        keyed.into_iter().map(|(_, a)| a.to_owned()).collect()
    }

    #[test]
    fn ip_addresses_sort_as_numbers() {
        assert_eq!(
            sorted(&[
                "10.0.10.1:80",
                "10.0.2.1:80",
                "10.0.1.1:8080",
                "10.0.1.1:443",
                "9.255.0.1:80"
            ]),
            [
                "9.255.0.1:80",
                "10.0.1.1:443",
                "10.0.1.1:8080",
                "10.0.2.1:80",
                "10.0.10.1:80"
            ]
        );
    }

    #[test]
    fn ipv4_before_ipv6_before_names() {
        assert_eq!(
            sorted(&["web-10:80", "[::1]:80", "web-2:80", "127.0.0.1:1", "::2"]),
            ["127.0.0.1:1", "[::1]:80", "::2", "web-2:80", "web-10:80"]
        );
    }

    #[test]
    fn the_seed_prefix_only_breaks_ties() {
        assert_eq!(
            sorted(&["tcp@10.0.0.2:1", "udp@10.0.0.1:1", "10.0.0.1:1"]),
            ["10.0.0.1:1", "udp@10.0.0.1:1", "tcp@10.0.0.2:1"]
        );
    }

    #[test]
    fn odd_addresses_still_order_totally() {
        let odd = [
            "",
            "[::1",
            "[::1]x",
            "1.2.3.4:99999",
            "99999999999999999999999",
            "0099",
            "99",
        ];
        let once = sorted(&odd);
        let mut reversed = odd;
        reversed.reverse();
        assert_eq!(
            sorted(&reversed),
            once,
            "the order does not depend on input"
        );
        assert!(
            once.iter().position(|a| a == "0099") < once.iter().position(|a| a == "99"),
            "equal numbers tie-break on their text: {once:?}"
        );
    }
}
