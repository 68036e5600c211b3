//! The token rules: one per line, `<token> <read|write> <service-pattern>`, `#`
//! starting a comment. A token may have several lines; `write` implies `read` on
//! the same services.
//!
//! ```text
//! # deploy pipeline: registers anything
//! 0f8e0c3d4b1a29576e8f0c3d4b1a2957 write *
//! # the payments team's servers, and a dashboard that reads everything
//! 7c1d9e4f2a6b8c0d7c1d9e4f2a6b8c0d write pay*
//! 3a5b7c9d1e2f4a6b3a5b7c9d1e2f4a6b read  *
//! ```
//!
//! Tokens never appear in error messages or `Debug` output.

use std::fmt;
use std::path::Path;

use rollcall_protocol::Token;
use subtle::ConstantTimeEq;

use super::glob::ServiceGlob;

/// What a rule allows on its services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// List, read leases, see the service in the index.
    Read,
    /// Register, renew and deregister; implies [`Level::Read`].
    Write,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Read => "read",
            Level::Write => "write",
        })
    }
}

/// A set of token rules, as read from a token file (plus `--write-token`).
#[derive(Clone, Default)]
pub struct Rules {
    holders: Vec<Holder>,
    lines: usize,
}

/// One token and everything it is allowed.
#[derive(Clone)]
struct Holder {
    token: Token,
    grants: Vec<(Level, ServiceGlob)>,
}

/// Why rules cannot be used. Never contains a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("cannot read the token file {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("token file line {line}: {reason}")]
    Line { line: usize, reason: String },
}

impl fmt::Debug for Rules {
    /// How many tokens and rules: never the tokens.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rules")
            .field("tokens", &self.holders.len())
            .field("rules", &self.lines)
            .finish()
    }
}

impl Rules {
    /// Parses a token file's text; refuses it whole, naming the first bad line.
    pub fn parse(text: &str) -> Result<Rules, RulesError> {
        let mut rules = Rules::default();
        for (index, line) in text.lines().enumerate() {
            let at = |reason: String| RulesError::Line {
                line: index + 1,
                reason,
            };
            let mut words = line.split_whitespace();
            let Some(first) = words.next().filter(|w| !w.starts_with('#')) else {
                continue;
            };
            let token = Token::new(first).map_err(|e| at(e.to_string()))?;
            let level = match words.next() {
                Some("read") => Level::Read,
                Some("write") => Level::Write,
                Some(_) => return Err(at("the second field must be `read` or `write`".into())),
                None => return Err(at("missing `read` or `write` after the token".into())),
            };
            let glob = words
                .next()
                .ok_or_else(|| at("missing the service pattern (`*`, `name` or `prefix*`)".into()))
                .and_then(|p| ServiceGlob::parse(p).map_err(at))?;
            if words.next().is_some_and(|w| !w.starts_with('#')) {
                return Err(at(
                    "unexpected text after the service pattern (comments start with `#`)".into(),
                ));
            }
            rules.add(token, level, glob);
        }
        Ok(rules)
    }

    /// Reads and parses the token file at `path`.
    pub fn load(path: &Path) -> Result<Rules, RulesError> {
        let text = std::fs::read_to_string(path).map_err(|e| RulesError::Read {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Rules::parse(&text)
    }

    /// One rule: `token` writes (and reads) every service (`--write-token`).
    pub fn write_all(token: Token) -> Rules {
        let mut rules = Rules::default();
        rules.add(token, Level::Write, ServiceGlob::Any);
        rules
    }

    /// These rules and `other`'s together.
    pub fn merge(mut self, other: Rules) -> Rules {
        for holder in other.holders {
            for (level, glob) in holder.grants {
                self.add(holder.token.clone(), level, glob);
            }
        }
        self
    }

    /// How many rules there are (lines of a file, plus `--write-token`).
    pub fn len(&self) -> usize {
        self.lines
    }

    /// Whether there is no rule at all: every token is then unknown.
    pub fn is_empty(&self) -> bool {
        self.lines == 0
    }

    fn add(&mut self, token: Token, level: Level, glob: ServiceGlob) {
        self.lines += 1;
        match self.find(token.expose()) {
            Some(holder) => self.holders[holder].grants.push((level, glob)),
            None => self.holders.push(Holder {
                token,
                grants: vec![(level, glob)],
            }),
        }
    }

    /// Which holder's token `presented` is. Every token is compared, each in
    /// constant time, so the time taken says nothing of how close a guess came.
    pub(super) fn find(&self, presented: &str) -> Option<usize> {
        let mut found = None;
        for (index, holder) in self.holders.iter().enumerate() {
            let same: bool = holder
                .token
                .expose()
                .as_bytes()
                .ct_eq(presented.as_bytes())
                .into();
            if same {
                found = Some(index);
            }
        }
        found
    }

    /// Whether holder `holder` may act at `level` on `service`.
    pub(super) fn allows(&self, holder: usize, level: Level, service: &str) -> bool {
        self.holders.get(holder).is_some_and(|h| {
            h.grants
                .iter()
                .any(|(granted, glob)| *granted >= level && glob.matches(service))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRITER: &str = "writer-0123456789abcdef";
    const READER: &str = "reader-0123456789abcdef";

    #[test]
    fn parses_rules_comments_and_blank_lines() {
        let text = format!(
            "# comment\n\n{WRITER} write pay*  # trailing comment\n  {READER}\tread *\n{WRITER} read default\n"
        );
        let rules = Rules::parse(&text).expect("rules");
        assert_eq!(rules.len(), 3);
        let writer = rules.find(WRITER).expect("writer");
        let reader = rules.find(READER).expect("reader");
        assert!(rules.allows(writer, Level::Write, "payments"));
        assert!(
            rules.allows(writer, Level::Read, "payments"),
            "write implies read"
        );
        assert!(rules.allows(writer, Level::Read, "default"));
        assert!(!rules.allows(writer, Level::Write, "default"));
        assert!(rules.allows(reader, Level::Read, "anything"));
        assert!(!rules.allows(reader, Level::Write, "anything"));
        assert_eq!(rules.find("reader-0123456789abcdeX"), None);
        assert_eq!(rules.find(""), None);
    }

    #[test]
    fn a_bad_line_is_named_and_its_token_never_shown() {
        let secret = "s3cret-0123456789abcdef";
        for (text, line) in [
            (format!("{secret} write *\nshort write *"), 2),
            (format!("\n\n{secret} admin *"), 3),
            (secret.to_owned(), 1),
            (format!("{secret} read"), 1),
            (format!("{secret} read *pay"), 1),
            (format!("{secret} read * extra"), 1),
        ] {
            let error = Rules::parse(&text).expect_err(&text);
            assert!(
                matches!(error, RulesError::Line { line: l, .. } if l == line),
                "{error}"
            );
            assert!(!error.to_string().contains(secret), "{error}");
            assert!(!format!("{error:?}").contains(secret));
        }
    }

    #[test]
    fn write_token_and_merge() {
        let token = Token::new(WRITER).expect("token");
        let file = Rules::parse(&format!("{READER} read a")).expect("file");
        let rules = file.merge(Rules::write_all(token));
        assert_eq!(rules.len(), 2);
        let writer = rules.find(WRITER).expect("writer");
        assert!(rules.allows(writer, Level::Write, "anything"));
        assert!(!format!("{rules:?}").contains(WRITER));
    }
}
