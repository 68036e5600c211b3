//! Keeping the fleet current. The page holds one request open: a watch of the
//! service index, which answers after any change with every service's revision.
//! Services whose revision moved are caught up with one short request each (their
//! changes since what the page holds, or their list), a few at a time
//! ([`Jobs`](crate::jobs::Jobs)); leases are read only for services unfolded on
//! screen. Nothing is polled on a timer.

use std::rc::Rc;
use std::time::Duration;

use futures_util::StreamExt;
use rollcall_client::rt;
use rollcall_client::transport::FetchTransport;
use rollcall_client::{
    DEFAULT_WATCH_BACKOFF_MAX, Error, IndexEvent, RegistryClient, RegistryEndpoint,
};
use rollcall_protocol::{DEFAULT_SERVICE, ServiceIndex, Token};

use super::App;
use super::dom::{time_of_day, wall_ms};
use crate::fleet::Fetch;
use crate::jobs::Job;
use crate::status::Status;

impl App {
    /// Follows the index of the current registry until the registry changes.
    ///
    /// After a failure the watch starts over (after a backoff): its first request
    /// is then a plain read of the index, answered at once, so the page knows the
    /// registry is back as soon as it is, not at the end of a held request.
    pub(super) async fn watch_index(self: Rc<Self>, generation: u64) {
        let mut failures: u32 = 0;
        loop {
            let mut stream = match self
                .client(DEFAULT_SERVICE)
                .and_then(|c| c.watch_services())
            {
                Ok(stream) => stream,
                Err(e) => return self.failed(e.to_string()),
            };
            while let Some(event) = stream.next().await {
                if self.generation.get() != generation {
                    return;
                }
                match event {
                    IndexEvent::Index(index) => {
                        failures = 0;
                        self.took_index(&index);
                    }
                    IndexEvent::Unchanged(version) => {
                        failures = 0;
                        self.heard(version.warming);
                    }
                    IndexEvent::Failed { error, retry_in } => {
                        failures = failures.saturating_add(1);
                        self.failed(error.to_string());
                        rt::sleep(backoff(retry_in, failures)).await;
                        break;
                    }
                }
            }
            if self.generation.get() != generation {
                return;
            }
        }
    }

    /// A new index: new and gone services, and those to catch up.
    fn took_index(self: &Rc<Self>, index: &ServiceIndex) {
        let now = wall_ms();
        let first = self.fleet.borrow().services().next().is_none();
        let update = self.fleet.borrow_mut().apply_index(index, now);
        {
            let mut options = self.options.borrow_mut();
            // A registry of one service (the seed's) shows it unfolded.
            if first && index.services.len() == 1 {
                options.open.insert(index.services[0].service.clone());
            }
            let mut jobs = self.jobs.borrow_mut();
            for name in &update.behind {
                jobs.push(Job::Instances(name.clone()), options.open.contains(name));
            }
        }
        {
            let mut dirty = self.dirty.borrow_mut();
            for name in update
                .added
                .iter()
                .chain(&update.removed)
                .chain(&update.behind)
            {
                dirty.services.entry(name.clone()).or_default();
            }
        }
        self.heard(index.warming);
    }

    /// The registry answered: the page is live, and what failed meanwhile runs again.
    fn heard(self: &Rc<Self>, warming: bool) {
        let now = wall_ms();
        let mut status = self.status.borrow_mut();
        status.heard(now, time_of_day(now), warming);
        self.note_frontend(&mut status);
        drop(status);
        self.jobs.borrow_mut().unpark();
        self.dirty.borrow_mut().status = true;
        self.schedule();
        self.pump();
    }

    /// A request failed: the page says so at once and keeps what it shows.
    pub(super) fn failed(self: &Rc<Self>, error: String) {
        let mut status = self.status.borrow_mut();
        status.failed(error);
        self.note_frontend(&mut status);
        drop(status);
        self.dirty.borrow_mut().status = true;
        self.schedule();
    }

    /// The status line names the frontend the page talks to now (with several,
    /// the one that answered last).
    fn note_frontend(&self, status: &mut Status) {
        if let Some(client) = self.registry.borrow().as_ref() {
            client.frontend().clone_into(&mut status.registry);
        }
    }

    /// Starts queued jobs while fewer than the limit run.
    pub(super) fn pump(self: &Rc<Self>) {
        loop {
            let Some(job) = self.jobs.borrow_mut().start_next() else {
                return;
            };
            let app = Rc::clone(self);
            let generation = self.generation.get();
            rt::spawn(async move {
                let outcome = app.run(&job).await;
                if app.generation.get() != generation {
                    return; // another registry meanwhile: the answer is not for this page
                }
                let failed = match outcome {
                    Ok(()) => false,
                    // Refused (a service gone between the index and this fetch,
                    // a token that may not read it): not an outage; the next
                    // index says what became of it.
                    Err(e) if e.status().is_some_and(|s| (400..500).contains(&s)) => {
                        super::dom::log_error(&e.to_string().into());
                        false
                    }
                    Err(e) => {
                        app.failed(e.to_string());
                        true
                    }
                };
                app.jobs.borrow_mut().finish(&job, failed);
                app.pump();
            });
        }
    }

    /// One job: a request, and its answer applied to the fleet.
    async fn run(self: &Rc<Self>, job: &Job) -> Result<(), Error> {
        match job {
            Job::Instances(name) => self.catch_up(name).await,
            Job::Leases(name) => {
                let leases = self.client(name)?.leases().await?;
                self.fleet.borrow_mut().apply_leases(&leases, wall_ms());
                self.dirty
                    .borrow_mut()
                    .services
                    .entry(name.clone())
                    .or_default();
                self.schedule();
                Ok(())
            }
        }
    }

    /// Brings `name` up to date: its changes since what is held, or its list.
    async fn catch_up(self: &Rc<Self>, name: &str) -> Result<(), Error> {
        let fetch = self.fleet.borrow().next_fetch(name);
        let client = self.client(name)?;
        let changes = match fetch {
            None => return Ok(()),
            Some(Fetch::ChangesSince(held)) => match client.changes_since(held).await? {
                Some(batch) => self
                    .fleet
                    .borrow_mut()
                    .apply_changes(name, &batch, wall_ms()),
                None => {
                    // The feed cannot go on from there: list it instead.
                    self.fleet.borrow_mut().relist(name);
                    self.jobs
                        .borrow_mut()
                        .push(Job::Instances(name.to_owned()), true);
                    return Ok(());
                }
            },
            Some(Fetch::List) => match client.list(None).await? {
                Some(list) => {
                    let changes = self.fleet.borrow_mut().apply_list(list, wall_ms());
                    let open = self.options.borrow().open.contains(name);
                    if open {
                        // Listed instances come without leases.
                        self.jobs
                            .borrow_mut()
                            .push(Job::Leases(name.to_owned()), true);
                    }
                    changes
                }
                None => return Ok(()), // 304 cannot answer a list without a version
            },
        };
        let mut dirty = self.dirty.borrow_mut();
        let rows = dirty.services.entry(name.to_owned()).or_default();
        rows.extend(changes.into_iter().map(|(addr, _)| addr));
        drop(dirty);
        self.schedule();
        Ok(())
    }

    /// A client of the JSON API for `service` of the registry in use. It shares
    /// what the page learnt about the frontends: after one is found down, every
    /// request starts at another. An error when no usable registry URL was given.
    pub(super) fn client(&self, service: &str) -> Result<RegistryClient<FetchTransport>, Error> {
        match self.registry.borrow().as_ref() {
            Some(client) => Ok(client.for_service(service)),
            None => Err(Error::InvalidUrl("no registry URL given".to_owned())),
        }
    }
}

/// The wait before starting the watch again after `failures` failures in a row:
/// the stream's own jittered first retry, doubled per failure, capped.
fn backoff(retry_in: Duration, failures: u32) -> Duration {
    let doubled = retry_in.saturating_mul(1 << failures.saturating_sub(1).min(16));
    doubled.min(DEFAULT_WATCH_BACKOFF_MAX)
}

/// A client of the JSON API of the registry at `registries` (its frontends), for
/// the default service, sending `token` if there is one.
pub fn registry_client(
    registries: &[String],
    token: Option<&Token>,
    transport: &FetchTransport,
) -> Result<RegistryClient<FetchTransport>, Error> {
    let endpoint = RegistryEndpoint::json_many(registries, DEFAULT_SERVICE)?;
    let client = RegistryClient::new(transport.clone(), endpoint);
    Ok(match token {
        Some(token) => client.with_token(token.clone()),
        None => client,
    })
}
