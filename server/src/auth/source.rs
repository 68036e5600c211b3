//! Where the rules come from: a token file, `--write-token`, or both. Read at
//! start and again on every reload, so a reload sees the file as it is now and
//! keeps the write token.

use std::path::PathBuf;

use rollcall_protocol::Token;

use super::rules::{Rules, RulesError};
use super::{Auth, AuthOptions, ReloadError};

/// The token file and the write token, as `rollcall serve` was given them.
#[derive(Debug, Clone, Default)]
pub struct TokenSource {
    /// The token file (`--token-file`), re-read on every load.
    pub file: Option<PathBuf>,
    /// One token that writes every service (`--write-token`).
    pub write_token: Option<Token>,
}

impl TokenSource {
    /// Whether tokens are configured at all (if not, they are off).
    pub fn is_configured(&self) -> bool {
        self.file.is_some() || self.write_token.is_some()
    }

    /// The rules now: the file's (read again) and the write token's.
    pub fn load(&self) -> Result<Rules, RulesError> {
        let mut rules = match &self.file {
            Some(path) => Rules::load(path)?,
            None => Rules::default(),
        };
        if let Some(token) = &self.write_token {
            rules = rules.merge(Rules::write_all(token.clone()));
        }
        Ok(rules)
    }
}

impl TokenSource {
    /// The registry's tokens as configured: off if none are, else on with the
    /// rules as they are now. A file that does not parse is an error naming its
    /// line.
    pub fn start(&self, options: AuthOptions) -> Result<Auth, RulesError> {
        if !self.is_configured() {
            return Ok(Auth::off());
        }
        Ok(Auth::tokens(self.load()?, options))
    }

    /// Reads the rules again into `auth` (on SIGHUP) and says how many there are
    /// now. If they do not parse, `auth` keeps the rules it has.
    pub fn reload_into(&self, auth: &Auth) -> Result<usize, ReloadError> {
        let rules = self.load()?;
        let count = rules.len();
        auth.reload(rules)?;
        Ok(count)
    }
}
