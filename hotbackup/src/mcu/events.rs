//! The Hot Backup event log: the newest entries first, bounded; each entry is also traced
//! and announced to the open pages.

use super::Updates;
use domain::hotbackup::HbEvent;
use domain::store::now_ms;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

/// Entries kept.
const MAX_EVENTS: usize = 200;

#[derive(Clone)]
pub struct EventLog {
    entries: Arc<Mutex<VecDeque<HbEvent>>>,
    updates: Updates,
}

impl EventLog {
    pub fn new(updates: Updates) -> EventLog {
        EventLog { entries: Arc::default(), updates }
    }

    /// An entry that needs no administrator. Alarms go through [`super::Alarms::raise`],
    /// which also puts them here.
    pub fn note(&self, text: impl Into<String>) {
        self.entry(false, text.into());
    }

    /// [`Self::note`], unless `text` is already the newest entry (loops that see a lasting
    /// condition retry every heartbeat: one entry, not hundreds).
    pub fn note_once(&self, text: &str) {
        if !self.newest_is(text) {
            self.note(text);
        }
    }

    /// Whether `text` is the newest entry.
    pub fn newest_is(&self, text: &str) -> bool {
        self.lock().front().is_some_and(|e| e.text == text)
    }

    /// The entries, newest first.
    pub fn entries(&self) -> Vec<HbEvent> {
        self.lock().iter().cloned().collect()
    }

    /// What the log tells (the pages' updates).
    pub fn updates(&self) -> &Updates {
        &self.updates
    }

    /// An alarm's entry (from [`super::Alarms`]).
    pub(super) fn alarm(&self, text: String) {
        self.entry(true, text);
    }

    fn entry(&self, alarm: bool, text: String) {
        if alarm {
            tracing::warn!(target: "hotbackup", "{text}");
        } else {
            tracing::info!(target: "hotbackup", "{text}");
        }
        {
            let mut log = self.lock();
            log.push_front(HbEvent { at_ms: now_ms(), alarm, text });
            log.truncate(MAX_EVENTS);
        }
        // Announced once the entry is in: a page that fetches at once sees it.
        self.updates.changed_again();
        self.updates.status_changed();
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<HbEvent>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_the_newest_entries_and_tells_the_pages() {
        let updates = Updates::new();
        let log = EventLog::new(updates.clone());
        let (before, status) = (updates.announced(), updates.status_version());
        for i in 0..MAX_EVENTS + 5 {
            log.note(format!("entry {i}"));
        }
        let entries = log.entries();
        assert_eq!(entries.len(), MAX_EVENTS);
        assert_eq!(entries[0].text, format!("entry {}", MAX_EVENTS + 4), "newest first");
        assert!(updates.announced() > before && updates.status_version() > status);
        log.note_once(&entries[0].text);
        assert_eq!(log.entries().len(), MAX_EVENTS);
        assert_eq!(log.entries()[1].text, entries[1].text, "the same newest text is not logged twice");
    }
}
