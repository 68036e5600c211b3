//! # rollcall-sim-tests
//!
//! Deterministic simulations of rollcall on turmoil: the real registry, heartbeats,
//! discovery and RPC run unchanged over a simulated network, with latency, loss,
//! partitions and crashes, all driven by one seed. The scenarios live in
//! `tests/scenarios.rs`; this crate is their toolkit.
//!
//! - [`net`]: the I/O seams filled with turmoil sockets ([`SimListener`] for the
//!   server's accept loop, [`SimConnector`] for the client's hyper pool).
//! - [`observer`]: the shared, time-stamped record of one simulation and its trace
//!   hash ([`Observer`], [`Event`]).
//! - [`probes`]: wrappers around the production seams that feed the observer.
//! - [`hosts`]: the host factories: registry, RPC servers, clients.
//! - [`invariants`]: the safety, liveness and expiry checks run after every step.
//! - [`setup`]: what a scenario chooses ([`Setup`]) and the bounds it implies
//!   ([`Timing`]).
//! - [`scenario`]: the driver: a [`Run`] that steps, injects faults and checks.
//! - [`seeds`]: which seeds run (`SIM_SEED`, `SIM_SEEDS`) and the replay line.
//! - [`trace`]: queries over the records for scenario-specific assertions.

pub mod hosts;
pub mod invariants;
pub mod net;
pub mod observer;
pub mod probes;
pub mod scenario;
pub mod seeds;
pub mod setup;
pub mod trace;

pub use invariants::{Model, Violation};
pub use net::{SimConnector, SimListener};
pub use observer::{Event, Observer, Record};
pub use scenario::{Failure, Run};
pub use seeds::seeds;
pub use setup::{Setup, Timing};
