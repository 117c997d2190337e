//! What the open pages hear (`/events`): one message per change they show (its seq), and a
//! count that moves whenever the Hot Backup state they show moved (an event-log entry, a
//! role change, the alarm book).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{broadcast, watch};

#[derive(Clone)]
pub struct Updates {
    inner: Arc<Inner>,
}

struct Inner {
    changes: broadcast::Sender<u64>,
    /// How many messages `changes` has carried: a page made at one count and connected at
    /// another has missed some (see [`Updates::announced`]).
    announced: AtomicU64,
    /// The newest seq announced.
    last_seq: AtomicU64,
    status: watch::Sender<u64>,
}

impl Default for Updates {
    fn default() -> Self {
        Self::new()
    }
}

impl Updates {
    pub fn new() -> Updates {
        Updates {
            inner: Arc::new(Inner {
                changes: broadcast::channel(256).0,
                announced: AtomicU64::new(0),
                last_seq: AtomicU64::new(0),
                status: watch::channel(0).0,
            }),
        }
    }

    /// Something the pages show changed, as of `seq`.
    pub fn changed(&self, seq: u64) {
        self.inner.last_seq.fetch_max(seq, Ordering::SeqCst);
        // Counted before it is sent: a stream subscribed before the send receives it, and
        // one subscribed after it sees the count moved.
        self.inner.announced.fetch_add(1, Ordering::SeqCst);
        let _ = self.inner.changes.send(seq);
    }

    /// Something the pages show changed without a new seq (an event-log entry).
    pub fn changed_again(&self) {
        self.changed(self.inner.last_seq.load(Ordering::SeqCst));
    }

    /// One message per change (its seq).
    pub fn subscribe_changes(&self) -> broadcast::Receiver<u64> {
        self.inner.changes.subscribe()
    }

    /// How many change messages have been announced so far. A page says the count it was
    /// made at; its event stream starts with a `change` when the count has moved since, so
    /// nothing announced while the page loaded and hydrated is missed.
    pub fn announced(&self) -> u64 {
        self.inner.announced.load(Ordering::SeqCst)
    }

    /// The Hot Backup state the pages show moved (header badge, panel, read-only mode).
    pub fn status_changed(&self) {
        self.inner.status.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Follows [`Self::status_changed`].
    pub fn subscribe_status(&self) -> watch::Receiver<u64> {
        self.inner.status.subscribe()
    }

    /// How often the Hot Backup state has moved.
    pub fn status_version(&self) -> u64 {
        *self.inner.status.borrow()
    }
}
