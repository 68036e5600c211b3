//! Several registry frontends over one registry ([`Scenario::frontends`]): the
//! store host, which holds the one real [`Registry`] (what an etcd cluster is to
//! rollcall's frontends), and the frontend hosts, each serving the registry's
//! routes on [`REGISTRY_PORT`] of its own address, so clients' links to each can
//! be cut and each can be crashed, hung or restarted on its own.
//!
//! A frontend hands every request to the store host, which answers it with the
//! real [`RegistryService`] and sends the answer back: the registry's clock reads
//! and timers all happen on the store's runtime. (turmoil gives each host a
//! runtime of its own, and a restarted host a new one whose clock starts from
//! another base: deadlines computed on one host's clock mean nothing on
//! another's, so the registry must not be called from several hosts.) A
//! frontend that crashes drops the requests it relayed; the store stops
//! answering them. The store is never faulted: an unreachable store (etcd) is
//! outside what this models.
//!
//! [`Scenario::frontends`]: crate::Scenario::frontends

use std::future::pending;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use rollcall_server::{
    ConnOptions, Handler, HttpConfig, Registry, RegistryConfig, RegistryService, WatchConfig, serve,
};
use tokio::sync::{mpsc, oneshot};

use super::{Factory, HostConfig};
use crate::api::REGISTRY_PORT;
use crate::net::SimListener;
use crate::probes::{ObservedHandler, poll_registry};
use crate::seeds::derive;

type Reply = http::Response<Full<Bytes>>;

/// One relayed request, and where its answer goes.
type Job = (Request<Incoming>, oneshot::Sender<Reply>);

/// Where frontends hand their requests: set by the store host when it starts.
#[derive(Debug, Clone, Default)]
pub(crate) struct StoreSlot(Arc<Mutex<Option<mpsc::UnboundedSender<Job>>>>);

impl StoreSlot {
    fn get(&self) -> Option<mpsc::UnboundedSender<Job>> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set(&self, jobs: mpsc::UnboundedSender<Job>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(jobs);
    }
}

/// The store host: one [`Registry`] (epoch 1, the held requests' jitter seeded from
/// the run's seed), its list polled every tick for the record, answering the
/// requests every frontend relays.
pub(crate) fn store(config: &HostConfig, slot: &StoreSlot) -> Factory {
    let (config, slot) = (config.clone(), slot.clone());
    Box::new(move || {
        let (config, slot) = (config.clone(), slot.clone());
        Box::pin(async move {
            let registry = Registry::new(RegistryConfig {
                default_ttl: config.ttl,
                epoch: Some(1),
                watch: WatchConfig {
                    rng_seed: Some(derive(config.seed, "registry watch")),
                    ..WatchConfig::default()
                },
                ..RegistryConfig::default()
            });
            let observer = config.observer.clone();
            tokio::spawn(poll_registry(
                registry.clone(),
                config.api.service().to_owned(),
                observer.clone(),
                config.poll,
            ));
            let service = RegistryService::new(registry, HttpConfig::default());
            let handler = ObservedHandler::new(service, observer);
            let (jobs, mut queue) = mpsc::unbounded_channel::<Job>();
            slot.set(jobs);
            while let Some((request, mut reply)) = queue.recv().await {
                let handler = handler.clone();
                tokio::spawn(async move {
                    let answer = {
                        let handled = handler.handle(request);
                        // Biased: a fixed polling order keeps runs reproducible.
                        tokio::select! {
                            biased;
                            answer = handled => Some(answer),
                            // The frontend went away (crashed): stop.
                            () = reply.closed() => None,
                        }
                    };
                    if let Some(answer) = answer {
                        let _ = reply.send(answer);
                    }
                });
            }
            Ok(())
        })
    })
}

/// A frontend host: the registry's routes on [`REGISTRY_PORT`], each request
/// answered by the store host.
pub(crate) fn frontend(config: &HostConfig, slot: &StoreSlot) -> Factory {
    let (poll, slot) = (config.poll, slot.clone());
    Box::new(move || {
        let slot = slot.clone();
        Box::pin(async move {
            let jobs = loop {
                match slot.get() {
                    Some(jobs) => break jobs,
                    None => tokio::time::sleep(poll).await,
                }
            };
            let listener = SimListener::bind(REGISTRY_PORT).await?;
            serve(listener, Relay { jobs }, ConnOptions::default(), pending()).await?;
            Ok(())
        })
    })
}

/// A frontend's [`Handler`]: hands the request to the store and answers what it
/// answers; `503` if the store is gone.
#[derive(Debug, Clone)]
struct Relay {
    jobs: mpsc::UnboundedSender<Job>,
}

impl Handler for Relay {
    async fn handle(&self, request: Request<Incoming>) -> Reply {
        let (reply, answer) = oneshot::channel();
        if self.jobs.send((request, reply)).is_ok()
            && let Ok(answer) = answer.await
        {
            return answer;
        }
        let mut unavailable = Reply::new(Full::new(Bytes::from_static(b"store unavailable")));
        *unavailable.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        unavailable
    }
}
