//! Call history (CDR): when a conference ends, its record is kept — name, ID, profile,
//! start and end, how it ended, what happened to it (a takeover by the paired MCU), and
//! each participant with the times it connected and disconnected and why. The record is a
//! synced record ([`CallRecord`]), so the Slave has the Master's history and keeps it after
//! a failover. It is built from the conference's entries in the change log
//! ([`build`]), which every state change of a participant passes through.

use crate::change::{Change, LogEntry, Record};
use crate::model::*;
use crate::DomainError;
use serde::{Deserialize, Serialize};

pub use crate::model::{CallEvent, CallRecord, Ended, ParticipantRecord};

impl Ended {
    pub fn label(&self) -> String {
        match self {
            Ended::Terminated { by } => format!("Terminated by {by}"),
            Ended::EndTime => "End time reached".into(),
            Ended::AutoTerminate => "Auto Terminate".into(),
        }
    }
}

/// What a record is built from: the conference's change-log entries (its own and its
/// participants', oldest first) and the epochs another MCU began (a takeover) with the time
/// of their first change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConferenceHistory {
    pub entries: Vec<LogEntry>,
    pub takeovers: Vec<(u64, Millis)>,
}

/// Participants kept in one record at most (a record stays a small row).
pub const MAX_PARTICIPANTS: usize = 500;

/// The conference's record as it ends at `now` (the takeovers that happened while it ran
/// are its events).
pub fn build(conference: &Conference, profile: &str, history: &ConferenceHistory, ended: Ended, now: Millis) -> CallRecord {
    let mut order: Vec<String> = Vec::new();
    let mut by_id: std::collections::HashMap<String, ParticipantRecord> = Default::default();
    for e in &history.entries {
        match &e.change {
            Change::Put { record: Record::Participant(p) } if p.conference_id == conference.id => {
                let r = by_id.entry(p.id.clone()).or_insert_with(|| {
                    order.push(p.id.clone());
                    ParticipantRecord {
                        name: p.name.clone(),
                        address: p.address.clone(),
                        protocol: p.protocol,
                        direction: p.direction,
                        connected_ms: None,
                        disconnected_ms: None,
                        cause: None,
                    }
                });
                r.name = p.name.clone();
                match p.state {
                    s if s.holds_port() => {
                        r.connected_ms.get_or_insert(e.at_ms);
                        r.disconnected_ms = None;
                        r.cause = None;
                    }
                    ParticipantState::Disconnected => {
                        if r.connected_ms.is_some() && r.disconnected_ms.is_none() {
                            r.disconnected_ms = Some(e.at_ms);
                        }
                        r.cause = p.disconnect_cause;
                    }
                    _ => {}
                }
            }
            Change::Delete { kind: crate::EntityKind::Participant, id } => {
                if let Some(r) = by_id.get_mut(id) {
                    if r.connected_ms.is_some() && r.disconnected_ms.is_none() {
                        r.disconnected_ms = Some(e.at_ms);
                    }
                }
            }
            _ => {}
        }
    }
    let participants = order
        .into_iter()
        .filter_map(|id| by_id.remove(&id))
        .map(|mut r| {
            // Still in the call when it ended.
            if r.connected_ms.is_some() && r.disconnected_ms.is_none() {
                r.disconnected_ms = Some(now);
            }
            r
        })
        .take(MAX_PARTICIPANTS)
        .collect();
    let events = history
        .takeovers
        .iter()
        .filter(|(_, at)| *at > conference.start_ms && *at <= now)
        .map(|(epoch, at)| CallEvent {
            at_ms: *at,
            text: format!("The paired MCU took over (failover or switch-over, epoch {epoch}); the conference went on there and its participants were called again."),
        })
        .collect();
    CallRecord {
        id: conference.id.clone(),
        name: conference.name.clone(),
        numeric_id: conference.numeric_id.clone(),
        profile: profile.to_string(),
        start_ms: conference.start_ms,
        end_ms: now,
        ended,
        events,
        participants,
        recorded_to: conference.recording.target.as_ref().map(|t| t.name.clone()),
        recordings: conference.recording.spans_until(now),
    }
}

/// How long the history is kept: at most `max_records`, none older than `max_days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub max_records: usize,
    pub max_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention { max_records: 10_000, max_days: 365 }
    }
}

/// The records `r` no longer keeps (ids), oldest end first.
pub fn expired(records: &[(String, Millis)], r: Retention, now: Millis) -> Vec<String> {
    let cutoff = now.saturating_sub(i64::from(r.max_days) * 86_400_000);
    let mut sorted: Vec<&(String, Millis)> = records.iter().collect();
    sorted.sort_by_key(|(_, end)| *end);
    let over = sorted.len().saturating_sub(r.max_records);
    sorted
        .iter()
        .enumerate()
        .filter(|(i, (_, end))| *i < over || *end < cutoff)
        .map(|(_, (id, _))| id.clone())
        .collect()
}

/// The History page's filter: a part of the name or ID, and dates (in the reader's zone).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryFilter {
    pub text: Option<String>,
    pub from_ms: Option<Millis>,
    pub to_ms: Option<Millis>,
}

impl HistoryFilter {
    pub fn parse(text: &str, from: &str, to: &str, offset_min: i32) -> Result<HistoryFilter, DomainError> {
        // The same date rules as the audit trail's filter.
        let f = crate::audit::AuditFilter::parse("", "", from, to, offset_min)?;
        let text = text.trim();
        if text.chars().count() > 80 {
            return Err(DomainError::invalid("text", "At most 80 characters."));
        }
        Ok(HistoryFilter { text: (!text.is_empty()).then(|| text.to_lowercase()), from_ms: f.from_ms, to_ms: f.to_ms })
    }

    /// Whether a record ended in the range and its name or ID holds the text.
    pub fn matches(&self, r: &CallRecord) -> bool {
        self.text.as_ref().is_none_or(|t| r.name.to_lowercase().contains(t) || r.numeric_id.contains(t.as_str()))
            && self.from_ms.is_none_or(|f| r.end_ms >= f)
            && self.to_ms.is_none_or(|t| r.end_ms <= t)
    }
}

/// One CSV line per participant (a conference without participants has one line too).
pub fn to_csv(records: &[CallRecord]) -> String {
    format!("{CSV_HEADER}{}", csv_lines(records))
}

/// The CSV export's first line.
pub const CSV_HEADER: &str =
    "conference,id,profile,start_utc,end_utc,ended,events,participant,address,protocol,direction,connected_utc,disconnected_utc,cause\r\n";

/// The CSV lines of `records` (no header: an export streams them page by page).
pub fn csv_lines(records: &[CallRecord]) -> String {
    use crate::audit::csv_cell;
    use crate::timefmt::format_iso_seconds as t;
    let mut out = String::new();
    for r in records {
        let events: Vec<String> = r.events.iter().map(|e| format!("{} {}", t(e.at_ms), e.text)).collect();
        let head = [r.name.clone(), r.numeric_id.clone(), r.profile.clone(), t(r.start_ms), t(r.end_ms), r.ended.label(), events.join("; ")];
        let mut lines: Vec<Vec<String>> = r
            .participants
            .iter()
            .map(|p| {
                vec![
                    p.name.clone(),
                    p.address.clone(),
                    p.protocol.label().to_string(),
                    p.direction.label().to_string(),
                    p.connected_ms.map(t).unwrap_or_default(),
                    p.disconnected_ms.map(t).unwrap_or_default(),
                    p.cause.map(|c| c.label().to_string()).unwrap_or_default(),
                ]
            })
            .collect();
        if lines.is_empty() {
            lines.push(vec![String::new(); 7]);
        }
        for l in lines {
            let cells: Vec<String> = head.iter().chain(l.iter()).map(|c| csv_cell(c)).collect();
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        }
    }
    out
}

/// Who of a call record's participants took part, and how: the Call History's summary
/// ("6 joined · 1 left early · 2 never connected"), so a participant who hung up early does
/// not read like one who stayed.
pub fn attendance(r: &CallRecord) -> String {
    let joined: Vec<&crate::model::ParticipantRecord> = r.participants.iter().filter(|p| p.connected_ms.is_some()).collect();
    let left_early = joined.iter().filter(|p| p.disconnected_ms.is_some_and(|t| t < r.end_ms)).count();
    let never = r.participants.len() - joined.len();
    let mut parts = vec![match (joined.len(), left_early) {
        (0, _) => "Nobody joined".to_string(),
        (n, 0) => format!("{n} joined, all to the end"),
        (n, _) => format!("{n} joined"),
    }];
    if left_early > 0 {
        parts.push(format!("{left_early} left early"));
    }
    if never > 0 {
        parts.push(format!("{never} never connected"));
    }
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf() -> Conference {
        Conference {
            id: "c1".into(),
            name: "Board".into(),
            numeric_id: "77".into(),
            profile_id: "p".into(),
            start_ms: 1_000,
            end_ms: None,
            source_id: None,
            locked: false,
            auto_extended: 0,
            owner: String::new(),
            chairperson_password: String::new(),
            conference_password: String::new(),
            entry_queue: false, recording: Default::default(),
        }
    }

    fn part(id: &str, state: ParticipantState, cause: Option<DisconnectCause>) -> Participant {
        Participant {
            id: id.into(),
            conference_id: "c1".into(),
            name: format!("P-{id}"),
            address: "10.0.0.1".into(),
            protocol: Protocol::H323,
            direction: Direction::DialIn,
            state,
            audio_muted: false,
            video_muted: false,
            chairperson: false,
            disconnect_cause: cause,
            ivr_path: Vec::new(),
            home_conference_id: None,
            stamps: Default::default(),
        }
    }

    fn at(seq: u64, at_ms: Millis, change: Change) -> LogEntry {
        LogEntry { epoch: 1, seq, at_ms, change, actor: None }
    }

    fn of(entries: Vec<LogEntry>) -> ConferenceHistory {
        ConferenceHistory { entries, takeovers: Vec::new() }
    }

    fn put(p: Participant) -> Change {
        Change::Put { record: Record::Participant(p) }
    }

    #[test]
    fn each_participant_keeps_its_first_connect_last_disconnect_and_cause() {
        use ParticipantState::*;
        let history = vec![
            at(1, 1_000, Change::Put { record: Record::Conference(conf()) }),
            at(2, 2_000, put(part("a", Connected, None))),
            at(3, 3_000, put(part("b", Connected, None))),
            at(4, 4_000, put(part("a", Connected, None))), // muted: no new connect
            at(5, 5_000, put(part("b", Disconnected, Some(DisconnectCause::ByOperator)))),
            at(6, 6_000, put(part("c", Disconnected, Some(DisconnectCause::NoFreePort)))),
            at(7, 7_000, put(part("d", Connected, None))),
            at(8, 8_000, Change::Delete { kind: crate::EntityKind::Participant, id: "d".into() }),
        ];
        let r = build(&conf(), "HD", &of(history), Ended::Terminated { by: "op".into() }, 9_000);
        type Row<'a> = (&'a str, Option<Millis>, Option<Millis>, Option<DisconnectCause>);
        let got: Vec<Row> = r.participants.iter().map(|p| (p.name.as_str(), p.connected_ms, p.disconnected_ms, p.cause)).collect();
        assert_eq!(got, vec![
            ("P-a", Some(2_000), Some(9_000), None),
            ("P-b", Some(3_000), Some(5_000), Some(DisconnectCause::ByOperator)),
            ("P-c", None, None, Some(DisconnectCause::NoFreePort)),
            ("P-d", Some(7_000), Some(8_000), None),
        ]);
        assert_eq!((r.start_ms, r.end_ms, r.profile.as_str(), r.ended.label()), (1_000, 9_000, "HD", "Terminated by op".to_string()));
        assert!(r.events.is_empty());
        // The summary tells who stayed from who left early or never came.
        assert_eq!(attendance(&r), "3 joined · 2 left early · 1 never connected");
        let mut stayed = r.clone();
        stayed.participants.retain(|p| p.name == "P-a");
        assert_eq!(attendance(&stayed), "1 joined, all to the end");
        stayed.participants.clear();
        assert_eq!(attendance(&stayed), "Nobody joined");
    }

    #[test]
    fn a_takeover_while_it_ran_is_an_event_of_the_record() {
        let h = ConferenceHistory { entries: Vec::new(), takeovers: vec![(1, 0), (2, 5_000), (3, 99_000)] };
        let r = build(&conf(), "HD", &h, Ended::EndTime, 10_000);
        assert_eq!(r.events.len(), 1, "only the epoch that began while it ran");
        assert_eq!(r.events[0].at_ms, 5_000);
        assert!(r.events[0].text.contains("epoch 2"));
    }

    #[test]
    fn retention_drops_the_oldest_beyond_the_count_and_all_beyond_the_age() {
        let recs: Vec<(String, Millis)> = (0..5).map(|i| (format!("r{i}"), i * 86_400_000)).collect();
        let gone = expired(&recs, Retention { max_records: 3, max_days: 3650 }, 5 * 86_400_000);
        assert_eq!(gone, vec!["r0", "r1"]);
        let gone = expired(&recs, Retention { max_records: 100, max_days: 2 }, 5 * 86_400_000);
        assert_eq!(gone, vec!["r0", "r1", "r2"]);
    }

    #[test]
    fn the_csv_has_a_line_per_participant_and_the_filter_reads_name_id_and_dates() {
        use ParticipantState::*;
        let history = vec![at(1, 2_000, put(part("a", Connected, None))), at(2, 3_000, put(part("b", Connected, None)))];
        let r = build(&conf(), "HD, wide", &of(history), Ended::AutoTerminate, 4_000);
        let csv = to_csv(std::slice::from_ref(&r));
        assert_eq!(csv.lines().count(), 3);
        assert!(csv.lines().nth(1).is_some_and(|l| l.starts_with("Board,77,\"HD, wide\",") && l.contains(",Auto Terminate,") && l.contains(",P-a,10.0.0.1,H.323,Dial-in,")), "{csv}");
        let empty = build(&conf(), "HD", &ConferenceHistory::default(), Ended::EndTime, 4_000);
        assert_eq!(to_csv(&[empty]).lines().count(), 2, "a line even without participants");
        assert!(HistoryFilter::parse("boa", "", "", 0).expect("f").matches(&r));
        assert!(HistoryFilter::parse("77", "", "", 0).expect("f").matches(&r));
        assert!(!HistoryFilter::parse("x", "", "", 0).expect("f").matches(&r));
        assert!(!HistoryFilter::parse("", "1970-01-02", "", 0).expect("f").matches(&r));
        assert!(HistoryFilter::parse("", "bad", "", 0).is_err());
    }
}
