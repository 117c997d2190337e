//! Reservations and the scheduler's decisions: building a reservation from a form, and
//! what is due at a given time (start an occurrence, move a series on, end a conference
//! whose end time has passed). Plain functions of (time, records); the server's scheduler
//! task commits what they return, so the same decisions hold after a restart or failover.

use crate::conference::{display_name, numeric_id, participant_address};
use crate::model::*;
use crate::recurrence::Pattern;
use crate::zone::Clock;
use serde::{Deserialize, Serialize};
use crate::DomainError;

pub use crate::timefmt::{duration_min, MAX_DURATION_MIN, MINUTE_MS};

/// A conference still in use at its end time is extended by this much, again and again
/// while anyone is connected (as the original does), instead of cutting people off.
pub const AUTO_EXTEND_MS: i64 = 15 * MINUTE_MS;
use crate::recurrence::DAY_MS;

/// Most defined participants of a reservation.
pub const MAX_DEFINED_PARTICIPANTS: usize = 40;

/// Defined participants, one per line: "Name, address" or "Name, address, sip|h323"
/// (the protocol defaults to SIP for a URI, H.323 otherwise).
pub fn defined_participants(raw: &str) -> Result<Vec<DefinedParticipant>, DomainError> {
    let field = "participants";
    let lines: Vec<&str> = raw.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if lines.len() > MAX_DEFINED_PARTICIPANTS {
        return Err(DomainError::invalid(field, format!("At most {MAX_DEFINED_PARTICIPANTS} defined participants.")));
    }
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let at = |msg: String| DomainError::invalid(field, format!("Line {}: {msg}", i + 1));
            let parts: Vec<&str> = line.split(',').map(str::trim).collect();
            let (name, address, proto) = match parts.as_slice() {
                [n, a] => (*n, *a, None),
                [n, a, p] => (*n, *a, Some(*p)),
                _ => return Err(at("write 'Name, address' or 'Name, address, sip|h323'.".into())),
            };
            let protocol = match proto.map(str::to_ascii_lowercase).as_deref() {
                None if address.contains('@') => Protocol::Sip,
                None | Some("h323") | Some("h.323") => Protocol::H323,
                Some("sip") => Protocol::Sip,
                Some(other) => return Err(at(format!("'{other}' is not a protocol (sip or h323)."))),
            };
            let name = display_name(field, name).map_err(|e| at(e.to_string()))?;
            let address = participant_address(protocol, address).map_err(|e| at(e.to_string()))?;
            Ok(DefinedParticipant { name, address, protocol })
        })
        .collect()
}

/// The form text of defined participants (inverse of [`defined_participants`]).
pub fn participants_text(ps: &[DefinedParticipant]) -> String {
    ps.iter()
        .map(|p| format!("{}, {}, {}", p.name, p.address, if p.protocol == Protocol::Sip { "sip" } else { "h323" }))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The form's raw values.
#[derive(Debug, Clone, Default)]
pub struct ReservationForm<'a> {
    pub name: &'a str,
    pub numeric_id: &'a str,
    pub profile_id: &'a str,
    /// An API client's start: "2026-11-25T17:30" in UTC (the page sends date and time).
    pub start: &'a str,
    /// The page's start: a date "2026-11-25" and a 24-hour time "17:30" in `time_zone`.
    pub start_date: &'a str,
    pub start_time: &'a str,
    /// "Start now" ticked: the start fields are ignored.
    pub start_now: bool,
    /// The zone the start and the series are in, by IANA name ("Europe/Berlin"); a series
    /// keeps its wall-clock time there across daylight saving. Empty: `tz_offset_min`.
    pub time_zone: &'a str,
    /// API clients of earlier versions: minutes to add to local time for UTC (a fixed
    /// offset, as `getTimezoneOffset` gives it); empty = UTC.
    pub tz_offset_min: &'a str,
    pub duration: &'a str,
    /// "none", "daily", "weekly" or "monthly".
    pub recurrence: &'a str,
    /// Weekly: every N weeks; monthly: every N months.
    pub every: &'a str,
    /// Daily and weekly: the weekdays ticked (Sunday first).
    pub weekdays: [bool; 7],
    /// Monthly: "day" (day of the month) or "nth" (the nth weekday).
    pub monthly: &'a str,
    pub month_day: &'a str,
    /// 1–4, or 5 for the last.
    pub nth: &'a str,
    /// 0 = Sunday.
    pub nth_weekday: &'a str,
    /// "after" (a number of occurrences) or "by" (a date).
    pub end: &'a str,
    pub occurrences: &'a str,
    /// A date "2026-12-31" in the browser's time zone.
    pub end_by: &'a str,
    pub participants: &'a str,
}

/// The largest time zone offset there is (UTC−14 to UTC+14), in minutes.
const MAX_OFFSET_MIN: i32 = 14 * 60;

fn offset_min(raw: &str) -> Result<i32, DomainError> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(0);
    }
    v.parse::<i32>()
        .ok()
        .filter(|m| m.abs() <= MAX_OFFSET_MIN)
        .ok_or_else(|| DomainError::invalid("start", "The browser's time zone was not understood: reload the page and try again."))
}

/// "2026-11-25" as a day count.
fn date(field: &'static str, raw: &str) -> Result<i64, DomainError> {
    crate::timefmt::parse_date(raw).ok_or_else(|| DomainError::invalid(field, "Enter a date, e.g. 2026-11-25."))
}

/// "17:30" (24-hour) as milliseconds into the day.
fn time_of_day(raw: &str) -> Result<i64, DomainError> {
    crate::timefmt::parse_time_of_day(raw)
        .ok_or_else(|| DomainError::invalid("start_time", "Enter the time as HH:MM on the 24-hour clock, e.g. 17:30."))
}

/// The clock the form was filled in by: its zone, else its fixed offset, else UTC.
fn clock_of(f: &ReservationForm<'_>) -> Result<Clock, DomainError> {
    if !f.time_zone.trim().is_empty() {
        return Clock::named(f.time_zone);
    }
    offset_min(f.tz_offset_min).map(Clock::Offset)
}

/// When the reservation starts (UTC), and the clock the form was filled in by.
fn start_of(f: &ReservationForm<'_>, now: Millis) -> Result<(Millis, Clock), DomainError> {
    let clock = clock_of(f)?;
    if f.start_now {
        return Ok((now, clock));
    }
    if !f.start.trim().is_empty() {
        let at = crate::timefmt::parse_utc(f.start)
            .ok_or_else(|| DomainError::invalid("start", "Enter the start as date and time (UTC), e.g. 2026-11-25T17:30."))?;
        // In UTC, unless a zone was named: then the series keeps that zone's wall clock.
        return Ok((at, if f.time_zone.trim().is_empty() { Clock::UTC } else { clock }));
    }
    let mut e = crate::FieldErrors::default();
    let day = if f.start_date.trim().is_empty() {
        e.add(DomainError::invalid("start_date", "Enter a start date and time, or tick \"Start now\"."));
        None
    } else {
        e.check(date("start_date", f.start_date))
    };
    let tod = if f.start_time.trim().is_empty() {
        e.add(DomainError::invalid("start_time", "Enter a start time (HH:MM), or tick \"Start now\"."));
        None
    } else {
        e.check(time_of_day(f.start_time))
    };
    let (Some(day), Some(tod)) = (day, tod) else { return Err(e.into_error()) };
    Ok((clock.instant(day, tod), clock))
}

fn number(field: &'static str, raw: &str, lo: u32, hi: u32, what: &str) -> Result<u32, DomainError> {
    raw.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (lo..=hi).contains(n))
        .ok_or_else(|| DomainError::invalid(field, format!("{what} is a whole number from {lo} to {hi}.")))
}

fn weekday_mask(days: [bool; 7]) -> u8 {
    days.iter().enumerate().filter(|(_, on)| **on).fold(0u8, |m, (i, _)| m | (1 << i))
}

/// The series' pattern from the form (`None`: no recurrence). Weekly with no weekday
/// ticked falls on the start's weekday.
fn pattern(f: &ReservationForm<'_>, start_weekday: u32) -> Result<Option<Pattern>, DomainError> {
    use crate::recurrence::Pattern as P;
    let mask = weekday_mask(f.weekdays);
    Ok(Some(match f.recurrence.trim() {
        "none" | "" => return Ok(None),
        // No day ticked: every day.
        "daily" => P::Daily { days: if mask == 0 { 0x7f } else { mask } },
        "weekly" => P::Weekly {
            every: number("every", f.every, 1, 52, "Every N weeks")?,
            days: if mask == 0 { 1 << start_weekday } else { mask },
        },
        "monthly" => {
            let every = number("every", f.every, 1, 12, "Every N months")?;
            match f.monthly.trim() {
                "nth" => P::MonthlyNth {
                    every,
                    nth: number("nth", f.nth, 1, 5, "Which week")?,
                    weekday: number("nth_weekday", f.nth_weekday, 0, 6, "The weekday")?,
                },
                _ => P::MonthlyDay { every, day: number("month_day", f.month_day, 1, 31, "The day of the month")? },
            }
        }
        _ => return Err(DomainError::invalid("recurrence", "Choose no recurrence, daily, weekly or monthly.")),
    }))
}

/// Builds a reservation. An empty numeric ID takes `free_id`. The start is required (or
/// "Start now"); a start a little in the past is accepted (it starts at once) as long as
/// its end is still ahead. Every wrong field is reported at once.
pub fn reservation(id: String, f: &ReservationForm<'_>, free_id: &str, profiles: &[Profile], now: Millis) -> Result<Reservation, DomainError> {
    use crate::recurrence::{first_start, weekday, Series, SeriesEnd, MAX_OCCURRENCES};
    let mut e = crate::FieldErrors::default();
    let name = e.check(display_name("name", f.name));
    let numeric_id = if f.numeric_id.trim().is_empty() { Some(free_id.to_string()) } else { e.check(numeric_id(f.numeric_id)) };
    // Empty: the default profile, as for a conference started now.
    if !f.profile_id.is_empty() && !profiles.iter().any(|p| p.id == f.profile_id) {
        e.add(DomainError::invalid("profile_id", "Choose a conference profile from the list."));
    }
    let start = e.check(start_of(f, now));
    let duration_min = e.check(duration_min(f.duration));
    let participants = e.check(defined_participants(f.participants));
    let pattern = match &start {
        Some((at, clock)) => e.check(pattern(f, weekday(clock.local_day(*at).0))).flatten(),
        None => None,
    };
    let (Some(name), Some(numeric_id), Some((start_ms, clock)), Some(duration_min), Some(participants), true) =
        (name, numeric_id, start, duration_min, participants, e.is_empty())
    else {
        return Err(e.into_error());
    };
    let (start_ms, recurrence) = match pattern {
        None => (start_ms, Recurrence::None),
        Some(p) => {
            let end = match f.end.trim() {
                "by" => {
                    let day = date("end_by", f.end_by)?;
                    SeriesEnd::By(clock.instant(day + 1, 0) - 1)
                }
                _ => SeriesEnd::After(number("occurrences", f.occurrences, 1, MAX_OCCURRENCES, "The number of occurrences")?),
            };
            let (first, anchor_day) = first_start(p, start_ms, &clock)
                .ok_or_else(|| DomainError::invalid("recurrence", "That pattern has no day in the next five years."))?;
            let series = Series::new(p, end, first, anchor_day, &clock);
            if let SeriesEnd::By(limit) = end {
                if first > limit {
                    return Err(DomainError::invalid("end_by", "The end date is before the first occurrence."));
                }
                if series.count_from(first) > MAX_OCCURRENCES {
                    return Err(DomainError::invalid("end_by", format!("That makes more than {MAX_OCCURRENCES} occurrences: choose an earlier end date.")));
                }
            }
            (first, Recurrence::Series(series))
        }
    };
    if start_ms + i64::from(duration_min) * MINUTE_MS <= now {
        return Err(DomainError::invalid("start_date", "That reservation would already be over: choose a later start."));
    }
    Ok(Reservation { id, name, numeric_id, profile_id: f.profile_id.to_string(), start_ms, duration_min, recurrence, participants })
}

/// The next occurrence of a series, or `None` when this was the last one.
pub fn next_occurrence(r: &Reservation) -> Option<Reservation> {
    let (start_ms, recurrence) = match &r.recurrence {
        Recurrence::None => return None,
        Recurrence::Series(s) => s.next(r.start_ms).map(|(at, next)| (at, Recurrence::Series(next)))?,
        Recurrence::Daily { count } => (r.start_ms + DAY_MS, Recurrence::Daily { count: count.checked_sub(1).filter(|c| *c > 0)? }),
        Recurrence::Weekly { count } => (r.start_ms + 7 * DAY_MS, Recurrence::Weekly { count: count.checked_sub(1).filter(|c| *c > 0)? }),
    };
    Some(Reservation { start_ms, recurrence, ..r.clone() })
}

/// A walk through one reservation's occurrences, from the one it starts with: each
/// occurrence's start and number (a series' index, or what is left of an earlier version's
/// daily or weekly count). Nothing is copied per step; the series' zone is looked up once.
struct Walk<'a> {
    recurrence: &'a Recurrence,
    clock: Option<Clock>,
    at: Option<(Millis, u32)>,
}

impl<'a> Walk<'a> {
    fn new(r: &'a Reservation) -> Walk<'a> {
        let (clock, n) = match &r.recurrence {
            Recurrence::Series(s) => (Some(s.clock()), s.index),
            Recurrence::Daily { count } | Recurrence::Weekly { count } => (None, *count),
            Recurrence::None => (None, 1),
        };
        Walk { recurrence: &r.recurrence, clock, at: Some((r.start_ms, n)) }
    }
}

impl Iterator for Walk<'_> {
    type Item = (Millis, u32);
    fn next(&mut self) -> Option<(Millis, u32)> {
        let (start, n) = self.at?;
        self.at = match (self.recurrence, &self.clock) {
            (Recurrence::Series(s), Some(clock)) => s.step(clock, start, n).filter(|(_, i)| *i <= crate::recurrence::MAX_OCCURRENCES),
            (Recurrence::Daily { .. }, _) if n > 1 => Some((start + DAY_MS, n - 1)),
            (Recurrence::Weekly { .. }, _) if n > 1 => Some((start + 7 * DAY_MS, n - 1)),
            _ => None,
        };
        Some((start, n))
    }
}

/// The name of the conference an occurrence starts: numbered in a series, as the original
/// does ("Weekly review_00003").
pub fn conference_name(r: &Reservation) -> String {
    match &r.recurrence {
        Recurrence::Series(s) => name_of(&r.name, &r.recurrence, s.index),
        _ => r.name.clone(),
    }
}

/// The name of occurrence number `n` ([`Walk`]'s numbers).
fn name_of(name: &str, recurrence: &Recurrence, n: u32) -> String {
    match recurrence {
        Recurrence::Series(_) => crate::recurrence::occurrence_name(name, n),
        _ => name.to_string(),
    }
}

/// One occurrence of a reservation, as a calendar shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Occurrence {
    pub start_ms: Millis,
    /// The name its conference will have ([`conference_name`]).
    pub name: String,
    pub duration_min: u32,
}

/// Occurrences a series shows in one calendar at most (a daily series in a week needs 7).
const SHOWN_PER_SERIES: usize = 50;

/// The occurrences of `reservations` that start before `until` and have not ended at
/// `now`, series expanded (at most [`SHOWN_PER_SERIES`] each), earliest first: a
/// calendar's view from now to `until`.
pub fn occurrences_between(reservations: &[Reservation], now: Millis, until: Millis) -> Vec<Occurrence> {
    let mut out = Vec::new();
    for r in reservations {
        let length = i64::from(r.duration_min) * MINUTE_MS;
        let mut shown = 0;
        // A later week of the calendar walks past the occurrences before it (a year of
        // daily ones at most).
        for (start_ms, n) in Walk::new(r).take(SERIES_STEPS).take_while(|(at, _)| *at < until) {
            if start_ms + length > now {
                out.push(Occurrence { start_ms, name: name_of(&r.name, &r.recurrence, n), duration_min: r.duration_min });
                shown += 1;
                if shown == SHOWN_PER_SERIES {
                    break;
                }
            }
        }
    }
    out.sort();
    out
}

/// A reservation's start as its form shows it: in the series' own zone (a reservation
/// without one: the reader's), with what the recurrence choices start from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WallStart {
    /// The zone's IANA name, "UTC" or "UTC+01:00" (a series of an earlier version).
    pub zone: String,
    /// "2026-11-25" and "17:30" there.
    pub date: String,
    pub time: String,
    /// 0 = Sunday.
    pub weekday: u32,
    pub month_day: u32,
    /// A series ending by a date: that date there.
    pub end_by: Option<String>,
    /// "Weekly on Mon · occurrence 3 of 10", "None", as the list shows it.
    pub recurrence: String,
}

fn date_text(day: i64) -> String {
    let (y, m, d) = crate::timefmt::civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A reservation's start by its own clock (a series) or the reader's.
pub fn wall_start(r: &Reservation, reader: &Clock) -> WallStart {
    let clock = match &r.recurrence {
        Recurrence::Series(s) => s.clock(),
        _ => reader.clone(),
    };
    let (day, tod) = clock.local_day(r.start_ms);
    let minutes = tod / MINUTE_MS;
    let (_, _, month_day) = crate::timefmt::civil_from_days(day);
    let (end_by, recurrence) = match &r.recurrence {
        Recurrence::None => (None, "None".to_string()),
        Recurrence::Daily { count } => (None, format!("Daily, {count} left")),
        Recurrence::Weekly { count } => (None, format!("Weekly, {count} left")),
        Recurrence::Series(s) => (
            match s.end {
                crate::recurrence::SeriesEnd::By(limit) => Some(date_text(clock.local_day(limit).0)),
                crate::recurrence::SeriesEnd::After(_) => None,
            },
            s.describe(),
        ),
    };
    WallStart {
        zone: clock.name(),
        date: date_text(day),
        time: format!("{:02}:{:02}", minutes / 60, minutes % 60),
        weekday: crate::recurrence::weekday(day),
        month_day,
        end_by,
        recurrence,
    }
}

/// The next full hour on `clock` after `now`: what a new reservation is offered.
pub fn next_full_hour(now: Millis, clock: &Clock) -> Millis {
    let (day, tod) = clock.local_day(now);
    let hour = tod / 3_600_000 + 1;
    clock.instant(day + hour / 24, (hour % 24) * 3_600_000)
}

/// One day of a calendar week, in the reader's zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarDay {
    /// "2026-12-07", and with its weekday, "Mon 2026-12-07".
    pub date: String,
    pub label: String,
    pub occurrences: Vec<Occurrence>,
}

/// Weeks ahead a calendar goes (a year).
pub const WEEKS_AHEAD: u32 = 52;

/// Seven days from today (`week` weeks on, up to [`WEEKS_AHEAD`]), days counted in the
/// reader's zone, each with the occurrences that start on it and have not ended, series
/// expanded.
pub fn calendar_week(reservations: &[Reservation], now: Millis, reader: &Clock, week: u32) -> Vec<CalendarDay> {
    const NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    let first_day = reader.local_day(now).0 + 7 * i64::from(week.min(WEEKS_AHEAD));
    let from = now.max(reader.instant(first_day, 0));
    let items = occurrences_between(reservations, from, reader.instant(first_day + 7, 0));
    (first_day..first_day + 7)
        .map(|day| CalendarDay {
            date: date_text(day),
            label: format!("{} {}", NAMES[crate::recurrence::weekday(day) as usize], date_text(day)),
            occurrences: items.iter().filter(|o| reader.local_day(o.start_ms).0 == day).cloned().collect(),
        })
        .collect()
}

/// Occurrences of one series a calendar walks through at most.
const SERIES_STEPS: usize = 400;

/// The next `limit` occurrences that start after `now` and within `within` ms of it,
/// earliest first: what an overview lists as "next reservations" (one that has started is
/// a conference by now, not a reservation to come).
pub fn next_occurrences(reservations: &[Reservation], now: Millis, within: Millis, limit: usize) -> Vec<Occurrence> {
    let mut out = occurrences_between(reservations, now, now.saturating_add(within));
    out.retain(|o| o.start_ms > now);
    out.truncate(limit);
    out
}

/// One thing the scheduler must do now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Start this occurrence: the conference (id chosen by the caller) and whom to dial.
    Start { conference: Conference, dial: Vec<DefinedParticipant> },
    /// The occurrence has started (or was missed): keep the series' next one...
    Advance(Reservation),
    /// ...or, after the last, remove the reservation.
    Remove { id: String, name: String },
    /// The conference's end time has passed.
    End { id: String, name: String },
    /// The end time has passed while participants are connected: push it back
    /// ([`AUTO_EXTEND_MS`]).
    Extend(Conference),
}

/// What is due at `now`. Idempotent: an occurrence whose conference already exists (the
/// scheduler stopped between two commits) is not started twice, and a missed occurrence
/// whose end has passed (the MCU was down) is skipped, not started late.
/// `in_use(id)`: whether participants are connected to that conference now.
pub fn due(
    now: Millis,
    reservations: &[Reservation],
    conferences: &[Conference],
    in_use: impl Fn(&str) -> bool,
    mut new_id: impl FnMut() -> String,
) -> Vec<Step> {
    let mut steps = Vec::new();
    for c in conferences.iter() {
        let Some(end) = c.end_ms.filter(|e| *e <= now) else { continue };
        steps.push(if in_use(&c.id) {
            // From the end time, in steps, to the first step after now (an MCU that was
            // down meanwhile does not extend into the past).
            let steps_needed = (now - end) / AUTO_EXTEND_MS + 1;
            Step::Extend(Conference {
                end_ms: Some(end + steps_needed * AUTO_EXTEND_MS),
                auto_extended: c.auto_extended.saturating_add(1),
                ..c.clone()
            })
        } else {
            Step::End { id: c.id.clone(), name: c.name.clone() }
        });
    }
    for r in reservations.iter().filter(|r| r.start_ms <= now) {
        let end = r.start_ms + i64::from(r.duration_min) * MINUTE_MS;
        let started = conferences.iter().any(|c| c.source_id.as_deref() == Some(r.id.as_str()) && c.start_ms == r.start_ms);
        if end > now && !started {
            steps.push(Step::Start {
                conference: Conference {
                    id: new_id(),
                    name: conference_name(r),
                    numeric_id: r.numeric_id.clone(),
                    profile_id: r.profile_id.clone(),
                    start_ms: r.start_ms,
                    end_ms: Some(end),
                    source_id: Some(r.id.clone()),
                    locked: false,
                    auto_extended: 0,
                    owner: String::new(),
                    chairperson_password: String::new(),
                    conference_password: String::new(),
                    entry_queue: false, recording: Default::default(),
                },
                dial: r.participants.clone(),
            });
        }
        steps.push(match next_occurrence(r) {
            Some(next) => Step::Advance(next),
            None => Step::Remove { id: r.id.clone(), name: r.name.clone() },
        });
    }
    steps
}

/// When the scheduler next has something to do (for its sleep), if ever.
pub fn next_due(reservations: &[Reservation], conferences: &[Conference]) -> Option<Millis> {
    reservations.iter().map(|r| r.start_ms).chain(conferences.iter().filter_map(|c| c.end_ms)).min()
}

/// Auto Terminate (a profile setting, as on the original): a conference ends this long
/// after it started when nobody has joined...
pub const AUTO_END_BEFORE_FIRST_JOINS_MS: i64 = 10 * MINUTE_MS;
/// ...and this long after the last connected participant left.
pub const AUTO_END_AFTER_LAST_QUITS_MS: i64 = MINUTE_MS;

/// What the scheduler remembers of one conference for Auto Terminate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Occupancy {
    /// Someone has been connected since the conference started (or since this MCU took over).
    pub ever_joined: bool,
    /// Since when nobody is connected (`None`: someone is).
    pub empty_since: Option<Millis>,
}

impl Occupancy {
    /// The next state, seeing `connected` participants at `now`.
    pub fn seen(self, connected: usize, now: Millis) -> Occupancy {
        if connected > 0 {
            Occupancy { ever_joined: true, empty_since: None }
        } else {
            Occupancy { ever_joined: self.ever_joined, empty_since: Some(self.empty_since.unwrap_or(now)) }
        }
    }

    /// Whether a conference with Auto Terminate on, started at `start_ms`, ends now.
    pub fn auto_ends(self, start_ms: Millis, now: Millis) -> bool {
        match (self.ever_joined, self.empty_since) {
            (_, None) => false,
            (false, Some(_)) => now - start_ms >= AUTO_END_BEFORE_FIRST_JOINS_MS,
            (true, Some(since)) => now - since >= AUTO_END_AFTER_LAST_QUITS_MS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An hour-long reservation named `name` (its id too), without participants.
    fn reserved(name: &str, start: Millis, recurrence: Recurrence) -> Reservation {
        Reservation {
            id: name.into(),
            name: name.into(),
            numeric_id: "1".into(),
            profile_id: String::new(),
            start_ms: start,
            duration_min: 60,
            recurrence,
            participants: Vec::new(),
        }
    }

    #[test]
    fn a_calendar_shows_each_occurrence_of_a_series_in_its_span_and_none_that_ended() {
        let day = |d: i64| NOW + d * DAY_MS;
        let r = reserved;
        let all = [
            r("Daily", day(0), Recurrence::Daily { count: 10 }),
            r("Once", day(2), Recurrence::None),
            r("Ended", NOW - 2 * 3_600_000, Recurrence::None),
            r("Later", day(8), Recurrence::None),
        ];
        let week = occurrences_between(&all, NOW, day(7));
        assert_eq!(week.iter().filter(|o| o.name == "Daily").count(), 7, "{week:?}");
        assert!(week.iter().any(|o| o.name == "Once" && o.start_ms == day(2)));
        assert!(!week.iter().any(|o| o.name == "Ended" || o.name == "Later"));
        assert!(week.windows(2).all(|w| w[0].start_ms <= w[1].start_ms), "earliest first");
        // A series that runs beyond the span shows no more than fits in it.
        let long = [r("Long", day(0), Recurrence::Daily { count: 10_000 })];
        assert_eq!(occurrences_between(&long, NOW, day(365)).len(), SHOWN_PER_SERIES);
        // A week ten weeks ahead still shows a daily series' seven days there.
        let later = occurrences_between(&long, day(70), day(77));
        assert_eq!(later.len(), 7, "{later:?}");
        assert_eq!(later[0].start_ms, day(70));
    }

    #[test]
    fn the_next_reservations_are_those_still_to_start_soonest_first() {
        let r = reserved;
        let all = [
            r("Started", NOW - 60_000, Recurrence::None),
            r("Hourly", NOW + 3_600_000, Recurrence::Daily { count: 3 }),
            r("Soon", NOW + 60_000, Recurrence::None),
            r("Next month", NOW + 40 * DAY_MS, Recurrence::None),
        ];
        let next = next_occurrences(&all, NOW, 7 * DAY_MS, 3);
        let names: Vec<&str> = next.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names.len(), 3, "{next:?}");
        assert_eq!(next[0].start_ms, NOW + 60_000, "soonest first: {next:?}");
        assert!(next.iter().all(|o| o.start_ms > NOW), "one already started is not next: {next:?}");
        assert!(!names.iter().any(|n| n.contains("Next month")), "beyond the span: {next:?}");
        assert_eq!(next_occurrences(&all, NOW, 7 * DAY_MS, 10).len(), 4, "Soon and three days of Hourly");
    }

    fn profiles() -> Vec<Profile> {
        vec![crate::resources::profile("p1".into(), "HD", "1920", "hd720", "auto", false, true, "", &[]).expect("profile")]
    }

    const NOW: Millis = 1_795_620_600_000; // 2026-11-25 15:30 UTC

    /// A form filled as an API client does (start in UTC), every weekday ticked.
    fn form<'a>(start: &'a str, rec: &'a str, n: &'a str) -> ReservationForm<'a> {
        ReservationForm {
            name: "Weekly review",
            profile_id: "p1",
            start,
            duration: "1:00",
            recurrence: rec,
            every: "1",
            weekdays: [true; 7],
            end: "after",
            occurrences: n,
            participants: "Alice, 10.0.0.5\nBob, bob@example.com",
            ..Default::default()
        }
    }

    fn fields(r: Result<Reservation, DomainError>) -> Vec<&'static str> {
        match r {
            Err(DomainError::Invalid { field, .. }) => vec![field],
            Err(DomainError::Fields(all)) => all.into_iter().map(|(f, _)| f).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reservations_are_validated_field_by_field() {
        let r = reservation("r1".into(), &form("2026-11-25T16:00", "weekly", "3"), "1000", &profiles(), NOW).expect("valid");
        let Recurrence::Series(s) = &r.recurrence else { panic!("a series: {:?}", r.recurrence) };
        assert_eq!((r.numeric_id.as_str(), r.duration_min, s.index, s.end), ("1000", 60, 1, crate::recurrence::SeriesEnd::After(3)));
        assert_eq!(r.participants[1].protocol, Protocol::Sip);
        assert_eq!(defined_participants(&participants_text(&r.participants)).expect("round trip"), r.participants);
        let field = |f: ReservationForm<'_>| fields(reservation("r".into(), &f, "1000", &profiles(), NOW))[0];
        assert_eq!(field(form("yesterday", "none", "1")), "start");
        assert_eq!(field(form("2026-11-25T10:00", "none", "1")), "start_date", "already over");
        assert_eq!(field(form("2026-11-25T16:00", "yearly", "1")), "recurrence");
        assert_eq!(field(form("2026-11-25T16:00", "daily", "0")), "occurrences");
        // Daily with no day ticked is every day; weekly, the start's weekday.
        let every_day = reservation("r".into(), &ReservationForm { weekdays: [false; 7], ..form("2026-11-25T16:00", "daily", "3") }, "1000", &profiles(), NOW);
        assert!(matches!(every_day.map(|r| r.recurrence), Ok(Recurrence::Series(s)) if s.pattern == crate::recurrence::Pattern::Daily { days: 0x7f }));
        let weekly = reservation("r".into(), &ReservationForm { weekdays: [false; 7], ..form("2026-11-25T16:00", "weekly", "3") }, "1000", &profiles(), NOW);
        assert!(matches!(weekly.map(|r| r.recurrence), Ok(Recurrence::Series(s)) if s.pattern == crate::recurrence::Pattern::Weekly { every: 1, days: 1 << 3 }), "Wednesday");
        // The default profile is no profile chosen.
        assert!(reservation("r".into(), &ReservationForm { profile_id: "", ..form("2026-11-25T16:00", "none", "1") }, "1000", &profiles(), NOW).is_ok());
        assert_eq!(field(ReservationForm { duration: "25:00", ..form("2026-11-25T16:00", "none", "1") }), "duration");
        assert_eq!(field(ReservationForm { profile_id: "x", ..form("2026-11-25T16:00", "none", "1") }), "profile_id");
        assert_eq!(field(ReservationForm { participants: "Alice, not an address!", ..form("2026-11-25T16:00", "none", "1") }), "participants");
        // Start is required: empty is not "now"; "Start now" is.
        assert_eq!(field(form("", "none", "1")), "start_date");
        let now = reservation("r".into(), &ReservationForm { start_now: true, ..form("", "none", "1") }, "1000", &profiles(), NOW).expect("now");
        assert_eq!(now.start_ms, NOW);
        // Every wrong field at once.
        let all = fields(reservation("r".into(), &ReservationForm { name: "", duration: "0", profile_id: "x", ..form("", "none", "1") }, "1000", &profiles(), NOW));
        assert_eq!(all, vec!["name", "profile_id", "start_date", "start_time", "duration"]);
        // A start a little in the past starts at once.
        assert!(reservation("r".into(), &form("2026-11-25T15:00", "none", "1"), "1000", &profiles(), NOW).is_ok());
    }

    #[test]
    fn the_page_gives_a_local_date_and_time_and_its_time_zone() {
        // 17:30 on 25 November in UTC+1 (getTimezoneOffset -60) is 16:30 UTC.
        let f = ReservationForm { start: "", start_date: "2026-11-25", start_time: "17:30", tz_offset_min: "-60", ..form("", "none", "1") };
        let r = reservation("r".into(), &f, "1000", &profiles(), NOW).expect("valid");
        assert_eq!(crate::timefmt::format_utc(r.start_ms), "2026-11-25 16:30 UTC");
        for (time, ok) in [("7:05", true), ("24:00", false), ("17:3", true), ("5pm", false), ("17:30:00", false)] {
            let f = ReservationForm { start_date: "2026-11-26", start_time: time, ..f.clone() };
            assert_eq!(reservation("r".into(), &f, "1000", &profiles(), NOW).is_ok(), ok, "{time}");
        }
        let far = ReservationForm { tz_offset_min: "9999", ..f.clone() };
        assert!(reservation("r".into(), &far, "1000", &profiles(), NOW).is_err());
    }

    #[test]
    fn a_series_made_in_a_named_zone_keeps_its_wall_time_and_the_reader_sees_their_days() {
        // Every 8 weeks on Monday, 09:00 in New York, from 30 November 2026: five occurrences,
        // across the change to summer time on 14 March 2027.
        let f = ReservationForm {
            start: "",
            start_date: "2026-11-30",
            start_time: "09:00",
            time_zone: "America/New_York",
            recurrence: "weekly",
            every: "8",
            weekdays: [false, true, false, false, false, false, false],
            ..form("", "weekly", "5")
        };
        let r = reservation("r".into(), &f, "1000", &profiles(), NOW).expect("valid");
        let mut utc = Vec::new();
        let mut cur = Some(r.clone());
        while let Some(o) = cur {
            utc.push(crate::timefmt::format_utc(o.start_ms));
            cur = next_occurrence(&o);
        }
        // EST (UTC−5) until 14 March, EDT (UTC−4) after: 09:00 there all along.
        assert_eq!(utc, ["2026-11-30 14:00 UTC", "2027-01-25 14:00 UTC", "2027-03-22 13:00 UTC", "2027-05-17 13:00 UTC", "2027-07-12 13:00 UTC"]);
        let w = wall_start(&r, &Clock::UTC);
        assert_eq!((w.zone.as_str(), w.date.as_str(), w.time.as_str(), w.weekday), ("America/New_York", "2026-11-30", "09:00", 1));
        // A zone that is not one: said on its field, with every other wrong field.
        let bad = ReservationForm { time_zone: "Atlantis/Capital", name: "", ..f.clone() };
        assert_eq!(fields(reservation("r".into(), &bad, "1000", &profiles(), NOW)), vec!["name", "time_zone"]);
        // The reader in Sydney (UTC+11 in summer): the 14:00 UTC start on 30 November is
        // 01:00 on Sydney's 1 December, and a calendar week is Sydney's days.
        let sydney = Clock::named("Australia/Sydney").expect("known");
        let week = calendar_week(std::slice::from_ref(&r), NOW, &sydney, 0);
        assert_eq!(week.len(), 7);
        let with: Vec<_> = week.iter().filter(|d| !d.occurrences.is_empty()).map(|d| d.label.as_str()).collect();
        assert_eq!(with, ["Tue 2026-12-01"]);
        let utc_week = calendar_week(std::slice::from_ref(&r), NOW, &Clock::UTC, 0);
        let with: Vec<_> = utc_week.iter().filter(|d| !d.occurrences.is_empty()).map(|d| d.label.as_str()).collect();
        assert_eq!(with, ["Mon 2026-11-30"]);
        // A new reservation is offered at the reader's next full hour.
        assert_eq!(sydney.local_day(next_full_hour(NOW, &sydney)).1 % 3_600_000, 0);
        let india = Clock::named("Asia/Kolkata").expect("known");
        assert_eq!(india.local_day(next_full_hour(NOW, &india)).1 % 3_600_000, 0, "a full hour there, not a UTC one");
    }

    #[test]
    fn a_monthly_series_by_date_numbers_its_occurrences() {
        // The second Tuesday of every month until the end of March 2027.
        let f = ReservationForm {
            recurrence: "monthly",
            monthly: "nth",
            nth: "2",
            nth_weekday: "2",
            end: "by",
            end_by: "2027-03-31",
            ..form("2026-11-25T16:00", "monthly", "1")
        };
        let mut r = reservation("r".into(), &f, "1000", &profiles(), NOW).expect("valid");
        let mut names = Vec::new();
        let mut days = Vec::new();
        for _ in 0..10 {
            names.push(conference_name(&r));
            days.push(crate::timefmt::format_utc(r.start_ms));
            match next_occurrence(&r) {
                Some(n) => r = n,
                None => break,
            }
        }
        assert_eq!(days, vec!["2026-12-08 16:00 UTC", "2027-01-12 16:00 UTC", "2027-02-09 16:00 UTC", "2027-03-09 16:00 UTC"]);
        assert_eq!(names.first().map(String::as_str), Some("Weekly review_00001"));
        assert_eq!(names.last().map(String::as_str), Some("Weekly review_00004"));
        let too_long = ReservationForm { recurrence: "daily", end_by: "2029-01-01", ..f.clone() };
        assert_eq!(fields(reservation("r".into(), &too_long, "1000", &profiles(), NOW)), vec!["end_by"]);
        let before = ReservationForm { end_by: "2026-11-01", ..f };
        assert_eq!(fields(reservation("r".into(), &before, "1000", &profiles(), NOW)), vec!["end_by"]);
    }

    #[test]
    fn a_due_occurrence_starts_once_and_the_series_moves_on() {
        let r = reservation("r1".into(), &form("2026-11-25T15:30", "daily", "2"), "1000", &profiles(), NOW).expect("valid");
        assert!(due(NOW - 1, std::slice::from_ref(&r), &[], |_| false, || "c".into()).is_empty(), "not yet");
        let steps = due(NOW, std::slice::from_ref(&r), &[], |_| false, || "c1".into());
        let Step::Start { conference, dial } = &steps[0] else { panic!("{steps:?}") };
        assert_eq!((conference.end_ms, dial.len(), conference.source_id.as_deref()), (Some(NOW + 3_600_000), 2, Some("r1")));
        let Step::Advance(next) = &steps[1] else { panic!("{steps:?}") };
        let Recurrence::Series(s) = &next.recurrence else { panic!("a series") };
        assert_eq!((next.start_ms, s.index), (NOW + DAY_MS, 2));
        assert_eq!(conference.name, "Weekly review_00001");
        // Stopped after starting, before advancing: not started twice.
        let again = due(NOW + 5, std::slice::from_ref(&r), std::slice::from_ref(conference), |_| false, || "c2".into());
        assert!(matches!(again.as_slice(), [Step::Advance(_)]), "{again:?}");
        // The last occurrence removes the reservation; the conference ends at its end time.
        let steps = due(next.start_ms, std::slice::from_ref(next), &[], |_| false, || "c3".into());
        assert!(matches!(steps.as_slice(), [Step::Start { .. }, Step::Remove { .. }]), "{steps:?}");
        let ends = due(NOW + 3_600_000, &[], std::slice::from_ref(conference), |_| false, || "x".into());
        assert_eq!(ends, vec![Step::End { id: "c1".into(), name: "Weekly review_00001".into() }]);
    }

    #[test]
    fn a_conference_in_use_at_its_end_time_is_extended_not_ended() {
        let r = reservation("r1".into(), &form("2026-11-25T15:30", "none", "1"), "1000", &profiles(), NOW).expect("valid");
        let steps = due(NOW, std::slice::from_ref(&r), &[], |_| false, || "c1".into());
        let Step::Start { conference, .. } = &steps[0] else { panic!("{steps:?}") };
        let end = conference.end_ms.expect("an end time");
        let at = |now: Millis, in_use: bool| due(now, &[], std::slice::from_ref(conference), |id| in_use && id == "c1", || "x".into());
        let Step::Extend(longer) = &at(end, true)[0] else { panic!("extended") };
        assert_eq!((longer.end_ms, longer.auto_extended), (Some(end + AUTO_EXTEND_MS), 1));
        // An MCU that was down for 40 minutes extends to the first step after now.
        let Step::Extend(later) = &at(end + 40 * MINUTE_MS, true)[0] else { panic!("extended") };
        assert_eq!(later.end_ms, Some(end + 3 * AUTO_EXTEND_MS));
        // Nobody left: it ends.
        assert!(matches!(at(end, false).as_slice(), [Step::End { .. }]));
        assert!(at(end - 1, true).is_empty(), "not before its end time");
    }

    #[test]
    fn a_missed_occurrence_is_skipped_not_started_late() {
        let r = reservation("r1".into(), &form("2026-11-25T15:30", "weekly", "2"), "1000", &profiles(), NOW).expect("valid");
        let steps = due(NOW + 2 * 3_600_000, std::slice::from_ref(&r), &[], |_| false, || "c".into());
        assert!(matches!(steps.as_slice(), [Step::Advance(_)]), "{steps:?}");
        assert_eq!(next_due(std::slice::from_ref(&r), &[]), Some(NOW));
    }

    #[test]
    fn auto_terminate_waits_for_the_first_join_then_ends_after_the_last_quits() {
        let start = NOW;
        let o = Occupancy::default().seen(0, start);
        assert!(!o.auto_ends(start, start + AUTO_END_BEFORE_FIRST_JOINS_MS - 1), "nobody yet, but not 10 minutes");
        assert!(o.auto_ends(start, start + AUTO_END_BEFORE_FIRST_JOINS_MS), "nobody joined in 10 minutes");
        let o = o.seen(2, start + 1000);
        assert!(!o.auto_ends(start, start + 3_600_000), "someone is connected");
        let o = o.seen(0, start + 5000);
        assert!(!o.auto_ends(start, start + 5000 + AUTO_END_AFTER_LAST_QUITS_MS - 1));
        assert!(o.auto_ends(start, start + 5000 + AUTO_END_AFTER_LAST_QUITS_MS), "a minute after the last one left");
        assert_eq!(o.seen(0, start + 9000).empty_since, Some(start + 5000), "empty since the first time seen empty");
    }

    #[test]
    fn durations_and_the_occurrence_limit() {
        assert_eq!(duration_min("90").expect("minutes"), 90);
        assert_eq!(duration_min("2:05").expect("h:mm"), 125);
        for bad in ["0", "", "abc", "1:5", "-3", "24:01"] {
            assert!(duration_min(bad).is_err(), "{bad}");
        }
        let r = reservation("r".into(), &form("2026-11-25T16:00", "none", ""), "1000", &profiles(), NOW).expect("single");
        assert_eq!(r.recurrence, Recurrence::None);
        let many = ReservationForm { occurrences: "367", ..form("2026-11-25T16:00", "daily", "") };
        assert!(reservation("r".into(), &many, "1000", &profiles(), NOW).is_err());
    }
}
