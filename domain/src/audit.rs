//! The audit trail: who did what, when, from where, and whether it worked. A change made
//! by a user carries its [`Actor`] in the change log, so the Slave records the Master's
//! changes as they arrive and its trail holds the Master's history after a failover.
//! Security events (logins, users, Hot Backup, failover, reset, backup) are each MCU's own.
//! The store keeps the trail (`Store::audit*`), bounded by [`Retention`].

use crate::change::{Change, EntityKind};
use crate::model::Millis;
use crate::roles::Role;
use crate::DomainError;
use serde::{Deserialize, Serialize};

/// What a failed login records instead of a name that is no user's (a password typed into
/// the name field must not land in the trail).
pub const UNKNOWN_USER: &str = "(unknown user)";

pub use crate::change::Actor;

/// What an entry is about (the filter's choices).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    /// A change to the mirrored state (conferences, resources...).
    Change,
    Login,
    LoginFailed,
    Logout,
    /// A user added, changed or deleted.
    Users,
    /// Hot Backup enabled, disabled or its settings changed.
    HotBackup,
    /// This MCU took over or stepped down (failover), or a planned switch-over.
    Failover,
    /// Settings saved for a System Reset, or the reset itself.
    Reset,
    /// A backup of the database.
    Backup,
    /// An alarm acknowledged.
    Alarm,
    /// The network's security settings (SIP/H.323 credentials) changed.
    Security,
}

impl AuditKind {
    pub const ALL: [AuditKind; 11] = [
        AuditKind::Change,
        AuditKind::Login,
        AuditKind::LoginFailed,
        AuditKind::Logout,
        AuditKind::Users,
        AuditKind::HotBackup,
        AuditKind::Failover,
        AuditKind::Reset,
        AuditKind::Backup,
        AuditKind::Alarm,
        AuditKind::Security,
    ];

    /// Security events: kept for the whole retention time, never pushed out by the count
    /// (see [`Retention`]).
    pub const SECURITY: [AuditKind; 9] = [
        AuditKind::Login,
        AuditKind::LoginFailed,
        AuditKind::Logout,
        AuditKind::Users,
        AuditKind::HotBackup,
        AuditKind::Failover,
        AuditKind::Reset,
        AuditKind::Backup,
        AuditKind::Security,
    ];

    pub fn is_security(self) -> bool {
        AuditKind::SECURITY.contains(&self)
    }

    pub fn key(self) -> &'static str {
        match self {
            AuditKind::Change => "change",
            AuditKind::Login => "login",
            AuditKind::LoginFailed => "login_failed",
            AuditKind::Logout => "logout",
            AuditKind::Users => "users",
            AuditKind::HotBackup => "hot_backup",
            AuditKind::Failover => "failover",
            AuditKind::Reset => "reset",
            AuditKind::Backup => "backup",
            AuditKind::Alarm => "alarm",
            AuditKind::Security => "security",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AuditKind::Change => "Change",
            AuditKind::Login => "Login",
            AuditKind::LoginFailed => "Failed login",
            AuditKind::Logout => "Logout",
            AuditKind::Users => "Users",
            AuditKind::HotBackup => "Hot Backup",
            AuditKind::Failover => "Failover",
            AuditKind::Reset => "System Reset",
            AuditKind::Backup => "Backup",
            AuditKind::Alarm => "Alarm",
            AuditKind::Security => "Security settings",
        }
    }

    pub fn from_key(key: &str) -> Option<AuditKind> {
        AuditKind::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// One entry of the trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at_ms: Millis,
    /// Where it happened (a Slave's trail holds its Master's changes).
    pub mcu: String,
    /// The user ("system" for what the MCU did by itself; for a failed login, the name typed
    /// when it is a user's, else [`UNKNOWN_USER`]).
    pub user: String,
    pub role: Option<Role>,
    pub client: String,
    pub kind: AuditKind,
    pub summary: String,
    pub ok: bool,
    /// The change's sequence number, for changes.
    pub seq: Option<u64>,
}

/// Longest summary and user name kept (what a user typed is cut, never refused).
pub const MAX_SUMMARY: usize = 500;
pub const MAX_USER: usize = 64;
/// Most entries one query returns (the page and the export).
pub const MAX_ROWS: usize = 5_000;

/// Who an entry is by: the MCU, the user, their role, their client address.
#[derive(Debug, Clone, Copy)]
pub struct By<'a> {
    pub mcu: &'a str,
    pub user: &'a str,
    pub role: Option<Role>,
    pub client: &'a str,
}

impl<'a> By<'a> {
    /// The MCU itself (a failover it decided).
    pub fn system(mcu: &'a str) -> By<'a> {
        By { mcu, user: "system", role: None, client: "" }
    }
}

/// A new entry (the store gives it its id).
pub fn entry(at_ms: Millis, by: By<'_>, kind: AuditKind, summary: &str, ok: bool) -> AuditEntry {
    AuditEntry {
        id: 0,
        at_ms,
        mcu: cut(by.mcu, MAX_USER),
        user: cut(by.user, MAX_USER),
        role: by.role,
        client: cut(by.client, MAX_USER),
        kind,
        summary: cut(summary, MAX_SUMMARY),
        ok,
        seq: None,
    }
}

fn cut(s: &str, n: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(n).collect()
}

/// A readable summary of a change: "Conference 'Board meeting' saved", "Conference
/// Profile 'HD' deleted". `name_before`: the record's name before a delete.
pub fn summary(change: &Change, name_before: Option<&str>) -> String {
    match change {
        Change::Put { record } => match (record.kind(), record.name()) {
            (EntityKind::NetworkService, _) => "IP Network Service saved".into(),
            (kind, Some(name)) => format!("{} '{}' saved", kind.label(), cut(name, 80)),
            (kind, None) => format!("{} saved", kind.label()),
        },
        Change::Delete { kind, id } => match name_before {
            Some(name) => format!("{} '{}' deleted", kind.label(), cut(name, 80)),
            None => format!("{} {} deleted", kind.label(), cut(id, 40)),
        },
    }
}

/// What a user changed on a participant, from the record `before` (none: it was added) to
/// `after`, in `conference` (its name): "Participant 'Bob' (10.0.0.1) in 'Weekly': audio
/// muted, status Connected → Disconnected"; a move names the conference it went to.
pub fn participant_summary(before: Option<&crate::Participant>, after: &crate::Participant, conference: Option<&str>) -> String {
    let who = format!("Participant '{}' ({})", cut(&after.name, 80), cut(&after.address, 80));
    let place = conference.map(|c| format!("'{}'", cut(c, 80))).unwrap_or_else(|| "a conference".into());
    let Some(b) = before else { return format!("{who} added to {place}") };
    let mut what: Vec<String> = Vec::new();
    if b.name != after.name {
        what.push(format!("name '{}' → '{}'", cut(&b.name, 80), cut(&after.name, 80)));
    }
    if b.state != after.state {
        what.push(format!("status {} → {}", b.state.label(), after.state.label()));
    }
    let toggles = [
        (b.audio_muted, after.audio_muted, "audio muted", "audio unmuted"),
        (b.video_muted, after.video_muted, "video suspended", "video resumed"),
        (b.chairperson, after.chairperson, "made chairperson", "made a regular participant"),
    ];
    what.extend(toggles.iter().filter(|(was, now, ..)| was != now).map(|(_, now, on, off)| if *now { on.to_string() } else { off.to_string() }));
    if b.conference_id != after.conference_id {
        what.push(format!("moved to {place}"));
        return format!("{who}: {}", what.join(", "));
    }
    if what.is_empty() {
        what.push("saved (nothing an operator sees changed)".into());
    }
    format!("{who} in {place}: {}", what.join(", "))
}

/// What a reader asks for: any of user (a part of the name, any case), kind, and a time
/// range; newest first, at most [`MAX_ROWS`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    pub user: Option<String>,
    pub kind: Option<AuditKind>,
    pub from_ms: Option<Millis>,
    pub to_ms: Option<Millis>,
    /// Leave out logins and logouts (the page's default: they drown the changes). Failed
    /// logins always show.
    #[serde(default)]
    pub hide_logins: bool,
}

/// Entries on one page of the Audit Trail.
pub const PAGE: usize = 100;

/// Where a page of the trail starts (newest first): entries older than this entry's
/// (time, id). Written "time.id" in the page's address.
pub fn parse_cursor(raw: &str) -> Result<Option<(Millis, i64)>, DomainError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let bad = || DomainError::invalid("before", "That page of the trail does not exist: start again from the newest.");
    let (ms, id) = raw.split_once('.').ok_or_else(bad)?;
    match (ms.parse::<Millis>(), id.parse::<i64>()) {
        (Ok(ms), Ok(id)) if raw.len() <= 40 => Ok(Some((ms, id))),
        _ => Err(bad()),
    }
}

/// The cursor of the page after the one ending with `last`.
pub fn cursor_after(last: &AuditEntry) -> String {
    format!("{}.{}", last.at_ms, last.id)
}

impl AuditFilter {
    /// With logins and logouts left out unless `show` (or a kind is asked for).
    pub fn showing_logins(mut self, show: bool) -> AuditFilter {
        self.hide_logins = !show && self.kind.is_none();
        self
    }

    /// From the page's fields: a user name part, a kind key, and dates "YYYY-MM-DD" (from
    /// the start of `from` to the end of `to`, in the reader's zone: `offset_min` as the
    /// browser's `getTimezoneOffset`). Every wrong field is named.
    pub fn parse(user: &str, kind: &str, from: &str, to: &str, offset_min: i32) -> Result<AuditFilter, DomainError> {
        let mut errors = crate::FieldErrors::default();
        let user = user.trim();
        if user.chars().count() > MAX_USER {
            errors.add(DomainError::invalid("user", format!("At most {MAX_USER} characters.")));
        }
        let kind = match kind.trim() {
            "" => None,
            k => {
                let parsed = AuditKind::from_key(k);
                if parsed.is_none() {
                    errors.add(DomainError::invalid("kind", format!("Unknown kind '{}'.", cut(k, 40))));
                }
                parsed
            }
        };
        if !(-14 * 60..=14 * 60).contains(&offset_min) {
            errors.add(DomainError::invalid("from", "The time zone offset is out of range."));
        }
        let offset = i64::from(offset_min) * 60_000;
        let mut day = |field: &'static str, raw: &str| -> Option<Millis> {
            let raw = raw.trim();
            if raw.is_empty() {
                return None;
            }
            match crate::timefmt::parse_date(raw) {
                Some(d) => Some(d * 86_400_000 + offset),
                None => {
                    errors.add(DomainError::invalid(field, "Give a date as YYYY-MM-DD."));
                    None
                }
            }
        };
        let from_ms = day("from", from);
        let to_ms = day("to", to).map(|t| t + 86_400_000 - 1);
        if let (Some(f), Some(t)) = (from_ms, to_ms) {
            if t < f {
                errors.add(DomainError::invalid("to", "The end date is before the start date."));
            }
        }
        errors.finish()?;
        Ok(AuditFilter { user: (!user.is_empty()).then(|| user.to_string()), kind, from_ms, to_ms, hide_logins: false })
    }
}

/// How long the trail is kept: at most `max_entries`, none older than `max_days`; the
/// oldest go first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub max_entries: u64,
    pub max_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention { max_entries: 100_000, max_days: 365 }
    }
}

/// The trail as CSV (RFC 4180), times in UTC. A cell that a spreadsheet would run as a
/// formula (`=`, `+`, `-`, `@`, tab, CR first) is prefixed with `'`.
pub fn to_csv(entries: &[AuditEntry]) -> String {
    format!("{CSV_HEADER}{}", csv_lines(entries))
}

/// The CSV export's first line.
pub const CSV_HEADER: &str = "time_utc,mcu,user,role,client,kind,summary,result,seq\r\n";

/// The CSV lines of `entries` (no header: an export streams them page by page).
pub fn csv_lines(entries: &[AuditEntry]) -> String {
    let mut out = String::new();
    for e in entries {
        let cells = [
            crate::timefmt::format_iso_seconds(e.at_ms),
            e.mcu.clone(),
            e.user.clone(),
            e.role.map(|r| r.label().to_string()).unwrap_or_default(),
            e.client.clone(),
            e.kind.label().to_string(),
            e.summary.clone(),
            if e.ok { "ok" } else { "refused" }.to_string(),
            e.seq.map(|s| s.to_string()).unwrap_or_default(),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

pub fn csv_cell(raw: &str) -> String {
    let safe = if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{raw}") } else { raw.to_string() };
    if safe.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", safe.replace('"', "\"\""))
    } else {
        safe
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::Record;

    #[test]
    fn a_change_reads_as_what_happened_to_what() {
        let p = crate::Participant {
            id: "p1".into(),
            conference_id: "c1".into(),
            name: "Alice".into(),
            address: "10.0.0.1".into(),
            protocol: crate::Protocol::H323,
            direction: crate::Direction::DialIn,
            state: crate::ParticipantState::Connected,
            audio_muted: false,
            video_muted: false,
            chairperson: false,
            disconnect_cause: None,
            ivr_path: Vec::new(),
            home_conference_id: None,
            stamps: Default::default(),
        };
        assert_eq!(summary(&Change::Put { record: Record::Participant(p.clone()) }, None), "Participant 'Alice' saved");
        // Who muted Alice, and what else changed: each field from before to after.
        let added = participant_summary(None, &p, Some("Weekly"));
        assert_eq!(added, "Participant 'Alice' (10.0.0.1) added to 'Weekly'");
        let muted = crate::Participant { audio_muted: true, state: crate::ParticipantState::FaultyConnection, ..p.clone() };
        assert_eq!(
            participant_summary(Some(&p), &muted, Some("Weekly")),
            "Participant 'Alice' (10.0.0.1) in 'Weekly': status Connected → Faulty Connection, audio muted"
        );
        let moved = crate::Participant { conference_id: "c2".into(), chairperson: true, ..p.clone() };
        assert_eq!(participant_summary(Some(&p), &moved, Some("Sales")), "Participant 'Alice' (10.0.0.1): made chairperson, moved to 'Sales'");
        assert!(participant_summary(Some(&p), &p, Some("Weekly")).ends_with("saved (nothing an operator sees changed)"));
        assert_eq!(summary(&Change::Put { record: Record::NetworkService(Default::default()) }, None), "IP Network Service saved");
        let del = Change::Delete { kind: EntityKind::Conference, id: "c1".into() };
        assert_eq!(summary(&del, Some("Board")), "Conference 'Board' deleted");
        assert_eq!(summary(&del, None), "Conference c1 deleted");
    }

    #[test]
    fn the_filter_reads_the_pages_fields_and_names_every_wrong_one() {
        let f = AuditFilter::parse(" adm ", "login_failed", "2026-11-28", "2026-11-28", -60).expect("valid");
        assert_eq!(f.user.as_deref(), Some("adm"));
        assert_eq!(f.kind, Some(AuditKind::LoginFailed));
        // Midnight in UTC+1 is 23:00 UTC the day before; the range ends a millisecond before the next midnight.
        let day = crate::timefmt::parse_date("2026-11-28").expect("date") * 86_400_000;
        assert_eq!((f.from_ms, f.to_ms), (Some(day - 3_600_000), Some(day - 3_600_000 + 86_400_000 - 1)));
        assert_eq!(AuditFilter::parse("", "", "", "", 0).expect("empty"), AuditFilter::default());
        match AuditFilter::parse(&"x".repeat(65), "nope", "28.11.2026", "2026-11-01", 0) {
            Err(DomainError::Fields(f)) => {
                let names: Vec<&str> = f.iter().map(|(k, _)| *k).collect();
                assert_eq!(names, vec!["user", "kind", "from"], "{f:?}");
            }
            other => panic!("{other:?}"),
        }
        assert!(AuditFilter::parse("", "", "2026-11-02", "2026-11-01", 0).is_err(), "end before start");
    }

    #[test]
    fn the_csv_quotes_what_needs_it_and_defuses_formulas() {
        let by = By { mcu: "MCU-A", user: "=HYPERLINK(\"x\")", role: Some(Role::Operator), client: "10.0.0.1" };
        let mut e = entry(0, by, AuditKind::Change, "Conference 'a, \"b\"' saved", true);
        e.seq = Some(7);
        let csv = to_csv(&[e]);
        let line = csv.lines().nth(1).expect("row");
        assert!(line.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{line}");
        assert!(line.contains("\"Conference 'a, \"\"b\"\"' saved\""), "{line}");
        assert!(line.ends_with(",ok,7"), "{line}");
        assert!(line.starts_with("1970-01-01T00:00:00Z,MCU-A,"), "{line}");
        assert_eq!(csv_cell("-1"), "'-1");
    }

    #[test]
    fn what_a_user_typed_is_cut_and_loses_control_characters() {
        let user = format!("a\nb{}", "x".repeat(100));
        let e = entry(0, By { mcu: "M", user: &user, role: None, client: "c" }, AuditKind::LoginFailed, &"s".repeat(900), false);
        assert!(!e.user.contains('\n') && e.user.chars().count() == MAX_USER);
        assert_eq!(e.summary.chars().count(), MAX_SUMMARY);
    }
}
