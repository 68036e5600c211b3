//! The built-in checks catch what they promise to, and only that.

use rollcall_sim::{Event, Plan, checks, millis, secs, trace};

use super::{basic, one_shot};

/// `discoverable_within` holds the clients to a deadline of your own: a 2 s
/// refresh cannot list every server within 300 ms of the start, and lists them
/// all well within 6 s.
#[test]
fn discoverable_within_holds_clients_to_its_bound() {
    let tight = basic("discoverable_within_holds_clients_to_its_bound")
        .check(checks::discoverable_within(millis(300)))
        .duration(secs(10));
    let failure = tight
        .run(1)
        .expect_err("a 2 s refresh misses a 300 ms bound");
    assert!(
        failure.what().starts_with("discoverable within:"),
        "{failure}"
    );
    assert!(failure.at() < secs(3), "{failure}");
    let loose = basic("discoverable_within_holds_clients_to_its_bound")
        .check(checks::discoverable_within(secs(6)))
        .duration(secs(10));
    loose.run(1).expect("every server listed within 6 s");
}

/// `no_call_fails_while_listed` catches a client without failover when a listed
/// server stops answering callers (its heartbeats still flowing), and names the
/// live server it could have used.
#[test]
fn a_client_without_failover_is_caught() {
    let scenario = basic("a_client_without_failover_is_caught")
        .clients(1, one_shot)
        .plan(
            Plan::new()
                .at(secs(5))
                .hold("server-1", "client-3")
                .at(secs(15))
                .release("server-1", "client-3"),
        )
        .check(checks::no_call_fails_while_listed());
    let failure = scenario.run(1).expect_err("a call to server-1 fails");
    assert!(
        failure.what().contains("client-3: Test.Echo started at"),
        "{failure}"
    );
    assert!(
        failure.what().contains("while server-2") || failure.what().contains("while server-3"),
        "{failure}"
    );
    assert!(
        failure.at() > secs(5) && failure.at() < secs(15),
        "{failure}"
    );
}

/// Calls that overlap random loss are not judged: a broken link looks alive to
/// the driver. Calls do fail in the window, and the check lets them.
#[test]
fn calls_under_loss_are_not_judged() -> Result<(), rollcall_sim::Failure> {
    let scenario = basic("calls_under_loss_are_not_judged")
        .clients(1, one_shot)
        .plan(Plan::new().at(secs(5)).loss(0.05, secs(10)))
        .no_default_checks()
        .check(checks::no_call_fails_while_listed())
        .duration(secs(20));
    let mut run = scenario.start(1);
    run.until(secs(20))?;
    let failed = trace::calls(run.records(), "client-3")
        .iter()
        .filter(|c| c.outcome.is_err())
        .count();
    if failed == 0 {
        return Err(run.fail("no call failed under 5% loss: the test shows nothing"));
    }
    let losses = run
        .records()
        .iter()
        .filter(|r| matches!(r.event, Event::Loss { .. }))
        .count();
    assert_eq!(losses, 2, "the window opens and closes");
    Ok(())
}
