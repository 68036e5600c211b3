//! Where the rules come from: a token file, `--write-token`, or both. Read at
//! start and again on every reload, so a reload sees the file as it is now and
//! keeps the write token.

use std::path::PathBuf;

use rollcall_protocol::Token;

use super::rules::{Rules, RulesError};

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
