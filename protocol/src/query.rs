//! The query parameters of blocking queries: parsed by the server, written by the
//! client, by one set of rules.
//!
//! - `index=N` (lists and the index) or `since=N` (the change feed): a revision, a
//!   whole number. `index` is optional on a list (without it the `GET` answers at
//!   once); `since` is required on the change feed.
//! - `wait=D`: a duration in the syntax of [`parse_duration`] (`500ms`, `30s`,
//!   `5m`); [`DEFAULT_WAIT`] when absent; `0` answers at once. Only with
//!   `index`/`since`.
//! - `epoch=E`: the registry run `N` belongs to (optional, but a client should
//!   send it): from another run, a list answers at once and the feed `410 Gone`.
//!
//! A parameter given twice, empty or unreadable is refused with the reason, and so
//! is the other endpoint's revision parameter (`since` on a list). Unknown
//! parameters are ignored, so cache-busting parameters pass.

use std::time::Duration;

use crate::duration::{format_duration, parse_duration};
use crate::watch::DEFAULT_WAIT;

/// The revision parameter of lists and of the service index.
pub const PARAM_INDEX: &str = "index";
/// The revision parameter of the change feed.
pub const PARAM_SINCE: &str = "since";
/// How long to hold the request.
pub const PARAM_WAIT: &str = "wait";
/// The registry run the revision belongs to.
pub const PARAM_EPOCH: &str = "epoch";

/// Longest parameter value quoted back in an error message.
const MAX_QUOTED: usize = 40;

/// A blocking query: answer once the revision is above `after`, or once `wait` has
/// passed (plus the server's jitter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WatchQuery {
    /// The revision the client has seen: `index` or `since` on the wire.
    pub after: u64,
    /// How long to hold the request when nothing is newer; the server caps it.
    pub wait: Duration,
    /// The registry run `after` belongs to, if the client knows it.
    pub epoch: Option<u64>,
}

/// Why a query string was refused. The message is safe to show a client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("invalid {param} {value:?}: {reason}")]
    Invalid {
        param: &'static str,
        value: String,
        reason: String,
    },
    #[error("query parameter {0} given more than once")]
    Repeated(&'static str),
    #[error("missing query parameter {0}")]
    Missing(&'static str),
    #[error("wait is only allowed with {0}")]
    WaitWithout(&'static str),
    #[error("query parameter {given} does not apply here; use {instead}")]
    Misplaced {
        given: &'static str,
        instead: &'static str,
    },
}

impl WatchQuery {
    /// The query of a list or of the service index: `None` for a plain `GET` (no
    /// `index`), else the blocking query.
    pub fn parse_list(query: Option<&str>) -> Result<Option<WatchQuery>, QueryError> {
        let raw = Raw::parse(query)?;
        raw.refuse(PARAM_SINCE, PARAM_INDEX)?;
        raw.watch(PARAM_INDEX)
    }

    /// The query of the change feed, where `since` is required.
    pub fn parse_changes(query: Option<&str>) -> Result<WatchQuery, QueryError> {
        let raw = Raw::parse(query)?;
        raw.refuse(PARAM_INDEX, PARAM_SINCE)?;
        raw.watch(PARAM_SINCE)?
            .ok_or(QueryError::Missing(PARAM_SINCE))
    }

    /// `index=N&wait=D[&epoch=E]`, for a list or the index.
    pub fn to_list_query(self) -> String {
        self.to_query(PARAM_INDEX)
    }

    /// `since=N&wait=D[&epoch=E]`, for the change feed.
    pub fn to_changes_query(self) -> String {
        self.to_query(PARAM_SINCE)
    }

    fn to_query(self, key: &str) -> String {
        let mut query = format!(
            "{key}={}&{PARAM_WAIT}={}",
            self.after,
            format_duration(self.wait)
        );
        if let Some(epoch) = self.epoch {
            query.push_str(&format!("&{PARAM_EPOCH}={epoch}"));
        }
        query
    }
}

/// The parameters we read, each at most once, values still unparsed.
#[derive(Debug, Default)]
struct Raw<'a> {
    index: Option<&'a str>,
    since: Option<&'a str>,
    wait: Option<&'a str>,
    epoch: Option<&'a str>,
}

impl<'a> Raw<'a> {
    fn parse(query: Option<&'a str>) -> Result<Raw<'a>, QueryError> {
        let mut raw = Raw::default();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (name, slot) = match key {
                PARAM_INDEX => (PARAM_INDEX, &mut raw.index),
                PARAM_SINCE => (PARAM_SINCE, &mut raw.since),
                PARAM_WAIT => (PARAM_WAIT, &mut raw.wait),
                PARAM_EPOCH => (PARAM_EPOCH, &mut raw.epoch),
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return Err(QueryError::Repeated(name));
            }
        }
        Ok(raw)
    }

    /// Refuses `given`, which belongs to the other endpoint.
    fn refuse(&self, given: &'static str, instead: &'static str) -> Result<(), QueryError> {
        let present = match given {
            PARAM_SINCE => self.since.is_some(),
            _ => self.index.is_some(),
        };
        if present {
            return Err(QueryError::Misplaced { given, instead });
        }
        Ok(())
    }

    /// The blocking query keyed by `key`, or `None` if `key` is absent.
    fn watch(&self, key: &'static str) -> Result<Option<WatchQuery>, QueryError> {
        let after = if key == PARAM_SINCE {
            self.since
        } else {
            self.index
        };
        let Some(after) = after else {
            if self.wait.is_some() {
                return Err(QueryError::WaitWithout(key));
            }
            if self.epoch.is_some() {
                return Err(QueryError::Missing(key));
            }
            return Ok(None);
        };
        let wait = match self.wait {
            None => DEFAULT_WAIT,
            Some(text) => parse_duration(text).map_err(|e| invalid(PARAM_WAIT, text, e))?,
        };
        Ok(Some(WatchQuery {
            after: revision(key, after)?,
            wait,
            epoch: self.epoch.map(|e| revision(PARAM_EPOCH, e)).transpose()?,
        }))
    }
}

/// A whole number of at most 20 digits that fits in a `u64`.
fn revision(param: &'static str, text: &str) -> Result<u64, QueryError> {
    if text.is_empty() {
        return Err(invalid(param, text, "empty"));
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(param, text, "want a whole number"));
    }
    text.parse()
        .map_err(|_| invalid(param, text, "too large for 64 bits"))
}

fn invalid(param: &'static str, value: &str, reason: impl ToString) -> QueryError {
    QueryError::Invalid {
        param,
        value: value.chars().take(MAX_QUOTED).collect(),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests;
