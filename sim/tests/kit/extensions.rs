//! Checks with a state, a sick registry's checks, list requests in the record,
//! loss windows that end, watchers.

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;

use rollcall_client::{Deadline, Error, SelectMode, WatchOptions};
use rollcall_sim::{
    Api, Check, ClientHost, Event, HostResult, Network, Plan, REGISTRY, Scenario, checks, millis,
    secs,
};

use super::{ECHO, basic, echo_server};

/// A check with a state gets a fresh one for every run: counting the starts of
/// a run's hosts gives the same number in every run of a sweep.
#[test]
fn a_check_with_state_starts_afresh_each_run() {
    let hosts = basic("a_check_with_state_starts_afresh_each_run")
        .host_names()
        .len();
    let made = Rc::new(Cell::new(0));
    let counted = Rc::clone(&made);
    let starts = Check::with_state(
        "one start per host",
        move || {
            counted.set(counted.get() + 1);
            0_usize
        },
        move |started, world| {
            *started += world
                .new_records()
                .iter()
                .filter(|r| matches!(r.event, Event::Started { .. }))
                .count();
            match *started {
                n if n > hosts => Err(format!("{n} starts, {hosts} hosts")),
                _ => Ok(()),
            }
        },
    );
    let scenario = basic("a_check_with_state_starts_afresh_each_run")
        .check(starts)
        .duration(secs(3));
    for seed in [1, 2, 3] {
        scenario.run(seed).expect("each run counts its own starts");
    }
    assert_eq!(made.get(), 3, "one state per run");
}

/// A client that refreshes inside each call, under the call's deadline, as the
/// discovery once did: `force_refresh` then the call, both within 1 s.
fn refreshes_in_its_calls(host: ClientHost) -> Pin<Box<dyn Future<Output = HostResult>>> {
    Box::pin(async move {
        let discovery = host.discovery();
        let xclient = host.xclient(SelectMode::RoundRobin);
        for n in 0_u64.. {
            tokio::time::sleep(millis(250)).await;
            let deadline = Deadline::after(secs(1));
            let call = async {
                let work = async {
                    discovery.registry_discovery().force_refresh().await?;
                    xclient.call::<_, u64>(ECHO, &n, deadline).await
                };
                deadline
                    .run(work)
                    .await
                    .unwrap_or(Err(Error::DeadlineExceeded))
            };
            let _ = host.observe(ECHO, call).await;
        }
        Ok(())
    })
}

/// `no_call_fails_while_listed` catches callers whose deadline a hung registry
/// eats: live servers on a fresh list, yet the call waited on the registry.
#[test]
fn a_caller_led_refresh_is_caught_during_a_hang() {
    let scenario = basic("a_caller_led_refresh_is_caught_during_a_hang")
        .clients(1, refreshes_in_its_calls)
        .plan(
            Plan::new()
                .at(secs(5))
                .hang(REGISTRY)
                .at(secs(12))
                .resume(REGISTRY),
        )
        .check(checks::no_call_fails_while_listed())
        .duration(secs(20));
    let failure = scenario
        .run(1)
        .expect_err("calls wait on the hung registry");
    assert!(
        failure
            .what()
            .starts_with("no call fails while a live server is listed: client-3"),
        "{failure}"
    );
    assert!(
        failure.at() > secs(5) && failure.at() < secs(12),
        "{failure}"
    );
}

/// Every list request has its answer in the record, even one a discovery's own
/// timeout drops before the transport's fires: after a hang and a partition, no
/// client has a list request in flight, and one at a time held throughout;
/// refresh errors clear once the registry answers again.
#[test]
fn every_list_request_gets_its_answer() -> Result<(), rollcall_sim::Failure> {
    let base = basic("every_list_request_gets_its_answer");
    let timing = base.timing();
    // A fetch in flight ends within its timeout, the next waits the retry pause.
    let clears = timing.refresh_retry + timing.list_timeout + timing.slack();
    let scenario = base
        .plan(
            Plan::new()
                .at(secs(5))
                .hang(REGISTRY)
                .at(secs(10))
                .resume(REGISTRY)
                .at(secs(15))
                .partition("client-1", REGISTRY)
                .at(secs(20))
                .heal("client-1", REGISTRY),
        )
        .check(checks::one_list_request_at_a_time())
        .check(checks::refresh_errors_clear_within(clears))
        .duration(secs(30));
    let mut run = scenario.start(1);
    run.until(secs(30))?;
    let (mut sent, mut answered) = (0, 0);
    for record in run.records() {
        match record.event {
            Event::ListSent { .. } => sent += 1,
            Event::Refreshed { .. } | Event::Unchanged { .. } | Event::RefreshFailed { .. } => {
                answered += 1;
            }
            _ => {}
        }
    }
    // The sampling loop may have one request out as the run ends.
    let open: usize = ["client-1", "client-2"]
        .iter()
        .map(|c| run.world().lists_in_flight(c))
        .sum();
    if sent != answered + open || run.world().refresh_error_since("client-1").is_some() {
        return Err(run.fail(format!(
            "{sent} list requests, {answered} answers, {open} open"
        )));
    }
    Ok(())
}

/// When a loss window ends, the links it broke are mended: with links that never
/// mend by themselves (repair rate 0), every server is listed again after it.
#[test]
fn a_loss_window_that_ends_mends_its_links() -> Result<(), rollcall_sim::Failure> {
    let scenario = basic("a_loss_window_that_ends_mends_its_links")
        .network(Network {
            repair_rate: 0.0,
            ..Network::default()
        })
        .plan(Plan::new().at(secs(5)).loss(0.3, secs(2)))
        .duration(secs(40));
    scenario.run(1).map(|_| ())
}

/// A watcher host records every item of its stream with its view, and the world
/// follows it: after a crash expires a server, the view is the registry's list.
#[test]
fn a_watcher_follows_the_registry() -> Result<(), rollcall_sim::Failure> {
    let scenario = Scenario::new("a_watcher_follows_the_registry")
        .api(Api::json("echo"))
        .servers(3, echo_server)
        .watchers(
            1,
            WatchOptions {
                wait: secs(5),
                ..WatchOptions::default()
            },
        )
        .plan(Plan::new().at(secs(5)).crash("server-2"))
        .check(checks::watch::no_change_skipped())
        .duration(secs(25));
    let mut run = scenario.start(1);
    run.until(secs(25))?;
    let world = run.world();
    let expired = !world.registered().contains("server-2:8000");
    let batches = run
        .records()
        .iter()
        .filter(|r| {
            matches!(
                &r.event,
                Event::Watched {
                    item: rollcall_sim::WatchItem::Changes { .. },
                    ..
                }
            )
        })
        .count();
    if !expired || world.watch_view("watcher-1") != Some(world.registered()) || batches == 0 {
        return Err(run.fail(format!(
            "watcher-1 shows {:?} after {batches} batches; the registry lists {:?}",
            world.watch_view("watcher-1"),
            world.registered()
        )));
    }
    Ok(())
}
