//! The Slave's side: follow the Master's change log, catch up by snapshot when resuming is
//! not possible (exporting what the Master lacks), and take over when the Master is silent
//! for the detection time.

use crate::transport::{CallError, LinkAuth};
use crate::engine::HotBackup;
use crate::store_task::blocking;
use domain::hotbackup::*;
use domain::store::{now_ms, ReplError};
use domain::DomainError;
use std::time::Duration;
use tokio::time::Instant;

/// Between two refused connections that together prove the Master's process is gone.
const CRASH_CONFIRM_GAP: Duration = Duration::from_millis(40);

/// Why following the Master stopped. The Slave judges the Master's health by time (its
/// failure detector), not by the kind of error; the kind goes into the event log.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FollowError {
    /// The Master did not answer, or refused.
    #[error("{0}")]
    Peer(#[from] CallError),
    /// This MCU's own store failed.
    #[error("{0}")]
    Store(#[from] DomainError),
    /// The Master's snapshot could not be installed here.
    #[error("the snapshot could not be installed: {0}")]
    Snapshot(String),
}

impl HotBackup {
    /// Slave: follow the Master until this MCU is no longer Slave.
    pub(crate) async fn slave_session(&self) {
        let mut detection = Duration::from_millis(self.settings().detection_ms.into());
        let mut detector = FailureDetector::new(detection, Instant::now().into_std());
        while self.role() == LiveRole::Slave {
            let (peer, token, settings) = {
                let st = self.st();
                (st.settings.peer_address.clone(), st.link.auth(), st.settings.clone())
            };
            if self.unpaired() {
                tokio::time::sleep(Duration::from_millis(500)).await;
                detector = FailureDetector::new(detection, Instant::now().into_std());
                continue;
            }
            // Settings changed while paired take effect here (a new detection time starts
            // the silence count again: never sooner than the administrator asked).
            let hb_every = Duration::from_millis(settings.heartbeat_ms.into());
            let now_detection = Duration::from_millis(settings.detection_ms.into());
            if now_detection != detection {
                detection = now_detection;
                detector = FailureDetector::new(detection, Instant::now().into_std());
            }
            match self.follow(&peer, &token, hb_every, detection, &mut detector).await {
                Ok(()) => {}
                // A pairing that went away meanwhile: nothing to judge the Master by.
                Err(_) if self.unpaired() => continue,
                // Handed over to (a planned switch-over): the old Master's refusals now
                // are the expected end of following, not an alarm.
                Err(_) if self.role() != LiveRole::Slave => return,
                // This MCU's own store failed: not the Master's silence.
                Err(FollowError::Store(DomainError::Storage(e))) => {
                    self.alarms().raise_once(AlarmCode::StorageError, &format!("a change from the Master could not be written here: {e}"));
                    tokio::time::sleep(hb_every).await;
                }
                Err(FollowError::Snapshot(e)) => {
                    self.alarms().raise_once(AlarmCode::StorageError, &format!("the Master's snapshot could not be installed here: {e}"));
                    tokio::time::sleep(hb_every).await;
                }
                Err(e) => {
                    let now = Instant::now().into_std();
                    let network_up = self.own_network_up().await;
                    let mut verdict = detector.verdict(now, network_up);
                    // A crashed Master on a host that stays up: its host refuses the
                    // connection (nothing listens; a System Reset keeps its socket, so a
                    // reset is never refused). Asked again a moment later and refused again,
                    // it is gone: no need to wait out the detection time. Only a Master seen
                    // alive in this session: one that has not started yet (both MCUs
                    // booting) gets the detection time.
                    let crashed = matches!(e, FollowError::Peer(CallError::Down(_))) && detector.has_heard();
                    if crashed && verdict != Verdict::Failed {
                        tokio::time::sleep(CRASH_CONFIRM_GAP).await;
                        let second = match self.heartbeat_of(&peer, &token, detection).await {
                            Err(CallError::Down(_)) => SecondTry::Refused,
                            Ok(_) => SecondTry::Answered,
                            Err(_) => SecondTry::Inconclusive,
                        };
                        if second == SecondTry::Answered {
                            detector.heard(Instant::now().into_std());
                        }
                        verdict = crash_verdict(second, network_up, verdict);
                    } else if verdict == Verdict::Failed {
                        // One last word with the Master, begun after this MCU found its own
                        // network up: a link that just came back (an isolation ending) is
                        // heard here, and a dead Master refuses at once; and its own network
                        // checked again after it (an isolation that began meanwhile).
                        let confirm = hb_every.max(Duration::from_millis(100)).min(detection);
                        let answered = self.heartbeat_of(&peer, &token, confirm).await.is_ok();
                        if answered {
                            detector.heard(Instant::now().into_std());
                        }
                        let still_up = answered || self.own_network_up().await;
                        verdict = after_last_word(answered, still_up);
                    }
                    match verdict {
                        Verdict::Failed => {
                            self.st().peer_state = PeerState::Down;
                            let why = match &e {
                                FollowError::Peer(CallError::Down(_)) => format!(
                                    "the Master ({peer}) refuses connections: its process is not running."
                                ),
                                _ => format!(
                                    "the Master ({peer}) has not answered for {} ms ({e}).",
                                    detector.silent_for(now).as_millis()
                                ),
                            };
                            if let Err(err) = self.become_master(why, Some(AlarmCode::NetworkIssue)).await {
                                self.alarms().raise(AlarmCode::StorageError, &format!("taking over failed: {err}"));
                            }
                            return;
                        }
                        Verdict::OwnNetworkDown => {
                            self.alarms().raise_once(AlarmCode::NetworkIssue, "this MCU's own network is down, so it does not take over.");
                        }
                        Verdict::Alive | Verdict::Suspect => {}
                    }
                    let was = std::mem::replace(&mut self.st().peer_state, PeerState::Down);
                    if was == PeerState::Up {
                        self.alarms().raise(AlarmCode::PeerUnreachable, &format!("{peer}: {e}"));
                        // A link that broke just now (the Master's process may have died
                        // under a poll) is tried again at once: a refusal then shows quickly.
                        continue;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(hb_every) => {}
                        _ = self.inner.wake.notified() => {}
                    }
                }
            }
        }
    }

    /// Whether this MCU can still reach its network (see [`crate::transport::Transport::network_up`]).
    pub(crate) async fn own_network_up(&self) -> bool {
        let witness = self.settings().isolation_address;
        self.inner.client.network_up(&witness, self.inner.me.listen).await
    }

    /// One connection to the Master: catch up, then stream until something breaks.
    /// Returns `Err` with what broke (the caller judges the Master's health).
    pub(crate) async fn follow(
        &self,
        peer: &str,
        token: &LinkAuth,
        hb_every: Duration,
        detection: Duration,
        detector: &mut FailureDetector,
    ) -> Result<(), FollowError> {
        detector.trying(Instant::now().into_std());
        let hb = match self.heartbeat_of(peer, token, detection).await {
            Ok(hb) => hb,
            Err(e @ CallError::Refused { status: 401, .. }) => {
                detector.heard(Instant::now().into_std());
                self.st().peer_state = PeerState::Up;
                self.link_refused(&e);
                tokio::time::sleep(hb_every * 5).await;
                return Ok(());
            }
            Err(e) => {
                // Another certificate: not the Master (counts as silence, with its alarm).
                self.link_refused(&e);
                return Err(e.into());
            }
        };
        detector.heard(Instant::now().into_std());
        {
            let mut st = self.st();
            st.peer_state = PeerState::Up;
            st.peer_name = Some(hb.name.clone());
        }
        self.peer_heard();
        if hb.version != self.inner.me.version {
            self.alarms().raise_once(AlarmCode::ConfigurationConflict, &format!(
                "G1: the MCUs run different software versions \
                 (this MCU {}, {} {}). Replication is stopped until both run the same version.",
                self.inner.me.version, hb.name, hb.version
            ));
            tokio::time::sleep(hb_every * 5).await;
            return Ok(());
        }
        if hb.role == LiveRole::Standalone {
            self.events().note_once(&format!("Waiting for {}: Hot Backup is off there; enable it as the Master.", hb.name));
            tokio::time::sleep(hb_every).await;
            return Ok(());
        }
        if hb.role != LiveRole::Master {
            self.alarms().raise_once(AlarmCode::ConfigurationConflict, &format!("{} is not acting as Master ({:?}).", hb.name, hb.role));
            tokio::time::sleep(hb_every).await;
            return Ok(());
        }
        let (my_epochs, my_seq) = blocking(&self.inner.store, |s| Ok((s.epoch_history()?, s.position()?.seq))).await?;
        match plan_catch_up(&hb.epochs, hb.oldest_logged, hb.position.seq, &my_epochs, my_seq) {
            CatchUp::Snapshot { export_after } => {
                if let Some(after) = export_after {
                    self.export_divergent(after).await?;
                }
                self.take_snapshot(peer, token, detection).await?;
                detector.heard(Instant::now().into_std());
                if my_seq > 0 {
                    // Not a first copy: this MCU's own copy could not be resumed.
                    self.alarms().raise(AlarmCode::SnapshotTaken, &format!(
                        "this MCU's copy (up to change {my_seq}) could not be resumed; it installed the Master's full state instead."
                    ));
                }
            }
            CatchUp::Resume { .. } => {
                let epochs = hb.epochs.clone();
                blocking(&self.inner.store, move |s| s.adopt_epochs(&epochs)).await?;
            }
        }
        // Stream.
        loop {
            if self.role() != LiveRole::Slave {
                return Ok(());
            }
            let after = blocking(&self.inner.store, |s| s.last_seq()).await?;
            detector.trying(Instant::now().into_std());
            let batch = self.log_of(peer, token, after, hb_every, detection).await?;
            detector.heard(Instant::now().into_std());
            self.maybe_refresh_checks();
            let n = batch.entries.len() as u64;
            let newest_at = batch.entries.last().map(|e| e.at_ms);
            let epochs = batch.epochs.clone();
            let entries = batch.entries;
            // The whole batch in one transaction: one disk sync however busy the Master is.
            let applied = blocking(&self.inner.store, move |s| match s.apply_replicated_batch(&entries, &epochs) {
                Ok(_) => Ok(Ok(())),
                Err((_, ReplError::Domain(d))) => Err(d),
                Err((_, other)) => Ok(Err(other)),
            })
            .await?;
            if self.role() != LiveRole::Slave {
                // Handed over meanwhile (a planned switch-over): the store takes changes of
                // its own now, so a batch that arrived just before is refused, as it must be.
                return Ok(());
            }
            if let Err(e) = applied {
                self.alarms().raise(AlarmCode::ReplicationInterrupted, &format!("a batch from the Master was refused: {e}. Resynchronising."));
                return Ok(());
            }
            let (mine, my_digest) = blocking(&self.inner.store, |s| s.position_and_digest()).await?;
            if mine.seq > batch.master.seq {
                self.alarms().raise(AlarmCode::ReplicationInterrupted, &format!(
                    "this MCU holds changes up to {} but the Master only up to {}: resynchronising.",
                    mine.seq, batch.master.seq
                ));
                return Ok(());
            }
            if mine.seq == batch.master.seq && my_digest != batch.digest {
                // Same position, different content: the copies drifted apart silently.
                self.alarms().raise(AlarmCode::ReplicationInterrupted, &format!(
                    "the mirrored state differs from the Master's at change {} (digest {my_digest} here, {} there): taking a full snapshot.",
                    mine.seq, batch.digest
                ));
                self.take_snapshot(peer, token, detection).await?;
                continue;
            }
            if n > 0 {
                self.changed(mine.seq);
            }
            self.replicating();
            self.alarms().clear(&[AlarmCode::StorageError]);
            let mut st = self.st();
            let caught_up = mine.seq >= batch.master.seq;
            let announce = st.live.slave_mut().is_some_and(|sl| {
                sl.replicated += n;
                sl.seen.peer_seq = Some(batch.master.seq);
                sl.seen.peer_digest = Some(batch.digest.clone());
                sl.seen.last_sync_ms = Some(now_ms());
                sl.seen.lag_ms = match newest_at {
                    Some(at) => now_ms().saturating_sub(at).max(0) as u64,
                    None => 0,
                };
                sl.caught_up = caught_up;
                caught_up && std::mem::take(&mut sl.catching_up)
            });
            if announce {
                drop(st);
                self.event("In sync with the Master.");
            }
        }
    }

    pub(crate) async fn take_snapshot(&self, peer: &str, token: &LinkAuth, detection: Duration) -> Result<(), FollowError> {
        if let Some(sl) = self.st().live.slave_mut() {
            sl.catching_up = true;
        }
        self.event("Catching up with the Master: taking a full snapshot.");
        let snap = self.snapshot_of(peer, token, detection.max(Duration::from_secs(30))).await?;
        let total = snap.records.len() as u64;
        if let Some(sl) = self.st().live.slave_mut() {
            sl.snapshot_progress = Some((0, total));
        }
        let installed = blocking(&self.inner.store, move |s| Ok(s.install_snapshot(&snap))).await;
        if let Some(sl) = self.st().live.slave_mut() {
            sl.snapshot_progress = None;
        }
        match installed {
            Ok(Ok(())) => {
                self.event(format!("Catching up: snapshot of {total} records installed."));
                Ok(())
            }
            Ok(Err(e)) => Err(FollowError::Snapshot(e.to_string())),
            Err(e) => Err(e.into()),
        }
    }

    /// Keeps the changes after `after` that the Master does not have in a file in the data
    /// folder, and raises an alarm: never silently dropped.
    pub(crate) async fn export_divergent(&self, after: u64) -> Result<(), DomainError> {
        let entries = blocking(&self.inner.store, move |s| s.changes_after(after)).await?;
        if entries.is_empty() {
            return Ok(());
        }
        let path = self.inner.data_dir.join(format!("hot-backup-diverged-{}-after-{after}.json", now_ms()));
        let json = serde_json::to_string_pretty(&entries).map_err(|e| DomainError::Storage(e.to_string()))?;
        let p = path.clone();
        tokio::task::spawn_blocking(move || domain::store::files::write_private(&p, json.as_bytes()))
            .await
            .map_err(|e| DomainError::Storage(e.to_string()))??;
        self.alarms().raise(AlarmCode::ChangesExported, &format!(
            "{} change(s) made on this MCU after seq {after} are not on the Master; they were replaced by the Master's state and kept in {}.",
            entries.len(),
            path.display()
        ));
        Ok(())
    }
}
