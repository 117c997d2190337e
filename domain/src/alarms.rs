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

/// One alarm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alarm {
    /// Unique within the book.
    pub id: u64,
    /// The original's code (8200...) or ours.
    pub code: u16,
    /// The condition it stands for ("8200", "8201:versions"...): raised again under the same
    /// key, it is the same alarm.
    pub key: String,
    pub severity: Severity,
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

/// The alarms of one MCU.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmBook {
    pub active: Vec<Alarm>,
    /// Cleared alarms, newest first, at most [`MAX_HISTORY`].
    pub history: Vec<Alarm>,
    next_id: u64,
}

impl AlarmBook {
    /// Raises (or raises again) the alarm for `key`; returns its id. Raised again, it counts,
    /// takes the new text and severity, and needs a new acknowledgement.
    pub fn raise(&mut self, code: u16, key: &str, severity: Severity, text: &str, now: Millis) -> u64 {
        if let Some(a) = self.active.iter_mut().find(|a| a.key == key) {
            a.count = a.count.saturating_add(1);
            a.last_ms = now;
            a.text = text.to_string();
            a.severity = severity;
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
            key: key.to_string(),
            severity,
            text: text.to_string(),
            first_ms: now,
            last_ms: now,
            count: 1,
            acked: None,
            cleared_ms: None,
        });
        id
    }

    /// The condition behind `key` ended: the alarm moves to the history. Whether one was active.
    pub fn clear(&mut self, key: &str, now: Millis) -> bool {
        match self.active.iter().position(|a| a.key == key) {
            Some(i) => {
                let a = self.active.remove(i);
                self.archive(a, now);
                true
            }
            None => false,
        }
    }

    fn archive(&mut self, mut a: Alarm, now: Millis) {
        a.cleared_ms = Some(now);
        self.history.insert(0, a);
        self.history.truncate(MAX_HISTORY);
    }

    /// An Operator or above acknowledges an active alarm.
    pub fn acknowledge(&mut self, id: u64, user: &str, role: Role, now: Millis) -> Result<(), DomainError> {
        if !role.can(Permission::RunConferences) || role == Role::Chairperson {
            return Err(DomainError::Forbidden(format!("Your role ({}) cannot acknowledge alarms: an Operator or above can.", role.label())));
        }
        let a = self
            .active
            .iter_mut()
            .find(|a| a.id == id)
            .ok_or_else(|| DomainError::NotFound("That alarm is no longer active.".into()))?;
        a.acked = Some((user.to_string(), now));
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raised_again_it_counts_cleared_it_moves_to_the_history() {
        let mut b = AlarmBook::default();
        let id = b.raise(8200, "8200", Severity::Major, "Paired MCU is unreachable", 1_000);
        assert_eq!(b.raise(8200, "8200", Severity::Major, "still unreachable", 2_000), id, "the same alarm");
        assert_eq!((b.active.len(), b.active[0].count, b.active[0].first_ms, b.active[0].last_ms), (1, 2, 1_000, 2_000));
        assert_eq!(b.active[0].text, "still unreachable");
        let other = b.raise(8201, "8201:versions", Severity::Major, "versions differ", 2_500);
        assert_ne!(other, id);
        assert_eq!(b.unacknowledged(), 2);
        assert!(b.clear("8200", 3_000));
        assert!(!b.clear("8200", 3_100), "already cleared");
        assert_eq!((b.active.len(), b.history.len(), b.history[0].cleared_ms), (1, 1, Some(3_000)));
        // Raised after clearing: a new alarm, a new id.
        assert_ne!(b.raise(8200, "8200", Severity::Major, "again", 4_000), id);
        assert_eq!(b.active_of(Severity::Major), 2);
    }

    #[test]
    fn an_operator_or_above_acknowledges_and_a_new_occurrence_needs_it_again() {
        let mut b = AlarmBook::default();
        let id = b.raise(8202, "8202", Severity::Major, "network", 1);
        for role in [Role::Chairperson, Role::Auditor, Role::AdministratorReadOnly] {
            assert!(matches!(b.acknowledge(id, "x", role, 2), Err(DomainError::Forbidden(_))), "{role:?}");
        }
        b.acknowledge(id, "op", Role::Operator, 3).expect("an Operator acknowledges");
        assert_eq!((b.unacknowledged(), b.active[0].acked.clone()), (0, Some(("op".into(), 3))));
        b.raise(8202, "8202", Severity::Major, "network again", 4);
        assert_eq!(b.unacknowledged(), 1, "raised again: to acknowledge again");
        assert!(matches!(b.acknowledge(999, "admin", Role::Administrator, 5), Err(DomainError::NotFound(_))));
    }

    #[test]
    fn the_book_is_bounded() {
        let mut b = AlarmBook::default();
        for i in 0..(MAX_ACTIVE + 10) {
            b.raise(9000, &format!("k{i}"), Severity::Minor, "x", i as i64);
        }
        assert_eq!((b.active.len(), b.history.len()), (MAX_ACTIVE, 10));
        for i in 0..(MAX_HISTORY + 50) {
            let key = format!("h{i}");
            b.raise(9001, &key, Severity::Warning, "y", 0);
            b.clear(&key, 1);
        }
        assert_eq!(b.history.len(), MAX_HISTORY);
        let json = serde_json::to_string(&b).expect("json");
        assert_eq!(serde_json::from_str::<AlarmBook>(&json).expect("back"), b, "kept as JSON by the store");
    }
}
