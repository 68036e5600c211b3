//! Which of the registry's two protocols a simulation speaks, and the names and
//! addresses that follow from it.

use rollcall_client::RegistryEndpoint;
use rollcall_protocol::{DEFAULT_PATH, DEFAULT_SERVICE};

/// The registry's host name in every simulation.
pub const REGISTRY: &str = "registry";

/// The host holding the one registry that several frontends serve
/// ([`Scenario::frontends`](crate::Scenario::frontends)); frontends are named
/// `frontend-1`, `frontend-2`..
pub const STORE: &str = "store";

/// The port the registry listens on.
pub const REGISTRY_PORT: u16 = 9999;

/// The port a server host listens on (and registers) unless it picks its own.
pub const SERVER_PORT: u16 = 8000;

/// How servers register and clients discover: the seed's header protocol, or the
/// JSON API with a named service (metadata, weights, revisions, `304`s).
///
/// Both go through the same [`RegistryClient`](rollcall_client::RegistryClient),
/// [`Heartbeat`](rollcall_client::Heartbeat) and
/// [`RegistryDiscovery`](rollcall_client::RegistryDiscovery) your production code
/// uses; this only chooses the [`RegistryEndpoint`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Api {
    /// The seed protocol at `/_rpc_/registry`: one unnamed service (`default`),
    /// addresses in the seed's `tcp@host:port` form.
    #[default]
    Seed,
    /// The JSON API under `/v1`, for one named service; addresses as `host:port`.
    Json {
        /// The service servers register into and clients list.
        service: String,
    },
}

impl Api {
    /// The JSON API for `service`.
    pub fn json(service: impl Into<String>) -> Api {
        Api::Json {
            service: service.into(),
        }
    }

    /// The service servers register into: `default` on the seed protocol.
    pub fn service(&self) -> &str {
        match self {
            Api::Seed => DEFAULT_SERVICE,
            Api::Json { service } => service,
        }
    }

    /// Where the simulated registry answers in this protocol.
    pub fn endpoint(&self) -> RegistryEndpoint {
        let base = format!("http://{REGISTRY}:{REGISTRY_PORT}");
        match self {
            Api::Seed => RegistryEndpoint::seed(format!("{base}{DEFAULT_PATH}")),
            Api::Json { service } => RegistryEndpoint::json(base, service.as_str()),
        }
    }

    /// Where the registry answers in this protocol when `hosts` (frontends of one
    /// registry) each serve it: every host's URL, in order. Refuses what
    /// [`RegistryEndpoint::json_many`] refuses (no host, more than 16).
    pub fn endpoint_at(
        &self,
        hosts: &[String],
    ) -> Result<RegistryEndpoint, rollcall_client::Error> {
        let bases = hosts
            .iter()
            .map(|host| format!("http://{host}:{REGISTRY_PORT}"));
        match self {
            Api::Seed => {
                RegistryEndpoint::seed_many(bases.map(|base| format!("{base}{DEFAULT_PATH}")))
            }
            Api::Json { service } => RegistryEndpoint::json_many(bases, service.as_str()),
        }
    }

    /// The address host `host` registers when it listens on `port`: the seed's
    /// `tcp@host:port`, or `host:port` on the JSON API. Either is what
    /// [`RpcClient`](rollcall_client::RpcClient) calls.
    pub fn server_addr(&self, host: &str, port: u16) -> String {
        match self {
            Api::Seed => format!("tcp@{host}:{port}"),
            Api::Json { .. } => format!("{host}:{port}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_follow_the_protocol() {
        assert_eq!(Api::Seed.server_addr("s-1", 8000), "tcp@s-1:8000");
        assert_eq!(Api::json("quotes").server_addr("s-1", 8000), "s-1:8000");
        assert_eq!(Api::json("quotes").service(), "quotes");
        assert_eq!(Api::Seed.service(), "default");
        assert!(Api::Seed.endpoint().is_seed());
        assert_eq!(Api::json("quotes").endpoint().service(), "quotes");
        let hosts = ["frontend-1".to_owned(), "frontend-2".to_owned()];
        let seed = Api::Seed.endpoint_at(&hosts).expect("two hosts");
        assert_eq!(
            seed.urls(),
            [
                "http://frontend-1:9999/_rpc_/registry",
                "http://frontend-2:9999/_rpc_/registry"
            ]
        );
        assert_eq!(
            Api::Seed.endpoint_at(&hosts[..1]).ok(),
            Some(RegistryEndpoint::seed(
                "http://frontend-1:9999/_rpc_/registry"
            ))
        );
        assert!(Api::json("q").endpoint_at(&[]).is_err());
    }
}
