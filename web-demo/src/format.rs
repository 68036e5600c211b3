//! Short human-readable durations for the tables and the status line.

/// A duration in whole milliseconds as the dashboard shows it: `850 ms`, `4.2 s`,
/// `3 m 05 s`, `2 h 07 m`. Precision drops as the value grows: nobody reads
/// milliseconds off a lease that has an hour left.
pub fn duration_ms(ms: u64) -> String {
    const SECOND: u64 = 1_000;
    const MINUTE: u64 = 60 * SECOND;
    const HOUR: u64 = 60 * MINUTE;
    if ms < SECOND {
        format!("{ms} ms")
    } else if ms < MINUTE {
        // One decimal, truncated, so a countdown never shows more time than is left.
        format!("{}.{} s", ms / SECOND, (ms % SECOND) / 100)
    } else if ms < HOUR {
        format!("{} m {:02} s", ms / MINUTE, (ms % MINUTE) / SECOND)
    } else {
        format!("{} h {:02} m", ms / HOUR, (ms % HOUR) / MINUTE)
    }
}

/// A measured latency in fractional milliseconds: `0.8 ms`, `12.3 ms`, `1.5 s`.
pub fn latency_ms(ms: f64) -> String {
    if !ms.is_finite() || ms < 0.0 {
        return "?".to_owned();
    }
    if ms < 1_000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1_000.0)
    }
}

/// `1 instance`, `2 instances`, `10,000 instances`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", thousands(n))
    }
}

/// `10000` as `10,000`: fleet-sized counts read at a glance.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_at_each_scale() {
        assert_eq!(duration_ms(0), "0 ms");
        assert_eq!(duration_ms(999), "999 ms");
        assert_eq!(duration_ms(1_000), "1.0 s");
        assert_eq!(duration_ms(4_290), "4.2 s");
        assert_eq!(duration_ms(185_000), "3 m 05 s");
        assert_eq!(duration_ms(2 * 3_600_000 + 7 * 60_000 + 59_999), "2 h 07 m");
    }

    #[test]
    fn latencies_and_odd_values() {
        assert_eq!(latency_ms(0.84), "0.8 ms");
        assert_eq!(latency_ms(1_500.0), "1.50 s");
        assert_eq!(latency_ms(f64::NAN), "?");
        assert_eq!(latency_ms(-1.0), "?");
    }

    #[test]
    fn plurals() {
        assert_eq!(count(0, "service"), "0 services");
        assert_eq!(count(1, "instance"), "1 instance");
        assert_eq!(count(10_000, "instance"), "10,000 instances");
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
