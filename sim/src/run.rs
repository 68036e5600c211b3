//! One simulation in progress: steps, applies the plan's faults when they are due,
//! and runs every check after every step.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use crate::check::ArmedCheck;
use crate::event::Record;
use crate::failure::{Failure, Report};
use crate::fault::{Fault, Links, Target};
use crate::network::Network;
use crate::observer::Observer;
use crate::plan::Plan;
use crate::seeds;
use crate::timing::Timing;
use crate::world::World;

/// How many records a failure report shows: enough for the lead-up to a broken
/// invariant (a call and its retries, a refresh, a beat), short enough to read.
/// `SIM_TRACE=1` shows them all.
pub const REPORT_TAIL: usize = 20;

/// One run of a [`Scenario`](crate::Scenario) with one seed, from
/// [`Scenario::start`](crate::Scenario::start).
///
/// Drive it with [`until`](Run::until) or [`run_for`](Run::run_for); inject faults
/// on the spot with [`apply`](Run::apply) (or the shorthands) besides the plan's;
/// read [`records`](Run::records) for assertions of your own; end it with
/// [`finish`](Run::finish), which prints `seed=<n> trace=<hash>`.
pub struct Run {
    pub(crate) sim: turmoil::Sim<'static>,
    pub(crate) observer: Observer,
    pub(crate) world: World,
    pub(crate) links: Links,
    pub(crate) hosts: Vec<String>,
    pub(crate) pending: VecDeque<(Duration, Fault)>,
    pub(crate) checks: Vec<ArmedCheck>,
    pub(crate) name: String,
    pub(crate) seed: u64,
    pub(crate) network: Network,
    pub(crate) plan: Plan,
    /// Why the scenario cannot run (a host named twice, a plan naming none):
    /// the first step fails with it.
    pub(crate) broken: Option<String>,
}

impl fmt::Debug for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Run")
            .field("scenario", &self.name)
            .field("seed", &self.seed)
            .field("elapsed", &self.sim.elapsed())
            .finish()
    }
}

impl Run {
    /// The run's seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Simulated time so far.
    pub fn now(&self) -> Duration {
        self.sim.elapsed()
    }

    /// Every record so far (up to the last step).
    pub fn records(&self) -> &[Record] {
        self.world.records()
    }

    /// The state the checks see.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The time constants the checks use.
    pub fn timing(&self) -> &Timing {
        self.world.timing()
    }

    /// The run's fault plan (the scenario's, plus the random one its seed drew).
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Steps the simulation until `at`, checking every invariant after each step.
    pub fn until(&mut self, at: Duration) -> Result<(), Failure> {
        while self.sim.elapsed() < at {
            self.step()?;
        }
        Ok(())
    }

    /// Steps the simulation for `span` more.
    pub fn run_for(&mut self, span: Duration) -> Result<(), Failure> {
        self.until(self.now() + span)
    }

    /// One step (one tick): the plan's faults due by now, then every host and the
    /// network, then every check.
    pub fn step(&mut self) -> Result<(), Failure> {
        if let Some(broken) = &self.broken {
            return Err(self.fail(broken.clone()));
        }
        while let Some((at, _)) = self.pending.front()
            && *at <= self.sim.elapsed()
        {
            if let Some((_, fault)) = self.pending.pop_front() {
                self.apply(fault)?;
            }
        }
        let stepped = self.sim.step();
        let now = self.sim.elapsed();
        self.world.advance(self.observer.take(), now);
        if let Err(error) = stepped {
            return Err(self.fail(format!("a host failed: {error}")));
        }
        let world = &self.world;
        if let Some(why) = self.checks.iter_mut().find_map(|c| c.run(world).err()) {
            return Err(self.fail(why));
        }
        self.world.checked();
        Ok(())
    }

    /// Applies `fault` now (recorded, like the plan's).
    pub fn apply(&mut self, fault: Fault) -> Result<(), Failure> {
        let target = Target {
            sim: &mut self.sim,
            observer: &self.observer,
            hosts: &self.hosts,
            network: &self.network,
        };
        self.links
            .apply(target, &fault)
            .map_err(|why| self.fail(why))
    }

    /// Crashes `host` now: see [`Fault::Crash`].
    pub fn crash(&mut self, host: &str) -> Result<(), Failure> {
        self.apply(Fault::Crash(host.to_owned()))
    }

    /// Starts `host`'s software again now: see [`Fault::Restart`].
    pub fn restart(&mut self, host: &str) -> Result<(), Failure> {
        self.apply(Fault::Restart(host.to_owned()))
    }

    /// Cuts the link between `a` and `b` now.
    pub fn partition(&mut self, a: &str, b: &str) -> Result<(), Failure> {
        self.apply(Fault::Partition(a.to_owned(), b.to_owned()))
    }

    /// Restores the link between `a` and `b` now.
    pub fn heal(&mut self, a: &str, b: &str) -> Result<(), Failure> {
        self.apply(Fault::Heal(a.to_owned(), b.to_owned()))
    }

    /// Hangs `host` now: see [`Fault::Hang`].
    pub fn hang(&mut self, host: &str) -> Result<(), Failure> {
        self.apply(Fault::Hang(host.to_owned()))
    }

    /// Ends `host`'s hang now.
    pub fn resume(&mut self, host: &str) -> Result<(), Failure> {
        self.apply(Fault::Resume(host.to_owned()))
    }

    /// A failure of this run now, for a scenario's own assertions.
    pub fn fail(&self, what: impl Into<String>) -> Failure {
        let records = self.world.records();
        let from = if seeds::print_records() {
            0
        } else {
            records.len().saturating_sub(REPORT_TAIL)
        };
        Failure::from(Report {
            scenario: self.name.clone(),
            seed: self.seed,
            trace: self.observer.trace_hash(),
            at: self.now(),
            what: what.into(),
            tail: records[from..].iter().map(|r| format!("  {r}\n")).collect(),
            plan: self.plan.to_string(),
            replay: seeds::replay_command(&self.name, self.seed),
        })
    }

    /// The trace hash so far: FNV-1a over every record's text.
    pub fn trace_hash(&self) -> u64 {
        self.observer.trace_hash()
    }

    /// Ends the run: prints `seed=<n> trace=<hash>` (and every record before it
    /// with `SIM_TRACE=1`) and returns the hash.
    pub fn finish(self) -> u64 {
        let hash = self.observer.trace_hash();
        if seeds::print_records() {
            let all: String = self.records().iter().map(|r| format!("{r}\n")).collect();
            seeds::print_raw(&all);
        }
        seeds::report_trace(self.seed, hash);
        hash
    }
}
