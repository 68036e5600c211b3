//! The status line (`#status`).

use crate::escape::html;
use crate::format::{count, duration_ms};
use crate::status::{Connection, Status};

/// The class of `#status`, for its colour: `connecting`, `live`, `stale` (a view
/// is shown but the registry stopped answering) or `error` (nothing to show).
pub fn status_class(status: &Status) -> &'static str {
    match &status.connection {
        Connection::Connecting => "connecting",
        Connection::Live => "live",
        Connection::Unreachable { .. } if status.last_heard.is_some() => "stale",
        Connection::Unreachable { .. } => "error",
    }
}

/// The inner HTML of `#status` at `now_ms` (the clock of `last_heard`), with the
/// totals `(services, instances)`.
pub fn status(status: &Status, totals: (usize, usize), now_ms: f64) -> String {
    let registry = html(&status.registry);
    let state = status_class(status);
    let head = format!(r#"<span class="state">{state}</span>"#);
    match (&status.connection, &status.last_heard) {
        (Connection::Connecting, _) => format!("{head} connecting to <code>{registry}</code>…"),
        (Connection::Live, _) => {
            let warming = if status.warming {
                r#" · <span class="warming">warming up: instances that have not beaten since the registry started are missing</span>"#
            } else {
                ""
            };
            format!(
                "{head} <code>{registry}</code> · {} in {} · changes show as they happen{warming}",
                count(totals.1, "instance"),
                count(totals.0, "service"),
            )
        }
        (Connection::Unreachable { error }, Some((at_ms, label))) => format!(
            r#"{head} <code>{registry}</code> cannot be reached: <span class="error">{}</span> · showing what it said at <time>{}</time> ({} ago)"#,
            html(error),
            html(label),
            duration_ms(age_ms(*at_ms, now_ms)),
        ),
        (Connection::Unreachable { error }, None) => format!(
            r#"{head} <code>{registry}</code> cannot be reached: <span class="error">{}</span>"#,
            html(error),
        ),
    }
}

/// Milliseconds from `then` to `now`, never negative.
fn age_ms(then: f64, now: f64) -> u64 {
    // Saturating float-to-int conversion: NaN becomes 0, a huge value u64::MAX.
    (now - then).max(0.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_shows_the_totals() {
        let mut s = Status::new("http://127.0.0.1:9999".to_owned());
        assert!(status(&s, (0, 0), 0.0).contains("connecting to <code>http://127.0.0.1:9999"));
        s.heard(1_000.0, "12:00:00".to_owned(), false);
        let out = status(&s, (100, 10_000), 1_000.0);
        assert_eq!(status_class(&s), "live");
        assert!(out.contains("10,000 instances in 100 services"), "{out}");
        assert!(!out.contains("warming"));
        s.heard(1_000.0, "12:00:00".to_owned(), true);
        assert!(status(&s, (1, 2), 0.0).contains("warming up"));
    }

    #[test]
    fn unreachable_says_how_old_the_view_is_escaped() {
        let mut s = Status::new("http://r".to_owned());
        s.failed("refused <x>".to_owned());
        assert_eq!(status_class(&s), "error");
        assert!(status(&s, (0, 0), 0.0).contains("refused &lt;x&gt;"));
        s.heard(10_000.0, "12:00:00".to_owned(), false);
        s.failed("connect failed".to_owned());
        assert_eq!(status_class(&s), "stale");
        let out = status(&s, (1, 2), 45_000.0);
        assert!(out.contains("cannot be reached"), "{out}");
        assert!(
            out.contains("at <time>12:00:00</time> (35.0 s ago)"),
            "{out}"
        );
    }
}
