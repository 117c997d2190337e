//! Hot Backup rules as plain functions: the guideline checks G1–G10 of the spec, the
//! G5 refusal, and the replication decisions (how a Slave catches up, which of two
//! Masters steps down). The store and the network code call these; nothing here does I/O.

use crate::change::{LogEntry, Record};
use crate::model::{HotBackupRole, Millis, PortConfiguration};
use crate::{DomainError, Role};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The (epoch, seq) of the newest change an MCU holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Position {
    pub epoch: u64,
    pub seq: u64,
}

/// Everything synced, at one position: what a Slave installs when it cannot resume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub position: Position,
    pub epochs: Vec<EpochStart>,
    pub records: Vec<Record>,
    pub digest: String,
    /// The Master's audit entries of changes (newest [`SNAPSHOT_AUDIT`] at most): a Slave
    /// that starts from a snapshot holds the Master's change history too.
    #[serde(default)]
    pub audit: Vec<crate::audit::AuditEntry>,
}

/// How many of the Master's audit entries a snapshot carries.
pub const SNAPSHOT_AUDIT: usize = 5_000;

// ---------------------------------------------------------------- peer protocol (JSON over HTTP)

/// `POST /peer/v1/pair/start`: the first step of pairing (see `domain::pairing`, OPAQUE):
/// the Administrator who pairs, the caller's version (G1), its nonce (names this pairing)
/// and its first OPAQUE message (hex). No password, nothing derived from it alone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PairStart {
    pub user: String,
    pub version: String,
    pub nonce: String,
    pub request: String,
}

/// The answer to `pair/start`: the responder's OPAQUE message (hex) and nonce.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PairChallenge {
    pub response: String,
    pub nonce: String,
}

/// `POST /peer/v1/pair/finish`: the initiator's last OPAQUE message (hex), sent only once
/// it has checked the responder. The initiator's certificate is the client certificate of
/// the TLS connection (the responder pins it), not a field.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PairFinish {
    pub user: String,
    pub initiator_nonce: String,
    pub responder_nonce: String,
    pub finalization: String,
}

/// The answer to a proven `pair/finish`: the pairing credential the initiator presents from
/// now on, with its peer-link certificate (the responder keeps only the credential's digest
/// and that certificate's fingerprint).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PairGranted {
    pub credential: String,
}

/// `GET /peer/v1/heartbeat`: where an MCU stands. Small; sent every heartbeat interval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    pub instance_id: String,
    pub name: String,
    pub version: String,
    pub role: LiveRole,
    pub position: Position,
    pub epochs: Vec<EpochStart>,
    pub oldest_logged: u64,
    pub digest: String,
}

/// `GET /peer/v1/facts`: what the guideline checks compare when Hot Backup is enabled
/// and afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerFacts {
    pub heartbeat: Heartbeat,
    pub users: Vec<UserFingerprint>,
    pub ports: PortConfiguration,
    pub has_port_configuration: bool,
    pub conferences: u64,
    pub reservations: u64,
    pub enabled: bool,
    pub configured_role: HotBackupRole,
    /// Its ports by type (model and port configuration), and those its calls hold now: a
    /// Master compares the Slave's ports with what it has in use (a takeover would drop the
    /// calls beyond them). Absent from an earlier version's answer.
    #[serde(default)]
    pub capacity: Option<crate::ports::Ports>,
    #[serde(default)]
    pub in_use: Option<crate::ports::Ports>,
}

/// `GET /peer/v1/log?after=N&wait_ms=W`: the Master's changes after N (the Slave's durable
/// position, which is also its acknowledgement).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogBatch {
    pub entries: Vec<LogEntry>,
    pub epochs: Vec<EpochStart>,
    pub master: Position,
    pub digest: String,
}

/// `POST /peer/v1/takeover`: planned switch-over; the Slave takes over only if it holds
/// exactly `seq`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Takeover {
    pub seq: u64,
}

pub use crate::alarms::AlarmCode;

/// An entry of the Hot Backup event log; `alarm` marks what an administrator must act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HbEvent {
    pub at_ms: Millis,
    pub alarm: bool,
    pub text: String,
}

/// Whether the peer answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PeerState {
    Unknown,
    Up,
    Down,
}

/// Everything the Hot Backup page's live panel and `/healthz` show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HbStatus {
    pub enabled: bool,
    pub configured_role: HotBackupRole,
    pub role: LiveRole,
    pub peer_address: String,
    pub peer_state: PeerState,
    pub peer_name: Option<String>,
    pub sync_status: SyncStatus,
    pub lag_ms: u64,
    pub last_sync_ms: Option<Millis>,
    pub epoch: u64,
    pub seq: u64,
    pub peer_seq: Option<u64>,
    pub digest: String,
    pub peer_digest: Option<String>,
    pub checks: Vec<Check>,
    pub events: Vec<HbEvent>,
    pub replicated: u64,
    pub failovers: u64,
    /// While a snapshot is being taken: records installed so far, of how many.
    pub snapshot_progress: Option<(u64, u64)>,
    /// This MCU's peer-link certificate fingerprint, and the paired MCU's as pinned at
    /// pairing (empty when not paired): what an administrator compares on both MCUs.
    #[serde(default)]
    pub fingerprint: String,
    #[serde(default)]
    pub peer_fingerprint: String,
}

// ---------------------------------------------------------------- failure detection

/// The Slave's view of the Master's health: the Master has failed when nothing was heard
/// from it for the detection time *and* an attempt begun after that silence failed too,
/// and only if this MCU's own network is up (otherwise the fault is here, and taking over
/// would make two Masters). The second condition keeps a Slave that was itself frozen
/// (its silence is its own) from taking over from a healthy Master.
#[derive(Debug, Clone)]
pub struct FailureDetector {
    detection: Duration,
    last_heard: Instant,
    last_try: Option<Instant>,
    /// The Master has answered at least once since this detector was made.
    heard_once: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Alive,
    /// Silent for less than the detection time: keep trying.
    Suspect,
    /// Silent for the detection time, own network up: take over.
    Failed,
    /// Silent, but this MCU's own network is down: do not take over.
    OwnNetworkDown,
}

impl FailureDetector {
    pub fn new(detection: Duration, now: Instant) -> Self {
        FailureDetector { detection, last_heard: now, last_try: None, heard_once: false }
    }

    /// An attempt to reach the Master begins now.
    pub fn trying(&mut self, now: Instant) {
        self.last_try = Some(now);
    }

    pub fn heard(&mut self, now: Instant) {
        self.last_heard = self.last_heard.max(now);
        self.heard_once = true;
    }

    /// Whether the Master has answered since this detector was made: a refusal then means
    /// its process died; before, it may simply not have started yet (both MCUs booting).
    pub fn has_heard(&self) -> bool {
        self.heard_once
    }

    pub fn silent_for(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.last_heard)
    }

    pub fn verdict(&self, now: Instant, own_network_up: bool) -> Verdict {
        if self.silent_for(now) == Duration::ZERO {
            Verdict::Alive
        } else if self.silent_for(now) < self.detection
            || self.last_try.is_none_or(|t| t.saturating_duration_since(self.last_heard) < self.detection)
        {
            Verdict::Suspect
        } else if own_network_up {
            Verdict::Failed
        } else {
            Verdict::OwnNetworkDown
        }
    }
}

/// The simulated links of the Master whose loss can trigger a failover (spec §2); the
/// management link's loss is always a trigger and is detected by the Slave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Link {
    Signalling,
    Media,
}

/// Which enabled trigger has fired: a link inactive for at least the inactivity time.
/// `down_for` gives how long each link has been down (None: up).
pub fn link_trigger(
    settings: &crate::HotBackupSettings,
    signalling_down_for: Option<Duration>,
    media_down_for: Option<Duration>,
) -> Option<Link> {
    let limit = Duration::from_secs(settings.inactivity_s.into());
    let fired = |on: bool, d: Option<Duration>| on && d.is_some_and(|d| d >= limit);
    if fired(settings.signalling_trigger, signalling_down_for) {
        Some(Link::Signalling)
    } else if fired(settings.media_trigger, media_down_for) {
        Some(Link::Media)
    } else {
        None
    }
}

/// Heartbeat interval and detection time an administrator may choose (ms).
pub const HEARTBEAT_RANGE_MS: (u32, u32) = (50, 2000);
pub const DETECTION_RANGE_MS: (u32, u32) = (300, 240_000);
/// Signalling/media inactivity before failover (s), as in the original.
pub const INACTIVITY_RANGE_S: (u32, u32) = (20, 120);
/// Seconds between redial attempts after a takeover.
pub const REDIAL_INTERVAL_RANGE_S: (u32, u32) = (1, 600);
/// Redial attempts after a takeover.
pub const REDIAL_ATTEMPTS_RANGE: (u32, u32) = (1, 100);

/// The role this MCU plays right now (not the configured one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LiveRole {
    Standalone,
    Master,
    Slave,
}

/// Synchronization Status as the original shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncStatus {
    /// Hot Backup off.
    None,
    /// Enabled, not fully synced yet, or reconnecting.
    Attempting,
    /// In sync.
    Ok,
    /// Peer unreachable or sync failing.
    Fail,
}

impl LiveRole {
    /// Machine key, as `/healthz` and `/metrics` say it.
    pub fn key(self) -> &'static str {
        match self {
            LiveRole::Standalone => "standalone",
            LiveRole::Master => "master",
            LiveRole::Slave => "slave",
        }
    }
}

impl SyncStatus {
    pub const ALL: [SyncStatus; 4] = [SyncStatus::None, SyncStatus::Attempting, SyncStatus::Ok, SyncStatus::Fail];

    /// The word the original shows.
    pub fn label(self) -> &'static str {
        match self {
            SyncStatus::None => "None",
            SyncStatus::Attempting => "Attempting",
            SyncStatus::Ok => "OK",
            SyncStatus::Fail => "Fail",
        }
    }

    /// Machine key, as `/healthz` and `/metrics` say it.
    pub fn key(self) -> &'static str {
        match self {
            SyncStatus::None => "none",
            SyncStatus::Attempting => "attempting",
            SyncStatus::Ok => "ok",
            SyncStatus::Fail => "fail",
        }
    }
}

/// The start of one epoch: from `start_seq` on, changes were written by the Master that
/// began it (`origin`, a database's instance id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochStart {
    pub epoch: u64,
    pub start_seq: u64,
    pub origin: String,
}

/// What G2 compares for one user: never a password, only a verifier that is equal on both
/// MCUs exactly when the password is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserFingerprint {
    pub name: String,
    pub role: Role,
    pub verifier: String,
}

/// The outcome of one guideline check, as the Hot Backup page lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub guideline: String,
    pub passed: bool,
    pub reason: String,
}

impl Check {
    fn pass(g: &str, reason: impl Into<String>) -> Check {
        Check { guideline: g.into(), passed: true, reason: reason.into() }
    }
    fn fail(g: &str, reason: impl Into<String>) -> Check {
        Check { guideline: g.into(), passed: false, reason: reason.into() }
    }
}

/// G5: the refusal every manual change to synced state gets on a Slave.
pub fn refused_on_slave(master: &str) -> DomainError {
    DomainError::Forbidden(format!(
        "This MCU is the Hot Backup Slave: conferences, reservations and the other mirrored settings \
         can only be changed on the Master MCU ({master}), which copies them here. (G5)"
    ))
}

/// Checks the Hot Backup settings an administrator typed: peer address (IPv4 or IPv6,
/// optional port), failure detection timings, trigger inactivity. Returns them cleaned.
pub fn validate_settings(mut s: crate::HotBackupSettings) -> Result<crate::HotBackupSettings, DomainError> {
    s.peer_address = s.peer_address.trim().to_string();
    if s.enabled || !s.peer_address.is_empty() {
        s.peer_address = peer_address(&s.peer_address)?;
    }
    let (lo, hi) = HEARTBEAT_RANGE_MS;
    if !(lo..=hi).contains(&s.heartbeat_ms) {
        return Err(DomainError::invalid("heartbeat_ms", format!("The heartbeat interval must be {lo}–{hi} ms.")));
    }
    let (lo, hi) = DETECTION_RANGE_MS;
    if !(lo..=hi).contains(&s.detection_ms) {
        return Err(DomainError::invalid("detection_ms", format!("The detection time must be {lo}–{hi} ms.")));
    }
    if s.detection_ms < 2 * s.heartbeat_ms {
        return Err(DomainError::invalid("detection_ms", "The detection time must be at least two heartbeat intervals."));
    }
    let (lo, hi) = INACTIVITY_RANGE_S;
    if !(lo..=hi).contains(&s.inactivity_s) {
        return Err(DomainError::invalid("inactivity_s", format!("The inactivity time must be {lo}–{hi} s.")));
    }
    s.isolation_address = s.isolation_address.trim().to_string();
    if !s.isolation_address.is_empty() {
        s.isolation_address = peer_address(&s.isolation_address)
            .map_err(|e| DomainError::invalid("isolation_address", e.to_string().replace("paired MCU's", "isolation check")))?;
    }
    let (lo, hi) = REDIAL_INTERVAL_RANGE_S;
    if !(lo..=hi).contains(&s.redial_interval_s) {
        return Err(DomainError::invalid("redial_interval_s", format!("The redial interval must be {lo}–{hi} s.")));
    }
    let (lo, hi) = REDIAL_ATTEMPTS_RANGE;
    if !(lo..=hi).contains(&s.redial_attempts) {
        return Err(DomainError::invalid("redial_attempts", format!("The number of redial attempts must be {lo}–{hi}.")));
    }
    Ok(s)
}

/// The Paired MCU IP Address: an IPv4 or IPv6 address with an optional port
/// ("10.0.0.2", "10.0.0.2:3001", "::1", "[::1]:3001"). Returned as `host:port`
/// (port 80 when none is given), IPv6 in brackets.
pub fn peer_address(raw: &str) -> Result<String, DomainError> {
    use std::net::{IpAddr, SocketAddr};
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(DomainError::invalid("peer_address", "Enter the paired MCU's IP address."));
    }
    if let Ok(sa) = raw.parse::<SocketAddr>() {
        if sa.port() == 0 {
            return Err(DomainError::invalid("peer_address", "The port must be 1–65535."));
        }
        return Ok(sa.to_string());
    }
    if let Ok(ip) = raw.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 80).to_string());
    }
    Err(DomainError::invalid(
        "peer_address",
        format!("'{raw}' is not an IP address. Use IPv4 (10.0.0.2, 10.0.0.2:3001) or IPv6 (fd00::2, [fd00::2]:3001)."),
    ))
}

/// Suffix the Slave adds to the H.323 aliases and host name it registers, so the two MCUs
/// never register the same alias (spec §1).
pub const BACKUP_SUFFIX: &str = "_bak";

/// The name a Slave registers for `name` (unchanged on a Master or standalone MCU).
pub fn registered_name(name: &str, role: LiveRole) -> String {
    if role == LiveRole::Slave && !name.is_empty() {
        format!("{name}{BACKUP_SUFFIX}")
    } else {
        name.to_string()
    }
}

/// G1: both MCUs run the same software version.
pub fn check_versions(ours: &str, peer: &str) -> Check {
    if ours == peer {
        Check::pass("G1", format!("Both MCUs run version {ours}."))
    } else {
        Check::fail(
            "G1",
            format!("The MCUs run different software versions: this MCU {ours}, the paired MCU {peer}. Install the same version on both."),
        )
    }
}

/// G2: the same users, with the same passwords (and roles), on both MCUs. Names the users
/// that differ, never a password.
pub fn check_users(ours: &[UserFingerprint], peer: &[UserFingerprint]) -> Check {
    let key = |u: &UserFingerprint| u.name.to_ascii_lowercase();
    let a: BTreeMap<String, &UserFingerprint> = ours.iter().map(|u| (key(u), u)).collect();
    let b: BTreeMap<String, &UserFingerprint> = peer.iter().map(|u| (key(u), u)).collect();
    let only_here: Vec<&str> = a.iter().filter(|(k, _)| !b.contains_key(*k)).map(|(_, u)| u.name.as_str()).collect();
    let only_there: Vec<&str> = b.iter().filter(|(k, _)| !a.contains_key(*k)).map(|(_, u)| u.name.as_str()).collect();
    let mut password = Vec::new();
    let mut role = Vec::new();
    for (k, u) in &a {
        if let Some(p) = b.get(k) {
            if u.verifier.is_empty() || u.verifier != p.verifier {
                password.push(u.name.as_str());
            }
            if u.role != p.role {
                role.push(u.name.as_str());
            }
        }
    }
    let mut parts = Vec::new();
    if !only_here.is_empty() {
        parts.push(format!("only on this MCU: {}", only_here.join(", ")));
    }
    if !only_there.is_empty() {
        parts.push(format!("only on the paired MCU: {}", only_there.join(", ")));
    }
    if !password.is_empty() {
        parts.push(format!("different password: {}", password.join(", ")));
    }
    if !role.is_empty() {
        parts.push(format!("different authorization level: {}", role.join(", ")));
    }
    if parts.is_empty() {
        Check::pass("G2", format!("The same {} users and passwords on both MCUs.", a.len()))
    } else {
        Check::fail("G2", format!("The users differ between the two MCUs ({}). Make them the same on both.", parts.join("; ")))
    }
}

/// "An MCU can be made a Slave only while it has no ongoing conferences and no
/// reservations" (and G8: roles can be reversed only then).
pub fn check_can_become_slave(conferences: u64, reservations: u64) -> Check {
    if conferences == 0 && reservations == 0 {
        Check::pass("G8", "No ongoing conferences or reservations on this MCU.")
    } else {
        Check::fail(
            "G8",
            format!(
                "This MCU has {conferences} ongoing conference(s) and {reservations} reservation(s). \
                 An MCU can become the Slave (or change role) only after all of them are deleted."
            ),
        )
    }
}

/// What saving the paired MCU's Hot Backup settings does, as the original's dialog has it
/// ("Hot Backup Enabled", "MCU Role", "Paired MCU IP Address" and the rest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsSave {
    /// Save the settings; the role stays.
    Keep,
    /// "Hot Backup Enabled" unchecked: disable (after the typed confirmation, G6).
    Disable,
    /// "MCU Role" changed, and G8 allows it: the settings, then the roles of both MCUs
    /// reversed in one planned switch-over.
    ReverseRoles,
}

/// Why "MCU Role" cannot change now on an MCU in the live role `live` with `conferences`
/// ongoing and `reservations` (`None`: it can). Only the Master reverses the pair's roles
/// (the Slave mirrors it), and only while nothing is scheduled (G8).
pub fn role_lock(live: LiveRole, master: &str, conferences: u64, reservations: u64) -> Option<String> {
    match live {
        LiveRole::Master => {
            let g8 = check_can_become_slave(conferences, reservations);
            (!g8.passed).then(|| format!("G8: {}", g8.reason))
        }
        LiveRole::Slave => Some(format!("The roles are changed on the Master, {master}.")),
        LiveRole::Standalone => None,
    }
}

/// What a save of the paired settings form does: `enabled` ("Hot Backup Enabled" ticked),
/// `asked` (the "MCU Role" chosen; `None` when the field was not sent, as while it is
/// locked), against the role now and its lock ([`role_lock`]).
pub fn settings_save(enabled: bool, asked: Option<HotBackupRole>, now: HotBackupRole, lock: Option<&str>) -> Result<SettingsSave, DomainError> {
    if !enabled {
        return Ok(SettingsSave::Disable);
    }
    match (asked, lock) {
        (Some(r), _) if r == now => Ok(SettingsSave::Keep),
        (None, _) => Ok(SettingsSave::Keep),
        (Some(_), Some(why)) => Err(DomainError::invalid("role", why.to_string())),
        (Some(_), None) => Ok(SettingsSave::ReverseRoles),
    }
}

/// G9: changes that need a System Reset are refused while Hot Backup is on.
pub fn refused_needs_reset(what: &str) -> DomainError {
    DomainError::Conflict(format!(
        "Changing {what} needs a System Reset, which is not allowed while Hot Backup is enabled. \
         Disable Hot Backup on both MCUs, make the change on the Master and reset it, enable Hot Backup \
         again, then reset the Slave if needed. (G9)"
    ))
}

/// G10: the Video/Voice Port Configuration is not synced; a mismatch is a warning on both.
pub fn check_port_configuration(ours: &crate::PortConfiguration, peer: &crate::PortConfiguration, applies: bool) -> Check {
    if !applies {
        Check::pass("G10", "This model has no Video/Voice Port Configuration.")
    } else if ours == peer {
        Check::pass("G10", "The Video/Voice Port Configuration is the same on both MCUs.")
    } else {
        Check::fail(
            "G10",
            format!(
                "The Video/Voice Port Configuration differs (this MCU: {} video ports at {}, {} voice; the paired MCU: {} video at {}, {} voice). \
                 It is not copied: set it to the same level on both by hand.",
                ours.video_ports, ours.video_resolution.label(), ours.voice_ports,
                peer.video_ports, peer.video_resolution.label(), peer.voice_ports
            ),
        )
    }
}

/// Whether the Slave (`slave`: its ports by type, `slave_name`) could carry the calls the
/// Master has up now (`master_in_use`) if it took over: the calls beyond its ports would be
/// dropped, video calls beyond its video ports would go on audio only. A warning, on both
/// MCUs' Hot Backup panel; nothing is refused.
pub fn check_takeover_capacity(master_in_use: crate::ports::Ports, slave: crate::ports::Ports, slave_name: &str) -> Check {
    let up = master_in_use.total();
    let dropped = up.saturating_sub(slave.total());
    let has = format!("{slave_name} (the Slave) has {} video and {} voice ports", slave.video, slave.voice);
    let calls = format!("{up} call(s) are up on the Master now ({} video, {} voice)", master_in_use.video, master_in_use.voice);
    if dropped > 0 {
        Check::fail("Capacity", format!("{has}; {calls}: a takeover now would drop {dropped} call(s)."))
    } else if master_in_use.video > slave.video {
        let audio = master_in_use.video - slave.video;
        Check::fail("Capacity", format!("{has}; {calls}: a takeover now would carry {audio} video call(s) on audio only."))
    } else {
        Check::pass("Capacity", format!("{has}; {calls}: a takeover now would keep them all."))
    }
}

/// How a Slave at `replica` (with epoch history `replica_epochs`) catches up with the Master.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatchUp {
    /// Stream the Master's log from after `after_seq`.
    Resume { after_seq: u64 },
    /// Install a full snapshot. `export_after`: the Slave holds changes after this seq
    /// that the Master does not have; they are exported (and alarmed) first.
    Snapshot { export_after: Option<u64> },
}

/// Decides [`CatchUp`]. The two histories agree up to the first epoch where they differ;
/// a replica position beyond the Master's history there has diverged.
pub fn plan_catch_up(
    master_epochs: &[EpochStart],
    master_oldest_logged: u64,
    master_last_seq: u64,
    replica_epochs: &[EpochStart],
    replica_seq: u64,
) -> CatchUp {
    let common = master_epochs.iter().zip(replica_epochs).take_while(|(m, r)| m == r).count();
    // Highest seq that both histories agree on.
    let agreed_until = if common == replica_epochs.len() {
        // The replica's history is a prefix of the Master's: its last epoch is valid until
        // the Master's next epoch began (or without end, if it is the Master's current one).
        master_epochs.get(common).map(|next| next.start_seq - 1).unwrap_or(u64::MAX)
    } else {
        let r = replica_epochs[common].start_seq;
        let m = master_epochs.get(common).map(|e| e.start_seq).unwrap_or(u64::MAX);
        r.min(m).saturating_sub(1)
    };
    // Nothing can be agreed beyond what the Master holds: a replica ahead of it (changes
    // made while it stood alone in the same epoch) has diverged too.
    let agreed_until = agreed_until.min(master_last_seq);
    if replica_seq > agreed_until {
        return CatchUp::Snapshot { export_after: Some(agreed_until) };
    }
    if common < replica_epochs.len() || replica_seq + 1 < master_oldest_logged {
        return CatchUp::Snapshot { export_after: None };
    }
    CatchUp::Resume { after_seq: replica_seq }
}

/// What a Master must do before it takes a change (see [`before_taking_a_change`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeforeChange {
    /// Take it.
    Go,
    /// Its Slave has not polled it since it became Master: wait this long at most for the
    /// first poll (which proves the Slave follows it), then decide again.
    WaitForSlave(std::time::Duration),
    /// Ask the peer first (its answer may make this Master step down).
    AskPeer,
}

/// What a Master does before taking a change, from what it knows of its peer.
///
/// - `as_master`: how long it has been Master (since it started as one, or took over);
/// - `slave_polled`: its Slave has polled it in this role;
/// - `heard`: the Slave polled, or the peer answered a probe, within the detection time;
/// - `asked`: a probe was begun within the heartbeat interval.
///
/// A peer that answered as Slave may still be taking over: its decision is made when this
/// MCU's process was gone, its promotion comes a moment later. So until the Slave has
/// polled, a new Master waits, for the detection time at most, and then asks again; after
/// that, as always, a Master that has heard nothing for the detection time asks first.
pub fn before_taking_a_change(
    as_master: std::time::Duration,
    slave_polled: bool,
    heard: bool,
    asked: bool,
    detection: std::time::Duration,
) -> BeforeChange {
    if !slave_polled && as_master < detection {
        return BeforeChange::WaitForSlave(detection - as_master);
    }
    if !slave_polled && !asked {
        return BeforeChange::AskPeer;
    }
    if !heard && !asked {
        return BeforeChange::AskPeer;
    }
    BeforeChange::Go
}

/// Whether a Master holds a change's answer until its Slave acknowledges it: only while
/// the Slave is in sync and polled within the detection time (`since_poll`); otherwise it
/// answers at once and says the change is not mirrored.
pub fn waits_for_ack(slave_in_sync: bool, since_poll: Option<std::time::Duration>, detection: std::time::Duration) -> bool {
    slave_in_sync && since_poll.is_some_and(|d| d < detection)
}

/// What a second try tells, made a moment after the Master's host refused the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondTry {
    /// Refused again: nothing listens there.
    Refused,
    /// The Master answered.
    Answered,
    /// Anything else (a timeout, another error): proves nothing either way.
    Inconclusive,
}

/// A Master whose host refused the connection (and that was heard in this session), asked
/// again: refused twice with this MCU's own network up, its process is gone (take over at
/// once); refused with the own network down, this MCU is the one cut off.
pub fn crash_verdict(second: SecondTry, own_network_up: bool, before: Verdict) -> Verdict {
    match second {
        SecondTry::Refused if own_network_up => Verdict::Failed,
        SecondTry::Refused => Verdict::OwnNetworkDown,
        SecondTry::Answered => Verdict::Alive,
        SecondTry::Inconclusive => before,
    }
}

/// The last word with a Master found silent for the detection time, begun after this MCU
/// found its own network up: an answer means the link is back (no takeover); no answer with
/// the own network still up confirms the failure; with it down since, an isolation began
/// meanwhile and proves nothing.
pub fn after_last_word(answered: bool, own_network_still_up: bool) -> Verdict {
    match (answered, own_network_still_up) {
        (true, _) => Verdict::Alive,
        (false, true) => Verdict::Failed,
        (false, false) => Verdict::OwnNetworkDown,
    }
}

/// When two MCUs both act as Master (a healed partition), which one stays: the higher
/// epoch; on a tie, the one with more changes; then the smaller instance id. Returns true
/// when `a` stays.
pub fn stays_master(a: (u64, u64, &str), b: (u64, u64, &str)) -> bool {
    let (ae, aseq, aid) = a;
    let (be, bseq, bid) = b;
    (ae, aseq, std::cmp::Reverse(aid)) > (be, bseq, std::cmp::Reverse(bid))
}

#[cfg(test)]
mod before_change_tests {
    use super::*;
    use std::time::Duration;

    const DET: Duration = Duration::from_millis(1000);

    #[test]
    fn a_new_master_waits_for_its_slaves_first_poll_then_asks_before_its_first_change() {
        let ms = Duration::from_millis;
        // Just started or took over, the Slave has not polled: wait out the rest of the window.
        assert_eq!(before_taking_a_change(ms(200), false, true, true, DET), BeforeChange::WaitForSlave(ms(800)));
        // The window is over and still no poll: ask the peer, even if it answered a moment ago.
        assert_eq!(before_taking_a_change(ms(1000), false, true, false, DET), BeforeChange::AskPeer);
        // Asked just now (it answered as a Slave that is not taking over): take the change.
        assert_eq!(before_taking_a_change(ms(1000), false, true, true, DET), BeforeChange::Go);
        // The Slave polls: it follows this Master.
        assert_eq!(before_taking_a_change(ms(5), true, true, false, DET), BeforeChange::Go);
        // Nothing heard for the detection time: ask first (this MCU may have been frozen).
        assert_eq!(before_taking_a_change(ms(60_000), true, false, false, DET), BeforeChange::AskPeer);
        assert_eq!(before_taking_a_change(ms(60_000), true, false, true, DET), BeforeChange::Go);
    }

    #[test]
    fn a_master_waits_for_the_ack_only_from_an_in_sync_slave_heard_within_the_detection_time() {
        let ms = Duration::from_millis;
        assert!(waits_for_ack(true, Some(ms(10)), DET));
        assert!(!waits_for_ack(false, Some(ms(10)), DET), "a Slave catching up does not hold the answer");
        assert!(!waits_for_ack(true, Some(ms(1000)), DET), "silent for the detection time: carry on alone");
        assert!(!waits_for_ack(true, None, DET), "never polled in this role");
    }

    #[test]
    fn a_crash_is_confirmed_by_a_second_refusal_and_a_takeover_by_a_silent_last_word() {
        assert_eq!(crash_verdict(SecondTry::Refused, true, Verdict::Suspect), Verdict::Failed);
        assert_eq!(crash_verdict(SecondTry::Refused, false, Verdict::Suspect), Verdict::OwnNetworkDown);
        assert_eq!(crash_verdict(SecondTry::Answered, true, Verdict::Suspect), Verdict::Alive);
        assert_eq!(crash_verdict(SecondTry::Inconclusive, true, Verdict::Suspect), Verdict::Suspect, "a timeout proves nothing");
        assert_eq!(after_last_word(true, false), Verdict::Alive, "the link is back");
        assert_eq!(after_last_word(false, true), Verdict::Failed);
        assert_eq!(after_last_word(false, false), Verdict::OwnNetworkDown, "an isolation that began meanwhile");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_settings_dialog_disables_keeps_or_reverses_the_roles_as_g8_allows() {
        use HotBackupRole::{Master, Slave};
        assert_eq!(role_lock(LiveRole::Master, "MCU-A", 0, 0), None);
        let busy = role_lock(LiveRole::Master, "MCU-A", 2, 1).expect("locked");
        assert!(busy.starts_with("G8: This MCU has 2 ongoing conference(s) and 1 reservation(s)"), "{busy}");
        assert_eq!(role_lock(LiveRole::Slave, "MCU-A", 0, 0).as_deref(), Some("The roles are changed on the Master, MCU-A."));
        assert_eq!(settings_save(false, Some(Master), Master, None), Ok(SettingsSave::Disable));
        assert_eq!(settings_save(true, Some(Master), Master, Some(&busy)), Ok(SettingsSave::Keep));
        assert_eq!(settings_save(true, None, Master, Some(&busy)), Ok(SettingsSave::Keep));
        assert_eq!(settings_save(true, Some(Slave), Master, None), Ok(SettingsSave::ReverseRoles));
        match settings_save(true, Some(Slave), Master, Some(&busy)) {
            Err(DomainError::Invalid { field: "role", message }) => assert_eq!(message, busy),
            other => panic!("a locked role changed: {other:?}"),
        }
    }

    use super::*;

    #[test]
    fn the_capacity_check_warns_when_a_takeover_now_would_drop_calls_or_their_video() {
        use crate::ports::Ports;
        let p = |video, voice| Ports { video, voice };
        let ok = check_takeover_capacity(p(30, 2), p(40, 0), "MCU-B");
        assert!(ok.passed, "{}", ok.reason);
        let drop = check_takeover_capacity(p(50, 2), p(40, 0), "MCU-B");
        assert!(!drop.passed && drop.reason.contains("would drop 12 call(s)"), "{}", drop.reason);
        let audio = check_takeover_capacity(p(30, 0), p(20, 20), "MCU-B");
        assert!(!audio.passed && audio.reason.contains("10 video call(s) on audio only"), "{}", audio.reason);
        assert!(check_takeover_capacity(p(0, 0), p(0, 0), "MCU-B").passed, "nothing up, nothing lost");
    }

    fn e(epoch: u64, start_seq: u64, origin: &str) -> EpochStart {
        EpochStart { epoch, start_seq, origin: origin.into() }
    }

    fn fp(name: &str, role: Role, verifier: &str) -> UserFingerprint {
        UserFingerprint { name: name.into(), role, verifier: verifier.into() }
    }


    #[test]
    fn only_a_slave_registers_with_the_backup_suffix() {
        assert_eq!(registered_name("mcu-conf", LiveRole::Slave), "mcu-conf_bak");
        assert_eq!(registered_name("mcu-conf", LiveRole::Master), "mcu-conf");
        assert_eq!(registered_name("mcu-conf", LiveRole::Standalone), "mcu-conf");
        assert_eq!(registered_name("", LiveRole::Slave), "");
    }

    #[test]
    fn peer_addresses() {
        assert_eq!(peer_address("127.0.0.1:3001").ok().as_deref(), Some("127.0.0.1:3001"));
        assert_eq!(peer_address(" 10.0.0.2 ").ok().as_deref(), Some("10.0.0.2:80"));
        assert_eq!(peer_address("::1").ok().as_deref(), Some("[::1]:80"));
        assert_eq!(peer_address("[fd00::2]:3001").ok().as_deref(), Some("[fd00::2]:3001"));
        for bad in ["", "mcu-b.local", "10.0.0.256", "10.0.0.2:0", "10.0.0.2:99999", "[::1]"] {
            assert!(peer_address(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn settings_ranges() {
        let ok = crate::HotBackupSettings { enabled: true, peer_address: "127.0.0.1:3001".into(), ..Default::default() };
        assert!(validate_settings(ok.clone()).is_ok());
        let bad = |f: fn(&mut crate::HotBackupSettings)| {
            let mut s = ok.clone();
            f(&mut s);
            validate_settings(s).is_err()
        };
        assert!(bad(|s| s.heartbeat_ms = 10));
        assert!(bad(|s| s.detection_ms = 100));
        assert!(bad(|s| { s.heartbeat_ms = 1000; s.detection_ms = 1500 }));
        assert!(bad(|s| s.inactivity_s = 19));
        assert!(bad(|s| s.inactivity_s = 121));
        assert!(bad(|s| s.peer_address = "nowhere".into()));
    }

    #[test]
    fn failure_is_declared_after_the_detection_time_only_with_own_network_up() {
        let t0 = Instant::now();
        let mut d = FailureDetector::new(Duration::from_millis(1000), t0);
        assert_eq!(d.verdict(t0, true), Verdict::Alive);
        assert_eq!(d.verdict(t0 + Duration::from_millis(999), true), Verdict::Suspect);
        // Silent long enough, but the last attempt began before that (this MCU was frozen
        // in the middle of it): not proof. A fresh attempt that fails is.
        d.trying(t0 + Duration::from_millis(10));
        assert_eq!(d.verdict(t0 + Duration::from_millis(3000), true), Verdict::Suspect);
        d.trying(t0 + Duration::from_millis(1000));
        assert_eq!(d.verdict(t0 + Duration::from_millis(1000), true), Verdict::Failed);
        assert_eq!(d.verdict(t0 + Duration::from_millis(5000), false), Verdict::OwnNetworkDown);
        assert!(!d.has_heard(), "a Master never heard may simply not have started yet");
        d.heard(t0 + Duration::from_millis(900));
        assert!(d.has_heard());
        assert_eq!(d.verdict(t0 + Duration::from_millis(1500), true), Verdict::Suspect);
    }

    #[test]
    fn link_triggers_fire_only_when_enabled_and_inactive_long_enough() {
        let mut s = crate::HotBackupSettings { inactivity_s: 30, ..Default::default() };
        let long = Some(Duration::from_secs(31));
        assert_eq!(link_trigger(&s, long, long), None, "triggers off");
        s.media_trigger = true;
        assert_eq!(link_trigger(&s, long, long), Some(Link::Media));
        assert_eq!(link_trigger(&s, long, Some(Duration::from_secs(29))), None);
        s.signalling_trigger = true;
        assert_eq!(link_trigger(&s, Some(Duration::from_secs(30)), None), Some(Link::Signalling));
        assert_eq!(link_trigger(&s, None, None), None);
    }

    #[test]
    fn g1_names_both_versions() {
        assert!(check_versions("8.7.1", "8.7.1").passed);
        let c = check_versions("8.7.1", "8.6.0");
        assert!(!c.passed && c.reason.contains("8.7.1") && c.reason.contains("8.6.0"), "{}", c.reason);
    }

    #[test]
    fn g2_names_the_differing_users_and_never_a_verifier() {
        let ours = [fp("admin", Role::Administrator, "v1"), fp("ops", Role::Operator, "v2"), fp("amy", Role::Auditor, "v3")];
        let same = [fp("ADMIN", Role::Administrator, "v1"), fp("ops", Role::Operator, "v2"), fp("amy", Role::Auditor, "v3")];
        assert!(check_users(&ours, &same).passed);
        let peer = [fp("admin", Role::Administrator, "v1"), fp("ops", Role::Operator, "XX"), fp("bob", Role::Operator, "v4")];
        let c = check_users(&ours, &peer);
        assert!(!c.passed);
        assert!(c.reason.contains("only on this MCU: amy"), "{}", c.reason);
        assert!(c.reason.contains("only on the paired MCU: bob"), "{}", c.reason);
        assert!(c.reason.contains("different password: ops"), "{}", c.reason);
        assert!(!c.reason.contains("v2") && !c.reason.contains("XX"));
        let role = check_users(&[fp("ops", Role::Operator, "v")], &[fp("ops", Role::Auditor, "v")]);
        assert!(!role.passed && role.reason.contains("different authorization level: ops"));
        let unset = check_users(&[fp("ops", Role::Operator, "")], &[fp("ops", Role::Operator, "")]);
        assert!(!unset.passed, "a user without a verifier cannot be shown to match");
    }

    #[test]
    fn g8_only_an_empty_mcu_becomes_slave() {
        assert!(check_can_become_slave(0, 0).passed);
        let c = check_can_become_slave(2, 1);
        assert!(!c.passed && c.reason.contains("2 ongoing conference(s) and 1 reservation(s)"));
    }

    #[test]
    fn g5_and_g9_messages_say_what_to_do() {
        let g5 = refused_on_slave("10.0.0.5").to_string();
        assert!(g5.contains("Slave") && g5.contains("Master MCU (10.0.0.5)"));
        let g9 = refused_needs_reset("the IP Network Service addresses").to_string();
        assert!(g9.contains("Disable Hot Backup on both MCUs") && g9.contains("reset"));
    }

    #[test]
    fn g10_mismatch_is_reported_with_both_levels() {
        let a = crate::PortConfiguration::default();
        let mut b = a.clone();
        b.voice_ports = 20;
        assert!(check_port_configuration(&a, &a, true).passed);
        let c = check_port_configuration(&a, &b, true);
        assert!(!c.passed && c.reason.contains("20 voice"));
        assert!(check_port_configuration(&a, &b, false).passed);
    }

    #[test]
    fn a_replica_on_the_masters_history_resumes() {
        let m = [e(1, 1, "A"), e(2, 101, "B")];
        assert_eq!(plan_catch_up(&m, 1, 1000, &m, 150), CatchUp::Resume { after_seq: 150 });
        // Behind, still in epoch 1, before epoch 2 began.
        assert_eq!(plan_catch_up(&m, 1, 1000, &[e(1, 1, "A")], 90), CatchUp::Resume { after_seq: 90 });
        assert_eq!(plan_catch_up(&m, 1, 1000, &[e(1, 1, "A")], 100), CatchUp::Resume { after_seq: 100 });
    }

    #[test]
    fn a_rejoining_old_master_exports_what_it_wrote_after_the_fork() {
        // A was Master in epoch 1 up to seq 105; B took over at seq 101 (it had 1..100).
        let m = [e(1, 1, "A"), e(2, 101, "B")];
        assert_eq!(plan_catch_up(&m, 1, 1000, &[e(1, 1, "A")], 105), CatchUp::Snapshot { export_after: Some(100) });
    }

    #[test]
    fn a_split_brain_loser_exports_after_the_common_history() {
        // Both went on from epoch 2 on their own: A began epoch 3 at 201, B began epoch 3 at 180.
        let winner = [e(1, 1, "A"), e(2, 101, "B"), e(3, 180, "B")];
        let loser = [e(1, 1, "A"), e(2, 101, "B"), e(3, 201, "A")];
        assert_eq!(plan_catch_up(&winner, 1, 1000, &loser, 230), CatchUp::Snapshot { export_after: Some(179) });
        // A loser that wrote nothing in its own epoch still needs the Master's history.
        assert_eq!(plan_catch_up(&winner, 1, 1000, &loser, 150), CatchUp::Snapshot { export_after: None });
    }

    #[test]
    fn a_fresh_slave_with_its_own_history_is_replaced() {
        let m = [e(1, 1, "A")];
        assert_eq!(plan_catch_up(&m, 1, 1000, &[e(1, 1, "S")], 0), CatchUp::Snapshot { export_after: None });
        assert_eq!(plan_catch_up(&m, 1, 1000, &[e(1, 1, "S")], 7), CatchUp::Snapshot { export_after: Some(0) });
    }

    #[test]
    fn a_replica_ahead_of_the_master_in_the_same_history_has_diverged() {
        let m = [e(1, 1, "A")];
        assert_eq!(plan_catch_up(&m, 1, 5, &m, 7), CatchUp::Snapshot { export_after: Some(5) });
        assert_eq!(plan_catch_up(&m, 1, 5, &m, 5), CatchUp::Resume { after_seq: 5 });
    }

    #[test]
    fn too_far_behind_takes_a_snapshot() {
        let m = [e(1, 1, "A")];
        assert_eq!(plan_catch_up(&m, 500, 1000, &m, 10), CatchUp::Snapshot { export_after: None });
        assert_eq!(plan_catch_up(&m, 500, 1000, &m, 499), CatchUp::Resume { after_seq: 499 });
    }

    #[test]
    fn the_higher_epoch_stays_master_with_deterministic_ties() {
        assert!(stays_master((3, 10, "b"), (2, 99, "a")));
        assert!(!stays_master((2, 99, "a"), (3, 10, "b")));
        assert!(stays_master((3, 20, "b"), (3, 10, "a")));
        assert!(stays_master((3, 10, "a"), (3, 10, "b")));
        assert!(!stays_master((3, 10, "b"), (3, 10, "a")));
    }
}
