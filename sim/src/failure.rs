//! A failed run, and everything needed to reproduce it.

use std::fmt;
use std::time::Duration;

/// A failed run: which scenario and seed, when (in simulated time), what broke,
/// the last events before it, the fault plan, and the command that replays it.
///
/// A test returning `Result<(), Failure>` prints it in full when it fails. Small
/// to pass around (one pointer), as errors should be.
#[derive(Clone, PartialEq, Eq)]
pub struct Failure(Box<Details>);

#[derive(Clone, PartialEq, Eq)]
struct Details {
    scenario: String,
    seed: u64,
    trace: u64,
    at: Duration,
    what: String,
    tail: String,
    plan: String,
    replay: String,
}

/// Everything a failure reports, to build one.
pub(crate) struct Report {
    pub scenario: String,
    pub seed: u64,
    pub trace: u64,
    pub at: Duration,
    pub what: String,
    pub tail: String,
    pub plan: String,
    pub replay: String,
}

impl From<Report> for Failure {
    fn from(r: Report) -> Failure {
        Failure(Box::new(Details {
            scenario: r.scenario,
            seed: r.seed,
            trace: r.trace,
            at: r.at,
            what: r.what,
            tail: r.tail,
            plan: r.plan,
            replay: r.replay,
        }))
    }
}

impl Failure {
    /// The scenario's name.
    pub fn scenario(&self) -> &str {
        &self.0.scenario
    }

    /// The run's seed.
    pub fn seed(&self) -> u64 {
        self.0.seed
    }

    /// The trace hash when it failed: a replay that fails the same way has the
    /// same.
    pub fn trace(&self) -> u64 {
        self.0.trace
    }

    /// Simulated time of the failure.
    pub fn at(&self) -> Duration {
        self.0.at
    }

    /// What broke: the check's name and reason, or the host's error.
    pub fn what(&self) -> &str {
        &self.0.what
    }

    /// The last records before the failure (all of them with `SIM_TRACE=1`), one
    /// a line.
    pub fn tail(&self) -> &str {
        &self.0.tail
    }

    /// The run's fault plan, one fault a line (empty without one).
    pub fn plan(&self) -> &str {
        &self.0.plan
    }

    /// The one-line command that runs this seed again.
    pub fn replay(&self) -> &str {
        &self.0.replay
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.0;
        writeln!(
            f,
            "{} seed={} trace={:016x} failed at simulated {:?}: {}",
            d.scenario, d.seed, d.trace, d.at, d.what
        )?;
        writeln!(f, "last events:\n{}", d.tail)?;
        if !d.plan.is_empty() {
            writeln!(f, "fault plan:\n{}", d.plan)?;
        }
        write!(f, "replay: {}", d.replay)
    }
}

/// Shown in full: a test returning `Err(Failure)` prints its `Debug`.
impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Failure {}
