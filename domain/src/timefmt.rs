//! Date formatting that gives the same text on the server and in the browser (no time
//! zone database, no locale), so server-rendered pages hydrate without mismatches.

/// Milliseconds since the Unix epoch (UTC).
pub type Millis = i64;

/// (year, month 1–12, day 1–31) of a day count since 1970-01-01 (proleptic Gregorian).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // day of era, 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // year of era
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of year from March 1st
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// "2026-11-25 17:30 UTC".
pub fn format_utc(ms: Millis) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}

/// "2026-11-25T17:30:05Z" (ISO 8601 to the second: exports).
pub fn format_iso_seconds(ms: Millis) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// "3 d 4 h", "2 h 5 min", "42 s".
pub fn format_duration_s(s: u64) -> String {
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        3600..=86_399 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

/// A duration to the tenth of a second under a minute ("0.4 s", "59.2 s"), else as
/// [`format_duration_s`]: a one-second blip and a minute's outage read differently.
pub fn format_duration_ms(ms: Millis) -> String {
    let ms = ms.max(0);
    if ms < 60_000 {
        format!("{}.{} s", ms / 1000, ms % 1000 / 100)
    } else {
        format_duration_s((ms / 1000) as u64)
    }
}

/// "2026-11-25 17:30:05 UTC" (to the second: alarms, the event log, the audit trail).
pub fn format_utc_seconds(ms: Millis) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Days since 1970-01-01 of a civil date (inverse of [`civil_from_days`]).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses a UTC time as a `datetime-local` input gives it: "2026-11-25T17:30",
/// "2026-11-25T17:30:15" (a space instead of the T is accepted too).
pub fn parse_utc(raw: &str) -> Option<Millis> {
    let v = raw.trim().trim_end_matches("UTC").trim_end_matches('Z').trim();
    let (date, time) = v.split_once(['T', ' '])?;
    let mut d = date.split('-');
    let (y, mo, da) = (d.next()?.parse::<i64>().ok()?, d.next()?.parse::<u32>().ok()?, d.next()?.parse::<u32>().ok()?);
    let mut t = time.split(':');
    let (h, mi) = (t.next()?.parse::<i64>().ok()?, t.next()?.parse::<i64>().ok()?);
    let s = match t.next() {
        Some(s) => s.split('.').next()?.parse::<i64>().ok()?,
        None => 0,
    };
    let valid = d.next().is_none()
        && t.next().is_none()
        && (1970..=9999).contains(&y)
        && (1..=12).contains(&mo)
        && (1..=31).contains(&da)
        && (0..24).contains(&h)
        && (0..60).contains(&mi)
        && (0..60).contains(&s);
    if !valid || civil_from_days(days_from_civil(y, mo, da)) != (y, mo, da) {
        return None; // e.g. 2026-02-30
    }
    Some(((days_from_civil(y, mo, da) * 86_400) + h * 3600 + mi * 60 + s) * 1000)
}

/// A date "2026-11-25" as days since 1970-01-01, if it is one.
pub fn parse_date(raw: &str) -> Option<i64> {
    parse_utc(&format!("{}T00:00", raw.trim())).map(|ms| ms.div_euclid(86_400_000))
}

/// A 24-hour time "17:30" (or "7:05") as milliseconds into the day, if it is one.
pub fn parse_time_of_day(raw: &str) -> Option<i64> {
    let v = raw.trim();
    let (h, m) = v.split_once(':')?;
    let (h, m) = (h.parse::<i64>().ok()?, m.parse::<i64>().ok()?);
    ((0..24).contains(&h) && (0..60).contains(&m) && v.len() <= 5).then_some((h * 60 + m) * 60_000)
}

/// The value a `datetime-local` input takes: "2026-11-25T17:30:15".
pub fn input_value(ms: Millis) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// A minute in milliseconds.
pub const MINUTE_MS: i64 = 60_000;

/// Longest duration (a reservation's, a conference's): one day (a daily series must not
/// overlap itself).
pub const MAX_DURATION_MIN: u32 = 24 * 60;

/// A duration as "H:MM" (RMX shows "01:00") or whole minutes ("90").
pub fn duration_min(raw: &str) -> Result<u32, crate::error::DomainError> {
    let v = raw.trim();
    let minutes = match v.split_once(':') {
        Some((h, m)) if m.len() == 2 => h.parse::<u32>().ok().zip(m.parse::<u32>().ok().filter(|m| *m < 60)).map(|(h, m)| h * 60 + m),
        Some(_) => None,
        None => v.parse::<u32>().ok(),
    };
    minutes
        .filter(|m| (1..=MAX_DURATION_MIN).contains(m))
        .ok_or_else(|| crate::error::DomainError::invalid("duration", "The duration is H:MM (e.g. 1:00) or minutes, from 1 minute to 24 hours."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_durations_keep_the_tenths_and_times_the_seconds() {
        assert_eq!(format_duration_ms(420), "0.4 s");
        assert_eq!(format_duration_ms(59_250), "59.2 s");
        assert_eq!(format_duration_ms(61_000), "1 min 1 s");
        assert_eq!(format_duration_ms(-5), "0.0 s");
        assert_eq!(format_utc_seconds(1_764_091_805_000), "2025-11-25 17:30:05 UTC");
    }

    #[test]
    fn known_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(1_795_620_600_000), "2026-11-25 15:30 UTC");
        assert_eq!(format_utc(-1000), "1969-12-31 23:59 UTC");
    }

    #[test]
    fn parsing_round_trips_and_refuses_nonsense() {
        for ms in [0, 951_782_400_000, 1_795_620_615_000] {
            assert_eq!(parse_utc(&input_value(ms)), Some(ms));
        }
        assert_eq!(parse_utc("2026-11-25T15:30"), Some(1_795_620_600_000));
        assert_eq!(parse_utc("2026-11-25 15:30 UTC"), Some(1_795_620_600_000));
        for bad in ["", "tomorrow", "2026-02-30T10:00", "2026-13-01T10:00", "2026-11-25T24:00", "2026-11-25", "2026-11-25T10:00:00:00"] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(format_duration_s(42), "42 s");
        assert_eq!(format_duration_s(125), "2 min 5 s");
        assert_eq!(format_duration_s(7500), "2 h 5 min");
        assert_eq!(format_duration_s(3 * 86_400 + 4 * 3600), "3 d 4 h");
    }
}
