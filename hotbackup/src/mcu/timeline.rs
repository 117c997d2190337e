//! The link's last 24 hours (`domain::timeline`), sampled by the server about once a
//! second and drawn by the Hot Backup page. Each MCU its own, in memory.

use domain::timeline::{LinkMinute, LinkSample, LinkTimeline};
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub struct LinkHistory(Arc<Mutex<LinkTimeline>>);

impl LinkHistory {
    pub fn record(&self, at_ms: domain::Millis, sample: LinkSample) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).record(at_ms, sample);
    }

    /// The minutes of the last 24 hours that have samples, oldest first.
    pub fn last_day(&self, now_ms: domain::Millis) -> Vec<LinkMinute> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).last_day(now_ms)
    }
}
