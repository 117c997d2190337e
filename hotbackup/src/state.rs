//! The engine's state: the live role and what goes with it, the peer as last seen, the
//! event log (alarms included), and the status the page and `/healthz` show.

use crate::{blocking, HotBackup, MAX_EVENTS};
use domain::hotbackup::*;
use domain::store::now_ms;
use domain::{HotBackupSettings, Millis};
use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use tokio::time::Instant;

pub(crate) struct State {
    pub(crate) settings: HotBackupSettings,
    /// What this MCU presents to the paired MCU, and its pinned certificate.
    pub(crate) link: crate::PeerLink,
    /// The pairing credential this MCU issued (its digest), if paired.
    pub(crate) issued: Option<crate::pairing::Issued>,
    /// The live role and what belongs to it alone (see [`Live`]).
    pub(crate) live: Live,
    /// The peer as last heard (kept across roles: a takeover happens because it went down).
    pub(crate) peer_state: PeerState,
    pub(crate) peer_name: Option<String>,
    pub(crate) events: VecDeque<HbEvent>,
    /// Takeovers since start.
    pub(crate) failovers: u64,
    /// Since when this MCU's own (simulated) signalling and media links have been down:
    /// facts of the MCU, not of a role (a link stays down whatever the role).
    pub(crate) signalling_down: Option<Instant>,
    pub(crate) media_down: Option<Instant>,
}

/// What a role is entered with besides its settings ([`HotBackup::enter`]): nothing else
/// of the state is set from outside.
#[derive(Debug, Default)]
pub(crate) struct Entry {
    /// A new pairing (enable): what this MCU presents and pins.
    pub(crate) link: Option<crate::PeerLink>,
    /// The guideline checks just run against the peer (enable).
    pub(crate) checks: Vec<Check>,
    /// The peer as just heard (enable), or forgotten (disable).
    pub(crate) peer: Option<(PeerState, Option<String>)>,
    /// Entered by taking over: one more failover.
    pub(crate) failover: bool,
}

/// What one role has seen of the link with the peer; born with the role ([`Live`] holds it
/// in each paired role) and dropped with it.
#[derive(Debug, Default)]
pub(crate) struct LinkSeen {
    /// The peer's last change and digest, as its last answer gave them.
    pub(crate) peer_seq: Option<u64>,
    pub(crate) peer_digest: Option<String>,
    /// When changes last flowed (a poll answered, a batch applied), and the lag then.
    pub(crate) last_sync_ms: Option<Millis>,
    pub(crate) lag_ms: u64,
    /// The guideline checks against the peer, and when they were last run.
    pub(crate) checks: Vec<Check>,
    pub(crate) checks_at: Option<Instant>,
}

/// The live role, with the state that exists only in that role: entering a role
/// ([`HotBackup::enter`]) starts its state afresh, so nothing of one role leaks into the next.
#[derive(Debug)]
pub(crate) enum Live {
    Standalone,
    Master(MasterSide),
    Slave(SlaveSide),
}

/// What only a Master keeps.
#[derive(Debug, Default)]
pub(crate) struct MasterSide {
    /// When this MCU became Master (started as one, or took over).
    pub(crate) since: Option<Instant>,
    /// When the Slave last polled, what it has acknowledged (never beyond this Master's own
    /// last change), and whether it had everything at its last poll.
    pub(crate) slave_seen: Option<Instant>,
    pub(crate) slave_acked: u64,
    pub(crate) slave_in_sync: bool,
    /// Last answer to this Master's own probe of the peer, and the last probe tried.
    pub(crate) peer_heard: Option<Instant>,
    pub(crate) probe_tried: Option<Instant>,
    /// A planned switch-over is under way: no change is taken.
    pub(crate) handing_over: bool,
    pub(crate) seen: LinkSeen,
}

/// What only a Slave keeps.
#[derive(Debug, Default)]
pub(crate) struct SlaveSide {
    /// Its copy equals the Master's as of the last poll.
    pub(crate) caught_up: bool,
    /// A snapshot was taken; "In sync" is announced once caught up again.
    pub(crate) catching_up: bool,
    /// Records installed of a snapshot being taken, and its size.
    pub(crate) snapshot_progress: Option<(u64, u64)>,
    /// Changes applied from the Master in this role.
    pub(crate) replicated: u64,
    pub(crate) seen: LinkSeen,
}

impl Live {
    pub(crate) fn new(role: LiveRole) -> Live {
        match role {
            LiveRole::Standalone => Live::Standalone,
            LiveRole::Master => Live::Master(MasterSide { since: Some(Instant::now()), ..MasterSide::default() }),
            LiveRole::Slave => Live::Slave(SlaveSide::default()),
        }
    }

    pub(crate) fn role(&self) -> LiveRole {
        match self {
            Live::Standalone => LiveRole::Standalone,
            Live::Master(_) => LiveRole::Master,
            Live::Slave(_) => LiveRole::Slave,
        }
    }

    pub(crate) fn master(&self) -> Option<&MasterSide> {
        match self {
            Live::Master(m) => Some(m),
            _ => None,
        }
    }

    pub(crate) fn master_mut(&mut self) -> Option<&mut MasterSide> {
        match self {
            Live::Master(m) => Some(m),
            _ => None,
        }
    }

    pub(crate) fn slave_mut(&mut self) -> Option<&mut SlaveSide> {
        match self {
            Live::Slave(s) => Some(s),
            _ => None,
        }
    }

    /// What this role has seen of the link (none when standalone).
    pub(crate) fn seen(&self) -> Option<&LinkSeen> {
        match self {
            Live::Master(m) => Some(&m.seen),
            Live::Slave(s) => Some(&s.seen),
            Live::Standalone => None,
        }
    }

    pub(crate) fn seen_mut(&mut self) -> Option<&mut LinkSeen> {
        match self {
            Live::Master(m) => Some(&mut m.seen),
            Live::Slave(s) => Some(&mut s.seen),
            Live::Standalone => None,
        }
    }

    /// A planned switch-over is under way (Master only).
    pub(crate) fn handing_over(&self) -> bool {
        self.master().is_some_and(|m| m.handing_over)
    }
}

pub(crate) fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl HotBackup {
    pub(crate) fn st(&self) -> MutexGuard<'_, State> {
        lock(&self.inner.state)
    }

    /// An entry of the event log that needs no administrator. Alarms go through
    /// [`HotBackup::raise`], which also puts them in the Active Alarms.
    pub(crate) fn event(&self, text: impl Into<String>) {
        self.entry(false, text);
    }

    /// An entry of the event log.
    pub(crate) fn entry(&self, alarm: bool, text: impl Into<String>) {
        let text = text.into();
        if alarm {
            tracing::warn!(target: "hotbackup", "{text}");
        } else {
            tracing::info!(target: "hotbackup", "{text}");
        }
        {
            let mut st = self.st();
            st.events.push_front(HbEvent { at_ms: now_ms(), alarm, text });
            st.events.truncate(MAX_EVENTS);
        }
        // Announced once the entry is in: a page that fetches at once sees it.
        self.changed(*self.inner.committed.borrow());
        self.status_changed();
    }

    /// Whether this MCU is enabled but holds no pairing (its link was saved by an earlier
    /// version); raises the alarm that says what to do. Such an MCU neither follows nor
    /// takes over: it cannot tell anything about its peer.
    pub(crate) fn unpaired(&self) -> bool {
        if !self.st().link.credential.is_empty() {
            return false;
        }
        self.raise_once(
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
                self.raise_once(
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
                if !self.alarm_active(AlarmCode::PeerCertificateChanged) {
                    self.security_audit(format!("Refused the MCU at {peer}: it shows certificate {got}, not the paired MCU's {expected}."), false);
                }
                self.raise_once(AlarmCode::PeerCertificateChanged, &what);
                true
            }
            _ => false,
        }
    }

    /// Logs `text` unless it is already the newest event (loops retry every heartbeat).
    pub(crate) fn note_once(&self, text: &str) {
        let fresh = self.st().events.front().is_none_or(|e| e.text != text);
        if fresh {
            self.event(text);
        }
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
        let (epoch, pos, digest) = blocking(&self.inner.store, |s| s.standing())
            .await
            .unwrap_or_default();
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
            events: if log { st.events.iter().cloned().collect() } else { Vec::new() },
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
