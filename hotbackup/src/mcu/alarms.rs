//! This MCU's Active Alarms (`domain::alarms`): raised and cleared where their condition is
//! seen (the engine, the server's scheduler, redial and disk watch), kept in memory, and
//! written to the store by one task that always writes the newest book — ordered, and never
//! on a change's path. Alarms are each MCU's own: never mirrored.

use super::EventLog;
use crate::store_task::blocking;
use domain::alarms::{AlarmBook, AlarmCode, AlarmCounts};
use domain::store::{keys, now_ms, Store};
use domain::{DomainError, Role};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::watch;

#[derive(Clone)]
pub struct Alarms {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    book: Mutex<AlarmBook>,
    /// Moves at each change of the book; the writer task follows it.
    version: watch::Sender<u64>,
    events: EventLog,
}

impl Alarms {
    /// Reads the book (a damaged one starts afresh) and starts its writer task.
    pub async fn load(store: Store, events: EventLog) -> Alarms {
        // A damaged book is started afresh: the conditions raise their alarms again.
        let book = blocking(&store, |s| Ok(s.local::<AlarmBook>(keys::ALARMS).unwrap_or_default())).await.unwrap_or_default();
        let alarms = Alarms { inner: Arc::new(Inner { store, book: Mutex::new(book), version: watch::channel(0).0, events }) };
        alarms.start_writer();
        alarms
    }

    /// Raises `code`; those of the pair and the engine go into the Hot Backup event log too
    /// (`AlarmCode::in_hot_backup_log`), the others only into the server's log.
    pub fn raise(&self, code: AlarmCode, detail: &str) {
        self.update(|b| {
            b.raise(code, detail, now_ms());
            true
        });
        if code.in_hot_backup_log() {
            self.inner.events.alarm(code.text(detail));
        } else {
            tracing::warn!(target: "alarms", "{}", code.text(detail));
        }
    }

    /// [`Self::raise`], unless the same text is the event log's newest entry (the loops
    /// that see a lasting condition retry every heartbeat: one entry, not hundreds).
    pub fn raise_once(&self, code: AlarmCode, detail: &str) {
        if !self.inner.events.newest_is(&code.text(detail)) {
            self.raise(code, detail);
        }
    }

    /// The conditions behind `codes` ended. Cheap when none is active (called on the
    /// replication path).
    /// Those of the Hot Backup event log get an entry there that says how long they lasted
    /// (the pair of the one they were raised with).
    pub fn clear(&self, codes: &[AlarmCode]) {
        let mut over = Vec::new();
        self.update(|b| {
            for &c in codes {
                if let Some(a) = b.clear(c, now_ms()) {
                    tracing::info!(target: "alarms", "cleared: {}", a.cleared_text());
                    over.push(a);
                }
            }
            !over.is_empty()
        });
        for a in over.iter().filter(|a| a.code.in_hot_backup_log()) {
            self.inner.events.note(a.cleared_text());
        }
    }

    /// Whether an alarm for `code` is active.
    pub fn is_active(&self, code: AlarmCode) -> bool {
        self.lock().is_active(code)
    }

    /// A copy of the book (the Alarms page).
    pub fn book(&self) -> AlarmBook {
        self.lock().clone()
    }

    /// The header's and `/metrics`' figures.
    pub fn counts(&self) -> AlarmCounts {
        AlarmCounts { revision: *self.inner.version.borrow(), ..self.lock().counts() }
    }

    /// An Operator or above acknowledges an active alarm of this MCU.
    pub fn acknowledge(&self, id: u64, user: &str, role: Role) -> Result<(), DomainError> {
        let mut result = Ok(());
        self.update(|b| {
            result = b.acknowledge(id, user, role, now_ms());
            result.is_ok()
        });
        result
    }

    /// Writes the book now (at a stop or System Reset, so the newest state is on disk).
    pub async fn save(&self) {
        let book = self.book();
        if let Err(e) = blocking(&self.inner.store, move |s| s.set_local(keys::ALARMS, &book)).await {
            tracing::error!(target: "alarms", "the alarms could not be saved: {e}");
        }
    }

    fn lock(&self) -> MutexGuard<'_, AlarmBook> {
        self.inner.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes the book; when `f` says it changed, the writer saves it and the pages hear.
    fn update(&self, f: impl FnOnce(&mut AlarmBook) -> bool) {
        let changed = f(&mut self.lock());
        if changed {
            self.inner.version.send_modify(|n| *n = n.wrapping_add(1));
            self.inner.events.updates().status_changed();
        }
    }

    /// The one task that writes the book: after each change, the newest book (changes
    /// made while it writes are in the next write). Ends with the runtime.
    fn start_writer(&self) {
        let alarms = self.clone();
        let mut rx = self.inner.version.subscribe();
        tokio::spawn(async move {
            while rx.changed().await.is_ok() {
                alarms.save().await;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcu::Updates;

    #[tokio::test]
    async fn an_alarm_of_the_pair_is_logged_and_written_one_of_the_mcu_only_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("store");
        let events = EventLog::new(Updates::new());
        let alarms = Alarms::load(store.clone(), events.clone()).await;
        alarms.raise(AlarmCode::PeerUnreachable, "no answer");
        alarms.raise(AlarmCode::DiskLow, "5 % free");
        assert!(alarms.is_active(AlarmCode::PeerUnreachable) && alarms.is_active(AlarmCode::DiskLow));
        let log = events.entries();
        assert_eq!(log.len(), 1, "{log:?}");
        assert!(log[0].alarm && log[0].text.contains("no answer"));
        alarms.raise_once(AlarmCode::PeerUnreachable, "no answer");
        assert_eq!(events.entries().len(), 1, "the same alarm text is logged once");
        alarms.clear(&[AlarmCode::PeerUnreachable, AlarmCode::ReplicationInterrupted]);
        assert!(!alarms.is_active(AlarmCode::PeerUnreachable));
        // The event log pairs the raise with its end, and says how long it lasted.
        let log = events.entries();
        assert_eq!(log.len(), 2, "one entry for the alarm that was active: {log:?}");
        assert!(!log[0].alarm && log[0].text.starts_with(&AlarmCode::PeerUnreachable.code().to_string()) && log[0].text.contains("over after"), "{log:?}");
        alarms.clear(&[AlarmCode::DiskLow]);
        assert_eq!(events.entries().len(), 2, "an alarm of the MCU only is not in the Hot Backup log");
        alarms.raise(AlarmCode::DiskLow, "5 % free");
        alarms.save().await;
        // A restart reads what was written.
        let again = Alarms::load(store, EventLog::new(Updates::new())).await;
        assert!(again.is_active(AlarmCode::DiskLow) && !again.is_active(AlarmCode::PeerUnreachable));
        assert!(again.book().history.iter().any(|a| a.code == AlarmCode::PeerUnreachable && a.cleared_ms.is_some()));
    }
}
