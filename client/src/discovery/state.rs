//! What a [`RegistryDiscovery`](super::RegistryDiscovery) knows about its registry,
//! and what a caller gets from it: the rules, with no I/O and no clock of their own
//! (every method is handed `now`), so they are tested step by step.
//!
//! A *source* brings lists in and hands each outcome to [`State::record`]; callers
//! ask [`State::plan`] whether they are served at once, must wait for the source,
//! or fail, and whether a fetch should start. The source is the on-demand poll
//! (`poll`), or a watch that keeps the list current in the background (`watch`),
//! recording into the same state: then no caller starts a fetch, and a caller
//! waits only for the watch's first outcome.

use futures_channel::oneshot;

use super::carry::CarryOver;
use super::{DiscoveryOptions, ListSource};
use crate::error::Error;
use crate::protocol::{Instance, InstanceList, ListVersion};
use crate::rt::Instant;
use crate::select::{SelectMode, Selector};

use super::FAILED_REFRESH_RETRY;

/// What a caller asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Want {
    /// A list to pick from (`get`, `get_all`): served at once while within
    /// `max_stale`, a refresh started in the background when due.
    Serve,
    /// A list younger than the refresh interval (`refresh`): waits for a due fetch.
    Fresh,
    /// A fetch now, whatever the list's age (`force_refresh`).
    Force,
}

/// What the caller does now.
#[derive(Debug)]
pub(super) enum Plan {
    /// Answer now: `Ok` when the list may be served.
    Ready(Result<(), Error>),
    /// Wait for the fetch in flight to be recorded (the sender is dropped then).
    Wait(oneshot::Receiver<()>),
}

/// A fetch to start: the version known, for `If-None-Match`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Fetch {
    pub(super) known: Option<ListVersion>,
}

/// Everything recorded, behind the discovery's one `std` mutex.
#[derive(Debug)]
pub(super) struct State {
    /// The registry's latest list.
    fresh: Vec<Instance>,
    /// Servers kept from before a restart, while the registry warms up.
    carry: CarryOver,
    /// What callers pick from: `fresh` merged with `carry`.
    served: Vec<Instance>,
    selector: Selector,
    version: Option<ListVersion>,
    last_success: Option<Instant>,
    last_failure: Option<Instant>,
    last_error: Option<Error>,
    /// A fetch is running; `waiters` are woken (dropped) when it is recorded.
    in_flight: bool,
    waiters: Vec<oneshot::Sender<()>>,
}

impl State {
    pub(super) fn new(selector: Selector) -> State {
        State {
            fresh: Vec::new(),
            carry: CarryOver::default(),
            served: Vec::new(),
            selector,
            version: None,
            last_success: None,
            last_failure: None,
            last_error: None,
            in_flight: false,
            waiters: Vec::new(),
        }
    }

    /// Decides what a caller wanting `want` does at `now`, and whether a fetch
    /// starts (at most one runs at a time; after a failure the next waits
    /// [`FAILED_REFRESH_RETRY`], capped at the refresh interval).
    pub(super) fn plan(
        &mut self,
        now: Instant,
        options: &DiscoveryOptions,
        want: Want,
    ) -> (Plan, Option<Fetch>) {
        self.expire_carried(now, options);
        match options.source {
            ListSource::Poll => self.plan_poll(now, options, want),
            ListSource::Watch => (self.plan_watched(now, options), None),
        }
    }

    /// In watch mode every list comes from the watch, so whatever `want` is, no
    /// fetch starts: a caller waits for the watch's first outcome (a list or a
    /// failure), and from then on is answered at once from what is recorded (the
    /// list while within `max_stale` of the watch's last answer, else the error).
    fn plan_watched(&mut self, now: Instant, options: &DiscoveryOptions) -> Plan {
        if self.last_success.is_none() && self.last_error.is_none() {
            let (tx, rx) = oneshot::channel();
            self.waiters.push(tx);
            Plan::Wait(rx)
        } else {
            Plan::Ready(self.judge(now, options))
        }
    }

    fn plan_poll(
        &mut self,
        now: Instant,
        options: &DiscoveryOptions,
        want: Want,
    ) -> (Plan, Option<Fetch>) {
        let age = self
            .last_success
            .map(|at| now.saturating_duration_since(at));
        let fresh = age.is_some_and(|age| age < options.refresh);
        let usable = age.is_some_and(|age| age <= options.max_stale);
        let retry_gap = FAILED_REFRESH_RETRY.min(options.refresh);
        let spaced = self
            .last_failure
            .is_none_or(|at| now.saturating_duration_since(at) >= retry_gap);
        let start = !self.in_flight
            && match want {
                Want::Force => true,
                Want::Serve | Want::Fresh => (!fresh || !usable) && spaced,
            };
        let fetch = start.then(|| {
            self.in_flight = true;
            Fetch {
                known: self.version,
            }
        });
        let plan = match want {
            Want::Serve if usable => Plan::Ready(Ok(())),
            Want::Fresh if fresh => Plan::Ready(Ok(())),
            _ if self.in_flight => {
                let (tx, rx) = oneshot::channel();
                self.waiters.push(tx);
                Plan::Wait(rx)
            }
            _ => Plan::Ready(self.judge(now, options)),
        };
        (plan, fetch)
    }

    /// Whether the list may be served at `now`: `Ok` within `max_stale` of the last
    /// success; else the last error, as [`Error::Stale`] once a list had been had.
    pub(super) fn judge(&self, now: Instant, options: &DiscoveryOptions) -> Result<(), Error> {
        let last = || self.last_error.clone().unwrap_or(Error::NoServers);
        match self.last_success {
            None => Err(last()),
            Some(at) if now.saturating_duration_since(at) <= options.max_stale => Ok(()),
            Some(_) => Err(Error::Stale {
                last: Box::new(last()),
            }),
        }
    }

    /// Records a source's outcome (`Ok(None)`: not modified) and returns the
    /// waiters to wake, to be dropped once the lock is released.
    pub(super) fn record(
        &mut self,
        fetched: Result<Option<InstanceList>, Error>,
        now: Instant,
        options: &DiscoveryOptions,
    ) -> Vec<oneshot::Sender<()>> {
        self.in_flight = false;
        match fetched {
            Ok(None) => self.succeeded(now),
            Ok(Some(list)) => self.accept(list, now, options),
            Err(error) => self.failed(error, now),
        }
        std::mem::take(&mut self.waiters)
    }

    /// A new list from the registry, merged with what a restart leaves kept.
    fn accept(&mut self, list: InstanceList, now: Instant, options: &DiscoveryOptions) {
        if list.warming {
            // Whether a server missing from `list` may just not be back yet: on
            // the JSON API, when the list comes from another run (epoch) than the
            // last one; without epochs (the seed protocol) always, since no
            // departure during warm-up can be told from a restart (the list held
            // may itself be from the warm-up of a run that restarted since).
            let maybe_restarted = match self.version {
                Some(known) if known.epoch != 0 && list.epoch != 0 => known.epoch != list.epoch,
                _ => true,
            };
            match self.last_success {
                Some(confirmed) if maybe_restarted => {
                    self.carry.begin(&self.served, confirmed, &list.instances);
                }
                _ => {
                    self.carry.settle(&list.instances);
                }
            }
        } else if self.doubt_empty(&list, now, options) {
            // A registry that does not say it warms up (an older one, the Go seed,
            // or `--warmup 0`) and lost everyone: serve the last list as if it were
            // unreachable, up to `max_stale`, rather than drop to none.
            self.failed(Error::NoServers, now);
            return;
        } else {
            self.carry.clear();
        }
        self.version = Some(list.version());
        self.fresh = list.instances;
        self.served = self.carry.merge(&self.fresh);
        self.succeeded(now);
    }

    /// Whether `list`, not warming, is an empty answer from a registry that
    /// restarted, replacing a list still within `max_stale`. On the JSON API a
    /// restart shows as another epoch, so a service that really drained to nobody
    /// is believed at once; the seed protocol cannot tell, so there any sudden drop
    /// to nobody is doubted. Past `max_stale` an empty registry is believed.
    fn doubt_empty(&self, list: &InstanceList, now: Instant, options: &DiscoveryOptions) -> bool {
        if !list.instances.is_empty() || self.served.is_empty() {
            return false;
        }
        let restarted = match self.version {
            Some(known) if known.epoch != 0 || list.epoch != 0 => known.epoch != list.epoch,
            _ => true,
        };
        restarted
            && self
                .last_success
                .is_some_and(|at| now.saturating_duration_since(at) <= options.max_stale)
    }

    fn succeeded(&mut self, now: Instant) {
        self.last_success = Some(now);
        self.last_failure = None;
        self.last_error = None;
    }

    fn failed(&mut self, error: Error, now: Instant) {
        tracing::warn!(%error, "rpc registry refresh failed");
        self.last_failure = Some(now);
        self.last_error = Some(error);
    }

    /// Drops kept servers older than `max_stale`.
    fn expire_carried(&mut self, now: Instant, options: &DiscoveryOptions) {
        if self.carry.expire(now, options.max_stale) {
            self.served = self.carry.merge(&self.fresh);
        }
    }

    /// Replaces the list by hand: fresh now, no version, nothing kept.
    pub(super) fn set(&mut self, instances: Vec<Instance>, now: Instant) {
        self.carry.clear();
        self.served = instances.clone();
        self.fresh = instances;
        self.version = None;
        self.succeeded(now);
    }

    /// One served instance, picked by `mode`.
    pub(super) fn pick(&mut self, mode: SelectMode) -> Result<Instance, Error> {
        self.selector.pick(mode, &self.served).cloned()
    }

    /// Every served instance.
    pub(super) fn all(&self) -> Vec<Instance> {
        self.served.clone()
    }

    pub(super) fn last_error(&self) -> Option<Error> {
        self.last_error.clone()
    }

    pub(super) fn last_success(&self) -> Option<Instant> {
        self.last_success
    }

    pub(super) fn version(&self) -> Option<ListVersion> {
        self.version
    }

    /// How many served instances are kept from before a restart.
    pub(super) fn carried(&self) -> usize {
        self.carry.len()
    }
}
