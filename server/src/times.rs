//! Time at the edge: the clock, and RFC 3339 in and out. Stored times are Unix seconds (UTC).

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// Now, Unix seconds.
pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// `secs` as `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds).
pub fn format(secs: i64) -> String {
    reftrail::time::rfc3339(u64::try_from(secs).unwrap_or(0))
}

/// Parses an RFC 3339 time (any offset) into Unix seconds; `None` if malformed or outside
/// 1970..=9999.
pub fn parse(s: &str) -> Option<i64> {
    if s.len() > 40 {
        return None;
    }
    let t = OffsetDateTime::parse(s, &Rfc3339).ok()?.unix_timestamp();
    (0..=253_402_300_799).contains(&t).then_some(t)
}

/// Parses a date `YYYY-MM-DD` (start of that day, UTC) or a full RFC 3339 time.
pub fn parse_date_or_time(s: &str) -> Option<i64> {
    if s.len() == 10 {
        parse(&format!("{s}T00:00:00Z"))
    } else {
        parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let t = parse("2026-11-23T10:00:00Z").unwrap();
        assert_eq!(format(t), "2026-11-23T10:00:00Z");
        assert_eq!(parse("2026-11-23T17:00:00+07:00"), Some(t));
        assert_eq!(
            parse_date_or_time("2026-11-23"),
            parse("2026-11-23T00:00:00Z")
        );
    }

    #[test]
    fn refuses_junk() {
        for s in [
            "",
            "2026-13-01T00:00:00Z",
            "yesterday",
            "1969-12-31T23:59:59Z",
            "2026-11-23",
        ] {
            assert_eq!(parse(s), None, "{s}");
        }
    }
}
