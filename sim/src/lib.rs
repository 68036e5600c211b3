//! # rollcall-sim
//!
//! Test your own service's discovery and failover under faults, deterministically.
//!
//! Put your server code and your calling code on a simulated network
//! ([turmoil]) with a real rollcall registry, inject crashes, partitions, hangs,
//! loss and latency spikes, check invariants after every simulated step, and
//! replay any failure from its seed. Everything runs on one thread in simulated
//! time: a minute of a small fleet takes milliseconds, and the same seed gives the
//! same run, event for event.
//!
//! ```
//! use rollcall_client::{Deadline, SelectMode};
//! use rollcall_server::{ConnOptions, Listener, RpcError, RpcServer, serve};
//! use rollcall_sim::{ClientHost, Failure, Plan, Scenario, ServerHost, checks, millis, secs};
//!
//! /// Your server, generic over its listener: tokio's in production, the kit's here.
//! async fn sum_server<L: Listener>(listener: L) -> std::io::Result<()> {
//!     let rpc = RpcServer::new()
//!         .register("Arith.Sum", |(a, b): (i64, i64)| async move { Ok::<_, RpcError>(a + b) })
//!         .expect("a valid method name");
//!     serve(listener, rpc, ConnOptions::default(), std::future::pending()).await
//! }
//!
//! /// Your caller: here an XClient that retries a failed call once, on the next
//! /// server, each attempt with a second of its own. (The kit caught this example's
//! /// first draft, whose two attempts shared one 2 s deadline: a call to a crashed
//! /// server, whose packets vanish, used it all up.)
//! async fn caller(host: ClientHost) -> rollcall_sim::HostResult {
//!     let xclient = host.xclient(SelectMode::RoundRobin);
//!     let attempt = || xclient.call::<_, i64>("Arith.Sum", &(1, 2), Deadline::after(secs(1)));
//!     loop {
//!         tokio::time::sleep(millis(500)).await;
//!         let call = async {
//!             match attempt().await {
//!                 Ok(sum) => Ok(sum),
//!                 Err(_) => attempt().await,
//!             }
//!         };
//!         let _ = host.observe("Arith.Sum", call).await; // the checks read the record
//!     }
//! }
//!
//! fn main() -> Result<(), Failure> {
//!     let scenario = Scenario::new("readme_example")
//!         .servers(3, |host: ServerHost| async move {
//!             sum_server(host.listen().await?).await?; // registered while it listens
//!             Ok(())
//!         })
//!         .clients(2, caller)
//!         .plan(Plan::new().at(secs(10)).crash("server-2").at(secs(20)).restart("server-2"))
//!         .check(checks::no_call_fails_while_listed())
//!         .duration(secs(30));
//!     scenario.sweep(&[1, 2]) // seeds 1, 2, then 1000.. (SIM_SEEDS of them, 100 by default)
//! }
//! ```
//!
//! ## What a scenario is made of
//!
//! - **Hosts** ([`Scenario`]): the registry (the real [`rollcall_server`] registry,
//!   host [`REGISTRY`]); servers running your code, handed a [`ServerHost`] whose
//!   [`listen`](ServerHost::listen) binds a [`SimListener`] and keeps the server
//!   registered with the real [`Heartbeat`](rollcall_client::Heartbeat); clients
//!   running your code, handed a [`ClientHost`] with a real
//!   [`RegistryDiscovery`](rollcall_client::RegistryDiscovery) ([`SimDiscovery`])
//!   and a transport over simulated TCP ([`SimConnector`]); watchers following
//!   the service with the real watch stream ([`Scenario::watchers`], each item
//!   recorded as a [`WatchItem`]); and any host of your own ([`Scenario::host`]).
//!   The seed protocol or the JSON API ([`Api`]). Or several registry frontends
//!   over one registry ([`Scenario::frontends`]), for clients that fail over
//!   between them.
//! - **Faults** ([`Plan`], [`Fault`]): crash and restart any host, partition and
//!   heal, hang a host or hold a link (a hung process: connections open,
//!   nothing answered), random loss and latency spikes over a window, registry
//!   restarts; and [`RandomFaults`], plans drawn from the seed within your limits.
//! - **Invariants** ([`Check`], [`checks`]): closures over the [`World`] (what the
//!   hosts saw and the driver did, from the [`Event`] records), run after every
//!   step, with a state of their own per run if they need one
//!   ([`Check::with_state`]). The [`checks::rollcall`] set runs by default; others
//!   cover calling code, a sick registry and watch streams ([`checks::watch`]).
//! - **Seeds** ([`mod@seeds`]): `SIM_SEED=n` replays one run, `SIM_SEEDS=k` sweeps `k`;
//!   each run prints `seed=<n> trace=<hash>`; a [`Failure`] prints the seed, the
//!   simulated time, the broken invariant, the last events, the plan and the
//!   one-line replay command.
//!
//! ## Making your server generic over a listener
//!
//! The kit cannot reach into code that binds its own socket. Take the listener as
//! a parameter, bounded by [`rollcall_server::Listener`] (tokio's `TcpListener`
//! implements it), and serve with [`rollcall_server::serve`] or your own accept
//! loop over `Listener::accept`. `main` binds a `TcpListener` and passes it; a
//! scenario passes [`ServerHost::listen`]'s [`SimListener`]. Clients are the same
//! story on the other side: write them generic over
//! [`Discovery`](rollcall_client::Discovery) and
//! [`Transport`](rollcall_client::Transport). Keep clocks and sleeps on
//! `tokio::time` and seed every RNG ([`Host::seed_for`]), or runs stop repeating.
//!
//! ## Rules of the simulated world
//!
//! - Hosts run one after another on the test's thread, `tick` by `tick` of
//!   simulated time ([`Network::tick`]); a message is delivered at the first
//!   tick after its latency. Wall time grows with the number of steps and hosts.
//! - A crash cuts the host off before dropping its software: peers learn of it
//!   only by timeouts or refused connections, as with a machine losing power.
//! - turmoil's loss breaks a link until a later message repairs it; its TCP does
//!   not retransmit, so connections on a broken link are dead. Every request
//!   needs a timeout (rollcall's have one).
//! - A connection attempt across a partition is refused at once (no timeout), as
//!   with an ICMP "unreachable"; one to a crashed or hung host waits for its
//!   timeout. Each refused attempt keeps its ephemeral port, so code that retries
//!   without pausing spins in zero simulated time until the host runs out of
//!   ports and fails: pause between retries, as production code should.
//!
//! [turmoil]: https://docs.rs/turmoil

#![warn(missing_docs)]

mod api;
mod check;
pub mod checks;
mod event;
mod failure;
mod fault;
mod hosts;
mod net;
mod network;
mod observer;
mod plan;
pub mod probes;
mod random;
mod run;
mod scenario;
pub mod seeds;
mod timing;
pub mod trace;
mod watch;
mod world;

pub use api::{Api, REGISTRY, REGISTRY_PORT, SERVER_PORT, STORE};
pub use checks::Check;
pub use event::{Change, Event, Record};
pub use failure::Failure;
pub use fault::Fault;
pub use hosts::{
    ClientHost, Host, HostResult, ServerHost, SimDiscovery, SimTransport, SimXClient, error_kind,
};
pub use net::{Connecting, SimConnector, SimListener, SimStream};
pub use network::{
    DEFAULT_MAX_LATENCY, DEFAULT_MIN_LATENCY, DEFAULT_REPAIR_RATE, DEFAULT_TICK, Network,
};
pub use observer::{Observer, fnv1a};
pub use plan::Plan;
pub use random::{FaultKind, RandomFaults};
pub use run::{REPORT_TAIL, Run};
pub use scenario::{DEFAULT_DURATION, DEFAULT_SIM_TTL, Scenario};
pub use seeds::seeds;
pub use timing::{Timing, millis, secs};
pub use watch::WatchItem;
pub use world::{Expiry, World};
