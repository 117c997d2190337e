//! The MCU's own services beside the engine. They are each MCU's own (never mirrored) and
//! the engine, the pages and the server's tasks reach them alike:
//! - [`Updates`]: what the open pages hear (a change to show, the Hot Backup state moved);
//! - [`EventLog`]: the Hot Backup event log;
//! - [`Alarms`]: the Active Alarms, kept in memory and written by one task;
//! - [`LinkHistory`]: the link's last 24 hours, a minute at a time (the page's timeline).
//!
//! [`Services`] makes them at start-up; the engine is started with them. (Call records go
//! through the engine's write path: `crate::calls`.)

mod alarms;
mod events;
mod timeline;
mod updates;

pub use alarms::Alarms;
pub use events::EventLog;
pub use timeline::LinkHistory;
pub use updates::Updates;

use domain::store::Store;

/// The services an engine is started with (and the pages use).
#[derive(Clone)]
pub struct Services {
    pub updates: Updates,
    pub events: EventLog,
    pub alarms: Alarms,
    pub link_history: LinkHistory,
}

impl Services {
    /// Makes them and reads this MCU's alarm book (a damaged one starts afresh: the
    /// conditions raise their alarms again). Starts the book's writer task.
    pub async fn load(store: &Store) -> Services {
        let updates = Updates::new();
        let events = EventLog::new(updates.clone());
        let alarms = Alarms::load(store.clone(), events.clone()).await;
        Services { updates, events, alarms, link_history: LinkHistory::default() }
    }
}
