use std::time::Duration;

use super::*;
use crate::fault::Fault;

fn names(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}-{i}")).collect()
}

/// How many faults are in force at each fault's start, the most seen.
fn most_at_once(plan: &Plan) -> usize {
    let mut open: Vec<String> = Vec::new();
    let mut most = 0;
    for (_, fault) in plan.faults() {
        match &fault {
            Fault::Crash(h) | Fault::Hang(h) => open.push(h.clone()),
            Fault::Partition(a, _) if a != REGISTRY => open.push(a.clone()),
            Fault::Partition(..) => open.push(REGISTRY.to_owned()),
            Fault::Hold(a, _) if !open.contains(a) => open.push(a.clone()),
            Fault::Restart(h) | Fault::Resume(h) => open.retain(|o| o != h),
            Fault::Heal(a, _) if a != REGISTRY => open.retain(|o| o != a),
            Fault::Heal(..) => open.retain(|o| o != REGISTRY),
            Fault::Release(a, _) => open.retain(|o| o != a),
            _ => {}
        }
        most = most.max(open.len());
    }
    most
}

#[test]
fn a_seed_draws_one_plan_and_seeds_differ() {
    let limits = RandomFaults::default();
    let (servers, clients) = (names("server", 3), names("client", 2));
    let plans: Vec<Plan> = (0..20)
        .map(|s| limits.draw(s, &servers, &clients))
        .collect();
    assert_eq!(plans[7], limits.draw(7, &servers, &clients));
    let distinct: std::collections::BTreeSet<String> =
        plans.iter().map(ToString::to_string).collect();
    assert!(
        distinct.len() > 15,
        "20 seeds drew {} plans",
        distinct.len()
    );
}

#[test]
fn plans_stay_within_their_limits() {
    let (servers, clients) = (names("server", 4), names("client", 2));
    for max_concurrent in [1, 2] {
        let limits = RandomFaults {
            max_concurrent,
            kinds: vec![
                FaultKind::Crash,
                FaultKind::Hang,
                FaultKind::Unresponsive,
                FaultKind::PartitionFromRegistry,
                FaultKind::PartitionFromClient,
                FaultKind::RegistryRestart,
            ],
            targets: vec!["server-2".to_owned(), "server-3".to_owned()],
            ..RandomFaults::default()
        };
        for seed in 0..200 {
            let plan = limits.draw(seed, &servers, &clients);
            assert!(!plan.is_empty(), "seed {seed} drew nothing");
            for (at, fault) in plan.faults() {
                assert!(limits.window.contains(&at) || at == limits.window.end);
                for host in fault.hosts() {
                    let allowed = host == REGISTRY
                        || clients.iter().any(|c| c == host)
                        || limits.targets.iter().any(|t| t == host);
                    assert!(allowed, "seed {seed}: {fault} hits {host}");
                }
            }
            assert!(
                most_at_once(&plan) <= max_concurrent,
                "seed {seed}:\n{plan}"
            );
        }
    }
}

#[test]
fn every_fault_ends() {
    let (servers, clients) = (names("server", 3), names("client", 2));
    for seed in 0..100 {
        let plan = RandomFaults::default().draw(seed, &servers, &clients);
        let starts = plan
            .faults()
            .iter()
            .filter(|(_, f)| matches!(f, Fault::Crash(_) | Fault::Hang(_) | Fault::Partition(..)))
            .count();
        let ends = plan
            .faults()
            .iter()
            .filter(|(_, f)| matches!(f, Fault::Restart(_) | Fault::Resume(_) | Fault::Heal(..)))
            .count();
        assert_eq!(starts, ends, "seed {seed}:\n{plan}");
        let held = plan
            .faults()
            .iter()
            .filter(|(_, f)| matches!(f, Fault::Hold(..)))
            .count();
        let released = plan
            .faults()
            .iter()
            .filter(|(_, f)| matches!(f, Fault::Release(..)))
            .count();
        assert_eq!(held, released, "seed {seed}:\n{plan}");
    }
}

#[test]
fn no_kinds_draw_no_faults() {
    let limits = RandomFaults {
        kinds: Vec::new(),
        ..RandomFaults::default()
    };
    assert!(limits.draw(1, &names("server", 3), &[]).is_empty());
    let empty_gap = RandomFaults {
        gap: Duration::ZERO..Duration::ZERO,
        ..RandomFaults::default()
    };
    assert!(!empty_gap.draw(1, &names("server", 3), &[]).is_empty());
}
