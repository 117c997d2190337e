//! The typed change to the state Hot Backup mirrors. Every write to synced state is a
//! [`Change`]; the store applies it and appends it to the ordered change log in the same
//! transaction, so replication, live page updates and the audit trail all read one log.

use crate::model::*;

/// Who made a change: the user, their role then, their client address, and the MCU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user: String,
    pub role: crate::roles::Role,
    pub client: String,
    /// The MCU the user was logged in to.
    pub mcu: String,
}
use serde::{Deserialize, Serialize};

/// One synced record, whole. Only what fits here is mirrored to the Slave: users, own
/// addresses, security credentials, port configuration and Hot Backup settings cannot be
/// expressed as a `Record`, so they can never be replicated by mistake (G2, G7, G10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Record {
    Profile(Profile),
    MeetingRoom(MeetingRoom),
    EntryQueue(EntryQueue),
    IvrService(IvrService),
    RecordingLink(RecordingLink),
    Conference(Conference),
    Participant(Participant),
    Reservation(Reservation),
    NetworkService(NetworkService),
    /// An ended conference's record (call history).
    CallRecord(CallRecord),
    /// A conference saved to be started again (profile, participants, settings).
    Template(Template),
    /// An entry of the address book.
    AddressEntry(AddressEntry),
}

/// The kinds of synced record; each has its own table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Profile,
    MeetingRoom,
    EntryQueue,
    IvrService,
    RecordingLink,
    Conference,
    Participant,
    Reservation,
    NetworkService,
    CallRecord,
    Template,
    AddressEntry,
}

/// Id of the one [`NetworkService`] record.
pub const NETWORK_SERVICE_ID: &str = "ip-network-service";

impl EntityKind {
    pub const ALL: [EntityKind; 12] = [
        EntityKind::Profile,
        EntityKind::MeetingRoom,
        EntityKind::EntryQueue,
        EntityKind::IvrService,
        EntityKind::RecordingLink,
        EntityKind::Conference,
        EntityKind::Participant,
        EntityKind::Reservation,
        EntityKind::NetworkService,
        EntityKind::CallRecord,
        EntityKind::Template,
        EntityKind::AddressEntry,
    ];

    /// The table that holds this kind (a fixed name, never user input).
    pub fn table(self) -> &'static str {
        match self {
            EntityKind::Profile => "profiles",
            EntityKind::MeetingRoom => "meeting_rooms",
            EntityKind::EntryQueue => "entry_queues",
            EntityKind::IvrService => "ivr_services",
            EntityKind::RecordingLink => "recording_links",
            EntityKind::Conference => "conferences",
            EntityKind::Participant => "participants",
            EntityKind::Reservation => "reservations",
            EntityKind::NetworkService => "network_service",
            EntityKind::CallRecord => "call_records",
            EntityKind::Template => "templates",
            EntityKind::AddressEntry => "address_book",
        }
    }

    /// What a person calls one of these.
    pub fn label(self) -> &'static str {
        match self {
            EntityKind::Profile => "Conference Profile",
            EntityKind::MeetingRoom => "Meeting Room",
            EntityKind::EntryQueue => "Entry Queue",
            EntityKind::IvrService => "IVR Service",
            EntityKind::RecordingLink => "Recording Link",
            EntityKind::Conference => "Conference",
            EntityKind::Participant => "Participant",
            EntityKind::Reservation => "Reservation",
            EntityKind::NetworkService => "IP Network Service",
            EntityKind::CallRecord => "Call Record",
            EntityKind::Template => "Conference Template",
            EntityKind::AddressEntry => "Address Book entry",
        }
    }

    /// Whether names must be unique among records of this kind.
    pub fn unique_names(self) -> bool {
        !matches!(self, EntityKind::Participant | EntityKind::NetworkService | EntityKind::CallRecord)
    }
}

impl Record {
    pub fn kind(&self) -> EntityKind {
        match self {
            Record::Profile(_) => EntityKind::Profile,
            Record::MeetingRoom(_) => EntityKind::MeetingRoom,
            Record::EntryQueue(_) => EntityKind::EntryQueue,
            Record::IvrService(_) => EntityKind::IvrService,
            Record::RecordingLink(_) => EntityKind::RecordingLink,
            Record::Conference(_) => EntityKind::Conference,
            Record::Participant(_) => EntityKind::Participant,
            Record::Reservation(_) => EntityKind::Reservation,
            Record::NetworkService(_) => EntityKind::NetworkService,
            Record::CallRecord(_) => EntityKind::CallRecord,
            Record::Template(_) => EntityKind::Template,
            Record::AddressEntry(_) => EntityKind::AddressEntry,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Record::Profile(r) => &r.id,
            Record::MeetingRoom(r) => &r.id,
            Record::EntryQueue(r) => &r.id,
            Record::IvrService(r) => &r.id,
            Record::RecordingLink(r) => &r.id,
            Record::Conference(r) => &r.id,
            Record::Participant(r) => &r.id,
            Record::Reservation(r) => &r.id,
            Record::NetworkService(_) => NETWORK_SERVICE_ID,
            Record::CallRecord(r) => &r.id,
            Record::Template(r) => &r.id,
            Record::AddressEntry(r) => &r.id,
        }
    }

    /// The display name, where the kind has one.
    pub fn name(&self) -> Option<&str> {
        match self {
            Record::Profile(r) => Some(&r.name),
            Record::MeetingRoom(r) => Some(&r.name),
            Record::EntryQueue(r) => Some(&r.name),
            Record::IvrService(r) => Some(&r.name),
            Record::RecordingLink(r) => Some(&r.name),
            Record::Conference(r) => Some(&r.name),
            Record::Participant(r) => Some(&r.name),
            Record::Reservation(r) => Some(&r.name),
            Record::NetworkService(_) => None,
            Record::CallRecord(r) => Some(&r.name),
            Record::Template(r) => Some(&r.name),
            Record::AddressEntry(r) => Some(&r.name),
        }
    }

    /// The dial-in number, for the kinds that share the pool of numeric IDs.
    pub fn numeric_id(&self) -> Option<&str> {
        match self {
            Record::MeetingRoom(r) => Some(&r.numeric_id),
            Record::EntryQueue(r) => Some(&r.numeric_id),
            Record::Reservation(r) => Some(&r.numeric_id),
            Record::Conference(r) => Some(&r.numeric_id),
            _ => None,
        }
    }

    /// For a conference, the meeting room or reservation it was started from.
    pub fn source_id(&self) -> Option<&str> {
        match self {
            Record::Conference(c) => c.source_id.as_deref(),
            _ => None,
        }
    }

    /// For participants, the conference they belong to.
    pub fn parent_id(&self) -> Option<&str> {
        match self {
            Record::Participant(p) => Some(&p.conference_id),
            _ => None,
        }
    }
}

/// A change to synced state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant, reason = "nearly every change is a Put: boxing its record would add an allocation to each one to shrink the rare Delete")]
pub enum Change {
    /// Create or replace a record (whole).
    Put { record: Record },
    /// Remove a record. Removing a conference removes its participants.
    Delete { kind: EntityKind, id: String },
}

impl Change {
    pub fn kind(&self) -> EntityKind {
        match self {
            Change::Put { record } => record.kind(),
            Change::Delete { kind, .. } => *kind,
        }
    }
}

/// One entry of the ordered change log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub epoch: u64,
    pub seq: u64,
    pub at_ms: Millis,
    pub change: Change,
    /// Who made it, when a user did (the MCU's own changes have none). Travels to the
    /// Slave with the change, for its audit trail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
}
