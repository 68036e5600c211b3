//! The status line (`#status`) and the service list (`#services`).

use std::fmt::Write as _;

use crate::escape::html;
use crate::format::{count, duration_ms};
use crate::view::{Connection, DashboardView, InstanceView, ServiceView, Snapshot};

/// The class of `#status`, for its colour: `connecting`, `live`, `stale` (a list is
/// shown but the registry stopped answering) or `error` (nothing to show).
pub fn status_class(view: &DashboardView) -> &'static str {
    match (&view.connection, &view.snapshot) {
        (Connection::Connecting, _) => "connecting",
        (Connection::Live, _) => "live",
        (Connection::Unreachable { .. }, Some(_)) => "stale",
        (Connection::Unreachable { .. }, None) => "error",
    }
}

/// The inner HTML of `#status` at `now_ms` (same clock as the snapshot's time).
pub fn status(view: &DashboardView, now_ms: f64) -> String {
    let registry = html(&view.registry);
    let state = status_class(view);
    match (&view.connection, &view.snapshot) {
        (Connection::Connecting, _) => {
            format!(r#"<span class="state">{state}</span> to <code>{registry}</code>…"#)
        }
        (Connection::Live, snapshot) => {
            let mut out = format!(r#"<span class="state">{state}</span> <code>{registry}</code>"#);
            if let Some(s) = snapshot {
                let _ = write!(
                    out,
                    r#" · {} · refreshed at <time>{}</time>"#,
                    totals(s),
                    html(&s.fetched_at_label)
                );
            }
            out
        }
        (Connection::Unreachable { error }, Some(s)) => format!(
            r#"<span class="state">{state}</span> <code>{registry}</code> cannot be reached: <span class="error">{}</span> · showing the list from <time>{}</time> ({} ago)"#,
            html(error),
            html(&s.fetched_at_label),
            duration_ms(age_ms(s, now_ms)),
        ),
        (Connection::Unreachable { error }, None) => format!(
            r#"<span class="state">{state}</span> <code>{registry}</code> cannot be reached: <span class="error">{}</span>"#,
            html(error),
        ),
    }
}

/// The inner HTML of `#services` at `now_ms`: totals, then one section per service.
pub fn services(view: &DashboardView, now_ms: f64) -> String {
    let Some(snapshot) = &view.snapshot else {
        let what = match view.connection {
            Connection::Unreachable { .. } => "No list yet: the registry has not answered.",
            _ => "Waiting for the registry…",
        };
        return format!(r#"<p class="empty">{what}</p>"#);
    };
    let stale = if view.is_stale() { " stale" } else { "" };
    let mut out = format!(
        r#"<div class="service-list{stale}"><p class="totals">{}</p>"#,
        totals(snapshot)
    );
    if snapshot.services.is_empty() {
        out.push_str(r#"<p class="empty">No service is registered.</p>"#);
    }
    let age = age_ms(snapshot, now_ms);
    for service in &snapshot.services {
        push_service(&mut out, service, age);
    }
    out.push_str("</div>");
    out
}

/// `2 instances in 1 service`.
fn totals(snapshot: &Snapshot) -> String {
    format!(
        "{} in {}",
        count(snapshot.instance_count(), "instance"),
        count(snapshot.services.len(), "service")
    )
}

/// How old the snapshot is at `now_ms`, in whole milliseconds, never negative.
fn age_ms(snapshot: &Snapshot, now_ms: f64) -> u64 {
    let age = (now_ms - snapshot.fetched_at_ms).max(0.0);
    // Saturating float-to-int conversion: a NaN becomes 0, a huge value u64::MAX.
    age as u64
}

fn push_service(out: &mut String, service: &ServiceView, age_ms: u64) {
    let name = html(&service.name);
    let _ = write!(
        out,
        r#"<section class="service" data-service="{name}"><header><h2>{name}</h2><span class="count">{}</span><span class="revision">revision {}</span></header>"#,
        count(service.instances.len(), "instance"),
        service.revision,
    );
    if service.instances.is_empty() {
        out.push_str(r#"<p class="empty">No alive instance.</p></section>"#);
        return;
    }
    out.push_str(
        "<table class=\"instances\"><thead><tr><th>address</th><th>metadata</th>\
         <th class=\"num\">weight</th><th class=\"num\">TTL</th>\
         <th class=\"num\">last heartbeat</th><th class=\"num\">expires in</th>\
         </tr></thead><tbody>",
    );
    for instance in &service.instances {
        push_instance(out, instance, age_ms);
    }
    out.push_str("</tbody></table></section>");
}

fn push_instance(out: &mut String, instance: &InstanceView, age_ms: u64) {
    let addr = html(&instance.addr);
    let metadata: String = instance
        .metadata
        .iter()
        .map(|(k, v)| format!(r#"<span class="tag">{}={}</span>"#, html(k), html(v)))
        .collect();
    let ttl = match instance.ttl_ms {
        0 => "never".to_owned(),
        ms => duration_ms(ms),
    };
    let lease = instance.lease.map(|l| l.aged(age_ms));
    let (beat, expires, expires_class) = match lease {
        None => ("—".to_owned(), "—".to_owned(), ""),
        Some(l) => {
            let beat = format!("{} ago", duration_ms(l.since_heartbeat_ms));
            match l.expires_in_ms {
                None => (beat, "never".to_owned(), ""),
                Some(0) => (beat, "expired".to_owned(), " expired"),
                Some(ms) => (beat, duration_ms(ms), ""),
            }
        }
    };
    let _ = write!(
        out,
        r#"<tr class="instance" data-addr="{addr}"><td class="addr"><code>{addr}</code></td><td class="metadata">{metadata}</td><td class="num weight">{}</td><td class="num ttl">{ttl}</td><td class="num beat">{beat}</td><td class="num expires{expires_class}">{expires}</td></tr>"#,
        instance.weight,
    );
}

#[cfg(test)]
#[path = "dashboard_tests.rs"]
mod tests;
