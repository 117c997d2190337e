//! The engine's state: the live role and what goes with it, the peer as last seen, and the
//! changes waiting for the committer. Data only: the engine's modules act on it.

use domain::audit::Actor;
use domain::change::{Change, LogEntry};
use domain::DomainError;
use domain::hotbackup::*;
use domain::{HotBackupSettings, Millis};
use std::sync::{Mutex, MutexGuard};
use tokio::time::Instant;

pub(crate) struct State {
    pub(crate) settings: HotBackupSettings,
    /// What this MCU presents to the paired MCU, and its pinned certificate.
    pub(crate) link: crate::link::PeerLink,
    /// The pairing credential this MCU issued (its digest), if paired.
    pub(crate) issued: Option<crate::link::Issued>,
    /// The live role and what belongs to it alone (see [`Live`]).
    pub(crate) live: Live,
    /// The peer as last heard (kept across roles: a takeover happens because it went down).
    pub(crate) peer_state: PeerState,
    pub(crate) peer_name: Option<String>,
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
    pub(crate) link: Option<crate::link::PeerLink>,
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

/// The changes of one request, all or none, and who made them.
pub(crate) type Unit = (Vec<Change>, Option<Actor>);

/// A unit of changes waiting to be committed, and where its result goes.
pub(crate) type Queued = (Unit, tokio::sync::oneshot::Sender<Result<Vec<LogEntry>, DomainError>>);
