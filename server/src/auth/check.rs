//! The check of one request: what its route needs ([`Access`]), the token it
//! carries, and the answer: go ahead (with the token's [`Scope`]), `401` or `403`.

use std::sync::Arc;

use http::{HeaderMap, HeaderValue, StatusCode};
use rollcall_protocol::{AUTHORIZATION, DEFAULT_SERVICE, parse_bearer};

use super::rules::{Level, Rules};
use super::{Auth, AuthOptions};

/// What a route needs, as each route of the registry declares it
/// (`routes::route`): the auth check and the CORS write check read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access<'a> {
    /// Open to everyone: `/healthz`, the dashboard's files, preflights.
    Open,
    /// Reads one service: its list, its leases, the seed's `GET` (`default`).
    Read(&'a str),
    /// Reads the index of services; with private reads it shows only those the
    /// token may read.
    Index,
    /// Changes one service: register, renew, deregister.
    Write(&'a str),
    /// A seed-protocol heartbeat: a write of `default`, unless the seed path is
    /// left open for clients that cannot send a token.
    SeedWrite,
}

impl Access<'_> {
    /// Whether the request changes the registry.
    pub(crate) fn is_write(self) -> bool {
        matches!(self, Access::Write(_) | Access::SeedWrite)
    }
}

/// What a request that passed may see.
#[derive(Debug, Clone)]
pub(crate) enum Scope {
    /// Everything: tokens are off, or the route is open.
    All,
    /// What one token's rules allow.
    Token { rules: Arc<Rules>, holder: usize },
}

impl Scope {
    /// Whether this scope may read `service` (the index keeps only those).
    pub(crate) fn can_read(&self, service: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Token { rules, holder } => rules.allows(*holder, Level::Read, service),
        }
    }
}

/// A request refused for its token. The messages never contain a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header where one is needed.
    #[error("this registry needs a {level} token{}: send \"Authorization: Bearer <token>\"", for_service(.service))]
    Missing {
        level: Level,
        service: Option<String>,
    },
    /// An `Authorization` header not of the form `Bearer <token>`.
    #[error("the Authorization header must be \"Bearer <token>\"")]
    Malformed,
    /// A token no rule names.
    #[error("unknown token")]
    Unknown,
    /// A known token whose rules do not cover the service.
    #[error("this token may not {level} service {service}")]
    NotAllowed { level: Level, service: String },
}

fn for_service(service: &Option<String>) -> String {
    service
        .as_ref()
        .map(|s| format!(" for service {s}"))
        .unwrap_or_default()
}

impl AuthError {
    /// `401` when the token is missing or unknown, `403` when it does not cover the
    /// service.
    pub fn status(&self) -> StatusCode {
        match self {
            AuthError::NotAllowed { .. } => StatusCode::FORBIDDEN,
            _ => StatusCode::UNAUTHORIZED,
        }
    }

    /// The `WWW-Authenticate` challenge of a `401` (RFC 6750), `None` for a `403`.
    pub fn challenge(&self) -> Option<HeaderValue> {
        Some(HeaderValue::from_static(match self {
            AuthError::Missing { .. } => "Bearer realm=\"rollcall\"",
            AuthError::Malformed => "Bearer realm=\"rollcall\", error=\"invalid_request\"",
            AuthError::Unknown => "Bearer realm=\"rollcall\", error=\"invalid_token\"",
            AuthError::NotAllowed { .. } => return None,
        }))
    }
}

impl Auth {
    /// Checks a request that needs `access`, carrying `headers`.
    pub(crate) fn check(
        &self,
        access: Access<'_>,
        headers: &HeaderMap,
    ) -> Result<Scope, AuthError> {
        let Some(shared) = &self.shared else {
            return Ok(Scope::All);
        };
        let AuthOptions {
            private_reads,
            seed_open,
        } = shared.options;
        let (level, service) = match access {
            Access::Open => return Ok(Scope::All),
            Access::Read(_) | Access::Index if !private_reads => return Ok(Scope::All),
            Access::SeedWrite if seed_open => return Ok(Scope::All),
            Access::Read(service) => (Level::Read, Some(service)),
            Access::Index => (Level::Read, None),
            Access::Write(service) => (Level::Write, Some(service)),
            Access::SeedWrite => (Level::Write, Some(DEFAULT_SERVICE)),
        };
        let Some(value) = headers.get(AUTHORIZATION) else {
            return Err(AuthError::Missing {
                level,
                service: service.map(str::to_owned),
            });
        };
        let presented = value
            .to_str()
            .ok()
            .and_then(parse_bearer)
            .ok_or(AuthError::Malformed)?;
        let rules = shared.current();
        let holder = rules.find(presented).ok_or(AuthError::Unknown)?;
        if let Some(service) = service
            && !rules.allows(holder, level, service)
        {
            return Err(AuthError::NotAllowed {
                level,
                service: service.to_owned(),
            });
        }
        Ok(Scope::Token { rules, holder })
    }
}
