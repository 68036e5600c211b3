//! Random fault plans, drawn from the run's seed within limits you set.

use std::ops::Range;
use std::time::Duration;

use crate::api::REGISTRY;
use crate::plan::Plan;
use crate::seeds::splitmix64;

/// A kind of fault a random plan may draw. Each lasts a drawn time, then ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultKind {
    /// The target crashes, and restarts when the fault ends.
    Crash,
    /// The target hangs (every link held), and resumes.
    Hang,
    /// The target stops answering its callers (its links to every client held)
    /// while its heartbeats still flow: the registry keeps listing it.
    Unresponsive,
    /// The target is cut off from the registry.
    PartitionFromRegistry,
    /// The target is cut off from one client, drawn at random.
    PartitionFromClient,
    /// The registry crashes and restarts empty (the targets play no part).
    RegistryRestart,
}

/// Limits of a random fault plan ([`Scenario::random_faults`]): which faults, how
/// often, how long, on which hosts. The plan is drawn from the run's seed, so a
/// replay draws it again, exactly.
///
/// [`Scenario::random_faults`]: crate::Scenario::random_faults
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RandomFaults {
    /// When faults may begin; every fault is over by the end of the window, so a
    /// run that goes on after it shows the recovery.
    pub window: Range<Duration>,
    /// Time between the starts of two faults, drawn in this range.
    pub gap: Range<Duration>,
    /// How long each fault lasts, drawn in this range.
    pub length: Range<Duration>,
    /// At most this many faults in force at once; a start drawn while that many
    /// are in force is skipped.
    pub max_concurrent: usize,
    /// The kinds drawn from, each as likely.
    pub kinds: Vec<FaultKind>,
    /// The hosts faults may hit; empty means every server. A host is hit by one
    /// fault at a time.
    pub targets: Vec<String>,
}

impl Default for RandomFaults {
    /// One fault at a time on any server, crashes, hangs, unresponsiveness and
    /// partitions each as likely, 2-10 s apart and 2-15 s long, between 5 s and
    /// 55 s: a minute's run with a settled start and end.
    fn default() -> Self {
        RandomFaults {
            window: Duration::from_secs(5)..Duration::from_secs(55),
            gap: Duration::from_secs(2)..Duration::from_secs(10),
            length: Duration::from_secs(2)..Duration::from_secs(15),
            max_concurrent: 1,
            kinds: vec![
                FaultKind::Crash,
                FaultKind::Hang,
                FaultKind::Unresponsive,
                FaultKind::PartitionFromRegistry,
                FaultKind::PartitionFromClient,
            ],
            targets: Vec::new(),
        }
    }
}

/// A stream of numbers from one seed (SplitMix64): small, and fixed forever, so a
/// seed draws the same plan whatever version of `rand` the workspace uses.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        splitmix64(self.0)
    }

    /// An index below `n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A duration in `range`, at millisecond steps; its start if it is empty.
    fn within(&mut self, range: &Range<Duration>) -> Duration {
        let span = range.end.saturating_sub(range.start).as_millis() as u64;
        if span == 0 {
            return range.start;
        }
        range.start + Duration::from_millis(self.next() % span)
    }
}

impl RandomFaults {
    /// The plan `seed` draws for a scenario with these servers and clients.
    pub fn draw(&self, seed: u64, servers: &[String], clients: &[String]) -> Plan {
        let mut draw = Draw(seed);
        let targets = if self.targets.is_empty() {
            servers
        } else {
            &self.targets
        };
        let mut plan = Plan::new();
        // Faults in force: when each ends, and the hosts it holds.
        let mut active: Vec<(Duration, String)> = Vec::new();
        let mut at = self.window.start;
        loop {
            // At least a millisecond apart, so an empty gap range still ends the loop.
            at += draw.within(&self.gap).max(Duration::from_millis(1));
            if at >= self.window.end || self.kinds.is_empty() {
                return plan;
            }
            active.retain(|(end, _)| *end > at);
            if active.len() >= self.max_concurrent {
                continue;
            }
            let kind = self.kinds[draw.below(self.kinds.len())];
            let target = if kind == FaultKind::RegistryRestart {
                REGISTRY.to_owned()
            } else {
                let free: Vec<&String> = targets
                    .iter()
                    .filter(|t| !active.iter().any(|(_, busy)| busy == *t))
                    .collect();
                if free.is_empty() {
                    continue;
                }
                free[draw.below(free.len())].clone()
            };
            if active.iter().any(|(_, busy)| *busy == target) {
                continue;
            }
            let length = draw.within(&self.length).min(self.window.end - at);
            let end = at + length;
            let t = target.as_str();
            plan = match kind {
                FaultKind::Crash => plan.at(at).crash(t).at(end).restart(t),
                FaultKind::Hang => plan.at(at).hang(t).at(end).resume(t),
                FaultKind::Unresponsive => {
                    let held = clients.iter().fold(plan.at(at), |p, c| p.hold(t, c));
                    clients.iter().fold(held.at(end), |p, c| p.release(t, c))
                }
                FaultKind::PartitionFromRegistry => {
                    plan.at(at).partition(t, REGISTRY).at(end).heal(t, REGISTRY)
                }
                FaultKind::PartitionFromClient if clients.is_empty() => continue,
                FaultKind::PartitionFromClient => {
                    let client = &clients[draw.below(clients.len())];
                    plan.at(at).partition(t, client).at(end).heal(t, client)
                }
                FaultKind::RegistryRestart => plan.at(at).registry_restart(length),
            };
            active.push((end, target));
        }
    }
}

#[cfg(test)]
mod tests;
