//! The faults a simulation can inject, and how they reach turmoil's network.
//!
//! Link faults nest: a link is cut if partitioned, else held if either end hangs
//! or the link itself is held, else healthy. [`Links`] keeps what each fault asked
//! for and what was applied, so healing a partition of a hung host leaves it hung,
//! and a crash (which cuts a host off for an instant) puts every link back as it
//! was.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

use crate::event::Event;
use crate::network::Network;
use crate::observer::Observer;
use crate::timing::pair;

/// One fault (or the end of one), applied at a point of simulated time by a
/// [`Plan`](crate::Plan) or at once by [`Run::apply`](crate::Run::apply).
///
/// Host names are those of the scenario: `registry`, `server-1`.., `client-1`..,
/// or your own.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Fault {
    /// The host loses power: its software and state are gone, its connections die
    /// without a word to the peers.
    Crash(String),
    /// The host's software starts again from scratch (after a crash, or as a
    /// restart of a running host).
    Restart(String),
    /// Messages between the two hosts are dropped, both ways.
    Partition(String, String),
    /// Ends a partition between the two hosts.
    Heal(String, String),
    /// Every message to and from the host waits undelivered: a hung process, whose
    /// connections stay open and unanswered (turmoil's `hold`).
    Hang(String),
    /// Ends a hang: the held messages arrive at once.
    Resume(String),
    /// Messages between the two hosts wait undelivered, both ways.
    Hold(String, String),
    /// Ends a hold between the two hosts: the held messages arrive at once.
    Release(String, String),
    /// Random loss: each message breaks its link with this probability (see
    /// [`Network`] for what a broken link does).
    Loss(f64),
    /// Loss back to the network's own [`Network::fail_rate`]. When that is zero,
    /// the links the loss broke are mended at once (what they dropped stays lost,
    /// so connections that lost a segment are still dead): the network is healthy
    /// again, rather than each broken link waiting for a message to repair it.
    LossEnds,
    /// Every link's latency may now reach this much.
    LatencySpike(Duration),
    /// Latency back to the network's own [`Network::max_latency`].
    LatencyEnds,
}

impl Fault {
    /// The hosts the fault names.
    pub fn hosts(&self) -> Vec<&str> {
        match self {
            Fault::Crash(h) | Fault::Restart(h) | Fault::Hang(h) | Fault::Resume(h) => vec![h],
            Fault::Partition(a, b)
            | Fault::Heal(a, b)
            | Fault::Hold(a, b)
            | Fault::Release(a, b) => vec![a, b],
            Fault::Loss(_) | Fault::LossEnds | Fault::LatencySpike(_) | Fault::LatencyEnds => {
                Vec::new()
            }
        }
    }
}

/// `crash server-2`, `partition client-1 / registry`, `loss 0.002`.
impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Crash(h) => write!(f, "crash {h}"),
            Fault::Restart(h) => write!(f, "restart {h}"),
            Fault::Partition(a, b) => write!(f, "partition {a} / {b}"),
            Fault::Heal(a, b) => write!(f, "heal {a} / {b}"),
            Fault::Hang(h) => write!(f, "hang {h}"),
            Fault::Resume(h) => write!(f, "resume {h}"),
            Fault::Hold(a, b) => write!(f, "hold {a} / {b}"),
            Fault::Release(a, b) => write!(f, "release {a} / {b}"),
            Fault::Loss(rate) => write!(f, "loss {rate}"),
            Fault::LossEnds => write!(f, "loss ends"),
            Fault::LatencySpike(max) => write!(f, "latency up to {max:?}"),
            Fault::LatencyEnds => write!(f, "latency back to normal"),
        }
    }
}

/// What a link is, or should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum LinkState {
    #[default]
    Healthy,
    Held,
    Cut,
}

/// The link faults in force, and the state applied to each link of turmoil's.
#[derive(Debug, Default)]
pub(crate) struct Links {
    cut: BTreeSet<(String, String)>,
    held: BTreeSet<(String, String)>,
    hung: BTreeSet<String>,
    applied: BTreeMap<(String, String), LinkState>,
}

/// What applying a fault needs: the simulation, the run's record and hosts.
pub(crate) struct Target<'a> {
    pub sim: &'a mut turmoil::Sim<'static>,
    pub observer: &'a Observer,
    pub hosts: &'a [String],
    pub network: &'a Network,
}

impl Links {
    /// Applies `fault` now, recording it. An unknown host is refused before
    /// anything changes (turmoil would panic).
    pub(crate) fn apply(&mut self, target: Target<'_>, fault: &Fault) -> Result<(), String> {
        if let Some(unknown) = fault
            .hosts()
            .into_iter()
            .find(|h| !target.hosts.iter().any(|k| k == h))
        {
            return Err(format!(
                "{fault}: no host is named {unknown:?} in this scenario"
            ));
        }
        let now = target.sim.elapsed();
        let record = |event| target.observer.record_at(now, event);
        let two = |a: &str, b: &str| (a.to_owned(), b.to_owned());
        match fault {
            Fault::Crash(host) => {
                record(Event::Crashed { host: host.clone() });
                let (sim, hosts) = (target.sim, target.hosts);
                target.observer.muted(|| self.crash(sim, hosts, host));
            }
            Fault::Restart(host) => {
                target.sim.bounce(host.as_str());
                record(Event::Started { host: host.clone() });
            }
            Fault::Partition(a, b) => {
                let (a, b) = two(a, b);
                record(Event::Partitioned {
                    a: a.clone(),
                    b: b.clone(),
                });
                self.cut.insert(pair(&a, &b));
                self.sync(target.sim, &a, &b);
            }
            Fault::Heal(a, b) => {
                let (a, b) = two(a, b);
                record(Event::Repaired {
                    a: a.clone(),
                    b: b.clone(),
                });
                self.cut.remove(&pair(&a, &b));
                self.sync(target.sim, &a, &b);
            }
            Fault::Hold(a, b) => {
                let (a, b) = two(a, b);
                record(Event::Held {
                    a: a.clone(),
                    b: b.clone(),
                });
                self.held.insert(pair(&a, &b));
                self.sync(target.sim, &a, &b);
            }
            Fault::Release(a, b) => {
                let (a, b) = two(a, b);
                record(Event::Released {
                    a: a.clone(),
                    b: b.clone(),
                });
                self.held.remove(&pair(&a, &b));
                self.sync(target.sim, &a, &b);
            }
            Fault::Hang(host) | Fault::Resume(host) => {
                if matches!(fault, Fault::Hang(_)) {
                    record(Event::Hung { host: host.clone() });
                    self.hung.insert(host.clone());
                } else {
                    record(Event::Resumed { host: host.clone() });
                    self.hung.remove(host);
                }
                for other in target.hosts.iter().filter(|o| *o != host) {
                    self.sync(target.sim, host, other);
                }
            }
            Fault::Loss(rate) => set_loss(target.sim, *rate, record),
            Fault::LossEnds => {
                set_loss(target.sim, target.network.fail_rate, record);
                if target.network.fail_rate == 0.0 {
                    self.mend(target.sim, target.hosts);
                }
            }
            Fault::LatencySpike(max) => set_latency(target.sim, *max, record),
            Fault::LatencyEnds => set_latency(target.sim, target.network.max_latency, record),
        }
        Ok(())
    }

    /// Like a machine losing power, the crash tells no peer: the host is cut off
    /// while turmoil drops its software, so the FINs its sockets send on drop are
    /// lost. That also keeps the run deterministic: tokio drops a runtime's tasks
    /// in an order that depends on process-global task ids (its task list is
    /// sharded by id), and each FIN sent would draw from the simulation's RNG in
    /// that order. Dropped on a cut link, each draws the same (or nothing).
    fn crash(&mut self, sim: &mut turmoil::Sim<'static>, hosts: &[String], host: &str) {
        let intact: Vec<&String> = hosts
            .iter()
            .filter(|other| *other != host && self.state(host, other) != LinkState::Cut)
            .collect();
        for other in &intact {
            sim.partition(host, other.as_str());
            self.applied.insert(pair(host, other), LinkState::Cut);
        }
        sim.crash(host);
        for other in intact {
            self.sync(sim, host, other);
        }
    }

    /// Mends every link that no fault cuts or holds: turmoil keeps a link that
    /// random loss broke broken until a message happens to repair it.
    fn mend(&self, sim: &mut turmoil::Sim<'static>, hosts: &[String]) {
        for (i, a) in hosts.iter().enumerate() {
            for b in &hosts[i + 1..] {
                if self.desired(a, b) == LinkState::Healthy
                    && self.state(a, b) == LinkState::Healthy
                {
                    sim.repair(a.as_str(), b.as_str());
                }
            }
        }
    }

    /// The state applied to the link between `a` and `b`.
    fn state(&self, a: &str, b: &str) -> LinkState {
        self.applied.get(&pair(a, b)).copied().unwrap_or_default()
    }

    /// The state the faults in force ask of the link between `a` and `b`.
    fn desired(&self, a: &str, b: &str) -> LinkState {
        let link = pair(a, b);
        if self.cut.contains(&link) {
            LinkState::Cut
        } else if self.held.contains(&link) || self.hung.contains(a) || self.hung.contains(b) {
            LinkState::Held
        } else {
            LinkState::Healthy
        }
    }

    /// Brings turmoil's link between `a` and `b` to the desired state.
    fn sync(&mut self, sim: &mut turmoil::Sim<'static>, a: &str, b: &str) {
        let (from, to) = (self.state(a, b), self.desired(a, b));
        match (from, to) {
            _ if from == to => return,
            (_, LinkState::Cut) => sim.partition(a, b),
            (LinkState::Healthy, LinkState::Held) => sim.hold(a, b),
            (LinkState::Cut, LinkState::Held) => {
                sim.repair(a, b);
                sim.hold(a, b);
            }
            (LinkState::Held, LinkState::Healthy) => sim.release(a, b),
            (LinkState::Cut, LinkState::Healthy) => sim.repair(a, b),
            (LinkState::Healthy | LinkState::Held, _) => {}
        }
        self.applied.insert(pair(a, b), to);
    }
}

fn set_loss(sim: &mut turmoil::Sim<'static>, rate: f64, record: impl Fn(Event)) {
    sim.set_fail_rate(rate);
    // Rounded to whole parts per million so the event (and the trace) is exact.
    let per_million = (rate.clamp(0.0, 1.0) * 1e6).round() as u32;
    record(Event::Loss { per_million });
}

fn set_latency(sim: &mut turmoil::Sim<'static>, max: Duration, record: impl Fn(Event)) {
    sim.set_max_message_latency(max);
    record(Event::Latency { max });
}
