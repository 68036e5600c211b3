//! A registry that stalls: it holds every connection and answers nothing (a
//! frozen process), while callers with short deadlines keep calling live servers.

use rollcall_client::DiscoveryOptions;
use rollcall_sim::{Failure, Plan, REGISTRY, checks, millis, secs, seeds, trace};
use rollcall_sim_tests::{api_for, calling, jitter};

/// The registry hangs (every link held: connections open, nothing answered, as
/// with a process stopped by SIGSTOP) for 5 to 25 s, from 8-12 s into the run,
/// while two clients call round-robin (a call, then a broadcast) every 250 ms
/// with a 1 s deadline, a fifth of their discovery's 5 s registry request
/// timeout (refresh 2 s, max stale 15 s). Over the JSON API for even seeds, the
/// seed protocol for odd ones (`api_for`).
///
/// Invariants, after every step:
/// - no call fails while a live server is on a list younger than `max_stale`
///   (`checks::no_call_fails_while_listed`): the servers stay up and reachable,
///   so a caller is served the last good list at once, whatever the registry
///   does, until that list is `max_stale` old; hangs longer than 15 s (half the
///   seeds) also cover the list going stale;
/// - at most one list request in flight per client
///   (`checks::one_list_request_at_a_time`): the refresh runs on its own, one at
///   a time, not once per caller;
/// - after the thaw, `last_error()` clears within the retry pause plus one
///   request timeout plus the slack (`checks::refresh_errors_clear_within`): a
///   fetch in flight at the thaw ends within its request timeout (its held
///   request is answered, or it had timed out), the next one waits at most the
///   retry pause (`FAILED_REFRESH_RETRY`, 1 s) and succeeds within the slack
///   (a new connection and a round trip: 4 latencies, and ticks).
///
/// The TTL is 40 s, so that no server expires while the registry is stuck (the
/// last renewal before the hang is at most a period, 13.3 s + 10%, before it;
/// with a 25 s hang that is 38.7 s), as a frozen registry's clock stands still.
/// The run also asserts the scenario is not vacuous: calls succeeded during the
/// hang, and every client's refreshes failed during it when it lasted longer
/// than a refresh plus a request timeout.
#[test]
fn registry_hangs_while_callers_use_short_deadlines() -> Result<(), Failure> {
    let name = "registry_hangs_while_callers_use_short_deadlines";
    for seed in seeds(&[]) {
        let api = api_for(seed);
        let hang_at = jitter(seed, "hang", secs(8), secs(4));
        let hang_for = jitter(seed, "length", secs(5), secs(20));
        let thaw = hang_at + hang_for;
        let duration = thaw + secs(15);
        let base = calling(name, millis(250), secs(1))
            .api(api)
            .ttl(secs(40))
            .discovery(DiscoveryOptions {
                refresh: secs(2),
                max_stale: secs(15),
                request_timeout: Some(secs(5)),
                ..DiscoveryOptions::default()
            });
        let timing = base.timing();
        let clears = timing.refresh_retry + timing.list_timeout + timing.slack();
        let scenario = base
            .plan(
                Plan::new()
                    .at(hang_at)
                    .hang(REGISTRY)
                    .at(thaw)
                    .resume(REGISTRY),
            )
            .check(checks::no_call_fails_while_listed())
            .check(checks::one_list_request_at_a_time())
            .check(checks::refresh_errors_clear_within(clears))
            .duration(duration);
        let mut run = scenario.start(seed);
        run.until(duration)?;
        let records = run.records();
        for client in scenario.client_names() {
            let served_during_hang = trace::calls(records, &client)
                .iter()
                .filter(|c| c.outcome.is_ok() && c.at > hang_at + secs(2) && c.at < thaw)
                .count();
            if served_during_hang == 0 {
                return Err(run.fail(format!("{client}: no call succeeded during the hang")));
            }
            // A fetch starts at most a refresh (and a tick) into the hang and
            // fails a request timeout later: in a hang longer than that, every
            // client reports the error (a shorter one may be spanned by the
            // fetch in flight, answered at the thaw).
            let fails_by = hang_at + timing.refresh + timing.list_timeout + timing.tick * 2;
            let stale_during_hang = trace::served(records, &client)
                .iter()
                .any(|s| s.at > hang_at && s.at < thaw && s.error.is_some());
            if thaw > fails_by && !stale_during_hang {
                return Err(run.fail(format!(
                    "{client} never reported a refresh error during the hang"
                )));
            }
        }
        run.finish();
    }
    Ok(())
}
