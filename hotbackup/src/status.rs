//! What the pages and `/healthz` see of the engine (its status), and the peer link's
//! standing as the alarms tell it (heard, refused, no pairing).

use crate::engine::HotBackup;
use crate::store_task::blocking;
use crate::state::Live;
use domain::hotbackup::*;
use std::time::Duration;

impl HotBackup {
    /// Whether this MCU is enabled but holds no pairing (its link was saved by an earlier
    /// version); raises the alarm that says what to do. Such an MCU neither follows nor
    /// takes over: it cannot tell anything about its peer.
    pub(crate) fn unpaired(&self) -> bool {
        if !self.st().link.credential.is_empty() {
            return false;
        }
        self.alarms().raise_once(
            AlarmCode::ConfigurationConflict,
            "this MCU holds no pairing with the paired MCU (Hot Backup was set up by an earlier version): disable and enable Hot Backup again on this MCU to pair.",
        );
        true
    }

    /// Raises the alarm for a refusal of the link itself — the paired MCU no longer accepts
    /// this MCU's credential, or something answers with another certificate than the pinned
    /// one — and says whether `e` was such a refusal.
    pub(crate) fn link_refused(&self, e: &crate::transport::CallError) -> bool {
        use crate::transport::CallError;
        match e {
            CallError::Refused { status: 401, .. } => {
                self.alarms().raise_once(
                    AlarmCode::ConfigurationConflict,
                    "the paired MCU no longer accepts this MCU's pairing credential (Hot Backup was disabled there, or another pairing replaced it): enable Hot Backup again on this MCU.",
                );
                true
            }
            CallError::CertChanged { peer, expected, got } => {
                let what = format!(
                    "{peer} shows certificate {got}; the paired MCU's is {expected}. Nothing is exchanged with it. If the paired MCU was reinstalled, enable Hot Backup again to pair anew."
                );
                // An impostor (or a reinstalled MCU) on the paired address: in the audit trail
                // once per occurrence, as the alarm is.
                if !self.alarms().is_active(AlarmCode::PeerCertificateChanged) {
                    self.security_audit(format!("Refused the MCU at {peer}: it shows certificate {got}, not the paired MCU's {expected}."), false);
                }
                self.alarms().raise_once(AlarmCode::PeerCertificateChanged, &what);
                true
            }
            _ => false,
        }
    }

    /// The link answered with the pinned certificate: the peer is reachable.
    pub(crate) fn peer_heard(&self) {
        let links_down = {
            let st = self.st();
            st.signalling_down.is_some() || st.media_down.is_some()
        };
        if links_down {
            self.alarms().clear(&[AlarmCode::PeerUnreachable, AlarmCode::PeerCertificateChanged]);
        } else {
            self.alarms().clear(&[AlarmCode::PeerUnreachable, AlarmCode::PeerCertificateChanged, AlarmCode::NetworkIssue]);
        }
    }

    /// Changes flow between the pair again: the pairing works.
    pub(crate) fn replicating(&self) {
        self.peer_heard();
        self.alarms().clear(&[AlarmCode::ConfigurationConflict, AlarmCode::ReplicationInterrupted]);
    }

    /// Everything the Hot Backup page shows, its event log and guideline checks included.
    pub async fn status(&self) -> HbStatus {
        self.status_with(true).await
    }

    /// The status without the event log and the checks: what every page's frame and
    /// `/healthz` show (a render then copies no event it would throw away).
    pub async fn status_brief(&self) -> HbStatus {
        self.status_with(false).await
    }

    async fn status_with(&self, log: bool) -> HbStatus {
        // Known without reading unless something was written since it was last read.
        let (epoch, pos, digest) = match self.inner.store.standing_known() {
            Some(known) => known,
            None => blocking(&self.inner.store, |s| s.standing()).await.unwrap_or_default(),
        };
        let st = self.st();
        let detection = Duration::from_millis(st.settings.detection_ms.into());
        let sync_status = match &st.live {
            Live::Standalone => SyncStatus::None,
            Live::Master(m) => match m.slave_seen {
                Some(t) if t.elapsed() < detection && m.slave_in_sync && m.slave_acked >= pos => SyncStatus::Ok,
                Some(t) if t.elapsed() < detection => SyncStatus::Attempting,
                None if st.peer_state != PeerState::Down => SyncStatus::Attempting,
                _ => SyncStatus::Fail,
            },
            Live::Slave(sl) => match st.peer_state {
                PeerState::Up if sl.caught_up => SyncStatus::Ok,
                PeerState::Down => SyncStatus::Fail,
                _ => SyncStatus::Attempting,
            },
        };
        HbStatus {
            enabled: st.settings.enabled,
            configured_role: st.settings.role,
            role: st.live.role(),
            peer_address: st.settings.peer_address.clone(),
            peer_state: st.peer_state,
            peer_name: st.peer_name.clone(),
            sync_status,
            lag_ms: st.live.seen().map_or(0, |s| s.lag_ms),
            last_sync_ms: st.live.seen().and_then(|s| s.last_sync_ms),
            epoch,
            seq: pos,
            peer_seq: st.live.seen().and_then(|s| s.peer_seq),
            digest,
            peer_digest: st.live.seen().and_then(|s| s.peer_digest.clone()),
            checks: if log { st.live.seen().map(|s| s.checks.clone()).unwrap_or_default() } else { Vec::new() },
            events: if log { self.events().entries() } else { Vec::new() },
            replicated: match &st.live {
                Live::Slave(sl) => sl.replicated,
                _ => 0,
            },
            failovers: st.failovers,
            snapshot_progress: match &st.live {
                Live::Slave(sl) => sl.snapshot_progress,
                _ => None,
            },
            fingerprint: self.inner.me.fingerprint.clone(),
            peer_fingerprint: st.link.pin.clone(),
        }
    }
}
