//! Keeping one instance registered: the seed's `HeartBeat`, made to survive failures.
//!
//! The seed beats once, then on a ticker, and stops for good at the first failed beat,
//! so one registry restart loses the server forever. Here a failed beat is retried with
//! exponential backoff and jitter, the period follows the TTL the registry grants and
//! is itself jittered (so a fleet started together spreads its beats), and stopping
//! sees a beat already sent through before deregistering (so it cannot land after the
//! `DELETE` and bring the instance back until its TTL).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_channel::oneshot;
use futures_util::future::{Either, select};
use rand::SeedableRng;
use rand::rngs::SmallRng;

use crate::error::Error;
use crate::protocol::{DEFAULT_TTL, HEARTBEAT_MARGIN, RegisterRequest};
use crate::registry_client::{DEFAULT_REQUEST_TIMEOUT, RegistryClient};
use crate::rt::{self, Instant};
use crate::transport::Transport;

/// Shortest wait before retrying a failed beat.
pub const DEFAULT_BACKOFF_MIN: Duration = Duration::from_secs(1);

/// Longest wait between retries (further capped at half the TTL, so a retry still
/// lands before the registry forgets the instance).
pub const DEFAULT_BACKOFF_MAX: Duration = Duration::from_secs(30);

/// How far each period may stray from the nominal one, in percent either way: enough
/// that servers started together drift apart within a few beats, small enough that
/// a beat still lands well before the TTL runs out (the period is at most the TTL
/// less a minute, or a third of it).
pub const PERIOD_JITTER_PERCENT: u32 = 10;

/// Period used when the TTL is zero (never expires): the seed's default period,
/// `defaultTimeout - 1 minute`, so the registry still learns the instance is alive.
pub const NEVER_EXPIRES_PERIOD: Duration = DEFAULT_TTL.saturating_sub(HEARTBEAT_MARGIN);

/// Settings of a [`Heartbeat`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatOptions {
    /// Time between beats; `Duration::ZERO` derives it from the granted TTL (see
    /// [`period_for_ttl`]), the seed's `duration == 0`. Either way each period is
    /// drawn within [`PERIOD_JITTER_PERCENT`] of it.
    pub period: Duration,
    /// Timeout of each registration and of the final deregistration, at each
    /// frontend tried (a beat whose frontend fails moves on to the next registry URL).
    pub request_timeout: Duration,
    /// First retry delay after a failed beat.
    pub backoff_min: Duration,
    /// Largest retry delay.
    pub backoff_max: Duration,
    /// Seed of the jitter RNG (periods and retries), for reproducible runs; `None`
    /// seeds from the OS.
    pub rng_seed: Option<u64>,
}

impl Default for HeartbeatOptions {
    fn default() -> Self {
        HeartbeatOptions {
            period: Duration::ZERO,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            backoff_min: DEFAULT_BACKOFF_MIN,
            backoff_max: DEFAULT_BACKOFF_MAX,
            rng_seed: None,
        }
    }
}

/// What a heartbeat has done so far, for health checks and dashboards.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeartbeatStatus {
    /// Beats the registry accepted.
    pub beats_ok: u64,
    /// Beats that failed, in total.
    pub failures: u64,
    /// Beats that failed since the last accepted one: zero when healthy.
    pub consecutive_failures: u32,
    /// The most recent failure, kept after recovery for the record.
    pub last_error: Option<Error>,
    /// When the registry last accepted a beat.
    pub last_success: Option<Instant>,
    /// The TTL the registry last granted.
    pub ttl: Option<Duration>,
}

/// The heartbeat period for a granted TTL, when none is configured: the seed's
/// TTL − [`HEARTBEAT_MARGIN`] when the TTL is over twice the margin, else a third of
/// the TTL (so short TTLs get two more chances before expiry), and
/// [`NEVER_EXPIRES_PERIOD`] for a TTL of zero.
pub fn period_for_ttl(ttl: Duration) -> Duration {
    if ttl.is_zero() {
        NEVER_EXPIRES_PERIOD
    } else if ttl > HEARTBEAT_MARGIN * 2 {
        ttl - HEARTBEAT_MARGIN
    } else {
        ttl / 3
    }
}

/// Asked of the loop by [`Heartbeat::stop`]: deregister, then answer here.
type StopRequest = oneshot::Sender<Result<(), Error>>;

/// A running heartbeat. Dropping it stops the beats (the instance then expires after
/// its TTL); [`Heartbeat::stop`] also deregisters it at once.
#[derive(Debug)]
pub struct Heartbeat {
    addr: String,
    status: Arc<Mutex<HeartbeatStatus>>,
    stop: oneshot::Sender<StopRequest>,
}

impl Heartbeat {
    /// Registers `request` at once, then renews it every period, in a task spawned
    /// with [`rt::spawn`] (so natively: must be called within a tokio runtime).
    pub fn start<T: Transport>(
        client: RegistryClient<T>,
        request: RegisterRequest,
        options: HeartbeatOptions,
    ) -> Heartbeat {
        Heartbeat::launch(client, request, options, None)
    }

    /// Keeps `request` registered when it was just registered (by
    /// [`RegistryClient::register`], which granted `ttl`): the first beat comes one
    /// period later. For callers that must know the first registration succeeded
    /// (a command line that reports a refusal), without a second one at once.
    pub fn after_registration<T: Transport>(
        client: RegistryClient<T>,
        request: RegisterRequest,
        options: HeartbeatOptions,
        ttl: Duration,
    ) -> Heartbeat {
        Heartbeat::launch(client, request, options, Some(ttl))
    }

    /// Spawns the loop; `registered` is the TTL of a registration just made.
    fn launch<T: Transport>(
        client: RegistryClient<T>,
        request: RegisterRequest,
        options: HeartbeatOptions,
        registered: Option<Duration>,
    ) -> Heartbeat {
        let status = Arc::new(Mutex::new(HeartbeatStatus::default()));
        let (stop, stopped) = oneshot::channel();
        let rng = match options.rng_seed {
            Some(seed) => SmallRng::seed_from_u64(seed),
            None => SmallRng::from_os_rng(),
        };
        let addr = request.addr.clone();
        let mut beater = Beater {
            client: client.with_timeout(options.request_timeout),
            request,
            options,
            status: status.clone(),
            rng,
        };
        let first_wait = registered.map(|ttl| beater.record(Ok(ttl)));
        rt::spawn(beater.run(stopped, first_wait));
        Heartbeat { addr, status, stop }
    }

    /// The address kept registered.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// A snapshot of what the heartbeat has done so far.
    pub fn status(&self) -> HeartbeatStatus {
        lock(&self.status).clone()
    }

    /// Stops beating and deregisters the instance. A beat already sent is seen
    /// through first (its answer, or its request timeout), so the `DELETE` is sent
    /// after it and the registry cannot apply the beat after the deregistration. An
    /// instance the registry no longer knows counts as deregistered; on the seed
    /// protocol there is nothing to do. Takes at most two request timeouts per
    /// registry URL (each request may try every frontend).
    ///
    /// A beat that timed out may still reach a registry that is merely slow, after
    /// the `DELETE`: then the instance stays listed until its TTL runs out.
    pub async fn stop(self) -> Result<(), Error> {
        let (reply, answer) = oneshot::channel();
        if self.stop.send(reply).is_err() {
            // The loop is gone (its runtime shut down): nothing left to stop.
            return Ok(());
        }
        answer.await.unwrap_or(Ok(()))
    }
}

/// The loop's own state, moved into the spawned task.
struct Beater<T> {
    client: RegistryClient<T>,
    request: RegisterRequest,
    options: HeartbeatOptions,
    status: Arc<Mutex<HeartbeatStatus>>,
    rng: SmallRng,
}

impl<T: Transport> Beater<T> {
    /// Beats until stopped, after waiting `wait` first if given.
    async fn run(
        mut self,
        mut stopped: oneshot::Receiver<StopRequest>,
        mut wait: Option<Duration>,
    ) {
        loop {
            if let Some(wait) = wait {
                let pause = std::pin::pin!(rt::sleep(wait));
                if let Either::Left((signal, _)) = select(&mut stopped, pause).await {
                    return self.finish(signal).await;
                }
            }
            let (outcome, stop) = {
                let beat = std::pin::pin!(self.client.register(&self.request));
                match select(&mut stopped, beat).await {
                    Either::Right((outcome, _)) => (outcome, None),
                    // The handle is gone: beats stop, the instance expires; nobody
                    // waits for the beat in flight.
                    Either::Left((Err(oneshot::Canceled), _)) => {
                        return self.finish(Err(oneshot::Canceled)).await;
                    }
                    // Stopping: the beat may be on the wire already. Dropping it
                    // would not unsend it, so see it through (it is bounded by the
                    // request timeout) and deregister after it.
                    Either::Left((Ok(reply), beat)) => (beat.await, Some(reply)),
                }
            };
            let next = self.record(outcome);
            if let Some(reply) = stop {
                return self.finish(Ok(reply)).await;
            }
            wait = Some(next);
        }
    }

    /// Updates the status after a beat and returns the time to the next one.
    fn record(&mut self, outcome: Result<Duration, Error>) -> Duration {
        let mut status = lock(&self.status);
        match outcome {
            Ok(ttl) => {
                status.beats_ok += 1;
                status.consecutive_failures = 0;
                status.last_success = Some(Instant::now());
                status.ttl = Some(ttl);
                tracing::debug!(addr = %self.request.addr, ?ttl, "heartbeat accepted");
                let period = if self.options.period.is_zero() {
                    period_for_ttl(ttl)
                } else {
                    self.options.period
                };
                jittered(period, &mut self.rng)
            }
            Err(error) => {
                status.failures += 1;
                status.consecutive_failures = status.consecutive_failures.saturating_add(1);
                let ttl = status.ttl.unwrap_or_else(|| self.requested_ttl());
                // Time left on the lease the last accepted beat bought (measured
                // from its answer, so a little generous).
                let left = status
                    .last_success
                    .filter(|_| !ttl.is_zero())
                    .map(|at| ttl.saturating_sub(at.elapsed()));
                let delay = backoff(
                    &self.options,
                    &mut self.rng,
                    status.consecutive_failures,
                    ttl,
                    left,
                );
                tracing::warn!(addr = %self.request.addr, %error, ?delay, "heartbeat failed; retrying");
                status.last_error = Some(error);
                delay
            }
        }
    }

    fn requested_ttl(&self) -> Duration {
        self.request
            .ttl_ms
            .map_or(DEFAULT_TTL, Duration::from_millis)
    }

    async fn finish(&self, signal: Result<StopRequest, oneshot::Canceled>) {
        let Ok(reply) = signal else {
            tracing::debug!(addr = %self.request.addr, "heartbeat handle dropped; beats stop");
            return;
        };
        let result = match self.client.deregister(&self.request.addr).await {
            Err(error) if error.status() == Some(404) => Ok(()),
            other => other,
        };
        tracing::info!(addr = %self.request.addr, ?result, "heartbeat stopped");
        // The caller may have stopped waiting; the deregistration happened anyway.
        let _ = reply.send(result);
    }
}

fn lock(status: &Mutex<HeartbeatStatus>) -> MutexGuard<'_, HeartbeatStatus> {
    // Plain counters and assignments: valid after any panic, poisoning is moot.
    status.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Natively `stop` must be awaitable from any tokio task: checked at compile time.
#[cfg(not(target_arch = "wasm32"))]
const _: fn(Heartbeat) = |heartbeat| {
    fn assert_send<F: Send>(_: F) {}
    assert_send(heartbeat.stop());
};

mod schedule;
use schedule::{backoff, jittered};

#[cfg(test)]
mod stop_tests;
#[cfg(test)]
mod tests;
