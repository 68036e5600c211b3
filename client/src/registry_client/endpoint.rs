//! Which registry to talk to, and in which protocol: one URL, or the URLs of several
//! interchangeable frontends that share one registry's state (rollcall over etcd).

use crate::error::Error;
use crate::protocol::DEFAULT_SERVICE;

/// Most registry URLs one endpoint takes: more frontends than a deployment runs,
/// few enough that a request trying each in turn stays bounded (one timeout each).
pub const MAX_REGISTRY_URLS: usize = 16;

/// Which registry to talk to, and in which protocol.
///
/// With several URLs, every URL must reach the same registry state (frontends of
/// one etcd cluster): a request goes to one of them and moves on to the next when
/// that one cannot be reached, times out or answers `500`/`502`/`503`/`504` (see
/// [`RegistryClient`](crate::RegistryClient)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryEndpoint {
    /// Never empty: the seed protocol's full URLs, or the JSON API's base URLs
    /// without a trailing `/`.
    urls: Vec<String>,
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Seed,
    Json { service: String },
}

impl RegistryEndpoint {
    /// The seed protocol at its full URL, e.g. `http://localhost:9999/_rpc_/registry`.
    /// Its one service is [`DEFAULT_SERVICE`]; deregistration does not exist there.
    pub fn seed(url: impl Into<String>) -> Self {
        RegistryEndpoint {
            urls: vec![url.into()],
            kind: Kind::Seed,
        }
    }

    /// The JSON API of the registry at `base_url` (e.g. `http://127.0.0.1:9999`), for
    /// one named service.
    pub fn json(base_url: impl Into<String>, service: impl Into<String>) -> Self {
        RegistryEndpoint {
            urls: vec![trim_base(base_url.into())],
            kind: Kind::Json {
                service: service.into(),
            },
        }
    }

    /// The seed protocol at several frontends' full URLs. Refuses an empty list, more
    /// than [`MAX_REGISTRY_URLS`], or a URL that is not `http://` or `https://` with
    /// a host; a URL given twice is kept once.
    pub fn seed_many<I, S>(urls: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Ok(RegistryEndpoint {
            urls: checked(urls.into_iter().map(Into::into))?,
            kind: Kind::Seed,
        })
    }

    /// The JSON API of several frontends (base URLs, as for [`json`](Self::json)),
    /// for one named service. Refuses what [`seed_many`](Self::seed_many) refuses.
    pub fn json_many<I, S>(base_urls: I, service: impl Into<String>) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Ok(RegistryEndpoint {
            urls: checked(base_urls.into_iter().map(|url| trim_base(url.into())))?,
            kind: Kind::Json {
                service: service.into(),
            },
        })
    }

    /// [`json_many`](Self::json_many) from a comma-separated list, as people type
    /// it (`http://a:9999, http://b:9999`; blanks around commas and empty entries
    /// are ignored): what a command line or an address field takes.
    pub fn parse_json(list: &str, service: impl Into<String>) -> Result<Self, Error> {
        RegistryEndpoint::json_many(split(list)?, service)
    }

    /// [`seed_many`](Self::seed_many) from a comma-separated list of full URLs.
    pub fn parse_seed(list: &str) -> Result<Self, Error> {
        RegistryEndpoint::seed_many(split(list)?)
    }

    /// The registry URLs, in the order given (never empty).
    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// The service this endpoint registers into and lists.
    pub fn service(&self) -> &str {
        match &self.kind {
            Kind::Seed => DEFAULT_SERVICE,
            Kind::Json { service } => service,
        }
    }

    /// Whether this is the seed's header protocol.
    pub fn is_seed(&self) -> bool {
        matches!(self.kind, Kind::Seed)
    }

    /// The same registry, for `service` (JSON API; a seed endpoint has one service
    /// and is kept as it is).
    pub(crate) fn for_service(&self, service: &str) -> RegistryEndpoint {
        let mut endpoint = self.clone();
        if let Kind::Json { service: named } = &mut endpoint.kind {
            *named = service.to_owned();
        }
        endpoint
    }
}

/// A base URL without its trailing `/`, so paths can be appended.
fn trim_base(url: String) -> String {
    url.trim_end_matches('/').to_owned()
}

/// The entries of a comma-separated list, trimmed, empty ones dropped.
fn split(list: &str) -> Result<Vec<String>, Error> {
    let urls: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .map(str::to_owned)
        .collect();
    if urls.is_empty() {
        return Err(Error::InvalidUrl(format!("{list}: no registry URL")));
    }
    Ok(urls)
}

/// The URLs, duplicates dropped, if each is usable and there are neither none nor
/// too many.
fn checked(urls: impl Iterator<Item = String>) -> Result<Vec<String>, Error> {
    let mut kept: Vec<String> = Vec::new();
    for url in urls {
        check(&url)?;
        if !kept.contains(&url) {
            kept.push(url);
        }
        if kept.len() > MAX_REGISTRY_URLS {
            return Err(Error::InvalidUrl(format!(
                "more than {MAX_REGISTRY_URLS} registry URLs"
            )));
        }
    }
    if kept.is_empty() {
        return Err(Error::InvalidUrl("no registry URL".to_owned()));
    }
    Ok(kept)
}

/// An absolute `http://` or `https://` URL with a host.
fn check(url: &str) -> Result<(), Error> {
    let parsed: http::Uri = url
        .parse()
        .map_err(|_| Error::InvalidUrl(format!("{url}: not a URL")))?;
    let scheme_ok = matches!(parsed.scheme_str(), Some("http" | "https"));
    let host_ok = parsed.host().is_some_and(|host| !host.is_empty());
    if scheme_ok && host_ok {
        Ok(())
    } else {
        Err(Error::InvalidUrl(format!(
            "{url}: not an http:// or https:// URL with a host"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_is_split_trimmed_and_deduplicated() {
        let endpoint =
            RegistryEndpoint::parse_json(" http://a:1/ ,, http://b:2,http://a:1 ", "svc")
                .expect("list");
        assert_eq!(endpoint.urls(), ["http://a:1", "http://b:2"]);
        assert_eq!(endpoint.service(), "svc");
        let seed = RegistryEndpoint::parse_seed("http://a:1/_rpc_/registry,https://b/r")
            .expect("seed list");
        assert!(seed.is_seed());
        assert_eq!(seed.urls(), ["http://a:1/_rpc_/registry", "https://b/r"]);
        assert_eq!(
            RegistryEndpoint::json_many(["http://a:1"], "svc").expect("one"),
            RegistryEndpoint::json("http://a:1", "svc")
        );
    }

    #[test]
    fn unusable_lists_are_refused_with_the_reason() {
        let refused = |list: &str| match RegistryEndpoint::parse_json(list, "svc") {
            Err(Error::InvalidUrl(reason)) => reason,
            other => panic!("{list:?} gave {other:?}"),
        };
        assert!(refused("").contains("no registry URL"));
        assert!(refused(" , ,").contains("no registry URL"));
        assert!(refused("http://a:1,ftp://b").starts_with("ftp://b: not an http"));
        assert!(refused("a:1").starts_with("a:1: not an http"));
        assert!(refused("http://a b").contains("not a URL"));
        let many: Vec<String> = (0..=MAX_REGISTRY_URLS)
            .map(|i| format!("http://h{i}:1"))
            .collect();
        assert!(refused(&many.join(",")).contains("more than 16"));
        assert!(RegistryEndpoint::json_many(Vec::<String>::new(), "svc").is_err());
        // Exactly the maximum is fine.
        let most = &many[..MAX_REGISTRY_URLS];
        assert!(RegistryEndpoint::json_many(most, "svc").is_ok());
    }
}
