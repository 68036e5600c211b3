//! Read-only views of the JSON API for dashboards: the service index and the leases.

use super::{Answered, Call, RegistryClient, malformed};
use crate::error::Error;
use crate::protocol::{self, paths};
use crate::transport::Transport;

impl<T: Transport> RegistryClient<T> {
    /// Every service the registry knows, with its instance count and revision
    /// (`GET /v1/services`). JSON API only: the seed protocol has a single unnamed
    /// service and no index.
    pub async fn services(&self) -> Result<protocol::ServiceIndex, Error> {
        self.require_json("the service index")?;
        self.get_json(paths::services()).await
    }

    /// How long ago each instance of this client's service last beat, and how long
    /// it has left (`GET /v1/services/{service}/leases`). JSON API only.
    pub async fn leases(&self) -> Result<protocol::LeaseList, Error> {
        self.require_json("leases")?;
        let service = self.endpoint.service();
        protocol::validate_service(service)?;
        self.get_json(paths::leases(service)).await
    }

    /// An error naming `what` the seed protocol lacks, on a seed endpoint.
    pub(crate) fn require_json(&self, what: &str) -> Result<(), Error> {
        if self.endpoint.is_seed() {
            let url = self.endpoint.urls().join(",");
            Err(Error::InvalidUrl(format!(
                "{url}: the seed protocol has no {what}; use a JSON endpoint"
            )))
        } else {
            Ok(())
        }
    }

    /// `GET path` of the JSON API, decoded as JSON.
    async fn get_json<R: serde::de::DeserializeOwned>(&self, path: String) -> Result<R, Error> {
        let Answered { url, response } = self.send(Call::get(path)).await?;
        serde_json::from_slice(response.body()).map_err(|e| malformed(&url, e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::fake::{FakeTransport, json, reply};
    use super::*;
    use crate::protocol::{Lease, LeaseList, ServiceIndex, ServiceSummary};
    use crate::registry_client::RegistryEndpoint;
    use http::Method;

    #[tokio::test]
    async fn services_and_leases_read_the_json_api() {
        let fake = FakeTransport::new(|r| {
            Ok(match r.uri().path() {
                "/v1/services" => json(
                    200,
                    &ServiceIndex {
                        warming: false,
                        stale: false,
                        epoch: 1,
                        revision: 3,
                        services: vec![ServiceSummary {
                            service: "default".to_owned(),
                            revision: 3,
                            instances: 1,
                        }],
                    },
                ),
                "/v1/services/default/leases" => json(
                    200,
                    &LeaseList {
                        service: "default".to_owned(),
                        revision: 3,
                        leases: vec![Lease {
                            addr: "h:1".to_owned(),
                            since_heartbeat_ms: 10,
                            expires_in_ms: Some(990),
                        }],
                    },
                ),
                _ => reply(404, &[], r#"{"error":"not found"}"#),
            })
        });
        let client =
            RegistryClient::new(fake.clone(), RegistryEndpoint::json("http://r/", "default"));
        let index = client.services().await.expect("index");
        assert_eq!(index.services[0].instances, 1);
        let leases = client.leases().await.expect("leases");
        assert_eq!(leases.leases[0].expires_in_ms, Some(990));
        assert_eq!(fake.requests()[1].method(), Method::GET);
    }

    #[tokio::test]
    async fn malformed_answers_and_the_seed_protocol_are_errors() {
        let fake = FakeTransport::new(|_| Ok(reply(200, &[], "{not json")));
        let client =
            RegistryClient::new(fake.clone(), RegistryEndpoint::json("http://r", "default"));
        assert!(matches!(
            client.services().await,
            Err(Error::Malformed { .. })
        ));
        let seed = RegistryClient::new(fake, RegistryEndpoint::seed("http://r/_rpc_/registry"));
        assert!(matches!(seed.leases().await, Err(Error::InvalidUrl(_))));
    }
}
