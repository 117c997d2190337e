//! Recurring reservations as the original schedules them: daily on chosen weekdays; every
//! N weeks on chosen weekdays; monthly on a day of the month or on the nth weekday, every
//! N months; ending after a number of occurrences or by a date. Occurrences are numbered
//! (the conference of the 3rd is "Name_00003"). Days and weekdays are those of the time
//! zone the series was saved in (by name, daylight saving included: see [`crate::zone`]), so
//! "Mondays 09:00" in Europe/Berlin stays Monday 09:00 there in winter and in summer.
//! Series saved before zones had names keep their fixed offset.

use crate::timefmt::{civil_from_days, days_from_civil, Millis};
use crate::zone::Clock;
use serde::{Deserialize, Serialize};

pub const DAY_MS: i64 = 86_400_000;
/// Most occurrences of one series (a year of daily meetings).
pub const MAX_OCCURRENCES: u32 = 366;
/// How far ahead the next occurrence is looked for (every 12 months is the sparsest).
const SEARCH_DAYS: i64 = 5 * 366;

/// Which days a series falls on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pattern {
    /// Every day whose weekday is in `days` (bit 0 = Sunday ... bit 6 = Saturday).
    Daily { days: u8 },
    /// Every `every` weeks (counted from the first occurrence's week, weeks start on
    /// Sunday), on the weekdays in `days`.
    Weekly { every: u32, days: u8 },
    /// Day `day` (1–31; the month's last day when it has fewer) of every `every` months.
    MonthlyDay { every: u32, day: u32 },
    /// The `nth` (1–4, or 5 = last) `weekday` (0 = Sunday) of every `every` months.
    MonthlyNth { every: u32, nth: u32, weekday: u32 },
}

/// When a series ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SeriesEnd {
    /// After this many occurrences in all.
    After(u32),
    /// No occurrence starts after this instant (the end of the end-by date, there).
    By(Millis),
}

/// A recurring reservation's rule and where the series stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    pub pattern: Pattern,
    pub end: SeriesEnd,
    /// The number of the occurrence the reservation's start is (1 for the first).
    pub index: u32,
    /// Minutes to add to the series' local time to get UTC (as a browser's
    /// `getTimezoneOffset` gives it): weekdays and month days are those of that zone.
    pub offset_min: i32,
    /// The local day (days since 1970-01-01) of the first occurrence: "every N" counts from it.
    pub anchor_day: i64,
    /// The zone the series was made in and its wall-clock time; absent in series saved
    /// before zones had names (they keep `offset_min`). When the name is no longer in the
    /// database, `offset_min` (the first occurrence's) is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<SeriesZone>,
}

/// Where a series' wall clock is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesZone {
    /// An IANA name, "Europe/Berlin".
    pub name: String,
    /// The time of day every occurrence starts at there, in milliseconds (kept, so an
    /// occurrence moved out of a skipped hour does not move the ones after it).
    pub wall_ms: i64,
}

/// 0 = Sunday ... 6 = Saturday.
pub fn weekday(day: i64) -> u32 {
    (day + 4).rem_euclid(7) as u32
}

pub fn days_in_month(y: i64, m: u32) -> u32 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (days_from_civil(ny, nm, 1) - days_from_civil(y, m, 1)) as u32
}

fn month_index(day: i64) -> i64 {
    let (y, m, _) = civil_from_days(day);
    y * 12 + i64::from(m) - 1
}

/// (local day, milliseconds into that day) of an instant in a zone `offset_min` from UTC.
pub fn local_day(ms: Millis, offset_min: i32) -> (i64, i64) {
    let local = ms - i64::from(offset_min) * 60_000;
    (local.div_euclid(DAY_MS), local.rem_euclid(DAY_MS))
}

/// The instant of a local day and time of day.
pub fn instant(day: i64, time_of_day_ms: i64, offset_min: i32) -> Millis {
    day * DAY_MS + time_of_day_ms + i64::from(offset_min) * 60_000
}

impl Pattern {
    /// Whether the series (first occurrence on `anchor_day`) falls on `day`.
    pub fn falls_on(self, anchor_day: i64, day: i64) -> bool {
        if day < anchor_day {
            return false;
        }
        let in_mask = |days: u8| days & (1 << weekday(day)) != 0;
        match self {
            Pattern::Daily { days } => in_mask(days),
            Pattern::Weekly { every, days } => {
                let week = |d: i64| (d - i64::from(weekday(d))).div_euclid(7);
                in_mask(days) && (week(day) - week(anchor_day)).rem_euclid(i64::from(every.max(1))) == 0
            }
            Pattern::MonthlyDay { every, day: dom } => {
                let (y, m, d) = civil_from_days(day);
                (month_index(day) - month_index(anchor_day)).rem_euclid(i64::from(every.max(1))) == 0
                    && d == dom.min(days_in_month(y, m))
            }
            Pattern::MonthlyNth { every, nth, weekday: wd } => {
                let (y, m, d) = civil_from_days(day);
                let nth_ok = if nth >= 5 { d + 7 > days_in_month(y, m) } else { (d - 1) / 7 + 1 == nth };
                (month_index(day) - month_index(anchor_day)).rem_euclid(i64::from(every.max(1))) == 0
                    && weekday(day) == wd
                    && nth_ok
            }
        }
    }
}

/// The first day from `from_day` (inclusive) the pattern falls on, searching a bounded
/// span; `anchor_day` is where "every N" counts from.
fn first_day_from(p: Pattern, anchor_day: i64, from_day: i64) -> Option<i64> {
    (from_day..=from_day + SEARCH_DAYS).find(|d| p.falls_on(anchor_day, *d))
}

/// The first occurrence at or after `start`: the start itself when its day fits the
/// pattern, else the next day that does, at the same time of day. `None` if none within
/// five years.
pub fn first_start(p: Pattern, start: Millis, clock: &Clock) -> Option<(Millis, i64)> {
    let (day, tod) = clock.local_day(start);
    // Weekly counts weeks from the start's own week; months from its month.
    let day = first_day_from(p, day, day)?;
    Some((clock.instant(day, tod), day))
}

impl Series {
    /// A new series whose first occurrence starts at `first` on `anchor_day` by `clock`.
    pub fn new(pattern: Pattern, end: SeriesEnd, first: Millis, anchor_day: i64, clock: &Clock) -> Series {
        let zone = match clock {
            Clock::Named { name, .. } => Some(SeriesZone { name: name.clone(), wall_ms: clock.local_day(first).1 }),
            Clock::Offset(_) => None,
        };
        Series { pattern, end, index: 1, offset_min: clock.offset_min_at(first), anchor_day, zone }
    }

    /// The series' clock: its named zone, else its fixed offset.
    pub fn clock(&self) -> Clock {
        self.zone
            .as_ref()
            .and_then(|z| Clock::named(&z.name).ok())
            .unwrap_or(Clock::Offset(self.offset_min))
    }

    /// The next occurrence after the one starting at `start`, or `None` when the series
    /// is over.
    pub fn next(&self, start: Millis) -> Option<(Millis, Series)> {
        self.next_by(&self.clock(), start)
    }

    /// [`Series::next`] with the series' clock already looked up (walking many occurrences).
    pub fn next_by(&self, clock: &Clock, start: Millis) -> Option<(Millis, Series)> {
        self.next_unbounded(clock, start).filter(|(_, s)| s.index <= MAX_OCCURRENCES)
    }

    fn next_unbounded(&self, clock: &Clock, start: Millis) -> Option<(Millis, Series)> {
        let (at, index) = self.step(clock, start, self.index)?;
        Some((at, Series { index, ..self.clone() }))
    }

    /// The start and number of the occurrence after occurrence `index` (starting at
    /// `start`), with no bound on the number: a calendar walks a series with it, copying
    /// nothing.
    pub fn step(&self, clock: &Clock, start: Millis, index: u32) -> Option<(Millis, u32)> {
        let (day, tod) = clock.local_day(start);
        // The wall time it was made for, not this occurrence's (moved if in a skipped hour).
        let tod = self.zone.as_ref().map_or(tod, |z| z.wall_ms);
        let next_day = first_day_from(self.pattern, self.anchor_day, day + 1)?;
        let at = clock.instant(next_day, tod);
        let index = index.checked_add(1)?;
        let over = match self.end {
            SeriesEnd::After(total) => index > total,
            SeriesEnd::By(limit) => at > limit,
        };
        (!over).then_some((at, index))
    }

    /// How many occurrences the series has in all (bounded by [`MAX_OCCURRENCES`] + 1, so
    /// an over-long series can be refused), the first starting at `start`.
    pub fn count_from(&self, start: Millis) -> u32 {
        let clock = self.clock();
        let mut n = 1;
        let (mut at, mut s) = (start, self.clone());
        while n <= MAX_OCCURRENCES {
            match s.next_unbounded(&clock, at) {
                Some((a, next)) => {
                    n += 1;
                    at = a;
                    s = next;
                }
                None => break,
            }
        }
        n
    }

    /// "Weekly on Mon, Wed · occurrence 3 of 10".
    pub fn describe(&self) -> String {
        const NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
        const NTH: [&str; 5] = ["first", "second", "third", "fourth", "last"];
        let days = |mask: u8| (0..7).filter(|d| mask & (1 << d) != 0).map(|d| NAMES[d]).collect::<Vec<_>>().join(", ");
        let every = |n: u32, one: &str, many: &str| if n <= 1 { one.to_string() } else { format!("every {n} {many}") };
        let rule = match self.pattern {
            Pattern::Daily { days: 0x7f } => "Daily".to_string(),
            Pattern::Daily { days: d } => format!("Daily on {}", days(d)),
            Pattern::Weekly { every: n, days: d } => format!("{} on {}", every(n, "Weekly", "weeks"), days(d)),
            Pattern::MonthlyDay { every: n, day } => format!("Day {day} of {}", every(n, "every month", "months")),
            Pattern::MonthlyNth { every: n, nth, weekday: w } => format!(
                "The {} {} of {}",
                NTH[(nth.clamp(1, 5) - 1) as usize],
                NAMES[(w % 7) as usize],
                every(n, "every month", "months")
            ),
        };
        let end = match self.end {
            SeriesEnd::After(total) => format!("occurrence {} of {total}", self.index),
            SeriesEnd::By(limit) => {
                let (d, _) = self.clock().local_day(limit);
                let (y, m, dd) = civil_from_days(d);
                format!("occurrence {}, until {y:04}-{m:02}-{dd:02}", self.index)
            }
        };
        let mut chars = rule.chars();
        let rule: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
        format!("{rule} · {end}")
    }
}

/// The name of one occurrence's conference: "Weekly review_00003", as the original numbers them.
pub fn occurrence_name(name: &str, index: u32) -> String {
    format!("{name}_{index:05}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i64, m: u32, d: u32, h: i64) -> Millis {
        (days_from_civil(y, m, d) * 24 + h) * 3_600_000
    }

    fn starts(s: &Series, first: Millis, n: usize) -> Vec<(i64, u32, u32)> {
        local_starts(s, first, n).into_iter().map(|(d, _)| d).collect()
    }

    /// A local date and (hour, minute).
    type Local = ((i64, u32, u32), (i64, i64));

    /// Each occurrence's local date and (hour, minute), by the series' own clock.
    fn local_starts(s: &Series, first: Millis, n: usize) -> Vec<Local> {
        let clock = s.clock();
        let local = |ms: Millis| {
            let (day, tod) = clock.local_day(ms);
            (civil_from_days(day), (tod / 3_600_000, tod / 60_000 % 60))
        };
        let mut out = vec![local(first)];
        let (mut at, mut s) = (first, s.clone());
        while let Some((a, next)) = s.next(at) {
            out.push(local(a));
            if out.len() >= n {
                break;
            }
            (at, s) = (a, next);
        }
        out
    }

    fn series(pattern: Pattern, end: SeriesEnd, first: Millis, offset_min: i32) -> (Millis, Series) {
        series_by(pattern, end, first, &Clock::Offset(offset_min))
    }

    fn series_by(pattern: Pattern, end: SeriesEnd, first: Millis, clock: &Clock) -> (Millis, Series) {
        let (start, anchor_day) = first_start(pattern, first, clock).expect("a first occurrence");
        (start, Series::new(pattern, end, start, anchor_day, clock))
    }

    #[test]
    fn weekdays_weeks_and_months() {
        assert_eq!(weekday(days_from_civil(2026, 11, 28)), 6, "2026-11-28 is a Saturday");
        // Daily on weekdays, from a Saturday: Monday first.
        let (first, s) = series(Pattern::Daily { days: 0b0111110 }, SeriesEnd::After(4), at(2026, 11, 28, 9), 0);
        assert_eq!(starts(&s, first, 10), vec![(2026, 11, 30), (2026, 12, 1), (2026, 12, 2), (2026, 12, 3)]);
        // Every 2 weeks on Monday and Wednesday.
        let (first, s) = series(Pattern::Weekly { every: 2, days: 0b0001010 }, SeriesEnd::After(4), at(2026, 11, 30, 9), 0);
        assert_eq!(starts(&s, first, 10), vec![(2026, 11, 30), (2026, 12, 2), (2026, 12, 14), (2026, 12, 16)]);
        // Day 31 of every month: the last day in shorter months.
        let (first, s) = series(Pattern::MonthlyDay { every: 1, day: 31 }, SeriesEnd::After(4), at(2027, 1, 5, 9), 0);
        assert_eq!(starts(&s, first, 10), vec![(2027, 1, 31), (2027, 2, 28), (2027, 3, 31), (2027, 4, 30)]);
        // The last Friday of every 3 months.
        let (first, s) = series(Pattern::MonthlyNth { every: 3, nth: 5, weekday: 5 }, SeriesEnd::After(3), at(2026, 12, 1, 9), 0);
        assert_eq!(starts(&s, first, 10), vec![(2026, 12, 25), (2027, 3, 26), (2027, 6, 25)]);
        // The second Tuesday.
        let (first, s) = series(Pattern::MonthlyNth { every: 1, nth: 2, weekday: 2 }, SeriesEnd::After(2), at(2026, 12, 1, 9), 0);
        assert_eq!(starts(&s, first, 10), vec![(2026, 12, 8), (2027, 1, 12)]);
    }

    #[test]
    fn a_series_ends_after_its_count_or_by_its_date() {
        let (first, s) = series(Pattern::Daily { days: 0x7f }, SeriesEnd::By(at(2026, 12, 3, 23)), at(2026, 12, 1, 9), 0);
        assert_eq!(starts(&s, first, 10).len(), 3, "1, 2 and 3 December");
        assert_eq!(s.count_from(first), 3);
        let (first, s) = series(Pattern::Daily { days: 0x7f }, SeriesEnd::After(2), at(2026, 12, 1, 9), 0);
        let (second, s2) = s.next(first).expect("a second");
        assert_eq!((s2.index, second - first), (2, DAY_MS));
        assert!(s2.next(second).is_none(), "two in all");
        let endless = Series { end: SeriesEnd::By(at(2030, 1, 1, 0)), ..s.clone() };
        assert_eq!(endless.count_from(first), MAX_OCCURRENCES + 1, "counted up to the limit, then refused by the caller");
    }

    #[test]
    fn weekdays_are_those_of_the_zone_the_series_was_saved_in() {
        // Monday 00:30 in UTC+2 is Sunday 22:30 UTC: still a Monday series there.
        let offset = -120;
        let monday_local = at(2026, 11, 30, 0) + 30 * 60_000 + i64::from(offset) * 60_000;
        let (first, s) = series(Pattern::Weekly { every: 1, days: 0b0000010 }, SeriesEnd::After(2), monday_local, offset);
        assert_eq!(first, monday_local, "the start itself is a Monday there");
        let (second, _) = s.next(first).expect("next week");
        assert_eq!(second - first, 7 * DAY_MS);
        assert_eq!(occurrence_name("Standup", 3), "Standup_00003");
        assert_eq!(s.describe(), "Weekly on Mon · occurrence 1 of 2");
        let two = Series { pattern: Pattern::Weekly { every: 2, days: 0b0001010 }, ..s.clone() };
        assert_eq!(two.describe(), "Every 2 weeks on Mon, Wed · occurrence 1 of 2");
    }

    fn zone(name: &str) -> Clock {
        Clock::named(name).expect("a zone in the database")
    }

    #[test]
    fn a_weekly_0900_series_stays_at_0900_across_both_daylight_saving_changes() {
        // Mondays 09:00 from 2027-03-01 to 2027-11-29: Europe/Berlin changes on 28 March and
        // 31 October, New York on 14 March and 7 November.
        for (name, winter_utc_h, summer_utc_h) in [("Europe/Berlin", 8, 7), ("America/New_York", 14, 13)] {
            let clock = zone(name);
            let first = clock.instant(days_from_civil(2027, 3, 1), 9 * 3_600_000);
            // Until the end of 30 November there, as the form's end date makes it.
            let until = clock.instant(days_from_civil(2027, 12, 1), 0) - 1;
            let (first, s) = series_by(Pattern::Weekly { every: 1, days: 0b0000010 }, SeriesEnd::By(until), first, &clock);
            let all = local_starts(&s, first, 60);
            assert_eq!(all.len(), 40, "{name}: every Monday from 1 March to 29 November");
            assert!(all.iter().all(|(_, hm)| *hm == (9, 0)), "{name}: always 09:00 there: {all:?}");
            // In UTC it moves by the hour the clocks do.
            let mut utc = vec![first];
            let (mut at_, mut cur) = (first, s.clone());
            while let Some((a, next)) = cur.next(at_) {
                utc.push(a);
                (at_, cur) = (a, next);
            }
            let hour = |ms: Millis| ms.rem_euclid(DAY_MS) / 3_600_000;
            assert_eq!(hour(utc[0]), winter_utc_h, "{name}: 1 March");
            assert_eq!(hour(utc[20]), summer_utc_h, "{name}: 19 July");
            assert_eq!(hour(utc[39]), winter_utc_h, "{name}: 29 November");
            assert_eq!(s.describe(), "Weekly on Mon · occurrence 1, until 2027-11-30", "{name}");
        }
    }

    #[test]
    fn a_series_at_a_skipped_or_repeated_time_keeps_its_wall_time() {
        let berlin = zone("Europe/Berlin");
        // Daily 02:30 over the spring change (28 March: 02:00 → 03:00) and the autumn one
        // (31 October: 02:30 happens twice).
        for (start_day, change_day) in [((2027, 3, 27), 1), ((2027, 10, 30), 1)] {
            let (y, m, d) = start_day;
            let first = berlin.instant(days_from_civil(y, m, d), 150 * 60_000);
            let (first, s) = series_by(Pattern::Daily { days: 0x7f }, SeriesEnd::After(3), first, &berlin);
            let all = local_starts(&s, first, 10);
            assert_eq!(all.len(), 3);
            assert_eq!(all[0].1, (2, 30));
            assert_eq!(all[2].1, (2, 30), "the day after is back at 02:30");
            if m == 3 {
                assert_eq!(all[change_day].1, (3, 30), "02:30 does not exist: an hour later, as calendars do");
            } else {
                assert_eq!(all[change_day].1, (2, 30), "the first of the two 02:30s");
                let (second, s2) = s.next(first).expect("a second");
                let (third, _) = s2.next(second).expect("a third");
                assert_eq!(second - first, DAY_MS, "the first 02:30 is still summer time");
                assert_eq!(third - second, DAY_MS + 3_600_000, "the night the clocks go back is an hour longer");
            }
        }
    }

    #[test]
    fn a_series_saved_before_zones_had_names_keeps_its_offset() {
        // As an earlier version stored it: no zone, an offset of UTC+1.
        let old = r#"{"pattern":{"Weekly":{"every":1,"days":2}},"end":{"After":3},"index":1,"offset_min":-60,"anchor_day":20514}"#;
        let s: Series = serde_json::from_str(old).expect("an old series is read");
        assert_eq!(s.zone, None);
        let first = at(2026, 3, 2, 8); // Monday 09:00 at UTC+1
        let (second, _) = s.next(first).expect("next week");
        assert_eq!(second - first, 7 * DAY_MS, "a fixed offset: same UTC time every week");
        // A name the database no longer has falls back to the offset.
        let gone = Series { zone: Some(SeriesZone { name: "Gone/Away".into(), wall_ms: 0 }), ..s.clone() };
        assert_eq!(gone.clock().name(), "UTC+01:00");
        // A new series stores its zone; an old reader's fields are still there.
        let berlin = zone("Europe/Berlin");
        let (_, new) = series_by(Pattern::Daily { days: 0x7f }, SeriesEnd::After(2), at(2027, 1, 4, 8), &berlin);
        let json = serde_json::to_string(&new).expect("serialised");
        assert!(json.contains(r#""offset_min":-60"#) && json.contains("Europe/Berlin"), "{json}");
    }
}
