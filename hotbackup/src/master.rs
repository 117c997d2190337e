//! The Master's side: it watches its peer (a second Master steps down by epoch) and serves
//! the peer link's endpoints (heartbeat, facts, the change log the Slave polls,
//! snapshots, the planned switch-over).

use crate::transport::CallError;
use crate::engine::HotBackup;
use crate::store_task::blocking;
use crate::error::PeerError;

/// Changes one answer to a poll carries at most.
const BATCH: usize = 1000;
use domain::hotbackup::*;
use domain::store::now_ms;
use std::time::Duration;
use tokio::time::Instant;

impl HotBackup {
    /// Master: look at the peer. A peer that is Master too (a healed partition, or this MCU
    /// restarting after a failover) means one of us must step down: the lower epoch.
    pub(crate) async fn master_probe(&self) {
        let (peer, token, settings) = {
            let st = self.st();
            (st.settings.peer_address.clone(), st.link.auth(), st.settings.clone())
        };
        if !settings.enabled || peer.is_empty() || self.st().live.handing_over() || self.unpaired() {
            return;
        }
        let timeout = Duration::from_millis(settings.detection_ms.into());
        if let Some(m) = self.st().live.master_mut() {
            m.probe_tried = Some(Instant::now());
        }
        match self.heartbeat_of(&peer, &token, timeout).await {
            Ok(hb) => {
                {
                    let mut st = self.st();
                    if let Some(m) = st.live.master_mut() {
                        m.peer_heard = Some(Instant::now());
                    }
                    st.peer_state = PeerState::Up;
                    st.peer_name = Some(hb.name.clone());
                    if let Some(m) = st.live.master_mut() {
                        m.seen.peer_digest = Some(hb.digest.clone());
                        // While the Slave polls, its polls say what it has; otherwise its heartbeat.
                        if m.slave_seen.is_none_or(|t| t.elapsed() > timeout) {
                            m.seen.peer_seq = Some(hb.position.seq);
                        }
                    }
                }
                self.peer_heard();
                self.maybe_refresh_checks();
                if hb.role == LiveRole::Master && self.role() == LiveRole::Master && !self.st().live.handing_over() {
                    let mine = blocking(&self.inner.store, |s| Ok((s.position()?, s.instance_id()?, s.epoch()?))).await;
                    let Ok((pos, id, my_epoch)) = mine else { return };
                    let peer_epoch = hb.epochs.last().map(|e| e.epoch).unwrap_or(1);
                    if !stays_master((my_epoch, pos.seq, &id), (peer_epoch, hb.position.seq, &hb.instance_id)) {
                        let _ = self
                            .become_slave(
                                format!(
                                    "{} is Master with epoch {peer_epoch} (this MCU: epoch {my_epoch}). This MCU steps down to Slave.",
                                    hb.name
                                ),
                                Some(AlarmCode::ConfigurationConflict),
                            )
                            .await;
                    }
                }
            }
            Err(e @ CallError::Refused { status: 401, .. }) => {
                self.st().peer_state = PeerState::Up;
                self.link_refused(&e);
            }
            Err(e) => {
                // Another certificate counts as no answer (the paired MCU is not there),
                // with its own alarm: it never makes this Master step down.
                self.link_refused(&e);
                let was = std::mem::replace(&mut self.st().peer_state, PeerState::Down);
                if was != PeerState::Down {
                    self.alarms().raise(AlarmCode::PeerUnreachable, &format!("{e}."));
                }
            }
        }
    }

    /// `GET /peer/v1/log`: the Slave's poll. `after` is what it holds on disk: its
    /// acknowledgement. Waits up to `wait` for something new.
    pub async fn serve_log(&self, after: u64, wait: Duration) -> Result<LogBatch, PeerError> {
        if self.role() != LiveRole::Master {
            return Err(PeerError::Conflict("this MCU is not the Master".into()));
        }
        let last = *self.inner.committed.borrow();
        // A poll acknowledges what it says it has, but never beyond what this Master has
        // committed: a Slave (or anyone) claiming more cannot make a change count as mirrored.
        let acked = after.min(last);
        {
            // Under the state lock, so a role change (which forgets acknowledgements) cannot
            // slip between the check and the acknowledgement.
            let mut st = self.st();
            let Some(m) = st.live.master_mut() else {
                return Err(PeerError::Conflict("this MCU is not the Master".into()));
            };
            m.slave_seen = Some(Instant::now());
            m.slave_acked = m.slave_acked.max(acked);
            let newly_in_sync = after == last && !m.slave_in_sync;
            if after == last {
                m.slave_in_sync = true;
            }
            m.seen.peer_seq = Some(after);
            m.seen.last_sync_ms = Some(now_ms());
            let newly_up = st.peer_state != PeerState::Up;
            st.peer_state = PeerState::Up;
            if newly_in_sync || newly_up {
                // The badge turns to "Sync OK" at once, not at the pages' next refresh.
                self.status_changed();
            }
            self.inner.acked.send_if_modified(|a| {
                let newer = acked > *a;
                *a = (*a).max(acked);
                newer
            });
        }
        // The Slave polls: the pairing works.
        self.replicating();
        if last <= after {
            let mut rx = self.inner.committed.subscribe();
            let _ = tokio::time::timeout(wait.min(Duration::from_secs(5)), rx.wait_for(|c| *c > after)).await;
        }
        Ok(blocking(&self.inner.store, move |s| {
            let entries = s.changes_since(after, BATCH)?;
            let (master, digest) = s.position_and_digest()?;
            Ok(LogBatch { entries, epochs: s.epoch_history()?, master, digest })
        })
        .await?)
    }

}
