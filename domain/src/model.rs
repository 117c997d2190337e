//! The entities one MCU manages (spec §1). Plain serde types shared by the server and
//! the browser. Ids of synced records are opaque strings (UUIDs made by the store), so two
//! MCUs that both took changes during a partition never collide.
//!
//! Which of these Hot Backup mirrors is decided in [`crate::change`]: only what a
//! [`crate::change::Record`] can hold is synced.

use serde::{Deserialize, Serialize};
use std::fmt;

pub use crate::timefmt::Millis;

/// The hardware (or virtual) model of the MCU. Decides whether the Video/Voice Port
/// Configuration exists (CS 2000 / CS 4000) and the MCU's capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum McuModel {
    Cs1800,
    Cs2000,
    Cs4000,
    VirtualEdition,
}

impl McuModel {
    pub const ALL: [McuModel; 4] = [McuModel::Cs1800, McuModel::Cs2000, McuModel::Cs4000, McuModel::VirtualEdition];

    pub fn label(self) -> &'static str {
        match self {
            McuModel::Cs1800 => "CS 1800",
            McuModel::Cs2000 => "CS 2000",
            McuModel::Cs4000 => "CS 4000",
            McuModel::VirtualEdition => "Virtual Edition",
        }
    }

    /// Accepts the label ("CS 2000") or a short form ("cs2000", "2000", "ve", "virtual").
    pub fn parse(s: &str) -> Option<McuModel> {
        let k: String = s.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
        match k.as_str() {
            "cs1800" | "1800" => Some(McuModel::Cs1800),
            "cs2000" | "2000" => Some(McuModel::Cs2000),
            "cs4000" | "4000" => Some(McuModel::Cs4000),
            "virtualedition" | "virtual" | "ve" => Some(McuModel::VirtualEdition),
            _ => None,
        }
    }

    /// Only these models have a Video/Voice Port Configuration (spec §1, G10).
    pub fn has_port_configuration(self) -> bool {
        matches!(self, McuModel::Cs2000 | McuModel::Cs4000)
    }
}

impl fmt::Display for McuModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Identity of this MCU as the shell and the System page show it. Not synced (compared, G1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemInfo {
    pub name: String,
    pub model: McuModel,
    pub version: String,
}

/// A user as the pages see it: never the password or its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub name: String,
    pub role: crate::roles::Role,
}

// ---------------------------------------------------------------- synced: conference resources

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Resolution {
    Cif,
    Sd,
    Hd720,
    Hd1080,
}

impl Resolution {
    pub const ALL: [Resolution; 4] = [Resolution::Cif, Resolution::Sd, Resolution::Hd720, Resolution::Hd1080];

    /// The form value.
    pub fn key(self) -> &'static str {
        match self {
            Resolution::Cif => "cif",
            Resolution::Sd => "sd",
            Resolution::Hd720 => "hd720",
            Resolution::Hd1080 => "hd1080",
        }
    }

    /// A form value back, or the field error for `field`.
    pub fn parse(field: &'static str, key: &str) -> Result<Resolution, crate::error::DomainError> {
        Self::ALL
            .into_iter()
            .find(|r| r.key() == key)
            .ok_or_else(|| crate::error::DomainError::invalid(field, "Choose CIF, SD, HD 720p or HD 1080p."))
    }

    pub fn label(self) -> &'static str {
        match self {
            Resolution::Cif => "CIF",
            Resolution::Sd => "SD",
            Resolution::Hd720 => "HD 720p",
            Resolution::Hd1080 => "HD 1080p",
        }
    }
}

/// Line rates an RMX administrator can pick, in kbps.
pub const LINE_RATES_KBPS: [u32; 24] = [
    64, 96, 128, 192, 256, 320, 384, 512, 768, 832, 1024, 1152, 1280, 1472, 1536, 1728, 1920, 2048,
    2560, 3072, 3584, 4096, 6144, 8192,
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub line_rate_kbps: u32,
    pub resolution: Resolution,
    pub encryption: bool,
    /// Video layout, e.g. "1x1", "2x2", "1+5", "auto".
    pub layout: String,
    pub auto_terminate: bool,
    /// The recording link its conferences record to (empty: none; Start recording is refused).
    #[serde(default)]
    pub recording_link_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingRoom {
    pub id: String,
    pub name: String,
    /// Dial-in number of the room: digits only.
    pub numeric_id: String,
    pub profile_id: String,
    pub conference_password: String,
    pub chairperson_password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryQueue {
    pub id: String,
    pub name: String,
    pub numeric_id: String,
    pub profile_id: String,
    pub ivr_service_id: Option<String>,
    pub conference_password: String,
    pub chairperson_password: String,
    /// The MCU's one Transit EQ: dial-ins to a number nothing else holds land here.
    #[serde(default)]
    pub transit: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IvrService {
    pub id: String,
    pub name: String,
    pub welcome_message: String,
    pub ask_conference_password: bool,
    pub ask_chairperson_password: bool,
    /// How many times a caller may key in a conference ID or a password before being
    /// left Awaiting Operator Assistance (1–5; the original's default is 3).
    #[serde(default = "default_ivr_attempts")]
    pub attempts: u32,
}

/// The IVR's attempts when nothing else says (the original's default).
pub const DEFAULT_IVR_ATTEMPTS: u32 = 3;

fn default_ivr_attempts() -> u32 {
    DEFAULT_IVR_ATTEMPTS
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingLink {
    pub id: String,
    pub name: String,
    /// Address of the recorder: IP, H.323 alias or SIP URI.
    pub address: String,
}

// ---------------------------------------------------------------- synced: conferences

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conference {
    pub id: String,
    pub name: String,
    pub numeric_id: String,
    pub profile_id: String,
    pub start_ms: Millis,
    /// `None`: runs until terminated.
    pub end_ms: Option<Millis>,
    /// The meeting room or reservation it was started from: that record's numeric ID is
    /// not "taken" by its own conference.
    #[serde(default)]
    pub source_id: Option<String>,
    /// Locked by an operator: nobody new can dial in (dial-outs still work).
    #[serde(default)]
    pub locked: bool,
    /// How many times the end time was pushed back automatically because participants
    /// were still connected at the end time (as the original does).
    #[serde(default)]
    pub auto_extended: u32,
    /// Who started it (a user name; empty when the scheduler did): a Chairperson runs the
    /// conferences they started...
    #[serde(default)]
    pub owner: String,
    /// ...and those whose chairperson password they entered (from its meeting room; empty
    /// when it has none).
    #[serde(default)]
    pub chairperson_password: String,
    /// The password a dial-in keys in to join (from its meeting room; empty: none).
    #[serde(default)]
    pub conference_password: String,
    /// The holding place of an entry queue (`source_id`): callers its IVR could not place
    /// wait here for an operator. Not a meeting: it ends when the last caller is gone.
    #[serde(default)]
    pub entry_queue: bool,
    /// Recording: off, recording or paused, to which link, the spans done (see
    /// [`crate::recording`]).
    #[serde(default)]
    pub recording: crate::recording::Recording,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Protocol {
    H323,
    Sip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    DialIn,
    DialOut,
}

impl Protocol {
    /// The form's value (`h323`, `sip`); anything else is a field error on `protocol`.
    pub fn parse(raw: &str) -> Result<Protocol, crate::error::DomainError> {
        match raw.trim() {
            "h323" => Ok(Protocol::H323),
            "sip" => Ok(Protocol::Sip),
            _ => Err(crate::error::DomainError::invalid("protocol", "Choose H.323 or SIP.")),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Protocol::H323 => "H.323",
            Protocol::Sip => "SIP",
        }
    }
}

impl Direction {
    pub fn label(self) -> &'static str {
        match self {
            Direction::DialIn => "Dial-in",
            Direction::DialOut => "Dial-out",
        }
    }
}

/// A participant's status, as the original's participant list shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParticipantState {
    Connecting,
    Connected,
    Disconnected,
    /// A defined dial-in participant the MCU waits for.
    WaitingForDialIn,
    /// Called again after a takeover: attempt `attempt` of `of`.
    Redialing { attempt: u32, of: u32 },
    /// In the call, but the IVR could not place it (wrong ID or password): an operator
    /// attends to it.
    AwaitingAssistance,
    /// Connected, but a media stream is down.
    FaultyConnection,
    /// Connected with audio only.
    PartiallyConnected,
}

impl ParticipantState {
    /// The statuses of a call that is up, so it holds one of the MCU's ports, as their
    /// serialized names (the store counts ports with them).
    pub const HOLDING_A_PORT: [&'static str; 4] = ["Connected", "PartiallyConnected", "FaultyConnection", "AwaitingAssistance"];

    /// The call is up (it holds a port).
    pub fn holds_port(self) -> bool {
        use ParticipantState::*;
        matches!(self, Connected | PartiallyConnected | FaultyConnection | AwaitingAssistance)
    }

    /// An operator should look: the header's participant alerts count these.
    pub fn is_alert(self) -> bool {
        matches!(self, ParticipantState::AwaitingAssistance | ParticipantState::FaultyConnection)
    }

    /// The status as the participant list writes it.
    pub fn label(self) -> String {
        use ParticipantState::*;
        match self {
            Connecting => "Connecting".into(),
            Connected => "Connected".into(),
            Disconnected => "Disconnected".into(),
            WaitingForDialIn => "Waiting for Dial-in".into(),
            Redialing { attempt, of } => format!("Redialing ({attempt} of {of})"),
            AwaitingAssistance => "Awaiting Operator Assistance".into(),
            FaultyConnection => "Faulty Connection".into(),
            PartiallyConnected => "Partially Connected".into(),
        }
    }

    /// A class name for the status's colour (the original's: green connected, yellow
    /// partial or connecting, red faulty or awaiting, grey disconnected).
    pub fn css(self) -> &'static str {
        use ParticipantState::*;
        match self {
            Connected => "connected",
            Connecting | Redialing { .. } | WaitingForDialIn => "connecting",
            PartiallyConnected => "partial",
            FaultyConnection | AwaitingAssistance => "faulty",
            Disconnected => "disconnected",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub id: String,
    pub conference_id: String,
    pub name: String,
    /// IPv4/IPv6 address, H.323 alias or SIP URI.
    pub address: String,
    pub protocol: Protocol,
    pub direction: Direction,
    pub state: ParticipantState,
    pub audio_muted: bool,
    pub video_muted: bool,
    pub chairperson: bool,
    /// Why a disconnected participant is not in the call (shown next to its status).
    #[serde(default)]
    pub disconnect_cause: Option<DisconnectCause>,
    /// What the IVR asked and heard on the way in (a dial-in through an entry queue or a
    /// password), in order.
    #[serde(default)]
    pub ivr_path: Vec<String>,
    /// The conference it was first in, once an operator moved it (Back to Home).
    #[serde(default)]
    pub home_conference_id: Option<String>,
    /// When its call came up and went down, who muted it: noted by the store as each change
    /// commits ([`Participant::stamped`]), never taken from the caller.
    #[serde(default)]
    pub stamps: Stamps,
}

/// What the MCU notes of a participant's call, as the original's Participant Properties
/// show it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamps {
    /// When the call last came up (took a port).
    pub connected_ms: Option<Millis>,
    /// When it last went down, if it is down.
    pub disconnected_ms: Option<Millis>,
    /// Who muted its audio (a user's name, or "MCU"), while muted.
    pub audio_muted_by: Option<String>,
    /// Who suspended its video, while suspended.
    pub video_muted_by: Option<String>,
}

/// Who a stamp names when the MCU changed a participant by itself.
pub const BY_MCU: &str = "MCU";

impl Participant {
    /// The participant as the store writes it at `at`, changed by `by` (a user's name, or
    /// [`BY_MCU`]): the stamps carried over from `before` (what is stored now) and moved on
    /// by what changed — a call coming up notes when, one going down notes when, a mute
    /// notes who. Whatever stamps the caller sent are ignored.
    pub fn stamped(mut self, before: Option<&Participant>, at: Millis, by: &str) -> Participant {
        let mut s = before.map(|b| b.stamps.clone()).unwrap_or_default();
        let held = before.is_some_and(|b| b.state.holds_port());
        if self.state.holds_port() && !held {
            s.connected_ms = Some(at);
            s.disconnected_ms = None;
        } else if !self.state.holds_port() && held {
            s.disconnected_ms = Some(at);
        }
        let muted = |now: bool, was: Option<bool>, who: Option<String>| match (now, was) {
            (false, _) => None,
            (true, Some(true)) => who,
            (true, _) => Some(by.to_string()),
        };
        s.audio_muted_by = muted(self.audio_muted, before.map(|b| b.audio_muted), s.audio_muted_by);
        s.video_muted_by = muted(self.video_muted, before.map(|b| b.video_muted), s.video_muted_by);
        self.stamps = s;
        self
    }
}

/// Why a participant was disconnected, as the original's participant properties show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DisconnectCause {
    /// An operator disconnected it.
    ByOperator,
    /// All the MCU's ports were in use when it was called.
    NoFreePort,
    /// It did not answer the redials after a takeover.
    NoAnswer,
}

impl DisconnectCause {
    pub fn label(self) -> &'static str {
        match self {
            DisconnectCause::ByOperator => "by operator",
            DisconnectCause::NoFreePort => "no free port on the MCU",
            DisconnectCause::NoAnswer => "no answer after redialling",
        }
    }
}

// ---------------------------------------------------------------- synced: reservations

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Recurrence {
    None,
    /// Saved by earlier versions: every day / every week, `count` occurrences left.
    Daily { count: u32 },
    Weekly { count: u32 },
    /// A series as the original schedules it (see [`crate::recurrence`]).
    Series(crate::recurrence::Series),
}

/// An entry of the address book (see [`crate::addressbook`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressEntry {
    pub id: String,
    pub name: String,
    pub protocol: Protocol,
    pub address: String,
    /// A numeric alias (E.164), or empty.
    pub alias: String,
    /// The group it is dialled with, or empty.
    pub group: String,
    pub notes: String,
}

/// A conference saved to be started again: its profile, how long it runs, whether it is
/// locked, and whom to dial (see [`crate::template`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub id: String,
    pub name: String,
    /// Empty: the default profile.
    pub profile_id: String,
    /// 0: runs until terminated.
    pub duration_min: u32,
    pub locked: bool,
    pub participants: Vec<DefinedParticipant>,
}

/// A participant defined in a reservation, dialled out when it starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefinedParticipant {
    pub name: String,
    pub address: String,
    pub protocol: Protocol,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    pub id: String,
    pub name: String,
    pub numeric_id: String,
    pub profile_id: String,
    pub start_ms: Millis,
    pub duration_min: u32,
    pub recurrence: Recurrence,
    pub participants: Vec<DefinedParticipant>,
}

// ---------------------------------------------------------------- IP Network Service

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SipTransport {
    Udp,
    Tcp,
    Tls,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum QosType {
    DiffServ,
    Precedence,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gatekeeper {
    pub enabled: bool,
    pub primary: String,
    pub alternate: String,
    pub prefix: String,
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SipServers {
    pub registrar: String,
    pub proxy: String,
    pub transport: SipTransport,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedPorts {
    pub enabled: bool,
    pub tcp_first: u16,
    pub tcp_last: u16,
    pub udp_first: u16,
    pub udp_last: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Qos {
    pub enabled: bool,
    pub kind: QosType,
    pub audio: u8,
    pub video: u8,
}

/// The part of the IP Network Service that Hot Backup mirrors (spec §1): gatekeeper,
/// SIP servers, DNS, Fixed Ports and QoS. One record per MCU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkService {
    pub gatekeeper: Gatekeeper,
    pub sip: SipServers,
    pub dns_servers: Vec<String>,
    pub dns_domain: String,
    pub fixed_ports: FixedPorts,
    pub qos: Qos,
}

impl Default for NetworkService {
    fn default() -> Self {
        NetworkService {
            gatekeeper: Gatekeeper { enabled: false, primary: String::new(), alternate: String::new(), prefix: String::new(), aliases: Vec::new() },
            sip: SipServers { registrar: String::new(), proxy: String::new(), transport: SipTransport::Udp },
            dns_servers: Vec::new(),
            dns_domain: String::new(),
            fixed_ports: FixedPorts { enabled: false, tcp_first: 49152, tcp_last: 49407, udp_first: 49152, udp_last: 50175 },
            qos: Qos { enabled: true, kind: QosType::Precedence, audio: 5, video: 4 },
        }
    }
}

// ---------------------------------------------------------------- not synced: each MCU its own

/// The IP Network Service's own addresses: never copied to the peer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkAddresses {
    pub signalling: String,
    pub media: String,
}

/// IP Network Service → Security: never copied to the peer (G7), passwords never sent to a page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityCredentials {
    pub sip_user: String,
    pub sip_password: String,
    pub h323_user: String,
    pub h323_password: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagementNetwork {
    pub control_unit_address: String,
    pub host_name: String,
    pub dns: String,
}

/// Video/Voice Port Configuration (CS 2000/4000 only): never copied (G10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortConfiguration {
    pub video_ports: u32,
    pub video_resolution: Resolution,
    pub voice_ports: u32,
}

impl Default for PortConfiguration {
    fn default() -> Self {
        PortConfiguration { video_ports: 40, video_resolution: Resolution::Hd720, voice_ports: 0 }
    }
}

impl PortConfiguration {
    /// The MCU's capacity in HD 720p port equivalents (this product's simulated figures:
    /// CS 2000 one media card pair, CS 4000 two).
    pub fn capacity_hd720(model: McuModel) -> Option<u32> {
        match model {
            McuModel::Cs2000 => Some(60),
            McuModel::Cs4000 => Some(120),
            McuModel::Cs1800 | McuModel::VirtualEdition => None,
        }
    }

    /// Cost of one video port at `r`, in twelfths of an HD 720p port; a voice port costs 1.
    pub fn twelfths(r: Resolution) -> u32 {
        match r {
            Resolution::Cif => 4,
            Resolution::Sd => 6,
            Resolution::Hd720 => 12,
            Resolution::Hd1080 => 24,
        }
    }

    /// Whether this split fits the model's capacity.
    pub fn check(&self, model: McuModel) -> Result<(), crate::error::DomainError> {
        let Some(cap) = Self::capacity_hd720(model) else {
            return Err(crate::error::DomainError::invalid(
                "video_ports",
                format!("The {} has a fixed capacity; it has no Video/Voice Port Configuration.", model.label()),
            ));
        };
        let used = self.video_ports.saturating_mul(Self::twelfths(self.video_resolution)).saturating_add(self.voice_ports);
        if used > cap * 12 {
            return Err(crate::error::DomainError::invalid(
                "video_ports",
                format!(
                    "{} video ports at {} and {} voice ports need {:.1} HD 720p ports; this {} has {cap}.",
                    self.video_ports,
                    self.video_resolution.label(),
                    self.voice_ports,
                    f64::from(used) / 12.0,
                    model.label()
                ),
            ));
        }
        Ok(())
    }
}

/// How busy the MCU is now, as the header of every page shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Load {
    /// Participants whose call is up ([`ParticipantState::holds_port`]).
    pub ports_in_use: u32,
    /// Callers awaiting operator assistance and faulty connections.
    pub participant_alerts: u32,
    /// Calls up on audio only (Partially Connected): they take voice ports first.
    pub audio_only: u32,
    /// The Video/Voice Port Configuration in effect.
    pub ports: PortConfiguration,
}

/// Settings saved but waiting for a System Reset to take effect (spec §1): the management
/// network, the IP Network Service's own addresses, the Video/Voice Port Configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingReset {
    pub management: Option<ManagementNetwork>,
    pub addresses: Option<NetworkAddresses>,
    pub ports: Option<PortConfiguration>,
}

impl PendingReset {
    pub fn is_empty(&self) -> bool {
        self.management.is_none() && self.addresses.is_none() && self.ports.is_none()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HotBackupRole {
    Master,
    Slave,
}

/// Setup → Hot Backup, per MCU; never synced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HotBackupSettings {
    pub enabled: bool,
    pub role: HotBackupRole,
    pub peer_address: String,
    pub heartbeat_ms: u32,
    pub detection_ms: u32,
    pub signalling_trigger: bool,
    pub media_trigger: bool,
    pub inactivity_s: u32,
    /// After a takeover, the new Master calls the participants again: every so many seconds,
    /// so many times at most (the original: 10 s, 11 times).
    #[serde(default = "default_redial_interval_s")]
    pub redial_interval_s: u32,
    #[serde(default = "default_redial_attempts")]
    pub redial_attempts: u32,
    /// Isolation check address (`host:port`, optional): a Slave that hears neither the
    /// Master nor this address is cut off itself and does not take over. Any answer counts,
    /// even a refused connection. Empty: the Slave checks its own listening address only.
    #[serde(default)]
    pub isolation_address: String,
}

fn default_redial_interval_s() -> u32 {
    10
}

fn default_redial_attempts() -> u32 {
    11
}

impl Default for HotBackupSettings {
    fn default() -> Self {
        HotBackupSettings {
            enabled: false,
            role: HotBackupRole::Master,
            peer_address: String::new(),
            heartbeat_ms: 200,
            detection_ms: 1000,
            signalling_trigger: false,
            media_trigger: false,
            inactivity_s: 30,
            redial_interval_s: default_redial_interval_s(),
            redial_attempts: default_redial_attempts(),
            isolation_address: String::new(),
        }
    }
}

/// What the System page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemStatus {
    pub info: SystemInfo,
    pub uptime_s: u64,
    pub data_dir: String,
    pub users: usize,
    pub change_log_seq: u64,
    /// The caller may back up and reset (Administrator).
    #[serde(default)]
    pub can_manage: bool,
    /// The port alarm's threshold, in percent of the MCU's ports.
    #[serde(default)]
    pub port_threshold: u8,
    /// What a reset would stop.
    #[serde(default)]
    pub ongoing: crate::danger::Ongoing,
    /// The caller may download a backup (Administrator, Administrator Read-only).
    #[serde(default)]
    pub can_download: bool,
    /// Hot Backup is on: no backup is restored (G9).
    #[serde(default)]
    pub hot_backup_on: bool,
    /// The uploaded backup waiting for the System Reset ("MCU-A (CS 2000, version 0.1.0),
    /// taken …").
    #[serde(default)]
    pub pending_restore: Option<String>,
    #[serde(default)]
    pub password_policy: crate::users::PasswordPolicy,
}

// ---------------------------------------------------------------- call history (`crate::cdr`)

/// How a conference ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ended {
    /// An operator (or chairperson) terminated it.
    Terminated { by: String },
    /// Its end time came (with nobody left connected).
    EndTime,
    /// Its profile's Auto Terminate ended it.
    AutoTerminate,
}

/// Something that happened to a running conference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallEvent {
    pub at_ms: Millis,
    pub text: String,
}

/// A participant of an ended conference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantRecord {
    pub name: String,
    pub address: String,
    pub protocol: Protocol,
    pub direction: Direction,
    /// When it first connected (none: it never did).
    pub connected_ms: Option<Millis>,
    /// When it last left the call (the conference's end if it was still in).
    pub disconnected_ms: Option<Millis>,
    pub cause: Option<DisconnectCause>,
}

/// An ended conference (its id is the conference's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    pub id: String,
    pub name: String,
    pub numeric_id: String,
    pub profile: String,
    pub start_ms: Millis,
    pub end_ms: Millis,
    pub ended: Ended,
    pub events: Vec<CallEvent>,
    pub participants: Vec<ParticipantRecord>,
    /// What was recorded: the link's name and each span.
    #[serde(default)]
    pub recorded_to: Option<String>,
    #[serde(default)]
    pub recordings: Vec<crate::recording::Span>,
}
