//! The filter box: one line of text that narrows the page to what matches.
//!
//! Terms are separated by spaces, and every term must match:
//! - `key=value`: the instance's metadata `key` is `value` exactly; `key=val*`
//!   matches values starting with `val`, and `key=*` any instance that has `key`;
//! - any other word: part of the service's name or of the instance's address,
//!   ignoring case (`pay`, `10.0.3.`, `:8080`).
//!
//! A service shows when one of its instances matches, or, when the filter has no
//! `key=value` term, when its name holds every word (then all its instances show,
//! and an empty service too). An empty filter shows everything.

/// A parsed filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Plain words, lowercased.
    words: Vec<String>,
    /// `key=value` terms.
    pairs: Vec<Pair>,
}

/// One `key=value` term.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pair {
    key: String,
    value: ValueMatch,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ValueMatch {
    Exactly(String),
    StartsWith(String),
}

impl Filter {
    /// Reads the filter box. Nothing in it is invalid: a stray `=` with no key is
    /// a plain word.
    pub fn parse(text: &str) -> Filter {
        let mut filter = Filter::default();
        for term in text.split_whitespace() {
            match term.split_once('=') {
                Some((key, value)) if !key.is_empty() => {
                    let value = match value.strip_suffix('*') {
                        Some(prefix) => ValueMatch::StartsWith(prefix.to_owned()),
                        None => ValueMatch::Exactly(value.to_owned()),
                    };
                    filter.pairs.push(Pair {
                        key: key.to_owned(),
                        value,
                    });
                }
                _ => filter.words.push(term.to_lowercase()),
            }
        }
        filter
    }

    /// Whether the filter lets everything through.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.pairs.is_empty()
    }

    /// Whether the service named `name_lower` (lowercased) shows in full, whatever
    /// its instances: no `key=value` term, and every word in its name.
    pub fn takes_whole_service(&self, name_lower: &str) -> bool {
        self.pairs.is_empty() && self.words.iter().all(|w| name_lower.contains(w.as_str()))
    }

    /// Whether an instance matches: every word in the service's name or the
    /// address (both lowercased), every `key=value` in its metadata.
    pub fn matches_instance(
        &self,
        name_lower: &str,
        addr_lower: &str,
        metadata: &std::collections::BTreeMap<String, String>,
    ) -> bool {
        self.words
            .iter()
            .all(|w| name_lower.contains(w.as_str()) || addr_lower.contains(w.as_str()))
            && self.pairs.iter().all(|pair| {
                metadata
                    .get(&pair.key)
                    .is_some_and(|value| match &pair.value {
                        ValueMatch::Exactly(wanted) => value == wanted,
                        ValueMatch::StartsWith(prefix) => value.starts_with(prefix.as_str()),
                    })
            })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn meta(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn words_match_service_names_or_addresses_ignoring_case() {
        let f = Filter::parse("  PAY  ");
        assert!(!f.is_empty());
        assert!(f.takes_whole_service("payments"));
        assert!(!f.takes_whole_service("orders"));
        assert!(f.matches_instance("payments", "10.0.0.1:80", &meta(&[])));
        assert!(!f.matches_instance("orders", "10.0.0.1:80", &meta(&[])));

        let f = Filter::parse("10.0.3.");
        assert!(f.matches_instance("orders", "10.0.3.7:80", &meta(&[])));
        assert!(!f.matches_instance("orders", "10.0.30.7:80", &meta(&[])));
        assert!(!f.takes_whole_service("orders"));
    }

    #[test]
    fn key_value_terms_match_metadata() {
        let eu = meta(&[("zone", "eu-1"), ("version", "v2")]);
        let us = meta(&[("zone", "us-1")]);
        let f = Filter::parse("zone=eu-1");
        assert!(f.matches_instance("s", "a:1", &eu));
        assert!(!f.matches_instance("s", "a:1", &us));
        assert!(
            !f.takes_whole_service("s"),
            "a key=value term never takes a whole service"
        );
        assert!(Filter::parse("zone=eu*").matches_instance("s", "a:1", &eu));
        assert!(!Filter::parse("zone=eu").matches_instance("s", "a:1", &eu));
        assert!(Filter::parse("version=*").matches_instance("s", "a:1", &eu));
        assert!(!Filter::parse("version=*").matches_instance("s", "a:1", &us));
    }

    #[test]
    fn every_term_must_match() {
        let eu = meta(&[("zone", "eu-1")]);
        let f = Filter::parse("pay zone=eu-1 :80");
        assert!(f.matches_instance("payments", "10.0.0.1:80", &eu));
        assert!(!f.matches_instance("payments", "10.0.0.1:90", &eu));
        assert!(!f.matches_instance("orders", "10.0.0.1:80", &eu));
    }

    #[test]
    fn an_empty_filter_lets_everything_through() {
        for text in ["", "   \t"] {
            let f = Filter::parse(text);
            assert!(f.is_empty());
            assert!(f.takes_whole_service("anything"));
            assert!(f.matches_instance("s", "a:1", &meta(&[])));
        }
        // A lone "=" or "=x" has no key: a plain word.
        let f = Filter::parse("=x");
        assert!(f.matches_instance("s=x", "a", &meta(&[])));
    }
}
