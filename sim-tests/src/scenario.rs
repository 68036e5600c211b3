//! The driver of one simulation: builds the hosts from a [`Setup`], steps the
//! simulation, applies the scenario's faults, and checks the invariants after every
//! step.

use std::collections::BTreeSet;
use std::fmt;
use std::time::{Duration, UNIX_EPOCH};

use crate::hosts::{self, HostConfig, REGISTRY};
use crate::invariants::Model;
use crate::observer::{Event, Observer, Record};
use crate::seeds;
use crate::setup::{Setup, Timing, pair};

/// Segments a simulated socket buffers before turmoil panics (its default is 64):
/// a registry with 100 servers and 10 clients starting at once takes more.
const TCP_CAPACITY: usize = 4096;

/// A failed run: which seed, when, what, the last events, and how to replay it.
pub struct Failure {
    pub scenario: &'static str,
    pub seed: u64,
    pub at: Duration,
    pub what: String,
    pub tail: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} seed={} failed at simulated {:?}: {}",
            self.scenario, self.seed, self.at, self.what
        )?;
        writeln!(f, "last events:\n{}", self.tail)?;
        write!(
            f,
            "replay: {}",
            seeds::replay_line(self.scenario, self.seed)
        )
    }
}

/// Shown in full: a test returning `Err(Failure)` prints its `Debug`.
impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// One simulation in progress.
pub struct Run {
    sim: turmoil::Sim<'static>,
    observer: Observer,
    model: Model,
    setup: Setup,
    seed: u64,
    /// Links the scenario has cut, as sorted pairs.
    cut: BTreeSet<(String, String)>,
}

impl fmt::Debug for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Run")
            .field("scenario", &self.setup.name)
            .field("seed", &self.seed)
            .field("elapsed", &self.sim.elapsed())
            .finish()
    }
}

impl Run {
    /// Builds the registry, servers and clients of `setup`, all started at time 0.
    pub fn start(setup: &Setup, seed: u64) -> Run {
        let observer = Observer::new();
        let mut builder = turmoil::Builder::new();
        builder
            .rng_seed(seed)
            .epoch(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
            .tick_duration(setup.tick)
            .simulation_duration(setup.duration * 2)
            .min_message_latency(setup.min_latency)
            .max_message_latency(setup.max_latency)
            .tcp_capacity(TCP_CAPACITY)
            .fail_rate(setup.fail_rate)
            .repair_rate(setup.repair_rate);
        let mut sim = builder.build();
        let config = HostConfig {
            seed,
            ttl: setup.ttl,
            poll: setup.tick,
            heartbeat: setup.heartbeat.clone(),
            discovery: setup.discovery.clone(),
            sample: setup.tick,
            call_every: setup.call_every,
            call_deadline: setup.call_deadline,
        };
        let servers = setup.server_names();
        let clients = setup.client_names();
        sim.host(REGISTRY, hosts::registry(&config, &observer));
        for name in &servers {
            sim.host(name.as_str(), hosts::server(name, &config, &observer));
        }
        for name in &clients {
            sim.host(name.as_str(), hosts::client(name, &config, &observer));
        }
        for host in std::iter::once(REGISTRY.to_owned())
            .chain(servers.iter().cloned())
            .chain(clients.iter().cloned())
        {
            observer.record_at(Duration::ZERO, Event::Started { host });
        }
        let addrs: Vec<(String, String)> = servers
            .iter()
            .map(|s| (s.clone(), hosts::server_addr(s)))
            .collect();
        let model = Model::new(setup.timing(), REGISTRY, &addrs, &clients);
        Run {
            sim,
            observer,
            model,
            setup: setup.clone(),
            seed,
            cut: BTreeSet::new(),
        }
    }

    /// Simulated time so far.
    pub fn now(&self) -> Duration {
        self.sim.elapsed()
    }

    /// Every record so far.
    pub fn records(&self) -> Vec<Record> {
        self.observer.records()
    }

    /// The timing the invariants use.
    pub fn timing(&self) -> Timing {
        self.setup.timing()
    }

    /// Steps the simulation until `at`, checking the invariants after each step.
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

    fn step(&mut self) -> Result<(), Failure> {
        if let Err(error) = self.sim.step() {
            return Err(self.fail(format!("a host failed: {error}")));
        }
        let records = self.observer.records_since(self.model.cursor());
        let now = self.sim.elapsed();
        self.model
            .check(&records, now)
            .map_err(|v| self.fail_at(v.at, v.what))
    }

    /// Crashes `host`: its software and state are gone until [`Run::restart`].
    ///
    /// Like a machine losing power, the crash tells no peer: the host is cut off
    /// while turmoil drops its software, so the FINs its sockets send on drop are
    /// lost. That also keeps the run deterministic: tokio drops a runtime's tasks
    /// in an order that depends on process-global task ids (its task list is
    /// sharded by id), and each FIN sent would draw from the simulation's RNG in
    /// that order. Dropped on a cut link, each draws the same (or nothing).
    pub fn crash(&mut self, host: &str) {
        self.observer.record_at(
            self.now(),
            Event::Crashed {
                host: host.to_owned(),
            },
        );
        let intact: Vec<String> = self
            .hosts()
            .into_iter()
            .filter(|other| other != host && !self.cut.contains(&pair(host, other)))
            .collect();
        for other in &intact {
            self.sim.partition(host, other.as_str());
        }
        self.sim.crash(host);
        for other in &intact {
            self.sim.repair(host, other.as_str());
        }
    }

    fn hosts(&self) -> Vec<String> {
        std::iter::once(REGISTRY.to_owned())
            .chain(self.setup.server_names())
            .chain(self.setup.client_names())
            .collect()
    }

    /// Starts `host`'s software again, from scratch.
    pub fn restart(&mut self, host: &str) {
        self.sim.bounce(host);
        self.observer.record_at(
            self.now(),
            Event::Started {
                host: host.to_owned(),
            },
        );
    }

    /// Cuts the link between `a` and `b` both ways.
    pub fn partition(&mut self, a: &str, b: &str) {
        self.observer.record_at(
            self.now(),
            Event::Partitioned {
                a: a.to_owned(),
                b: b.to_owned(),
            },
        );
        self.cut.insert(pair(a, b));
        self.sim.partition(a, b);
    }

    /// Restores the link between `a` and `b`.
    pub fn repair(&mut self, a: &str, b: &str) {
        self.observer.record_at(
            self.now(),
            Event::Repaired {
                a: a.to_owned(),
                b: b.to_owned(),
            },
        );
        self.cut.remove(&pair(a, b));
        self.sim.repair(a, b);
    }

    /// Sets the largest latency of every link (a spike, or its end). Must stay within
    /// [`Setup::max_latency`], which the invariants assume.
    pub fn set_max_latency(&mut self, latency: Duration) {
        assert!(
            latency <= self.setup.max_latency,
            "spike beyond the setup's max_latency"
        );
        self.sim.set_max_message_latency(latency);
    }

    /// A failure of this run now.
    pub fn fail(&self, what: impl Into<String>) -> Failure {
        self.fail_at(self.now(), what.into())
    }

    fn fail_at(&self, at: Duration, what: String) -> Failure {
        Failure {
            scenario: self.setup.name,
            seed: self.seed,
            at,
            what,
            tail: if seeds::print_records() {
                self.records().iter().map(|r| format!("  {r}\n")).collect()
            } else {
                self.observer.tail()
            },
        }
    }

    /// Ends the run: its trace hash, printed as `seed=<n> trace=<hash>` when one
    /// seed was asked for (and the whole trace before it with `SIM_TRACE=1`).
    pub fn finish(self) -> u64 {
        let hash = self.observer.trace_hash();
        if seeds::print_records() {
            let all: String = self.records().iter().map(|r| format!("{r}\n")).collect();
            seeds::print_raw(&all);
        }
        if seeds::single_seed() {
            seeds::print_trace(self.seed, hash);
        }
        hash
    }
}
