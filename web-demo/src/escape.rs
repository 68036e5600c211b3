//! HTML escaping. Everything the page shows comes from the network (addresses,
//! metadata, error messages, RPC replies), so every string is escaped on its way
//! into markup: a registered address such as `<img onerror=...>` must show as text.

/// Escapes `text` for use in element content and in double- or single-quoted
/// attribute values.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_both_quotes() {
        assert_eq!(
            html(r#"<a href="x" title='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn leaves_plain_text_alone() {
        assert_eq!(html("127.0.0.1:4000 naïve"), "127.0.0.1:4000 naïve");
    }
}
