//! Reservations and the scheduler's decisions: building a reservation from a form, and
//! what is due at a given time (start an occurrence, move a series on, end a conference
//! whose end time has passed). Plain functions of (time, records); the server's scheduler
//! task commits what they return, so the same decisions hold after a restart or failover.

use crate::conference::{display_name, numeric_id, participant_address};
use crate::model::*;
use crate::DomainError;

pub const MINUTE_MS: i64 = 60_000;

/// A conference still in use at its end time is extended by this much, again and again
/// while anyone is connected (as the original does), instead of cutting people off.
pub const AUTO_EXTEND_MS: i64 = 15 * MINUTE_MS;
const DAY_MS: i64 = 86_400_000;

/// Longest reservation: one day (a daily series must not overlap itself).
pub const MAX_DURATION_MIN: u32 = 24 * 60;
/// Most occurrences of a series.
pub const MAX_OCCURRENCES: u32 = 100;
/// Most defined participants of a reservation.
pub const MAX_DEFINED_PARTICIPANTS: usize = 40;

/// A duration as "H:MM" (RMX shows "01:00") or whole minutes ("90").
pub fn duration_min(raw: &str) -> Result<u32, DomainError> {
    let v = raw.trim();
    let minutes = match v.split_once(':') {
        Some((h, m)) if m.len() == 2 => h.parse::<u32>().ok().zip(m.parse::<u32>().ok().filter(|m| *m < 60)).map(|(h, m)| h * 60 + m),
        Some(_) => None,
        None => v.parse::<u32>().ok(),
    };
    minutes
        .filter(|m| (1..=MAX_DURATION_MIN).contains(m))
        .ok_or_else(|| DomainError::invalid("duration", "The duration is H:MM (e.g. 1:00) or minutes, from 1 minute to 24 hours."))
}

/// Recurrence from the form: "none", "daily" or "weekly", with the number of occurrences.
pub fn recurrence(kind: &str, count: &str) -> Result<Recurrence, DomainError> {
    let n = || {
        count
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_OCCURRENCES).contains(n))
            .ok_or_else(|| DomainError::invalid("occurrences", format!("Occurrences must be a whole number from 1 to {MAX_OCCURRENCES}.")))
    };
    match kind {
        "none" | "" => Ok(Recurrence::None),
        "daily" => Ok(Recurrence::Daily { count: n()? }),
        "weekly" => Ok(Recurrence::Weekly { count: n()? }),
        _ => Err(DomainError::invalid("recurrence", "Choose no recurrence, daily or weekly.")),
    }
}

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
    /// UTC, as a `datetime-local` input gives it; empty = now.
    pub start: &'a str,
    pub duration: &'a str,
    pub recurrence: &'a str,
    pub occurrences: &'a str,
    pub participants: &'a str,
}

/// Builds a reservation. An empty numeric ID takes `free_id`; a start in the past is
/// accepted (it starts at once) as long as its end is still ahead.
pub fn reservation(id: String, f: &ReservationForm<'_>, free_id: &str, profiles: &[Profile], now: Millis) -> Result<Reservation, DomainError> {
    let name = display_name("name", f.name)?;
    let numeric_id = if f.numeric_id.trim().is_empty() { free_id.to_string() } else { numeric_id(f.numeric_id)? };
    if !profiles.iter().any(|p| p.id == f.profile_id) {
        return Err(DomainError::invalid("profile_id", "Choose a conference profile (create one first)."));
    }
    let start_ms = if f.start.trim().is_empty() {
        now
    } else {
        crate::timefmt::parse_utc(f.start)
            .ok_or_else(|| DomainError::invalid("start", "Enter the start as date and time (UTC), e.g. 2026-11-25T17:30."))?
    };
    let duration_min = duration_min(f.duration)?;
    if start_ms + i64::from(duration_min) * MINUTE_MS <= now {
        return Err(DomainError::invalid("start", "That reservation would already be over: choose a later start."));
    }
    let recurrence = recurrence(f.recurrence, f.occurrences)?;
    let participants = defined_participants(f.participants)?;
    Ok(Reservation { id, name, numeric_id, profile_id: f.profile_id.to_string(), start_ms, duration_min, recurrence, participants })
}

/// The next occurrence of a series, or `None` when this was the last one.
pub fn next_occurrence(r: &Reservation) -> Option<Reservation> {
    let (period, count) = match r.recurrence {
        Recurrence::None => return None,
        Recurrence::Daily { count } => (DAY_MS, count),
        Recurrence::Weekly { count } => (7 * DAY_MS, count),
    };
    if count <= 1 {
        return None;
    }
    let recurrence = match r.recurrence {
        Recurrence::Daily { .. } => Recurrence::Daily { count: count - 1 },
        _ => Recurrence::Weekly { count: count - 1 },
    };
    Some(Reservation { start_ms: r.start_ms + period, recurrence, ..r.clone() })
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
                    name: r.name.clone(),
                    numeric_id: r.numeric_id.clone(),
                    profile_id: r.profile_id.clone(),
                    start_ms: r.start_ms,
                    end_ms: Some(end),
                    source_id: Some(r.id.clone()),
                    locked: false,
                    auto_extended: 0,
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

    fn profiles() -> Vec<Profile> {
        vec![crate::resources::profile("p1".into(), "HD", "1920", "hd720", "auto", false, true).expect("profile")]
    }

    const NOW: Millis = 1_795_620_600_000; // 2026-11-25 15:30 UTC

    fn form<'a>(start: &'a str, rec: &'a str, n: &'a str) -> ReservationForm<'a> {
        ReservationForm {
            name: "Weekly review",
            numeric_id: "",
            profile_id: "p1",
            start,
            duration: "1:00",
            recurrence: rec,
            occurrences: n,
            participants: "Alice, 10.0.0.5\nBob, bob@example.com",
        }
    }

    #[test]
    fn reservations_are_validated_field_by_field() {
        let r = reservation("r1".into(), &form("2026-11-25T16:00", "weekly", "3"), "1000", &profiles(), NOW).expect("valid");
        assert_eq!((r.numeric_id.as_str(), r.duration_min, r.recurrence), ("1000", 60, Recurrence::Weekly { count: 3 }));
        assert_eq!(r.participants[1].protocol, Protocol::Sip);
        assert_eq!(defined_participants(&participants_text(&r.participants)).expect("round trip"), r.participants);
        let field = |f: ReservationForm<'_>| match reservation("r".into(), &f, "1000", &profiles(), NOW) {
            Err(DomainError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(form("yesterday", "none", "1")), "start");
        assert_eq!(field(form("2026-11-25T10:00", "none", "1")), "start", "already over");
        assert_eq!(field(form("", "monthly", "1")), "recurrence");
        assert_eq!(field(form("", "daily", "0")), "occurrences");
        assert_eq!(field(ReservationForm { duration: "25:00", ..form("", "none", "1") }), "duration");
        assert_eq!(field(ReservationForm { duration: "1:75", ..form("", "none", "1") }), "duration");
        assert_eq!(field(ReservationForm { profile_id: "x", ..form("", "none", "1") }), "profile_id");
        assert_eq!(field(ReservationForm { participants: "Alice", ..form("", "none", "1") }), "participants");
        assert_eq!(field(ReservationForm { participants: "Alice, not an address!", ..form("", "none", "1") }), "participants");
        // A start a little in the past starts at once.
        assert!(reservation("r".into(), &form("2026-11-25T15:00", "none", "1"), "1000", &profiles(), NOW).is_ok());
    }

    #[test]
    fn a_due_occurrence_starts_once_and_the_series_moves_on() {
        let r = reservation("r1".into(), &form("2026-11-25T15:30", "daily", "2"), "1000", &profiles(), NOW).expect("valid");
        assert!(due(NOW - 1, std::slice::from_ref(&r), &[], |_| false, || "c".into()).is_empty(), "not yet");
        let steps = due(NOW, std::slice::from_ref(&r), &[], |_| false, || "c1".into());
        let Step::Start { conference, dial } = &steps[0] else { panic!("{steps:?}") };
        assert_eq!((conference.end_ms, dial.len(), conference.source_id.as_deref()), (Some(NOW + 3_600_000), 2, Some("r1")));
        let Step::Advance(next) = &steps[1] else { panic!("{steps:?}") };
        assert_eq!((next.start_ms, next.recurrence), (NOW + DAY_MS, Recurrence::Daily { count: 1 }));
        // Stopped after starting, before advancing: not started twice.
        let again = due(NOW + 5, std::slice::from_ref(&r), std::slice::from_ref(conference), |_| false, || "c2".into());
        assert!(matches!(again.as_slice(), [Step::Advance(_)]), "{again:?}");
        // The last occurrence removes the reservation; the conference ends at its end time.
        let steps = due(next.start_ms, std::slice::from_ref(next), &[], |_| false, || "c3".into());
        assert!(matches!(steps.as_slice(), [Step::Start { .. }, Step::Remove { .. }]), "{steps:?}");
        let ends = due(NOW + 3_600_000, &[], std::slice::from_ref(conference), |_| false, || "x".into());
        assert_eq!(ends, vec![Step::End { id: "c1".into(), name: "Weekly review".into() }]);
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
    fn durations_and_recurrences() {
        assert_eq!(duration_min("90").expect("minutes"), 90);
        assert_eq!(duration_min("2:05").expect("h:mm"), 125);
        for bad in ["0", "", "abc", "1:5", "-3", "24:01"] {
            assert!(duration_min(bad).is_err(), "{bad}");
        }
        assert_eq!(recurrence("none", "").expect("none"), Recurrence::None);
        assert!(recurrence("daily", "101").is_err());
    }
}
