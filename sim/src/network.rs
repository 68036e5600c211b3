//! The simulated network every host shares: how time advances, how long messages
//! take, how often links break.

use std::time::Duration;

/// Default [`Network::tick`]: fine enough that a 20 ms latency and a 2 s refresh
/// are resolved well, coarse enough that a minute of 6 hosts is a few
/// milliseconds of wall time.
pub const DEFAULT_TICK: Duration = Duration::from_millis(50);

/// Default [`Network::min_latency`]: a short hop within one data centre.
pub const DEFAULT_MIN_LATENCY: Duration = Duration::from_millis(20);

/// Default [`Network::max_latency`]: a slow hop, ten times the shortest.
pub const DEFAULT_MAX_LATENCY: Duration = Duration::from_millis(200);

/// Default [`Network::repair_rate`]: a link broken by random loss mends on about
/// the next message. turmoil keeps a broken link broken until a message repairs
/// it, so a loss window needs a repair rate to end.
pub const DEFAULT_REPAIR_RATE: f64 = 0.9;

/// The network of a simulation (turmoil's `Builder` settings).
///
/// Loss in turmoil is harsh: with probability `fail_rate` a message breaks its
/// link, and a broken link drops everything (in-flight segments too; turmoil's
/// TCP does not retransmit, so the connections on it are dead) until a later
/// message repairs it with probability `repair_rate`. Every request therefore
/// needs a timeout, as it does in production.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    /// How far simulated time moves in one step: the granularity of message
    /// delivery and timers. Wall time is per step, so a coarser tick runs faster.
    pub tick: Duration,
    /// Shortest one-way latency of a message.
    pub min_latency: Duration,
    /// Longest one-way latency of a message outside a latency spike. Spikes of a
    /// [`Plan`](crate::Plan) may raise it; the invariants' bounds use the highest.
    pub max_latency: Duration,
    /// Chance per message of breaking its link (0: no random loss). A loss window
    /// of a [`Plan`](crate::Plan) raises it for a while.
    pub fail_rate: f64,
    /// Chance per message of repairing a broken link.
    pub repair_rate: f64,
}

impl Default for Network {
    fn default() -> Self {
        Network {
            tick: DEFAULT_TICK,
            min_latency: DEFAULT_MIN_LATENCY,
            max_latency: DEFAULT_MAX_LATENCY,
            fail_rate: 0.0,
            repair_rate: DEFAULT_REPAIR_RATE,
        }
    }
}
