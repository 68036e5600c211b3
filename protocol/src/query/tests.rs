use super::*;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn a_list_without_index_is_a_plain_get() {
    assert_eq!(WatchQuery::parse_list(None), Ok(None));
    assert_eq!(WatchQuery::parse_list(Some("")), Ok(None));
    assert_eq!(WatchQuery::parse_list(Some("_=123&x")), Ok(None));
}

#[test]
fn index_without_wait_waits_the_default() {
    let query = WatchQuery::parse_list(Some("index=7")).expect("parses");
    assert_eq!(
        query,
        Some(WatchQuery {
            after: 7,
            wait: DEFAULT_WAIT,
            epoch: None
        })
    );
}

#[test]
fn reads_every_parameter_in_any_order() {
    let query = WatchQuery::parse_changes(Some("wait=1m30s&epoch=42&since=0&_=x"));
    assert_eq!(
        query,
        Ok(WatchQuery {
            after: 0,
            wait: secs(90),
            epoch: Some(42)
        })
    );
    let zero = WatchQuery::parse_list(Some("index=3&wait=0")).expect("parses");
    assert_eq!(zero.map(|q| q.wait), Some(Duration::ZERO));
}

#[test]
fn writes_what_it_reads() {
    let query = WatchQuery {
        after: 12,
        wait: Duration::from_millis(1500),
        epoch: Some(3),
    };
    assert_eq!(query.to_list_query(), "index=12&wait=1500ms&epoch=3");
    assert_eq!(
        WatchQuery::parse_list(Some(&query.to_list_query())),
        Ok(Some(query))
    );
    let no_epoch = WatchQuery {
        epoch: None,
        ..query
    };
    assert_eq!(no_epoch.to_changes_query(), "since=12&wait=1500ms");
    assert_eq!(
        WatchQuery::parse_changes(Some(&no_epoch.to_changes_query())),
        Ok(no_epoch)
    );
}

#[test]
fn refuses_bad_values_with_the_reason() {
    let bad = |q: &str| WatchQuery::parse_list(Some(q)).expect_err(q).to_string();
    assert_eq!(bad("index="), "invalid index \"\": empty");
    assert_eq!(bad("index=-1"), "invalid index \"-1\": want a whole number");
    assert_eq!(
        bad("index=1.5"),
        "invalid index \"1.5\": want a whole number"
    );
    assert_eq!(
        bad("index=0x10"),
        "invalid index \"0x10\": want a whole number"
    );
    assert_eq!(
        bad("index=18446744073709551616"),
        "invalid index \"18446744073709551616\": too large for 64 bits"
    );
    assert_eq!(
        bad("index=1&wait=5x"),
        "invalid wait \"5x\": unknown unit \"x\" (use ms, s, m, h or d)"
    );
    assert_eq!(
        bad("index=1&wait=30"),
        "invalid wait \"30\": number \"30\" has no unit (use ms, s, m, h or d)"
    );
    assert_eq!(bad("index=1&wait="), "invalid wait \"\": empty duration");
    assert_eq!(
        bad("index=1&epoch=e"),
        "invalid epoch \"e\": want a whole number"
    );
    assert_eq!(
        bad("index=1&index=2"),
        "query parameter index given more than once"
    );
    assert_eq!(bad("wait=5s"), "wait is only allowed with index");
    assert_eq!(bad("epoch=5"), "missing query parameter index");
    assert_eq!(
        bad("since=1"),
        "query parameter since does not apply here; use index"
    );
    let long = format!("index={}", "9".repeat(100));
    assert!(
        bad(&long).len() < 120,
        "long values are cut: {}",
        bad(&long)
    );
}

#[test]
fn the_change_feed_needs_since() {
    let bad = |q: Option<&str>| WatchQuery::parse_changes(q).expect_err("refused");
    assert_eq!(bad(None), QueryError::Missing(PARAM_SINCE));
    assert_eq!(bad(Some("wait=1s")), QueryError::WaitWithout(PARAM_SINCE));
    assert_eq!(
        bad(Some("index=1")),
        QueryError::Misplaced {
            given: PARAM_INDEX,
            instead: PARAM_SINCE
        }
    );
    assert!(matches!(
        bad(Some("since=abc")),
        QueryError::Invalid {
            param: PARAM_SINCE,
            ..
        }
    ));
}
