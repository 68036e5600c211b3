//! A scripted registry for the watch tests and those of discovery's watch mode:
//! answers in order, then never, and a record of what was asked when.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::WatchOptions;
use crate::protocol::{ChangeBatch, ChangeEvent, ChangeKind, ErrorBody, Instance, InstanceList};
pub(crate) use crate::registry_client::fake::Answer;
use crate::registry_client::fake::{FakeTransport, json, reply};
use crate::rt::Instant;
use crate::transport::{HttpRequest, HttpResponse};

/// Longer than any test runs: a request that is never answered.
pub(crate) const NEVER: Duration = Duration::from_secs(24 * 3600);

/// A registry that answers from a script, in order, then never; it records when
/// each request came and what it asked for.
#[derive(Clone)]
pub(crate) struct Script {
    answers: Arc<Mutex<VecDeque<Answer>>>,
    seen: Arc<Mutex<Vec<(Instant, String)>>>,
}

impl Script {
    pub(crate) fn new(answers: Vec<Answer>) -> Script {
        Script {
            answers: Arc::new(Mutex::new(answers.into())),
            seen: Arc::default(),
        }
    }

    pub(crate) fn transport(&self) -> FakeTransport {
        let script = self.clone();
        FakeTransport::delayed(move |request: &HttpRequest| {
            let target = request
                .uri()
                .path_and_query()
                .map_or_else(String::new, |p| p.to_string());
            script
                .seen
                .lock()
                .expect("lock")
                .push((Instant::now(), target));
            script
                .answers
                .lock()
                .expect("lock")
                .pop_front()
                .unwrap_or((NEVER, Ok(reply(200, &[], ""))))
        })
    }

    pub(crate) fn targets(&self) -> Vec<String> {
        self.seen
            .lock()
            .expect("lock")
            .iter()
            .map(|(_, t)| t.clone())
            .collect()
    }

    pub(crate) fn times(&self) -> Vec<Instant> {
        self.seen
            .lock()
            .expect("lock")
            .iter()
            .map(|(at, _)| *at)
            .collect()
    }
}

/// `value` as a `200` JSON answer, at once.
pub(crate) fn json_answer(value: &impl serde::Serialize) -> Answer {
    now(json(200, value))
}

pub(crate) fn now(response: HttpResponse) -> Answer {
    (Duration::ZERO, Ok(response))
}

pub(crate) fn list(epoch: u64, revision: u64, addrs: &[&str]) -> Answer {
    now(json(
        200,
        &InstanceList {
            service: "s".to_owned(),
            epoch,
            revision,
            warming: false,
            stale: false,
            instances: addrs.iter().map(|a| Instance::from_addr(*a)).collect(),
        },
    ))
}

pub(crate) fn batch(epoch: u64, revision: u64, events: &[(u64, ChangeKind, &str)]) -> Answer {
    now(json(
        200,
        &ChangeBatch {
            epoch,
            revision,
            warming: false,
            stale: false,
            events: events
                .iter()
                .map(|(r, kind, addr)| ChangeEvent {
                    revision: *r,
                    kind: *kind,
                    instance: Instance::from_addr(*addr),
                })
                .collect(),
        },
    ))
}

pub(crate) fn status(code: u16) -> Answer {
    let body = ErrorBody {
        error: format!("status {code}"),
    };
    now(json(code, &body))
}

/// Options with a fixed seed, so runs replay.
pub(crate) fn options() -> WatchOptions {
    WatchOptions {
        rng_seed: Some(3),
        ..WatchOptions::default()
    }
}
