//! One read of a service's change feed, for a caller that learns of changes some
//! other way (a dashboard watching the service index) and only needs to catch up:
//! it holds no request open, so a page can follow a hundred services over the
//! browser's few connections per origin.

use std::time::Duration;

use crate::error::Error;
use crate::protocol::{self, ChangeBatch, ListVersion, WatchQuery};
use crate::registry_client::{Answered, Call, RegistryClient, malformed};
use crate::transport::Transport;

impl<T: Transport> RegistryClient<T> {
    /// The changes of this client's service after `since`, answered at once
    /// (`GET /v1/services/{service}/changes?since=N&wait=0&epoch=E`), oldest first.
    ///
    /// `Ok(None)` when the feed cannot go on from `since` (`410 Gone`: the change log
    /// no longer holds those changes, or the registry restarted) or the registry has
    /// no change feed (`404`): list the service again instead. JSON API only.
    pub async fn changes_since(&self, since: ListVersion) -> Result<Option<ChangeBatch>, Error> {
        self.require_json("a change feed")?;
        let service = self.endpoint().service();
        protocol::validate_service(service)?;
        let query = WatchQuery {
            after: since.revision,
            wait: Duration::ZERO,
            epoch: Some(since.epoch),
        };
        let call = Call::get(protocol::watch::watch_changes(service, &query));
        let (url, response) = match self.send(call).await {
            Ok(Answered { url, response }) => (url, response),
            Err(error) if matches!(error.status(), Some(404 | 410)) => return Ok(None),
            Err(error) => return Err(error),
        };
        let batch: ChangeBatch =
            serde_json::from_slice(response.body()).map_err(|e| malformed(&url, e.to_string()))?;
        if batch.epoch != since.epoch || batch.revision < since.revision {
            return Err(malformed(
                &url,
                format!(
                    "changes at epoch {} revision {} do not follow on from epoch {} revision {}",
                    batch.epoch, batch.revision, since.epoch, since.revision
                ),
            ));
        }
        Ok(Some(batch))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ChangeEvent, ChangeKind, ErrorBody, Instance};
    use crate::registry_client::RegistryEndpoint;
    use crate::registry_client::fake::{FakeTransport, json};

    fn since(revision: u64) -> ListVersion {
        ListVersion {
            epoch: 7,
            revision,
            warming: false,
        }
    }

    fn client(status: u16, body: String) -> (FakeTransport, RegistryClient<FakeTransport>) {
        let fake = FakeTransport::new(move |_| {
            Ok(crate::registry_client::fake::reply(status, &[], &body))
        });
        let client = RegistryClient::new(fake.clone(), RegistryEndpoint::json("http://r", "pay"));
        (fake, client)
    }

    #[tokio::test]
    async fn reads_the_feed_once_without_waiting() {
        let batch = ChangeBatch {
            epoch: 7,
            revision: 5,
            warming: false,
            stale: false,
            events: vec![ChangeEvent {
                revision: 5,
                kind: ChangeKind::Register,
                instance: Instance::from_addr("h:1"),
            }],
        };
        let body = String::from_utf8(json(200, &batch).body().to_vec()).expect("utf-8");
        let (fake, client) = client(200, body);
        assert_eq!(client.changes_since(since(4)).await, Ok(Some(batch)));
        assert_eq!(
            fake.requests()[0].uri().to_string(),
            "http://r/v1/services/pay/changes?since=4&wait=0&epoch=7"
        );
    }

    #[tokio::test]
    async fn gone_or_missing_feeds_mean_list_again() {
        let gone = serde_json::to_string(&ErrorBody {
            error: "changes after 4 are no longer in the log".to_owned(),
        })
        .expect("json");
        for status in [404, 410] {
            let (_, client) = client(status, gone.clone());
            assert_eq!(client.changes_since(since(4)).await, Ok(None), "{status}");
        }
        let (_, client) = client(503, gone);
        assert_eq!(
            client.changes_since(since(4)).await.map_err(|e| e.status()),
            Err(Some(503))
        );
    }

    #[tokio::test]
    async fn a_batch_from_another_run_or_behind_is_refused() {
        for (epoch, revision) in [(8, 5), (7, 3)] {
            let batch = ChangeBatch {
                epoch,
                revision,
                warming: false,
                stale: false,
                events: Vec::new(),
            };
            let body = String::from_utf8(json(200, &batch).body().to_vec()).expect("utf-8");
            let (_, client) = client(200, body);
            assert!(
                matches!(
                    client.changes_since(since(4)).await,
                    Err(Error::Malformed { .. })
                ),
                "{epoch}/{revision}"
            );
        }
    }
}
