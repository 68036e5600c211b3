//! Watchers (the client's watch stream folded into a `ServiceView`) under
//! partitions, packet loss, hangs, crashes and registry restarts, held to the
//! registry's own record of changes.

use rollcall_client::WatchOptions;
use rollcall_sim::checks::watch;
use rollcall_sim::{
    Api, Event, Failure, FaultKind, Plan, RandomFaults, Scenario, WatchItem, millis, secs, seeds,
};
use rollcall_sim_tests::{arith_server, jitter};

/// The watchers' settings, chosen so that the recovery bound is tight and every
/// part of it shows in a minute's run: a 5 s wait (a blocking query lost with
/// its connection fails after 5 s + 5/16 s of server jitter + the 1 s margin),
/// retries backing off from 250 ms to at most 2 s, polls at least 100 ms apart.
/// With 200 ms latency and 50 ms ticks, `Timing::watch_recovery` is 10.2 s and
/// `Timing::watch_delay` 0.6 s (see their docs for the parts).
fn watch_options() -> WatchOptions {
    WatchOptions {
        wait: secs(5),
        timeout_margin: secs(1),
        min_interval: millis(100),
        backoff_min: millis(250),
        backoff_max: secs(2),
        ..WatchOptions::default()
    }
}

/// Four servers (TTL 10 s, so servers down or cut off for longer expire: the
/// changes to watch) and three watchers, on the JSON API, for 90 s. Faults: a
/// loss window (2% of messages break their link, 5 s, from 15-35 s), a registry
/// restart (from 40-55 s, down 1-4 s: a new epoch, an empty list filling up, a
/// warm-up ending), and random crashes, hangs and partitions from the registry
/// of servers and watchers alike (3-18 s each, two at a time, all over by 60 s),
/// then 30 s of calm.
///
/// Invariants, after every step (`rollcall_sim::checks::watch`):
/// - after the network heals, every watcher's view equals the registry's list
///   within one wait plus one backoff (`Timing::watch_recovery`: the lost
///   request's timeout, the longest backoff, one relist, latencies), and then
///   follows each change within `Timing::watch_delay`;
/// - no change is skipped within an epoch: each batch holds exactly the changes
///   the registry logged between the versions it joins, and after every item
///   the view is the registry's list at that revision (a relist replaces what it
///   skips);
/// - indexes seen by a watcher never go backwards within an epoch;
/// - the registry's change log replays to its list.
///
/// And at the end: the watchers received change batches, and each listed the
/// restarted registry's new run.
///
/// Fixed seeds: 1136 (a watcher that only ever learnt from lists, which an
/// earlier end-of-run assertion did not allow), 1298 (a server expired and
/// registered again between two polls of the registry's list: the kit now takes
/// the change log's word for when the list last changed).
#[test]
fn watchers_follow_through_partitions_loss_and_restarts() -> Result<(), Failure> {
    let name = "watchers_follow_through_partitions_loss_and_restarts";
    let duration = secs(90);
    let servers = ["server-1", "server-2", "server-3", "server-4"];
    let watchers = ["watcher-1", "watcher-2", "watcher-3"];
    let random = RandomFaults {
        window: secs(5)..secs(60),
        gap: secs(2)..secs(8),
        length: secs(3)..secs(18),
        max_concurrent: 2,
        kinds: vec![
            FaultKind::Crash,
            FaultKind::Hang,
            FaultKind::PartitionFromRegistry,
        ],
        targets: servers
            .iter()
            .chain(&watchers)
            .map(|h| (*h).to_owned())
            .collect(),
    };
    for seed in seeds(&[1136, 1298]) {
        let restart = jitter(seed, "restart", secs(40), secs(15));
        let plan = Plan::new()
            .at(jitter(seed, "loss", secs(15), secs(20)))
            .loss(0.02, secs(5))
            .at(restart)
            .registry_restart(jitter(seed, "down", secs(1), secs(3)));
        let scenario = Scenario::new(name)
            .api(Api::json("arith"))
            .servers(servers.len(), arith_server)
            .watchers(watchers.len(), watch_options())
            .plan(plan)
            .random_faults(random.clone())
            .duration(duration);
        let scenario = watch::all()
            .into_iter()
            .fold(scenario, |scenario, check| scenario.check(check));
        let mut run = scenario.start(seed);
        run.until(duration)?;
        let mut batches = 0;
        for watcher in watchers {
            let items: Vec<&WatchItem> = run
                .records()
                .iter()
                .filter_map(|r| match &r.event {
                    Event::Watched {
                        watcher: w, item, ..
                    } if w == watcher => Some(item),
                    _ => None,
                })
                .collect();
            batches += items
                .iter()
                .filter(|i| matches!(i, WatchItem::Changes { .. }))
                .count();
            let relisted = items
                .iter()
                .any(|i| matches!(i, WatchItem::Reset { epoch, .. } if *epoch >= 2));
            if !relisted {
                return Err(run.fail(format!("{watcher} never listed the new run")));
            }
        }
        // A watcher cut off, hung or down whenever the list changed learns it
        // from lists alone (seed 1136: watcher-1); all of them never do.
        if batches == 0 {
            return Err(run.fail("no watcher got a change batch"));
        }
        run.finish();
    }
    Ok(())
}
