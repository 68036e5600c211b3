//! Fault plans, written the way they read:
//! `Plan::new().at(secs(30)).crash("server-2").at(secs(60)).restart("server-2")`.

use std::fmt;
use std::time::Duration;

use crate::api::REGISTRY;
use crate::fault::Fault;

/// A schedule of faults over simulated time.
///
/// [`at`](Plan::at) (or [`after`](Plan::after)) moves a cursor; each fault is
/// scheduled at the cursor. Faults at the same time apply in the order written,
/// before the step that starts at that time. Host names are the scenario's:
/// [`REGISTRY`], `server-1`.., `client-1`.., or your own.
///
/// ```
/// use rollcall_sim::{Plan, REGISTRY, secs};
///
/// let plan = Plan::new()
///     .at(secs(30)).crash("server-2")
///     .at(secs(60)).restart("server-2")
///     .at(secs(70)).partition("client-1", REGISTRY)
///     .after(secs(20)).heal("client-1", REGISTRY)
///     .at(secs(100)).hang("server-1")
///     .after(secs(5)).resume("server-1")
///     .at(secs(120)).loss(0.002, secs(30))
///     .at(secs(150)).registry_restart(secs(3));
/// assert_eq!(plan.faults().len(), 10);
/// assert_eq!(plan.to_string().lines().next(), Some("30s crash server-2"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    faults: Vec<(Duration, Fault)>,
    cursor: Duration,
}

impl Plan {
    /// An empty plan, its cursor at time zero.
    pub fn new() -> Plan {
        Plan::default()
    }

    /// Moves the cursor to `at` (simulated time since the start of the run).
    pub fn at(mut self, at: Duration) -> Plan {
        self.cursor = at;
        self
    }

    /// Moves the cursor `span` later.
    pub fn after(mut self, span: Duration) -> Plan {
        self.cursor += span;
        self
    }

    /// Schedules `fault` at the cursor.
    pub fn then(mut self, fault: Fault) -> Plan {
        self.faults.push((self.cursor, fault));
        self
    }

    /// Crashes `host`: its software and state are gone until a restart.
    pub fn crash(self, host: &str) -> Plan {
        self.then(Fault::Crash(host.to_owned()))
    }

    /// Starts `host`'s software again, from scratch.
    pub fn restart(self, host: &str) -> Plan {
        self.then(Fault::Restart(host.to_owned()))
    }

    /// Cuts the link between `a` and `b` (a server and [`REGISTRY`], a client and
    /// a server, ..).
    pub fn partition(self, a: &str, b: &str) -> Plan {
        self.then(Fault::Partition(a.to_owned(), b.to_owned()))
    }

    /// Restores the link between `a` and `b`.
    pub fn heal(self, a: &str, b: &str) -> Plan {
        self.then(Fault::Heal(a.to_owned(), b.to_owned()))
    }

    /// Hangs `host`: its connections stay open, nothing reaches it or leaves it.
    pub fn hang(self, host: &str) -> Plan {
        self.then(Fault::Hang(host.to_owned()))
    }

    /// Ends `host`'s hang: what it was sent arrives at once.
    pub fn resume(self, host: &str) -> Plan {
        self.then(Fault::Resume(host.to_owned()))
    }

    /// Holds the messages between `a` and `b` (say, a server and each of its
    /// callers, while its heartbeats still flow: a server that stopped answering
    /// requests but not the registry).
    pub fn hold(self, a: &str, b: &str) -> Plan {
        self.then(Fault::Hold(a.to_owned(), b.to_owned()))
    }

    /// Releases the messages held between `a` and `b`.
    pub fn release(self, a: &str, b: &str) -> Plan {
        self.then(Fault::Release(a.to_owned(), b.to_owned()))
    }

    /// Random loss at `fail_rate` per message for `span`, from the cursor.
    pub fn loss(self, fail_rate: f64, span: Duration) -> Plan {
        let end = self.cursor + span;
        let at = self.cursor;
        self.then(Fault::Loss(fail_rate))
            .at(end)
            .then(Fault::LossEnds)
            .at(at)
    }

    /// Latency up to `max` on every link for `span`, from the cursor.
    pub fn latency_spike(self, max: Duration, span: Duration) -> Plan {
        let end = self.cursor + span;
        let at = self.cursor;
        self.then(Fault::LatencySpike(max))
            .at(end)
            .then(Fault::LatencyEnds)
            .at(at)
    }

    /// Crashes the registry at the cursor and restarts it, empty, `down` later.
    pub fn registry_restart(self, down: Duration) -> Plan {
        let at = self.cursor;
        self.crash(REGISTRY).after(down).restart(REGISTRY).at(at)
    }

    /// Adds every fault of `other` (keeping this plan's cursor).
    pub fn merge(mut self, other: &Plan) -> Plan {
        self.faults.extend(other.faults.iter().cloned());
        self
    }

    /// The faults in the order they apply: by time, then as written.
    pub fn faults(&self) -> Vec<(Duration, Fault)> {
        let mut faults = self.faults.clone();
        faults.sort_by_key(|(at, _)| *at);
        faults
    }

    /// Whether the plan has no fault.
    pub fn is_empty(&self) -> bool {
        self.faults.is_empty()
    }

    /// The highest latency a spike of this plan reaches, if any.
    pub fn max_latency(&self) -> Option<Duration> {
        self.faults
            .iter()
            .filter_map(|(_, fault)| match fault {
                Fault::LatencySpike(max) => Some(*max),
                _ => None,
            })
            .max()
    }
}

/// One fault a line: `30s crash server-2`.
impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (at, fault) in self.faults() {
            writeln!(f, "{at:?} {fault}")?;
        }
        Ok(())
    }
}
