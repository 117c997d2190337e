//! Wall clocks: the days and times of a time zone, named as IANA names it
//! ("Europe/Berlin"), daylight saving included, through `jiff` and the tz database (the
//! system's when it has one, else the copy built in). A series saved before zones had
//! names keeps its fixed offset.
//!
//! A local time that does not exist (the hour skipped when clocks go forward) is taken as
//! the same length of time after the gap (02:30 → 03:30); one that happens twice (the hour
//! repeated when clocks go back) is the first of the two — as calendars (RFC 5545) do.

use crate::error::DomainError;
use crate::recurrence::DAY_MS;
use crate::timefmt::Millis;
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// The longest IANA name accepted (the longest there is has 32 characters).
const MAX_NAME: usize = 64;

/// The days and times of one place.
#[derive(Debug, Clone)]
pub enum Clock {
    /// Minutes to add to local time for UTC, as a browser's `getTimezoneOffset` gives it
    /// (series saved before zones had names, and API clients that send an offset).
    Offset(i32),
    /// A named zone.
    Named { name: String, tz: TimeZone },
}

impl Clock {
    pub const UTC: Clock = Clock::Offset(0);

    /// A zone by its IANA name ("Europe/Berlin", "UTC"), with a message that says what to
    /// type when it is not one.
    pub fn named(raw: &str) -> Result<Clock, DomainError> {
        let name = raw.trim();
        let unknown = || {
            DomainError::invalid("time_zone", "Choose a time zone from the list: an IANA name such as Europe/Berlin or America/New_York.")
        };
        if name.is_empty() || name.len() > MAX_NAME {
            return Err(unknown());
        }
        let tz = TimeZone::get(name).map_err(|_| unknown())?;
        // The database's own spelling ("europe/berlin" is found, "Europe/Berlin" is stored).
        let name = tz.iana_name().unwrap_or(name).to_string();
        Ok(Clock::Named { name, tz })
    }

    /// The zone's name, or "UTC+01:00" for a fixed offset.
    pub fn name(&self) -> String {
        match self {
            Clock::Named { name, .. } => name.clone(),
            Clock::Offset(0) => "UTC".into(),
            Clock::Offset(m) => {
                let east = -m;
                let sign = if east > 0 { '+' } else { '-' };
                format!("UTC{sign}{:02}:{:02}", east.abs() / 60, east.abs() % 60)
            }
        }
    }

    /// Minutes to add to local time for UTC at `ms` (negative east of Greenwich).
    pub fn offset_min_at(&self, ms: Millis) -> i32 {
        match self {
            Clock::Offset(m) => *m,
            Clock::Named { tz, .. } => match Timestamp::from_millisecond(ms) {
                Ok(ts) => -(tz.to_offset(ts).seconds() / 60),
                Err(_) => 0,
            },
        }
    }

    /// (local day since 1970-01-01, milliseconds into that day) of an instant.
    pub fn local_day(&self, ms: Millis) -> (i64, i64) {
        crate::recurrence::local_day(ms, self.offset_min_at(ms))
    }

    /// The instant a local day and time of day is: a skipped time moves on by the gap, a
    /// repeated one is the first.
    pub fn instant(&self, day: i64, time_of_day_ms: i64) -> Millis {
        let fixed = |m: i32| crate::recurrence::instant(day, time_of_day_ms, m);
        match self {
            Clock::Offset(m) => fixed(*m),
            Clock::Named { tz, .. } => {
                let local = day * DAY_MS + time_of_day_ms;
                Timestamp::from_millisecond(local)
                    .map(|ts| jiff::tz::Offset::UTC.to_datetime(ts))
                    .and_then(|dt| tz.to_timestamp(dt))
                    .map(|ts| ts.as_millisecond())
                    // Outside the years the library covers (±9999): as UTC.
                    .unwrap_or_else(|_| fixed(0))
            }
        }
    }
}

/// Every zone name the database knows, sorted (for the form's list).
pub fn names() -> Vec<String> {
    let mut all: Vec<String> = jiff::tz::db().available().map(|n| n.as_str().to_string()).collect();
    all.sort();
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timefmt::days_from_civil;

    fn utc(y: i64, m: u32, d: u32, h: i64, min: i64) -> Millis {
        days_from_civil(y, m, d) * DAY_MS + (h * 60 + min) * 60_000
    }

    #[test]
    fn a_named_zone_follows_daylight_saving() {
        let berlin = Clock::named("Europe/Berlin").expect("known");
        // 09:00 in January is 08:00 UTC, in July 07:00 UTC.
        assert_eq!(berlin.instant(days_from_civil(2027, 1, 11), 9 * 3_600_000), utc(2027, 1, 11, 8, 0));
        assert_eq!(berlin.instant(days_from_civil(2027, 7, 12), 9 * 3_600_000), utc(2027, 7, 12, 7, 0));
        assert_eq!(berlin.local_day(utc(2027, 7, 12, 7, 0)), (days_from_civil(2027, 7, 12), 9 * 3_600_000));
        assert_eq!(berlin.offset_min_at(utc(2027, 1, 11, 8, 0)), -60);
    }

    #[test]
    fn a_skipped_time_moves_on_and_a_repeated_one_is_the_first() {
        let berlin = Clock::named("Europe/Berlin").expect("known");
        // 2027-03-28: 02:00 → 03:00. 02:30 does not exist: 03:30 CEST = 01:30 UTC.
        assert_eq!(berlin.instant(days_from_civil(2027, 3, 28), 150 * 60_000), utc(2027, 3, 28, 1, 30));
        // 2027-10-31: 03:00 → 02:00. 02:30 happens twice: the first (CEST) = 00:30 UTC.
        assert_eq!(berlin.instant(days_from_civil(2027, 10, 31), 150 * 60_000), utc(2027, 10, 31, 0, 30));
    }

    #[test]
    fn names_are_checked_and_spelt_as_the_database_does() {
        assert_eq!(Clock::named(" America/New_York ").expect("known").name(), "America/New_York");
        for bad in ["", "Mars/Olympus", "../../etc/passwd", &"A".repeat(200)] {
            let e = Clock::named(bad).expect_err("refused");
            assert!(e.to_string().contains("IANA name"), "{e}");
        }
        assert_eq!(Clock::Offset(-90).name(), "UTC+01:30");
        assert_eq!(Clock::Offset(300).name(), "UTC-05:00");
        let all = names();
        assert!(all.len() > 300 && all.iter().any(|n| n == "Europe/Berlin"), "{}", all.len());
    }
}
