//! Durations as the command line and the watch API's `wait` parameter take them:
//! `250ms`, `30s`, `5m`, `1h`, `2d`, combinations such as `1h30m`, and a bare `0`
//! ("never" for a TTL, "answer at once" for a wait).
//!
//! Only whole numbers: the registry works in milliseconds, so `1.5s` is `1500ms`.
//! One syntax on both ends: the server parses what [`format_duration`] writes.

use std::time::Duration;

/// Why a duration did not parse. The message names the offending part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("empty duration")]
    Empty,
    #[error("expected a number at {0:?}")]
    MissingNumber(String),
    #[error("number {0:?} has no unit (use ms, s, m, h or d)")]
    MissingUnit(String),
    #[error("unknown unit {0:?} (use ms, s, m, h or d)")]
    UnknownUnit(String),
    #[error("duration {0:?} is too long")]
    Overflow(String),
}

/// Parses a duration such as `30s`, `5m`, `1h30m`, `250ms` or `0`.
///
/// Units: `ms`, `s`, `m`, `h`, `d`. A unit is required on every number except a lone
/// `0`. Surrounding whitespace is ignored.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let mut total_ms: u64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(DurationError::MissingNumber(rest.to_owned()));
        }
        let (number, after) = rest.split_at(digits);
        let unit_len = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, after) = after.split_at(unit_len);
        let per_unit_ms: u64 = match unit {
            "" => return Err(DurationError::MissingUnit(number.to_owned())),
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            other => return Err(DurationError::UnknownUnit(other.to_owned())),
        };
        let overflow = || DurationError::Overflow(text.to_owned());
        let value: u64 = number.parse().map_err(|_| overflow())?;
        let ms = value.checked_mul(per_unit_ms).ok_or_else(overflow)?;
        total_ms = total_ms.checked_add(ms).ok_or_else(overflow)?;
        rest = after;
    }
    Ok(Duration::from_millis(total_ms))
}

/// Writes `duration` in the syntax [`parse_duration`] reads, to the millisecond
/// (anything finer is dropped), in the largest units that keep it exact: `30s`,
/// `1m30s`, `1500ms`, `0`.
pub fn format_duration(duration: Duration) -> String {
    let ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    if ms == 0 {
        return "0".to_owned();
    }
    if ms % 1_000 != 0 {
        return format!("{ms}ms");
    }
    let mut left = ms / 1_000;
    let mut text = String::new();
    for (unit, seconds) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if left >= seconds {
            text.push_str(&format!("{}{unit}", left / seconds));
            left %= seconds;
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn parses_each_unit_and_combinations() {
        assert_eq!(parse_duration("250ms"), Ok(ms(250)));
        assert_eq!(parse_duration("30s"), Ok(ms(30_000)));
        assert_eq!(parse_duration("5m"), Ok(ms(300_000)));
        assert_eq!(parse_duration("1h"), Ok(ms(3_600_000)));
        assert_eq!(parse_duration("2d"), Ok(ms(172_800_000)));
        assert_eq!(parse_duration("1h30m"), Ok(ms(5_400_000)));
        assert_eq!(parse_duration("1m500ms"), Ok(ms(60_500)));
        assert_eq!(parse_duration(" 10s "), Ok(ms(10_000)));
    }

    #[test]
    fn zero_needs_no_unit() {
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        assert_eq!(parse_duration(""), Err(DurationError::Empty));
        assert_eq!(parse_duration("  "), Err(DurationError::Empty));
        assert_eq!(
            parse_duration("30"),
            Err(DurationError::MissingUnit("30".to_owned()))
        );
        assert_eq!(
            parse_duration("5x"),
            Err(DurationError::UnknownUnit("x".to_owned()))
        );
        assert_eq!(
            parse_duration("1.5s"),
            Err(DurationError::MissingUnit("1".to_owned()))
        );
        assert_eq!(
            parse_duration("s"),
            Err(DurationError::MissingNumber("s".to_owned()))
        );
        assert_eq!(
            parse_duration("-1s"),
            Err(DurationError::MissingNumber("-1s".to_owned()))
        );
        assert!(matches!(
            parse_duration("99999999999999999999s"),
            Err(DurationError::Overflow(_))
        ));
        assert!(matches!(
            parse_duration("9999999999999999d"),
            Err(DurationError::Overflow(_))
        ));
    }

    #[test]
    fn formats_what_it_parses() {
        for (n, text) in [
            (0, "0"),
            (250, "250ms"),
            (1_500, "1500ms"),
            (30_000, "30s"),
            (90_000, "1m30s"),
            (3_600_000, "1h"),
            (90_061_000, "1d1h1m1s"),
        ] {
            assert_eq!(format_duration(ms(n)), text);
            assert_eq!(parse_duration(text), Ok(ms(n)), "{text}");
        }
        assert_eq!(format_duration(Duration::from_micros(2_500)), "2ms");
    }

    #[test]
    fn errors_read_well() {
        let message = parse_duration("5x").map_err(|e| e.to_string());
        assert_eq!(
            message,
            Err("unknown unit \"x\" (use ms, s, m, h or d)".to_owned())
        );
    }
}
