//! The invariants of a registry restart, as checks that follow the run.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use rollcall_sim::{Check, Event, REGISTRY, World, secs};

/// What the registry's last crash left: when, and what each client listed then
/// and when it had last fetched that list.
#[derive(Default)]
struct Loss {
    at: Option<Duration>,
    listed: BTreeMap<String, (BTreeSet<String>, Option<Duration>)>,
}

/// While the registry is down and then warming, every server that is alive
/// (up without a break since before the registry went down) and was on a
/// client's list when it went down stays on that client's list.
///
/// Bounds: "warming" is taken as the registry's start plus its warm-up, the
/// shortest it can be (the run starts on that step or the next). The discovery
/// keeps such a server until it is back on a list of the new run, until the
/// warm-up ends, or `max_stale` after the old run last listed it: the check
/// holds it to that last bound too, with the client's last successful fetch
/// before the loss as the time it was last listed (the scenario's `max_stale`
/// outlasts downtime and warm-up, so it does not bind there).
pub fn listed_servers_stay() -> Check {
    Check::with_state("listed servers stay", Loss::default, |loss, world| {
        if world
            .new_records()
            .iter()
            .any(|r| matches!(&r.event, Event::Crashed { host } if host == REGISTRY))
        {
            let now = world.now();
            loss.at = Some(now);
            loss.listed = world
                .clients()
                .filter_map(|c| {
                    let served = world.served(c)?.clone();
                    Some((c.to_owned(), (served, world.last_refresh_before(c, now))))
                })
                .collect();
        }
        let Some(lost) = loss.at else {
            return Ok(());
        };
        let now = world.now();
        let warm = world
            .registry_started()
            .is_some_and(|started| started >= lost && now >= started + world.timing().warmup);
        if warm {
            return Ok(());
        }
        for (client, (listed, confirmed)) in &loss.listed {
            if confirmed.is_none_or(|at| now > at + world.timing().max_stale) {
                continue;
            }
            for addr in listed {
                let alive = world
                    .host_of(addr)
                    .and_then(|host| world.up_since(host))
                    .is_some_and(|since| since <= lost);
                let kept = world.served(client).is_some_and(|s| s.contains(addr));
                if alive && !kept {
                    return Err(format!(
                        "{client} dropped {addr} at {now:?}: alive and listed when the registry went down at {lost:?}, and the registry still warms up"
                    ));
                }
            }
        }
        Ok(())
    })
}

/// A server that died during the restart (crashed after the registry went down,
/// before its warm-up ended) and never re-registered with the new run is off
/// every list by the warm-up's end plus a refresh plus the slack.
///
/// Bound: the warm-up ends at most 2 ticks after the registry's start plus its
/// warm-up (the run starts on that step or the next; the registry's timer that
/// ends it fires on a tick). The end is a change of every service, so the
/// client's next fetch, due within a refresh, gets a list that is not warming,
/// and the discovery drops every kept server on it; that fetch may need a new
/// connection and the client samples on a tick: the slack (5 latencies, 3
/// ticks).
pub fn dead_servers_leave() -> Check {
    let init = BTreeMap::<String, Duration>::new;
    Check::with_state("dead servers leave", init, |died, world| {
        for record in world.new_records() {
            if let Event::Crashed { host } = &record.event {
                died.insert(host.clone(), record.at);
            }
        }
        let (Some(started), Some(lost)) = (world.registry_started(), died.get(REGISTRY)) else {
            return Ok(());
        };
        let timing = world.timing();
        let warm_by = started + timing.warmup + timing.tick * 2;
        let due = warm_by + timing.refresh + timing.slack();
        let now = world.now();
        if now <= due {
            return Ok(());
        }
        for (host, addr) in world.servers() {
            let Some(&at) = died.get(host) else {
                continue;
            };
            let during = at >= *lost && at < warm_by && !world.is_up(host);
            let back = world.last_renewal(addr).is_some_and(|r| r >= started);
            if !during || back {
                continue;
            }
            for client in world.clients() {
                if world.served(client).is_some_and(|s| s.contains(addr)) {
                    return Err(format!(
                        "{client} still lists {addr} at {now:?}: it died at {at:?} during the restart and never came back; warm by {warm_by:?}, due {due:?}"
                    ));
                }
            }
        }
        Ok(())
    })
}

/// One round-robin client's recent picks and list sizes.
#[derive(Default)]
struct Picks {
    /// Picks not yet judged as the start of a window: when, and which server.
    picks: VecDeque<(Duration, String)>,
    /// Changes of the list's size (`0`: no list), recent ones.
    sizes: VecDeque<(Duration, usize)>,
}

/// The window the fair share is judged over.
const WINDOW: Duration = secs(1);

/// Under round-robin, no server gets more than its fair share of one client's
/// picks in any one-second window: `floor(k / n) + c + 1`, for `k` picks in the
/// window, `n` the shortest list the client served during it and `c` the number
/// of times the list changed.
///
/// Why it is sound: between two changes the list is fixed, of some `n_j >= n`
/// servers, and round-robin walks it in turn (the cursor moves only on a pick;
/// each pick is sent at once, so it is one `RpcSent`), so of `k_j` picks a
/// server gets at most `ceil(k_j / n_j) <= k_j / n + 1`; summed over the `c + 1`
/// stretches, `k / n + c + 1`. The list and the picks are seen on ticks: a change
/// is counted, and a size taken, over the window widened by a tick each side
/// (the discovery's list changes only when a fetch is recorded, at most one
/// per tick: fetches are a second or more apart). Windows starting at each pick
/// cover every window (the one with the most picks of a server starts at one).
///
/// What it catches: traffic piling onto part of the list. A list that shrinks
/// to the first server back after a restart is not unfair by this measure; that
/// is what [`listed_servers_stay`] rules out.
pub fn round_robin_is_fair(clients: &[&str]) -> Check {
    let clients: Vec<String> = clients.iter().map(|c| (*c).to_owned()).collect();
    let init = move || -> BTreeMap<String, Picks> {
        clients
            .iter()
            .map(|c| (c.clone(), Picks::default()))
            .collect()
    };
    Check::with_state("round robin is fair", init, |all, world| {
        for record in world.new_records() {
            let (client, change) = match &record.event {
                Event::RpcSent { client, server } => (client, Err(server)),
                Event::Served {
                    client, servers, ..
                } => (client, Ok(servers.len())),
                Event::ServeFailed { client, .. } => (client, Ok(0)),
                Event::Crashed { host } => (host, Ok(0)),
                _ => continue,
            };
            let Some(state) = all.get_mut(client) else {
                continue;
            };
            match change {
                Err(server) => state.picks.push_back((record.at, server.clone())),
                Ok(size) => state.sizes.push_back((record.at, size)),
            }
        }
        for (client, state) in all.iter_mut() {
            judge(world, client, state)?;
        }
        Ok(())
    })
}

/// Judges every window of `client` that is complete by now.
fn judge(world: &World, client: &str, state: &mut Picks) -> Result<(), String> {
    let tick = world.timing().tick;
    while let Some(&(start, _)) = state.picks.front() {
        let end = start + WINDOW;
        if end + tick > world.now() {
            break;
        }
        let (from, to) = (start.saturating_sub(tick), end + tick);
        // The size in force at `from`, and every change up to `to`.
        let before = state.sizes.iter().rev().find(|(at, _)| *at <= from);
        let during = state.sizes.iter().filter(|(at, _)| *at > from && *at <= to);
        let changes = during.clone().count();
        let shortest = before.into_iter().chain(during).map(|(_, n)| *n).min();
        let mut counts = BTreeMap::<&str, usize>::new();
        let mut picks = 0;
        for (_, server) in state.picks.iter().take_while(|(at, _)| *at <= end) {
            *counts.entry(server).or_default() += 1;
            picks += 1;
        }
        if let Some(n) = shortest.filter(|n| *n > 0) {
            let bound = picks / n + changes + 1;
            if let Some((server, most)) = counts.iter().max_by_key(|(_, c)| **c)
                && *most > bound
            {
                return Err(format!(
                    "{client} sent {most} of {picks} picks to {server} in [{start:?}, {end:?}]: over {bound} (lists of {n}+ servers, {changes} changes)"
                ));
            }
        }
        state.picks.pop_front();
        // Sizes older than the next window's start are no longer needed, but the
        // one in force then.
        let keep_from = state
            .picks
            .front()
            .map_or(start, |(at, _)| at.saturating_sub(tick));
        while state.sizes.len() > 1 && state.sizes[1].0 <= keep_from {
            state.sizes.pop_front();
        }
    }
    Ok(())
}
