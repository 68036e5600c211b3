//! Unit tests of the state behind the lock: the lazy deadline queue, limits and
//! service reclamation, driven with explicit millisecond clocks.

use super::expiry::Next;
use super::state::{Limits, State, Update};
use crate::ApiError;

const LIMITS: Limits = Limits {
    max_services: 4,
    max_instances: 8,
    change_log: 16,
};

fn ttl(ttl_ms: u32) -> Update {
    Update {
        metadata: None,
        weight: None,
        ttl_ms,
    }
}

#[test]
fn renewals_never_grow_the_queue() {
    let mut state = State::new(LIMITS);
    state.upsert("s", "a:1", ttl(100), 0).expect("register");
    for now in 1..1000 {
        let up = state.upsert("s", "a:1", ttl(100), now).expect("renew");
        assert!(!up.created && !up.wake);
    }
    assert_eq!(state.queue_len(), 1);
    assert_eq!(state.revision(), 1, "plain renewals do not bump");
    // The entry at 100 comes due, finds the instance renewed, and moves to 1099.
    assert_eq!(state.expire(101, usize::MAX), Next::At(1099));
    assert_eq!(state.queue_len(), 1);
    assert_eq!(state.instances(), 1);
    // Not expired at its deadline, only once the clock is past it.
    assert_eq!(state.expire(1099, usize::MAX), Next::At(1099));
    assert_eq!(state.expire(1100, usize::MAX), Next::Idle);
    assert_eq!(state.instances(), 0);
    assert_eq!(state.revision(), 2, "expiry bumps");
}

#[test]
fn shortening_a_ttl_queues_an_earlier_entry_once() {
    let mut state = State::new(LIMITS);
    state.upsert("s", "a:1", ttl(10_000), 0).expect("register");
    let up = state.upsert("s", "a:1", ttl(100), 0).expect("shorten");
    assert!(up.wake, "the new deadline is the earliest");
    assert_eq!(up.revision, 2, "a TTL change is a change");
    assert_eq!(state.queue_len(), 2);
    assert_eq!(state.expire(101, usize::MAX), Next::At(10_000));
    assert_eq!(state.instances(), 0);
    // The stale entry at 10000 is dropped without touching anything.
    assert_eq!(state.expire(10_001, usize::MAX), Next::Idle);
    assert_eq!(state.queue_len(), 0);
    assert_eq!(state.revision(), 3);
}

#[test]
fn ttl_zero_is_never_queued() {
    let mut state = State::new(LIMITS);
    state.upsert("s", "a:1", ttl(0), 0).expect("register");
    assert_eq!(state.queue_len(), 0);
    assert_eq!(state.expire(u64::MAX - 1, usize::MAX), Next::Idle);
    assert_eq!(state.instances(), 1);
}

#[test]
fn a_reused_slot_is_not_expired_by_its_predecessors_entry() {
    let mut state = State::new(LIMITS);
    state.upsert("s", "a:1", ttl(100), 0).expect("register");
    assert!(state.remove("s", "a:1"));
    state
        .upsert("s", "b:1", ttl(1000), 50)
        .expect("register in the same slot");
    assert_eq!(state.expire(101, usize::MAX), Next::At(1050));
    assert_eq!(state.instances(), 1);
}

#[test]
fn the_budget_bounds_one_pass() {
    let mut state = State::new(Limits {
        max_services: 1,
        max_instances: 100,
        change_log: 16,
    });
    for n in 0..10 {
        state
            .upsert("s", &format!("a:{n}"), ttl(10), 0)
            .expect("register");
    }
    assert_eq!(state.expire(11, 4), Next::More);
    assert_eq!(state.instances(), 6);
    assert_eq!(state.expire(11, 100), Next::Idle);
    assert_eq!(state.instances(), 0);
}

#[test]
fn limits_refuse_new_entries_but_not_renewals() {
    let mut state = State::new(Limits {
        max_services: 2,
        max_instances: 3,
        change_log: 16,
    });
    state.upsert("a", "x:1", ttl(10), 0).expect("1");
    state.upsert("b", "x:1", ttl(10), 0).expect("2");
    assert_eq!(
        state.upsert("c", "x:1", ttl(10), 0).map(|u| u.created),
        Err(ApiError::TooManyServices { max: 2 })
    );
    state.upsert("a", "x:2", ttl(10), 0).expect("3");
    assert_eq!(
        state.upsert("a", "x:3", ttl(10), 0).map(|u| u.created),
        Err(ApiError::TooManyInstances { max: 3 })
    );
    assert!(
        state.upsert("a", "x:2", ttl(10), 5).is_ok(),
        "renewal at the limit"
    );
    // Once `b` is empty its slot is reclaimed for a new service.
    assert!(state.remove("b", "x:1"));
    assert!(state.upsert("c", "x:1", ttl(10), 0).is_ok());
    assert!(state.service("b").is_none());
}

#[test]
fn deregistration_churn_keeps_the_queue_bounded() {
    let mut state = State::new(Limits {
        max_services: 1,
        max_instances: 10,
        change_log: 16,
    });
    for n in 0..10_000 {
        let addr = format!("a:{n}");
        state
            .upsert("s", &addr, ttl(1_000_000), 0)
            .expect("register");
        assert!(state.remove("s", &addr));
    }
    assert!(
        state.queue_len() <= 2 + 1024 + 1,
        "queue: {}",
        state.queue_len()
    );
}

#[test]
fn shortening_ttls_in_a_loop_keeps_the_queue_flat() {
    let mut state = State::new(LIMITS);
    state
        .upsert("s", "a:1", ttl(1_000_000), 0)
        .expect("register");
    state
        .upsert("s", "b:1", ttl(1_000_000), 0)
        .expect("register");
    let mut longest = 0;
    // Every renewal moves the deadline earlier than the queued one: each pushes.
    for now in 1..100_000u64 {
        let short = u32::try_from(1_000_000 - now * 9).expect("fits");
        let up = state.upsert("s", "a:1", ttl(short), now).expect("shorten");
        assert!(!up.created);
        longest = longest.max(state.queue_len());
    }
    assert!(longest <= 2 * 2 + 1024 + 1, "queue grew to {longest}");
    assert_eq!(state.instances(), 2);
    // What is left still expires each instance at its real deadline: a:1 was last
    // renewed at 99_999 for 100_009 ms.
    state.expire(200_008, usize::MAX);
    assert_eq!(state.instances(), 2);
    state.expire(200_009, usize::MAX);
    assert_eq!(state.instances(), 1);
    assert_eq!(state.expire(1_000_001, usize::MAX), Next::Idle);
    assert_eq!((state.instances(), state.queue_len()), (0, 0));
}
