//! Who may read and write: bearer tokens, each allowed to read or write some
//! services, checked on every request against what its route needs.
//!
//! Tokens are off unless rules are given ([`Auth::off`] is the default): the
//! registry then behaves as the seed's, open to anyone who can reach it. With
//! rules, every write needs a token that covers its service; reads stay open
//! unless [`AuthOptions::private_reads`]. The rules are held behind a reloadable
//! handle owned by the service (no global state): `rollcall serve` replaces them
//! when the token file changes ([`Auth::reload`], on SIGHUP).
//!
//! - `glob`: service patterns (`*`, `pay*`, `payments`);
//! - `rules`: [`Rules`], the token file parsed with line numbers;
//! - `check`: what a route needs (`Access`), the check, and [`AuthError`];
//! - `source`: [`TokenSource`], the token file and write token to load rules from.

mod check;
mod glob;
mod rules;
mod source;
#[cfg(test)]
mod tests;

pub use check::AuthError;
pub(crate) use check::{Access, Scope};
pub use rules::{Level, Rules, RulesError};
pub use source::TokenSource;

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

/// How tokens apply beyond writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthOptions {
    /// Reads (lists, leases, the index) need a `read` or `write` token on the
    /// service too; the index shows only the services the token may read.
    pub private_reads: bool,
    /// Seed-protocol heartbeats (`POST /_rpc_/registry`) need no token: the seed's
    /// clients cannot send one. Only for trusted networks: anyone who can reach
    /// the registry can then register in `default`.
    pub seed_open: bool,
}

/// The registry's tokens: off, or rules that can be replaced while serving. Cheap
/// to clone: clones share the rules, so a reload reaches every connection.
#[derive(Clone, Default)]
pub struct Auth {
    shared: Option<Arc<Shared>>,
}

struct Shared {
    /// Read (a clone of the `Arc`) per checked request, written on reload; never
    /// held across anything but that clone.
    rules: RwLock<Arc<Rules>>,
    options: AuthOptions,
}

impl Shared {
    fn current(&self) -> Arc<Rules> {
        Arc::clone(&self.rules.read().unwrap_or_else(PoisonError::into_inner))
    }
}

impl fmt::Debug for Auth {
    /// Whether tokens are on, how many rules, the options: never a token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.shared {
            None => f.write_str("Auth(off)"),
            Some(shared) => f
                .debug_struct("Auth")
                .field("rules", &shared.current())
                .field("options", &shared.options)
                .finish(),
        }
    }
}

impl Auth {
    /// No tokens: everyone may read and write, as in the seed.
    pub fn off() -> Auth {
        Auth::default()
    }

    /// Tokens on, with `rules` and `options`.
    pub fn tokens(rules: Rules, options: AuthOptions) -> Auth {
        Auth {
            shared: Some(Arc::new(Shared {
                rules: RwLock::new(Arc::new(rules)),
                options,
            })),
        }
    }

    /// Whether tokens are on.
    pub fn is_on(&self) -> bool {
        self.shared.is_some()
    }

    /// Replaces the rules for every request from now on; requests already checked
    /// are not affected. Does nothing (and says so) when tokens are off: they
    /// cannot be turned on while serving.
    pub fn reload(&self, rules: Rules) -> Result<(), ReloadError> {
        let shared = self.shared.as_ref().ok_or(ReloadError::TokensOff)?;
        let rules = Arc::new(rules);
        *shared.rules.write().unwrap_or_else(PoisonError::into_inner) = rules;
        Ok(())
    }

    /// How many rules are in force (0 when off).
    pub fn rule_count(&self) -> usize {
        self.shared.as_ref().map_or(0, |s| s.current().len())
    }
}

/// Why rules were not replaced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReloadError {
    #[error("tokens are off: start the registry with a token file to reload one")]
    TokensOff,
    #[error(transparent)]
    Rules(#[from] RulesError),
}
