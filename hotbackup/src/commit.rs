//! The one write path: a change made by hand is committed (group commit: one transaction
//! and one disk sync for whatever is waiting) and, while the Slave is in sync, answered
//! only once the Slave has it on disk.

use crate::engine::HotBackup;
use crate::store_task::blocking;
use crate::state::Unit;
use domain::audit::Actor;
use domain::change::{Change, LogEntry};
use domain::hotbackup::*;
use domain::DomainError;
use std::time::Duration;
use tokio::time::Instant;

/// A change made by hand, as [`HotBackup::commit_report`] acknowledges it.
#[derive(Debug, Clone)]
pub struct Committed {
    pub entry: LogEntry,
    /// The Slave acknowledged it (it is on the Slave's disk); `false`: the MCU is
    /// standalone, or the Master carried on alone.
    pub mirrored: bool,
    /// How long the Master waited from its own commit until the Slave's acknowledgement
    /// (the Slave had persisted it): the replication lag of this change.
    pub replication_us: Option<u64>,
}

/// Changes made by hand as one unit (all or none), as [`HotBackup::commit_all_as`]
/// acknowledges them.
#[derive(Debug, Clone)]
pub struct CommittedAll {
    /// In the order given; empty when no change was given.
    pub entries: Vec<LogEntry>,
    /// The Slave acknowledged them all (see [`Committed::mirrored`]).
    pub mirrored: bool,
    pub replication_us: Option<u64>,
}


/// Held by the committer task: if it panics, the queue is not left without one (the next
/// committer starts at once for whatever is waiting).
pub(crate) struct CommitterGuard<'a>(&'a HotBackup);

impl Drop for CommitterGuard<'_> {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let restart = {
            let mut q = self.0.inner.queue.lock().unwrap_or_else(|p| p.into_inner());
            q.1 = !q.0.is_empty();
            q.1
        };
        if restart {
            let hb = self.0.clone();
            tokio::spawn(async move { hb.committer().await });
        }
    }
}

impl HotBackup {
    /// Applies a change made by hand (refused on a Slave, G5) and, while the Slave is in
    /// sync, returns only once the Slave has it on disk, so a failover loses no change that
    /// was acknowledged. If the Slave does not answer within the detection time, the Master
    /// carries on alone and says so.
    pub async fn commit(&self, change: Change) -> Result<LogEntry, DomainError> {
        self.commit_report(change).await.map(|c| c.entry)
    }

    /// [`Self::commit`], also telling whether the Slave had the change on disk when it
    /// was acknowledged (the fault suite holds the pair to that promise).
    pub async fn commit_report(&self, change: Change) -> Result<Committed, DomainError> {
        self.commit_as(change, None).await
    }

    /// [`Self::commit_report`] for a change a user made: `actor` goes with it into the change
    /// log, to the Slave, and into both MCUs' audit trails.
    pub async fn commit_as(&self, change: Change, actor: Option<Actor>) -> Result<Committed, DomainError> {
        let all = self.commit_all_as(vec![change], actor).await?;
        let entry = all.entries.into_iter().next_back().ok_or_else(|| DomainError::Storage("the change was not logged".into()))?;
        Ok(Committed { entry, mirrored: all.mirrored, replication_us: all.replication_us })
    }

    /// Changes a user made as one unit: all of them are applied (in order, in one
    /// transaction) or none is; acknowledged like [`Self::commit_as`], once the Slave has the
    /// last of them. An operator's selection, or a conference ended with its call record,
    /// never stays half-applied.
    pub async fn commit_all_as(&self, changes: Vec<Change>, actor: Option<Actor>) -> Result<CommittedAll, DomainError> {
        if changes.is_empty() {
            return Ok(CommittedAll { entries: Vec::new(), mirrored: false, replication_us: None });
        }
        if self.st().live.handing_over() {
            return Err(DomainError::Conflict(
                "A planned switch-over is in progress; try again in a moment on the new Master.".into(),
            ));
        }
        // Before taking a change, a Master makes sure its peer is not a Master too (see
        // `before_taking_a_change`): a new Master waits for its Slave's first poll, and one
        // that has heard nothing for the detection time asks the peer (its answer makes this
        // MCU step down under a newer Master; the store then refuses the change, G5).
        // Two Masters must never both acknowledge while linked.
        for _ in 0..3 {
            let decision = {
                let st = self.st();
                let detection = Duration::from_millis(st.settings.detection_ms.into());
                let heartbeat = Duration::from_millis(st.settings.heartbeat_ms.into());
                match st.live.master() {
                    Some(m) if st.settings.enabled => {
                        let heard = [m.slave_seen, m.peer_heard].into_iter().flatten().any(|t| t.elapsed() < detection);
                        let asked = m.probe_tried.is_some_and(|t| t.elapsed() < heartbeat);
                        let as_master = m.since.map(|t| t.elapsed()).unwrap_or(Duration::MAX);
                        before_taking_a_change(as_master, m.slave_seen.is_some(), heard, asked, detection)
                    }
                    _ => BeforeChange::Go,
                }
            };
            match decision {
                BeforeChange::Go => break,
                BeforeChange::AskPeer => {
                    self.master_probe().await;
                    break;
                }
                BeforeChange::WaitForSlave(at_most) => self.wait_for_slave_poll(at_most).await,
            }
        }
        let entries = self.apply_grouped(changes, actor).await?;
        let Some(last) = entries.last().map(|e| e.seq) else {
            return Err(DomainError::Storage("the changes were not logged".into()));
        };
        self.changed(last);
        if self.role() == LiveRole::Slave {
            // Stepped down while it was being written: it is in this MCU's export of what
            // the new Master lacks, not a change made.
            return Err(self.stepped_down());
        }
        let (wait, detection) = {
            let st = self.st();
            let detection = Duration::from_millis(st.settings.detection_ms.into());
            let waits = st.live.master().is_some_and(|m| waits_for_ack(m.slave_in_sync, m.slave_seen.map(|t| t.elapsed()), detection));
            (waits, detection)
        };
        if wait {
            let started = Instant::now();
            let mut rx = self.inner.acked.subscribe();
            let acked = tokio::time::timeout(detection, rx.wait_for(|a| *a >= last)).await.is_ok_and(|r| r.is_ok());
            drop(rx);
            if acked {
                let waited = started.elapsed();
                if let Some(seen) = self.st().live.seen_mut() {
                    seen.lag_ms = waited.as_millis() as u64;
                }
                return Ok(CommittedAll { entries, mirrored: true, replication_us: Some(waited.as_micros() as u64) });
            } else {
                let was_in_sync = self.st().live.master_mut().is_some_and(|m| std::mem::replace(&mut m.slave_in_sync, false));
                // Silence from the Slave may mean it has taken over (this MCU was paused or
                // cut off). Ask before acknowledging: under a newer Master this change must
                // not count as made; it is exported when this MCU steps down.
                self.master_probe().await;
                if self.role() != LiveRole::Master {
                    return Err(self.stepped_down());
                }
                if was_in_sync {
                    self.alarms().raise(AlarmCode::PeerUnreachable, &format!(
                        "the Slave did not acknowledge change {} within {} ms; the Master carries on alone until it catches up.",
                        last, detection.as_millis()
                    ));
                }
            }
        }
        Ok(CommittedAll { entries, mirrored: false, replication_us: None })
    }

    /// Applies a change together with whatever other changes are waiting (one transaction,
    /// one disk sync for all of them: concurrent writers do not queue behind each other's
    /// syncs). The committer runs as its own task, so a caller that goes away (a closed
    /// browser) never leaves the queue without one.
    pub(crate) async fn apply_grouped(&self, changes: Vec<Change>, actor: Option<Actor>) -> Result<Vec<LogEntry>, DomainError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let lead = {
            let mut q = self.inner.queue.lock().unwrap_or_else(|p| p.into_inner());
            q.0.push(((changes, actor), tx));
            !std::mem::replace(&mut q.1, true)
        };
        if lead {
            let hb = self.clone();
            tokio::spawn(async move { hb.committer().await });
        }
        rx.await.unwrap_or_else(|_| Err(DomainError::Storage("the committer stopped".into())))
    }

    pub(crate) async fn committer(&self) {
        let _guard = CommitterGuard(self);
        loop {
            let batch = {
                let mut q = self.inner.queue.lock().unwrap_or_else(|p| p.into_inner());
                if q.0.is_empty() {
                    q.1 = false;
                    return;
                }
                std::mem::take(&mut q.0)
            };
            let (units, waiters): (Vec<Unit>, Vec<_>) = batch.into_iter().unzip();
            let n = units.len();
            let results = blocking(&self.inner.store, move |s| Ok(s.apply_batch(units)))
                .await
                .unwrap_or_else(|e| (0..n).map(|_| Err(e.clone())).collect());
            if let Some(newest) = results.iter().filter_map(|r| r.as_ref().ok().and_then(|e| e.last()).map(|e| e.seq)).max() {
                self.inner.committed.send_replace(newest); // one committer at a time: the newest seq
                self.alarms().clear(&[AlarmCode::StorageError]);
            } else if let Some(Err(DomainError::Storage(e))) = results.iter().find(|r| matches!(r, Err(DomainError::Storage(_)))) {
                self.alarms().raise(AlarmCode::StorageError, &format!("a change could not be written: {e}"));
            }
            for (waiter, result) in waiters.into_iter().zip(results) {
                let _ = waiter.send(result);
            }
        }
    }
}

impl HotBackup {
    /// The answer to a change this MCU wrote as Master but no longer keeps: it stepped down
    /// under a newer Master meanwhile (the change is in its export file, alarm 8206).
    fn stepped_down(&self) -> DomainError {
        DomainError::Conflict(format!(
            "This MCU is no longer the Master: the paired MCU took over. The change was not kept here \
             (it is saved in the data folder); make it again on the Master ({}).",
            self.settings().peer_address
        ))
    }

    /// Waits until the Slave has polled this Master, `at_most` long.
    async fn wait_for_slave_poll(&self, at_most: Duration) {
        let until = tokio::time::Instant::now() + at_most;
        while tokio::time::Instant::now() < until {
            if self.st().live.master().is_none_or(|m| m.slave_seen.is_some()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5).min(at_most)).await;
        }
    }
}
