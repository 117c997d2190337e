//! Active Alarms as the original lists them (issue 12, first part: the rules). A condition
//! raises an alarm under a key (raised again, it counts and updates, it does not
//! duplicate); when the condition ends the alarm is cleared into a bounded history; an
//! Operator or above acknowledges it. Plain data: the store keeps the book per MCU (alarms
//! are each MCU's own, never mirrored), the engine and the pages use these rules.

use crate::model::Millis;
use crate::{DomainError, Permission, Role};
use serde::{Deserialize, Serialize};

/// Cleared alarms kept, newest first.
pub const MAX_HISTORY: usize = 500;
/// Active alarms at most (a runaway condition keyed by something unbounded cannot grow the book).
pub const MAX_ACTIVE: usize = 200;
/// An alarm's text is cut to this many characters.
pub const MAX_TEXT: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Severity {
    Critical,
    Major,
    Minor,
    Warning,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Severity::Critical, Severity::Major, Severity::Minor, Severity::Warning];

    pub fn label(self) -> &'static str {
        match self {
            Severity::Critical => "Critical",
            Severity::Major => "Major",
            Severity::Minor => "Minor",
            Severity::Warning => "Warning",
        }
    }
}

/// What an alarm is about: the original's Hot Backup codes (8200–8202, rmx-reference) and
/// ours. One active alarm per code: raised again, the same alarm counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AlarmCode {
    /// 8200: the paired MCU does not answer.
    PeerUnreachable,
    /// 8201: versions differ, the peer is off, two Masters or two Slaves, the pairing refused.
    ConfigurationConflict,
    /// 8202: the Slave's view of the network: the Master's keep-alive is missing, or its own
    /// network (or a simulated link) is down.
    NetworkIssue,
    /// 8203: something answers on the paired address with another certificate than the one
    /// pinned at pairing.
    PeerCertificateChanged,
    /// 8204: the users differ between the paired MCUs (G2).
    UsersDiffer,
    /// 8205: the Video/Voice Port Configuration differs (G10).
    PortsDiffer,
    /// 8206: changes made on this MCU while split were replaced by the Master's and exported.
    ChangesExported,
    /// 8207: the Slave could not resume and took a full snapshot of the Master.
    SnapshotTaken,
    /// 8208: a call was refused: every port of this MCU is in use.
    PortsExhausted,
    /// 8209: participants were not redialled after a takeover.
    RedialFailed,
    /// 8210: the database refused a write.
    StorageError,
    /// 8211: the data folder's disk is nearly full.
    DiskLow,
    /// 8212: replication was interrupted (a batch refused, the copies drifted apart).
    ReplicationInterrupted,
    /// 8213: the Hot Backup background task failed and was restarted.
    TaskRestarted,
    /// 8214: a saved setting takes effect only after a System Reset.
    ResetNeeded,
    /// 8215: the peer link refused a caller: a pairing proof that failed, a pairing
    /// credential that is not (any more) valid, or one presented from another certificate.
    PeerLinkRefused,
    /// 8216: the audit trail reached its count: its oldest entries that are not security
    /// events were removed.
    AuditTrailFull,
    /// 8217: the ports in use reached the threshold set in System (default 80 %).
    PortsHigh,
}

impl AlarmCode {
    pub const ALL: [AlarmCode; 18] = [
        AlarmCode::PeerUnreachable,
        AlarmCode::ConfigurationConflict,
        AlarmCode::NetworkIssue,
        AlarmCode::PeerCertificateChanged,
        AlarmCode::UsersDiffer,
        AlarmCode::PortsDiffer,
        AlarmCode::ChangesExported,
        AlarmCode::SnapshotTaken,
        AlarmCode::PortsExhausted,
        AlarmCode::RedialFailed,
        AlarmCode::StorageError,
        AlarmCode::DiskLow,
        AlarmCode::ReplicationInterrupted,
        AlarmCode::TaskRestarted,
        AlarmCode::ResetNeeded,
        AlarmCode::PeerLinkRefused,
        AlarmCode::AuditTrailFull,
        AlarmCode::PortsHigh,
    ];

    pub fn code(self) -> u16 {
        match self {
            AlarmCode::PeerUnreachable => 8200,
            AlarmCode::ConfigurationConflict => 8201,
            AlarmCode::NetworkIssue => 8202,
            AlarmCode::PeerCertificateChanged => 8203,
            AlarmCode::UsersDiffer => 8204,
            AlarmCode::PortsDiffer => 8205,
            AlarmCode::ChangesExported => 8206,
            AlarmCode::SnapshotTaken => 8207,
            AlarmCode::PortsExhausted => 8208,
            AlarmCode::RedialFailed => 8209,
            AlarmCode::StorageError => 8210,
            AlarmCode::DiskLow => 8211,
            AlarmCode::ReplicationInterrupted => 8212,
            AlarmCode::TaskRestarted => 8213,
            AlarmCode::ResetNeeded => 8214,
            AlarmCode::PeerLinkRefused => 8215,
            AlarmCode::AuditTrailFull => 8216,
            AlarmCode::PortsHigh => 8217,
        }
    }

    /// The original's wording where it has one.
    pub fn title(self) -> &'static str {
        match self {
            AlarmCode::PeerUnreachable => "Hot Backup: Paired MCU is unreachable",
            AlarmCode::ConfigurationConflict => "Hot Backup: Master-Slave configuration conflict",
            AlarmCode::NetworkIssue => "Hot Backup: Network issue",
            AlarmCode::PeerCertificateChanged => "Hot Backup: Paired MCU's certificate changed",
            AlarmCode::UsersDiffer => "Hot Backup: Users differ on the paired MCUs",
            AlarmCode::PortsDiffer => "Hot Backup: Port configuration differs",
            AlarmCode::ChangesExported => "Hot Backup: Diverged changes exported",
            AlarmCode::SnapshotTaken => "Hot Backup: Full snapshot taken",
            AlarmCode::PortsExhausted => "Port capacity exhausted",
            AlarmCode::RedialFailed => "Redial failed",
            AlarmCode::StorageError => "Database or disk error",
            AlarmCode::DiskLow => "Disk space low",
            AlarmCode::ReplicationInterrupted => "Hot Backup: Replication interrupted",
            AlarmCode::TaskRestarted => "Hot Backup: Background task restarted",
            AlarmCode::ResetNeeded => "System configuration changed. Please reset the MCU.",
            AlarmCode::PeerLinkRefused => "Hot Backup: Peer link refused a caller",
            AlarmCode::AuditTrailFull => "Audit trail full: oldest entries removed",
            AlarmCode::PortsHigh => "Port usage above the threshold",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            AlarmCode::PeerCertificateChanged | AlarmCode::StorageError | AlarmCode::DiskLow => Severity::Critical,
            AlarmCode::PortsDiffer | AlarmCode::SnapshotTaken => Severity::Warning,
            AlarmCode::RedialFailed | AlarmCode::ReplicationInterrupted | AlarmCode::PortsHigh => Severity::Minor,
            _ => Severity::Major,
        }
    }

    /// A one-off occurrence rather than a lasting condition: nothing clears it but the
    /// acknowledgement, which moves it to the history.
    pub fn one_off(self) -> bool {
        matches!(
            self,
            AlarmCode::ChangesExported
                | AlarmCode::SnapshotTaken
                | AlarmCode::RedialFailed
                | AlarmCode::TaskRestarted
                | AlarmCode::PeerLinkRefused
                | AlarmCode::AuditTrailFull
        )
    }

    /// The conditions of the pairing itself: they end when Hot Backup is disabled.
    pub fn of_the_pairing(self) -> bool {
        matches!(
            self,
            AlarmCode::PeerUnreachable
                | AlarmCode::ConfigurationConflict
                | AlarmCode::NetworkIssue
                | AlarmCode::PeerCertificateChanged
                | AlarmCode::UsersDiffer
                | AlarmCode::PortsDiffer
                | AlarmCode::ReplicationInterrupted
        )
    }

    /// Whether the alarm also goes into the Hot Backup event log: everything about the pair
    /// and the engine (the link, replication, a takeover's redial, the task, the store it
    /// writes), not the MCU's own ports, disk, settings or audit trail.
    pub fn in_hot_backup_log(self) -> bool {
        self.of_the_pairing()
            || matches!(
                self,
                AlarmCode::ChangesExported
                    | AlarmCode::SnapshotTaken
                    | AlarmCode::RedialFailed
                    | AlarmCode::StorageError
                    | AlarmCode::TaskRestarted
                    | AlarmCode::PeerLinkRefused
            )
    }

    /// The event log's text: code, title, then what happened here.
    pub fn text(self, detail: &str) -> String {
        format!("{} {}: {detail}", self.code(), self.title())
    }
}

/// One alarm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alarm {
    /// Unique within the book.
    pub id: u64,
    pub code: AlarmCode,
    pub severity: Severity,
    /// What happened here (the newest occurrence's).
    pub text: String,
    pub first_ms: Millis,
    pub last_ms: Millis,
    /// How many times the condition was seen.
    pub count: u32,
    /// Who acknowledged it, and when.
    pub acked: Option<(String, Millis)>,
    /// When its condition ended (history only).
    pub cleared_ms: Option<Millis>,
}

impl Alarm {
    /// How long its condition lasted: from first seen to cleared (to now while active).
    pub fn lasted_ms(&self, now: Millis) -> Millis {
        self.cleared_ms.unwrap_or(now).saturating_sub(self.first_ms).max(0)
    }

    /// The event log's entry when it clears, paired with the one it was raised with: what,
    /// and how long it lasted (a blip and an outage never look alike).
    pub fn cleared_text(&self) -> String {
        let lasted = crate::timefmt::format_duration_ms(self.lasted_ms(self.last_ms));
        let seen = if self.count > 1 { format!(", seen {} times", self.count) } else { String::new() };
        format!("{} {}: over after {lasted}{seen}.", self.code.code(), self.code.title())
    }
}

/// How many alarms are active, for the header and `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmCounts {
    pub active: u32,
    pub unacknowledged: u32,
    /// Active alarms per severity, in [`Severity::ALL`]'s order.
    pub by_severity: [u32; 4],
    /// The worst severity among the unacknowledged ones.
    pub worst_unacknowledged: Option<Severity>,
    /// Changes with every raise, clear and acknowledgement (pages reload the list on it).
    pub revision: u64,
}

/// The alarms of one MCU.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmBook {
    pub active: Vec<Alarm>,
    /// Cleared alarms, newest first, at most [`MAX_HISTORY`].
    pub history: Vec<Alarm>,
    next_id: u64,
}

impl AlarmBook {
    /// Raises (or raises again) the alarm for `code`; returns its id. Raised again, it
    /// counts, takes the new text, and needs a new acknowledgement.
    pub fn raise(&mut self, code: AlarmCode, text: &str, now: Millis) -> u64 {
        let text: String = text.chars().take(MAX_TEXT).collect();
        if let Some(a) = self.active.iter_mut().find(|a| a.code == code) {
            a.count = a.count.saturating_add(1);
            a.last_ms = now;
            a.text = text;
            a.acked = None;
            return a.id;
        }
        if self.active.len() >= MAX_ACTIVE {
            // The oldest goes to the history: the book stays bounded.
            let oldest = self.active.remove(0);
            self.archive(oldest, now);
        }
        self.next_id = self.next_id.saturating_add(1);
        let id = self.next_id;
        self.active.push(Alarm {
            id,
            code,
            severity: code.severity(),
            text,
            first_ms: now,
            last_ms: now,
            count: 1,
            acked: None,
            cleared_ms: None,
        });
        id
    }

    /// The condition behind `code` ended: the alarm moves to the history. Whether one was
    /// active.
    /// Returns the alarm as it went to the history (none when it was not active).
    pub fn clear(&mut self, code: AlarmCode, now: Millis) -> Option<Alarm> {
        let i = self.active.iter().position(|a| a.code == code)?;
        let a = self.active.remove(i);
        self.archive(a, now);
        self.history.first().cloned()
    }

    /// Whether an alarm for `code` is active.
    pub fn is_active(&self, code: AlarmCode) -> bool {
        self.active.iter().any(|a| a.code == code)
    }

    fn archive(&mut self, mut a: Alarm, now: Millis) {
        a.cleared_ms = Some(now);
        self.history.insert(0, a);
        self.history.truncate(MAX_HISTORY);
    }

    /// An Operator or above acknowledges an active alarm; a one-off one then moves to the
    /// history (nothing else would ever clear it).
    pub fn acknowledge(&mut self, id: u64, user: &str, role: Role, now: Millis) -> Result<(), DomainError> {
        if !may_acknowledge(role) {
            return Err(DomainError::Forbidden(format!("Your role ({}) cannot acknowledge alarms: an Operator or above can.", role.label())));
        }
        let i = self
            .active
            .iter()
            .position(|a| a.id == id)
            .ok_or_else(|| DomainError::NotFound("That alarm is no longer active.".into()))?;
        self.active[i].acked = Some((user.to_string(), now));
        if self.active[i].code.one_off() {
            let a = self.active.remove(i);
            self.archive(a, now);
        }
        Ok(())
    }

    /// Active alarms nobody has acknowledged (the header's indicator).
    pub fn unacknowledged(&self) -> usize {
        self.active.iter().filter(|a| a.acked.is_none()).count()
    }

    /// Active alarms of a severity (the `/metrics` gauges).
    pub fn active_of(&self, s: Severity) -> usize {
        self.active.iter().filter(|a| a.severity == s).count()
    }

    pub fn counts(&self) -> AlarmCounts {
        let mut c = AlarmCounts { active: self.active.len() as u32, ..Default::default() };
        for a in &self.active {
            if let Some(i) = Severity::ALL.iter().position(|s| *s == a.severity) {
                c.by_severity[i] += 1;
            }
            if a.acked.is_none() {
                c.unacknowledged += 1;
                c.worst_unacknowledged = Some(c.worst_unacknowledged.map_or(a.severity, |w| w.min(a.severity)));
            }
        }
        c
    }
}

/// Whether the data folder's disk is nearly full: less than 5 % free, at least 64 MiB and
/// at most 1 GiB (a write refused for space would stop the MCU taking changes).
pub fn disk_low(available: u64, total: u64) -> bool {
    const MIB: u64 = 1 << 20;
    available < (total / 20).clamp(64 * MIB, 1024 * MIB)
}

/// The port alarm's threshold when none is set: 80 % of the MCU's ports.
pub const DEFAULT_PORT_THRESHOLD: u8 = 80;

/// A port alarm threshold from the System form: a percentage from 50 to 100.
pub fn port_threshold(raw: &str) -> Result<u8, crate::DomainError> {
    raw.trim()
        .trim_end_matches('%')
        .trim()
        .parse()
        .ok()
        .filter(|p| (50..=100).contains(p))
        .ok_or_else(|| crate::DomainError::invalid("port_threshold", "The threshold is a percentage from 50 to 100."))
}

/// Whether `in_use` of `capacity` ports reached `threshold` percent (an MCU without ports
/// is never "high": nothing can connect).
pub fn ports_high(in_use: u32, capacity: u32, threshold: u8) -> bool {
    capacity > 0 && u64::from(in_use) * 100 >= u64::from(capacity) * u64::from(threshold)
}

/// Who may acknowledge alarms: an Operator or above (not a Chairperson, Auditor or
/// Administrator Read-only).
pub fn may_acknowledge(role: Role) -> bool {
    role.can(Permission::RunConferences) && role != Role::Chairperson
}

#[cfg(test)]
mod tests {
    use super::*;
    use AlarmCode::*;

    #[test]
    fn every_alarm_of_the_pairing_is_in_the_hot_backup_log_and_the_mcus_own_are_not() {
        assert!(ports_high(8, 10, 80) && !ports_high(7, 10, 80) && !ports_high(0, 0, 80));
        assert!(ports_high(10, 10, 100) && !ports_high(9, 10, 100));
        assert_eq!(port_threshold(" 85 % ").ok(), Some(85));
        for bad in ["49", "101", "x", ""] {
            assert!(port_threshold(bad).is_err(), "{bad}");
        }
        for c in AlarmCode::ALL {
            if c.of_the_pairing() {
                assert!(c.in_hot_backup_log(), "{c:?}");
            }
        }
        for c in [PortsExhausted, DiskLow, ResetNeeded, AuditTrailFull] {
            assert!(!c.in_hot_backup_log() && !c.of_the_pairing(), "{c:?}");
        }
        assert!(RedialFailed.in_hot_backup_log() && !RedialFailed.of_the_pairing());
    }

    #[test]
    fn raised_again_it_counts_cleared_it_moves_to_the_history() {
        let mut b = AlarmBook::default();
        let id = b.raise(PeerUnreachable, "mcu-b: refused", 1_000);
        assert_eq!(b.raise(PeerUnreachable, "still unreachable", 2_000), id, "the same alarm");
        assert_eq!((b.active.len(), b.active[0].count, b.active[0].first_ms, b.active[0].last_ms), (1, 2, 1_000, 2_000));
        assert_eq!((b.active[0].text.as_str(), b.active[0].severity), ("still unreachable", Severity::Major));
        let other = b.raise(PeerCertificateChanged, "another certificate", 2_500);
        assert_ne!(other, id);
        assert_eq!(b.unacknowledged(), 2);
        let cleared = b.clear(PeerUnreachable, 3_000).expect("was active");
        assert_eq!(cleared.cleared_ms, Some(3_000));
        assert!(cleared.cleared_text().ends_with("over after 2.0 s, seen 2 times."), "{}", cleared.cleared_text());
        assert!(cleared.cleared_text().starts_with(&format!("{} ", PeerUnreachable.code())));
        assert!(b.clear(PeerUnreachable, 3_100).is_none(), "already cleared");
        assert_eq!((b.active.len(), b.history.len(), b.history[0].cleared_ms), (1, 1, Some(3_000)));
        // Raised after clearing: a new alarm, a new id.
        assert_ne!(b.raise(PeerUnreachable, "again", 4_000), id);
        assert_eq!((b.active_of(Severity::Major), b.active_of(Severity::Critical)), (1, 1));
        let c = b.counts();
        assert_eq!((c.active, c.unacknowledged, c.by_severity, c.worst_unacknowledged), (2, 2, [1, 1, 0, 0], Some(Severity::Critical)));
    }

    #[test]
    fn an_operator_or_above_acknowledges_and_a_new_occurrence_needs_it_again() {
        let mut b = AlarmBook::default();
        let id = b.raise(NetworkIssue, "network", 1);
        for role in [Role::Chairperson, Role::Auditor, Role::AdministratorReadOnly] {
            assert!(matches!(b.acknowledge(id, "x", role, 2), Err(DomainError::Forbidden(_))), "{role:?}");
        }
        b.acknowledge(id, "op", Role::Operator, 3).expect("an Operator acknowledges");
        assert_eq!((b.unacknowledged(), b.active[0].acked.clone()), (0, Some(("op".into(), 3))));
        assert_eq!(b.counts().worst_unacknowledged, None);
        b.raise(NetworkIssue, "network again", 4);
        assert_eq!(b.unacknowledged(), 1, "raised again: to acknowledge again");
        assert!(matches!(b.acknowledge(999, "admin", Role::Administrator, 5), Err(DomainError::NotFound(_))));
    }

    #[test]
    fn a_one_off_alarm_ends_with_its_acknowledgement_a_condition_only_when_it_ends() {
        let mut b = AlarmBook::default();
        let export = b.raise(ChangesExported, "3 changes kept in a file", 1);
        let ports = b.raise(PortsExhausted, "all 20 ports in use", 1);
        b.acknowledge(export, "admin", Role::Administrator, 2).expect("ack");
        b.acknowledge(ports, "admin", Role::Administrator, 2).expect("ack");
        assert_eq!(b.active.iter().map(|a| a.code).collect::<Vec<_>>(), vec![PortsExhausted], "the condition is still there");
        assert_eq!((b.history[0].code, b.history[0].cleared_ms, b.history[0].acked.clone()), (ChangesExported, Some(2), Some(("admin".into(), 2))));
    }

    #[test]
    fn codes_are_distinct_and_keep_the_originals_wording() {
        let mut codes: Vec<u16> = AlarmCode::ALL.iter().map(|c| c.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), AlarmCode::ALL.len());
        assert_eq!(PeerUnreachable.text("no answer"), "8200 Hot Backup: Paired MCU is unreachable: no answer");
        assert_eq!(ConfigurationConflict.code(), 8201);
        assert!(NetworkIssue.text("x").starts_with("8202 Hot Backup: Network issue"));
    }

    #[test]
    fn a_disk_is_low_under_five_percent_between_64_mib_and_1_gib() {
        const MIB: u64 = 1 << 20;
        assert!(disk_low(40 * MIB, 500 * MIB), "a small disk: under 64 MiB free");
        assert!(!disk_low(70 * MIB, 500 * MIB));
        assert!(disk_low(400 * MIB, 10 * 1024 * MIB), "under 5 % of 10 GiB");
        assert!(!disk_low(600 * MIB, 10 * 1024 * MIB));
        assert!(!disk_low(2 * 1024 * MIB, 10_000 * 1024 * MIB), "a big disk: 1 GiB free is enough");
    }

    #[test]
    fn the_book_is_bounded() {
        let mut b = AlarmBook::default();
        b.raise(StorageError, &"x".repeat(5_000), 0);
        assert_eq!(b.active[0].text.chars().count(), MAX_TEXT);
        for i in 0..(MAX_HISTORY + 50) {
            let code = AlarmCode::ALL[i % AlarmCode::ALL.len()];
            b.raise(code, "y", i as i64);
            b.clear(code, i as i64 + 1);
        }
        assert_eq!(b.history.len(), MAX_HISTORY);
        assert!(b.active.len() <= AlarmCode::ALL.len());
        let json = serde_json::to_string(&b).expect("json");
        assert_eq!(serde_json::from_str::<AlarmBook>(&json).expect("back"), b, "kept as JSON by the store");
    }
}
