//! A registry in memory for the tests of discovery's watch mode: one service, its
//! list and change feed, held requests answered when something changes (or after
//! their wait), restarts (another epoch, warming up) and outages, on the `rt` clock
//! so paused-time tests drive it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use http::header::IF_NONE_MATCH;

use crate::protocol::{
    ChangeBatch, ChangeEvent, ChangeKind, ErrorBody, Instance, InstanceList, WatchQuery,
};
use crate::registry_client::fake::{json, reply};
use crate::rt::{self, Instant};
use crate::transport::{HttpRequest, HttpResponse, Transport, TransportError};

/// How often a held request looks at the registry again.
const HOLD_STEP: Duration = Duration::from_millis(10);

/// The registry of service `s`: a cheap handle, shared by the test and the
/// discovery's transport.
#[derive(Clone, Default)]
pub(super) struct Model {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    epoch: u64,
    revision: u64,
    warming: bool,
    instances: BTreeMap<String, Instance>,
    log: Vec<ChangeEvent>,
    /// Refuses connections (and cuts held requests) while set.
    down: bool,
    /// Answers `404` on the change feed (an older registry) while set.
    no_feed: bool,
    /// The path and query of every request, in order.
    seen: Vec<String>,
}

impl Model {
    /// A registry at `epoch`, warm, listing `addrs`.
    pub(super) fn new(epoch: u64, addrs: &[&str]) -> Model {
        let model = Model::default();
        model.lock().epoch = epoch;
        for addr in addrs {
            model.register(addr);
        }
        model
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn change(&self, kind: ChangeKind, instance: Instance) {
        let mut inner = self.lock();
        inner.revision += 1;
        let revision = inner.revision;
        if kind.is_listed() {
            inner
                .instances
                .insert(instance.addr.clone(), instance.clone());
        } else {
            inner.instances.remove(&instance.addr);
        }
        inner.log.push(ChangeEvent {
            revision,
            kind,
            instance,
        });
    }

    pub(super) fn register(&self, addr: &str) {
        self.change(ChangeKind::Register, Instance::from_addr(addr));
    }

    pub(super) fn deregister(&self, addr: &str) {
        self.change(ChangeKind::Deregister, Instance::from_addr(addr));
    }

    /// Restarts as run `epoch`: nobody registered, warming up, no log.
    pub(super) fn restart(&self, epoch: u64) {
        let mut inner = self.lock();
        inner.epoch = epoch;
        inner.revision = 0;
        inner.warming = true;
        inner.instances.clear();
        inner.log.clear();
    }

    /// Ends the warm-up: a new revision and no event, as the registry does.
    pub(super) fn warm(&self) {
        let mut inner = self.lock();
        inner.warming = false;
        inner.revision += 1;
    }

    pub(super) fn set_down(&self, down: bool) {
        self.lock().down = down;
    }

    pub(super) fn set_no_feed(&self, no_feed: bool) {
        self.lock().no_feed = no_feed;
    }

    /// The path and query of every request so far.
    pub(super) fn seen(&self) -> Vec<String> {
        self.lock().seen.clone()
    }

    /// One request, answered as the registry would.
    async fn answer(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let path = request.uri().path().to_owned();
        let query = request.uri().query().map(str::to_owned);
        let (epoch, down) = {
            let mut inner = self.lock();
            let target = request.uri().path_and_query().map(|p| p.to_string());
            inner.seen.push(target.unwrap_or_default());
            (inner.epoch, inner.down)
        };
        if down {
            return Err(TransportError::Connect("connection refused".to_owned()));
        }
        if path == "/v1/services/s" {
            let list = self.list();
            let known = request.headers().get(IF_NONE_MATCH);
            if known.is_some_and(|tag| *tag == list.version().etag()) {
                return Ok(reply(304, &[], ""));
            }
            return Ok(json(200, &list));
        }
        if path != "/v1/services/s/changes" || self.lock().no_feed {
            return Ok(status(404));
        }
        let Ok(query) = WatchQuery::parse_changes(query.as_deref()) else {
            return Ok(status(400));
        };
        if query.epoch != Some(epoch) || query.after > self.lock().revision {
            return Ok(status(410));
        }
        let until = Instant::now() + query.wait;
        loop {
            {
                let inner = self.lock();
                if inner.down || inner.epoch != epoch {
                    // The registry went away under the held request.
                    return Err(TransportError::Io("connection reset".to_owned()));
                }
                if inner.revision > query.after || Instant::now() >= until {
                    let batch = ChangeBatch {
                        epoch,
                        revision: inner.revision,
                        warming: inner.warming,
                        stale: false,
                        events: inner
                            .log
                            .iter()
                            .filter(|e| e.revision > query.after)
                            .cloned()
                            .collect(),
                    };
                    return Ok(json(200, &batch));
                }
            }
            rt::sleep(HOLD_STEP).await;
        }
    }

    fn list(&self) -> InstanceList {
        let inner = self.lock();
        InstanceList {
            service: "s".to_owned(),
            epoch: inner.epoch,
            revision: inner.revision,
            warming: inner.warming,
            stale: false,
            instances: inner.instances.values().cloned().collect(),
        }
    }
}

fn status(code: u16) -> HttpResponse {
    json(
        code,
        &ErrorBody {
            error: format!("status {code}"),
        },
    )
}

impl Transport for Model {
    async fn send(
        &self,
        request: HttpRequest,
        timeout: Duration,
    ) -> Result<HttpResponse, TransportError> {
        rt::timeout(timeout, self.answer(request))
            .await
            .unwrap_or(Err(TransportError::Timeout(timeout)))
    }
}
