//! The call panel's result area (`#call-result`).

use std::fmt::Write as _;

use crate::call::{CallKind, CallView, InstanceResult};
use crate::escape::html;
use crate::format::{count, latency_ms};

/// The inner HTML of `#call-result`.
pub fn call_result(view: &CallView) -> String {
    match view {
        CallView::Idle => r#"<p class="hint">Call asks one instance, picked by the select mode; Broadcast asks every instance.</p>"#.to_owned(),
        CallView::Running { kind, method } => {
            let what = match kind {
                CallKind::Call => "Calling",
                CallKind::Broadcast => "Broadcasting",
            };
            format!(r#"<p class="running">{what} <code>{}</code>…</p>"#, html(method))
        }
        CallView::Failed { error } => format!(r#"<p class="error">{}</p>"#, html(error)),
        CallView::Answered(result) => answered(result),
        CallView::Broadcast { method, results } => broadcast(method, results),
    }
}

/// One instance's answer to a call.
fn answered(result: &InstanceResult) -> String {
    let addr = html(&result.addr);
    let took = latency_ms(result.elapsed_ms);
    match &result.outcome {
        Ok(reply) => format!(
            r#"<div class="answer ok" data-addr="{addr}"><pre class="reply">{}</pre><p>answered by <code class="addr">{addr}</code> in <span class="elapsed">{took}</span></p></div>"#,
            html(&reply.to_string())
        ),
        Err(error) => format!(
            r#"<div class="answer failed" data-addr="{addr}"><p class="error">{}</p><p>from <code class="addr">{addr}</code> after <span class="elapsed">{took}</span></p></div>"#,
            html(error)
        ),
    }
}

/// Every instance's result of a broadcast, one row each.
fn broadcast(method: &str, results: &[InstanceResult]) -> String {
    let ok = results.iter().filter(|r| r.outcome.is_ok()).count();
    let mut out = format!(
        r#"<div class="broadcast"><p><code>{}</code>: {ok} of {} answered</p>"#,
        html(method),
        count(results.len(), "instance"),
    );
    if results.is_empty() {
        out.push_str("</div>");
        return out;
    }
    out.push_str(
        "<table><thead><tr><th>instance</th><th>result</th><th class=\"num\">time</th></tr></thead><tbody>",
    );
    for r in results {
        let (class, text) = match &r.outcome {
            Ok(reply) => ("ok", html(&reply.to_string())),
            Err(error) => ("failed", html(error)),
        };
        let addr = html(&r.addr);
        let _ = write!(
            out,
            r#"<tr class="result {class}" data-addr="{addr}"><td><code>{addr}</code></td><td class="outcome">{text}</td><td class="num elapsed">{}</td></tr>"#,
            latency_ms(r.elapsed_ms)
        );
    }
    out.push_str("</tbody></table></div>");
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn result(addr: &str, outcome: Result<serde_json::Value, String>) -> InstanceResult {
        InstanceResult {
            addr: addr.to_owned(),
            elapsed_ms: 2.34,
            outcome,
        }
    }

    #[test]
    fn a_call_shows_the_answer_and_who_gave_it() {
        let out = call_result(&CallView::Answered(result("127.0.0.1:4001", Ok(json!(12)))));
        assert!(out.contains(r#"data-addr="127.0.0.1:4001""#), "{out}");
        assert!(out.contains(r#"<pre class="reply">12</pre>"#), "{out}");
        assert!(
            out.contains("in <span class=\"elapsed\">2.3 ms</span>"),
            "{out}"
        );
    }

    #[test]
    fn failures_are_shown_escaped() {
        let out = call_result(&CallView::Answered(result(
            "h:1",
            Err("rpc server: can't find method <Foo.Bar>".to_owned()),
        )));
        assert!(out.contains("answer failed"), "{out}");
        assert!(
            out.contains("can&#39;t find method &lt;Foo.Bar&gt;"),
            "{out}"
        );
        let out = call_result(&CallView::Failed {
            error: "rpc discovery: no available servers".to_owned(),
        });
        assert_eq!(
            out,
            r#"<p class="error">rpc discovery: no available servers</p>"#
        );
    }

    #[test]
    fn a_broadcast_lists_every_instance() {
        let view = CallView::Broadcast {
            method: "Foo.Sleep".to_owned(),
            results: vec![
                result("a:1", Ok(json!({"x": "<y>"}))),
                result("b:2", Err("deadline exceeded".to_owned())),
            ],
        };
        let out = call_result(&view);
        assert!(out.contains("1 of 2 instances answered"), "{out}");
        assert!(
            out.contains(r#"<tr class="result ok" data-addr="a:1">"#),
            "{out}"
        );
        assert!(
            out.contains("{&quot;x&quot;:&quot;&lt;y&gt;&quot;}"),
            "{out}"
        );
        assert!(
            out.contains(r#"<tr class="result failed" data-addr="b:2">"#),
            "{out}"
        );
    }

    #[test]
    fn idle_and_running() {
        assert!(call_result(&CallView::Idle).contains("Broadcast asks every instance"));
        let running = CallView::Running {
            kind: CallKind::Broadcast,
            method: "Foo.Sum".to_owned(),
        };
        assert!(call_result(&running).contains("Broadcasting <code>Foo.Sum</code>"));
    }
}
