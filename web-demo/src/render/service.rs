//! A service's line in the overview and its instance rows. The glue puts each
//! into its own element (keyed by service and address), and rewrites only the
//! lease cells as they count down.

use std::fmt::Write as _;

use crate::drop::Drop;
use crate::escape::html;
use crate::fleet::{InstanceState, LeaseStamp};
use crate::format::{count, duration_ms, thousands};
use crate::overview::Summary;

/// Values of the chosen metadata key shown on a service's line; the rest are
/// summed up as "+N more", so a key with hundreds of values keeps the line short.
pub const GROUPS_SHOWN: usize = 6;

/// What a service's line shows besides its summary.
#[derive(Debug, Clone, Copy)]
pub struct HeadView<'a> {
    pub name: &'a str,
    pub summary: &'a Summary,
    /// All its instances, matching or not.
    pub total: usize,
    pub loaded: bool,
    pub open: bool,
    /// Whether a filter is on (then the count reads "N of M").
    pub filtered: bool,
    pub drop: Option<Drop>,
    /// When the page last saw it change, as a time of day.
    pub changed: Option<&'a str>,
    /// The metadata key counted by.
    pub group_key: &'a str,
}

/// The inner HTML of a service's `<header class="service-head">`.
pub fn service_head(view: &HeadView<'_>) -> String {
    let fold = if view.open { "▾" } else { "▸" };
    let count_text = if view.filtered && view.loaded {
        format!(
            "{} of {}",
            thousands(view.summary.matching),
            count(view.total, "instance")
        )
    } else {
        count(view.total, "instance")
    };
    let mut out = format!(
        r#"<span class="fold" aria-hidden="true">{fold}</span><h3 class="name">{}</h3><span class="count">{count_text}</span>"#,
        html(view.name),
    );
    if let Some(drop) = view.drop {
        let _ = write!(
            out,
            r#"<span class="drop" title="fell from {} within the last minute">▼ {} → {}</span>"#,
            thousands(drop.peak),
            thousands(drop.peak),
            thousands(drop.now),
        );
    }
    out.push_str(r#"<span class="groups">"#);
    if !view.loaded {
        out.push_str(r#"<span class="loading">loading…</span>"#);
    } else if !view.group_key.trim().is_empty() {
        let key = html(view.group_key.trim());
        for (value, n) in view.summary.groups.iter().take(GROUPS_SHOWN) {
            let value = match value {
                Some(value) => html(value),
                None => format!("no {key}"),
            };
            let _ = write!(
                out,
                r#"<span class="group" title="{key}"><span class="value">{value}</span> {}</span>"#,
                thousands(*n)
            );
        }
        let more = view.summary.groups.len().saturating_sub(GROUPS_SHOWN);
        if more > 0 {
            let _ = write!(out, r#"<span class="more">+{more} more</span>"#);
        }
    }
    out.push_str("</span>");
    let changed = match view.changed {
        Some(label) => format!("changed {}", html(label)),
        None => "no change seen".to_owned(),
    };
    let _ = write!(out, r#"<span class="changed-at">{changed}</span>"#);
    out
}

/// The column headings of an instance table.
pub const INSTANCE_HEADINGS: &str = r#"<span class="cell">address</span><span class="cell">metadata</span><span class="cell num">weight</span><span class="cell num">TTL</span><span class="cell num">last heartbeat</span><span class="cell num">expires in</span>"#;

/// The inner HTML of an instance's row at `now_ms`. Its last two cells (classes
/// `beat` and `expires`) are what [`lease_cells`] rewrites every second.
pub fn instance_row(instance: &InstanceState, now_ms: f64) -> String {
    let addr = html(&instance.instance.addr);
    let metadata: String = instance
        .instance
        .metadata
        .iter()
        .map(|(k, v)| format!(r#"<span class="tag">{}={}</span>"#, html(k), html(v)))
        .collect();
    let ttl = match instance.instance.ttl_ms {
        0 => "never".to_owned(),
        ms => duration_ms(ms),
    };
    let cells = lease_cells(instance.lease, now_ms);
    let expired = if cells.expired { " expired" } else { "" };
    format!(
        r#"<span class="cell addr" title="{addr}"><code>{addr}</code></span><span class="cell metadata">{metadata}</span><span class="cell num weight">{}</span><span class="cell num ttl">{ttl}</span><span class="cell num beat">{}</span><span class="cell num expires{expired}">{}</span>"#,
        instance.instance.weight, cells.beat, cells.expires,
    )
}

/// The texts of a row's lease cells at `now_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseCells {
    pub beat: String,
    pub expires: String,
    /// Its time is up: it expires any moment unless a beat was missed by the page.
    pub expired: bool,
}

/// What a lease reads at `now_ms`: `1.2 s ago`, `3 m 05 s`, `never`, `—` unknown.
pub fn lease_cells(lease: Option<LeaseStamp>, now_ms: f64) -> LeaseCells {
    let Some(lease) = lease else {
        return LeaseCells {
            beat: "—".to_owned(),
            expires: "—".to_owned(),
            expired: false,
        };
    };
    // Saturating float-to-int conversions: NaN becomes 0, huge values u64::MAX.
    let since = (now_ms - lease.beat_at).max(0.0) as u64;
    let left = lease.expires_at.map(|at| (at - now_ms).max(0.0) as u64);
    let (expires, expired) = match left {
        None => ("never".to_owned(), false),
        Some(0) => ("expired".to_owned(), true),
        Some(ms) => (whole_seconds(ms), false),
    };
    LeaseCells {
        beat: format!("{} ago", whole_seconds(since)),
        expires,
        expired,
    }
}

/// A countdown that ticks once a second shows whole seconds, truncated (`0 s`,
/// `4 s`, `3 m 05 s`): tenths would change only at each tick.
fn whole_seconds(ms: u64) -> String {
    const MINUTE: u64 = 60_000;
    if ms < MINUTE {
        format!("{} s", ms / 1_000)
    } else {
        duration_ms(ms)
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
