//! This MCU's Active Alarms (`domain::alarms`): raised and cleared where their condition is
//! seen (the engine here; the server's scheduler, redial and disk watch through the public
//! calls), kept in memory, and written to the store by one task that always writes the
//! newest book — ordered, and never on a change's path. Alarms are each MCU's own: never
//! mirrored.

use crate::{blocking, HotBackup};
use domain::alarms::{AlarmBook, AlarmCode, AlarmCounts};
use domain::store::{keys, now_ms};
use domain::{DomainError, Role};

impl HotBackup {
    /// Raises `code` in the book and in the Hot Backup event log.
    pub(crate) fn raise(&self, code: AlarmCode, detail: &str) {
        self.update_book(|b| {
            b.raise(code, detail, now_ms());
            true
        });
        self.entry(true, code.text(detail));
    }

    /// [`Self::raise`], unless the same text is the event log's newest entry (the loops
    /// that see a lasting condition retry every heartbeat: one entry, not hundreds).
    pub(crate) fn raise_once(&self, code: AlarmCode, detail: &str) {
        let text = code.text(detail);
        let fresh = self.st().events.front().is_none_or(|e| e.text != text);
        if fresh {
            self.raise(code, detail);
        }
    }

    /// Raises an alarm seen outside the engine (ports, redial, disk), without a Hot Backup
    /// event-log entry unless it is about the pair.
    pub fn raise_alarm(&self, code: AlarmCode, detail: &str) {
        if code.of_the_pairing() || matches!(code, AlarmCode::RedialFailed) {
            self.raise(code, detail);
        } else {
            tracing::warn!(target: "alarms", "{}", code.text(detail));
            self.update_book(|b| {
                b.raise(code, detail, now_ms());
                true
            });
        }
    }

    /// The conditions behind `codes` ended. Cheap when none is active (called on the
    /// replication path).
    pub fn clear_alarms(&self, codes: &[AlarmCode]) {
        self.update_book(|b| {
            let mut any = false;
            for &c in codes {
                if b.clear(c, now_ms()) {
                    tracing::info!(target: "alarms", "cleared: {} {}", c.code(), c.title());
                    any = true;
                }
            }
            any
        });
    }

    /// The link answered with the pinned certificate: the peer is reachable.
    pub(crate) fn peer_heard(&self) {
        let links_down = {
            let st = self.st();
            st.signalling_down.is_some() || st.media_down.is_some()
        };
        if links_down {
            self.clear_alarms(&[AlarmCode::PeerUnreachable, AlarmCode::PeerCertificateChanged]);
        } else {
            self.clear_alarms(&[AlarmCode::PeerUnreachable, AlarmCode::PeerCertificateChanged, AlarmCode::NetworkIssue]);
        }
    }

    /// Changes flow between the pair again: the pairing works.
    pub(crate) fn replicating(&self) {
        self.peer_heard();
        self.clear_alarms(&[AlarmCode::ConfigurationConflict, AlarmCode::ReplicationInterrupted]);
    }

    /// Whether an alarm for `code` is active.
    pub fn alarm_active(&self, code: AlarmCode) -> bool {
        self.book().is_active(code)
    }

    /// A copy of the book (the Alarms page).
    pub fn alarm_book(&self) -> AlarmBook {
        self.book().clone()
    }

    /// The header's and `/metrics`' figures.
    pub fn alarm_counts(&self) -> AlarmCounts {
        AlarmCounts { revision: *self.inner.alarms_version.borrow(), ..self.book().counts() }
    }

    /// An Operator or above acknowledges an active alarm of this MCU.
    pub fn acknowledge_alarm(&self, id: u64, user: &str, role: Role) -> Result<(), DomainError> {
        let mut result = Ok(());
        self.update_book(|b| {
            result = b.acknowledge(id, user, role, now_ms());
            result.is_ok()
        });
        result
    }

    fn book(&self) -> std::sync::MutexGuard<'_, AlarmBook> {
        self.inner.alarms.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes the book; when `f` says it changed, the writer saves it and the pages hear.
    fn update_book(&self, f: impl FnOnce(&mut AlarmBook) -> bool) {
        let changed = {
            let mut b = self.book();
            f(&mut b)
        };
        if changed {
            self.inner.alarms_version.send_modify(|n| *n = n.wrapping_add(1));
            self.status_changed();
        }
    }

    /// Writes the book now (at a stop or System Reset, so the newest state is on disk).
    pub async fn save_alarms(&self) {
        let book = self.alarm_book();
        if let Err(e) = blocking(&self.inner.store, move |s| s.set_local(keys::ALARMS, &book)).await {
            tracing::error!(target: "alarms", "the alarms could not be saved: {e}");
        }
    }

    /// The one task that writes the book: after each change, the newest book (changes
    /// made while it writes are in the next write). Ends with the runtime.
    pub(crate) fn start_alarm_writer(&self) {
        let hb = self.clone();
        let mut rx = self.inner.alarms_version.subscribe();
        tokio::spawn(async move {
            while rx.changed().await.is_ok() {
                let book = hb.alarm_book();
                if let Err(e) = blocking(&hb.inner.store, move |s| s.set_local(keys::ALARMS, &book)).await {
                    tracing::error!(target: "alarms", "the alarms could not be saved: {e}");
                }
            }
        });
    }
}
