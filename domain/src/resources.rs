//! Rules of the conference resources: Conference Profiles, Meeting Rooms, Entry Queues,
//! IVR services and Recording links (names, ranges, the shared numeric IDs, what may be
//! deleted). Plain functions; the server functions call them before committing.

use crate::conference::{display_name, numeric_id};
use crate::model::*;
use crate::DomainError;

/// Builds a profile from form values (id kept when editing).
#[allow(clippy::too_many_arguments)]
pub fn profile(
    id: String,
    name: &str,
    line_rate: &str,
    resolution: &str,
    layout: &str,
    encryption: bool,
    auto_terminate: bool,
    // The recording link chosen (empty: none) among those there are.
    recording_link_id: &str,
    links: &[RecordingLink],
) -> Result<Profile, DomainError> {
    let mut e = crate::FieldErrors::default();
    let name = e.check(display_name("name", name));
    let line_rate_kbps = e.check(
        line_rate
            .trim()
            .parse()
            .ok()
            .filter(|r| LINE_RATES_KBPS.contains(r))
            .ok_or_else(|| DomainError::invalid("line_rate_kbps", "Choose one of the line rates (64–8192 kbps).")),
    );
    let resolution = e.check(Resolution::parse("resolution", resolution));
    let layout = e.check(match layout.trim() {
        l @ ("auto" | "1x1" | "1+5" | "2x2" | "3x3") => Ok(l.to_string()),
        _ => Err(DomainError::invalid("layout", "Choose a layout: auto, 1x1, 1+5, 2x2 or 3x3.")),
    });
    let recording_link_id = recording_link_id.trim().to_string();
    if !recording_link_id.is_empty() && !links.iter().any(|l| l.id == recording_link_id) {
        e.add(DomainError::invalid("recording_link_id", "Choose a recording link from the list (Recording Links), or none."));
    }
    let (Some(name), Some(line_rate_kbps), Some(resolution), Some(layout), true) = (name, line_rate_kbps, resolution, layout, e.is_empty()) else {
        return Err(e.into_error());
    };
    Ok(Profile { id, name, line_rate_kbps, resolution, encryption, layout, auto_terminate, recording_link_id })
}

/// A conference or chairperson password: empty, or 1–16 digits (dialled on a keypad).
pub fn numeric_password(field: &'static str, raw: &str) -> Result<String, DomainError> {
    let v = raw.trim();
    if v.is_empty() || (v.len() <= 16 && v.chars().all(|c| c.is_ascii_digit())) {
        Ok(v.to_string())
    } else {
        Err(DomainError::invalid(field, "A password is up to 16 digits (callers key it in), or empty."))
    }
}

/// Builds a meeting room from form values; `profiles` are the existing ones.
pub fn meeting_room(
    id: String,
    name: &str,
    numeric: &str,
    profile_id: &str,
    conference_password: &str,
    chairperson_password: &str,
    profiles: &[Profile],
) -> Result<MeetingRoom, DomainError> {
    let mut e = crate::FieldErrors::default();
    let name = e.check(display_name("name", name));
    let numeric_id = e.check(numeric_id(numeric));
    if !profiles.iter().any(|p| p.id == profile_id) {
        e.add(DomainError::invalid("profile_id", "Choose a conference profile (create one first)."));
    }
    let conference_password = e.check(numeric_password("conference_password", conference_password));
    let chairperson_password = e.check(numeric_password("chairperson_password", chairperson_password));
    if let (Some(c), Some(ch)) = (&conference_password, &chairperson_password) {
        if !ch.is_empty() && ch == c {
            e.add(DomainError::invalid("chairperson_password", "The chairperson password must differ from the conference password."));
        }
    }
    let (Some(name), Some(numeric_id), Some(conference_password), Some(chairperson_password), true) =
        (name, numeric_id, conference_password, chairperson_password, e.is_empty())
    else {
        return Err(e.into_error());
    };
    Ok(MeetingRoom { id, name, numeric_id, profile_id: profile_id.to_string(), conference_password, chairperson_password })
}

/// Who holds a numeric ID: meeting rooms, entry queues, reservations and ongoing
/// conferences share one pool (callers dial these numbers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdUse {
    /// The record that holds it; a conference started from a room or reservation counts
    /// as that record, so a room's own conference never blocks editing the room.
    pub owner: String,
    pub numeric_id: String,
    /// "the meeting room 'Board'".
    pub what: String,
    /// The conference's own id when the use is an ongoing conference.
    pub conference: Option<String>,
}

/// Every numeric ID in use.
pub fn id_uses(rooms: &[MeetingRoom], queues: &[EntryQueue], reservations: &[Reservation], conferences: &[Conference]) -> Vec<IdUse> {
    let use_of = |owner: &str, numeric: &str, what: String| IdUse { owner: owner.to_string(), numeric_id: numeric.to_string(), what, conference: None };
    rooms
        .iter()
        .map(|r| use_of(&r.id, &r.numeric_id, format!("the meeting room '{}'", r.name)))
        .chain(queues.iter().map(|q| use_of(&q.id, &q.numeric_id, format!("the entry queue '{}'", q.name))))
        .chain(reservations.iter().map(|r| use_of(&r.id, &r.numeric_id, format!("the reservation '{}'", r.name))))
        .chain(conferences.iter().map(|c| IdUse {
            conference: Some(c.id.clone()),
            ..use_of(c.source_id.as_deref().unwrap_or(&c.id), &c.numeric_id, format!("the ongoing conference '{}'", c.name))
        }))
        .collect()
}

/// Refuses `id` when something other than `own` holds it.
pub fn check_numeric_id_free(id: &str, own: &str, uses: &[IdUse]) -> Result<(), DomainError> {
    check_numeric_id_free_for(id, own, None, None, uses)
}

/// [`check_numeric_id_free`] for a record started from `source` (a conference from its
/// meeting room or reservation), which shares that record's number.
/// A conference (`conference`: its id) never shares its number with another ongoing
/// conference, even one started from the same room: a room runs once at a time.
pub fn check_numeric_id_free_for(id: &str, own: &str, source: Option<&str>, conference: Option<&str>, uses: &[IdUse]) -> Result<(), DomainError> {
    let taken = |u: &&IdUse| {
        u.numeric_id == id
            && (u.owner != own && Some(u.owner.as_str()) != source
                || conference.is_some() && u.conference.is_some() && u.conference.as_deref() != conference)
    };
    match uses.iter().find(taken) {
        Some(u) => Err(DomainError::invalid("numeric_id", format!("ID {id} is used by {}.", u.what))),
        None => Ok(()),
    }
}

/// The lowest free ID from 1000 up (what the MCU gives when the user leaves it empty).
pub fn free_numeric_id(uses: &[IdUse]) -> String {
    (1000u32..100_000_000)
        .map(|n| n.to_string())
        .find(|n| !uses.iter().any(|u| &u.numeric_id == n))
        .unwrap_or_else(|| "99999999".into())
}

/// A profile in use cannot be deleted: says by what.
pub fn check_profile_unused(
    profile: &Profile,
    rooms: &[MeetingRoom],
    queues: &[EntryQueue],
    conferences: &[Conference],
    reservations: &[Reservation],
) -> Result<(), DomainError> {
    let users: Vec<String> = rooms
        .iter()
        .filter(|r| r.profile_id == profile.id)
        .map(|r| format!("meeting room '{}'", r.name))
        .chain(queues.iter().filter(|q| q.profile_id == profile.id).map(|q| format!("entry queue '{}'", q.name)))
        .chain(conferences.iter().filter(|c| c.profile_id == profile.id).map(|c| format!("conference '{}'", c.name)))
        .chain(reservations.iter().filter(|r| r.profile_id == profile.id).map(|r| format!("reservation '{}'", r.name)))
        .collect();
    if users.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Conflict(format!("The profile '{}' is in use by {}; change or delete those first.", profile.name, users.join(", "))))
    }
}

/// Builds an entry queue from form values; `ivr_id` empty means none; `transit`: the MCU's
/// Transit EQ (see [`transit_moves`]).
#[allow(clippy::too_many_arguments)]
pub fn entry_queue(
    id: String,
    name: &str,
    numeric: &str,
    profile_id: &str,
    ivr_id: &str,
    conference_password: &str,
    chairperson_password: &str,
    transit: bool,
    profiles: &[Profile],
    ivrs: &[IvrService],
) -> Result<EntryQueue, DomainError> {
    let mut e = crate::FieldErrors::default();
    let room = e.check(meeting_room(id, name, numeric, profile_id, conference_password, chairperson_password, profiles));
    let ivr_service_id = match ivr_id.trim() {
        "" => None,
        v if ivrs.iter().any(|i| i.id == v) => Some(v.to_string()),
        _ => {
            e.add(DomainError::invalid("ivr_service_id", "Choose an IVR service from the list, or none."));
            None
        }
    };
    let (Some(room), true) = (room, e.is_empty()) else { return Err(e.into_error()) };
    Ok(EntryQueue {
        id: room.id,
        name: room.name,
        numeric_id: room.numeric_id,
        profile_id: room.profile_id,
        ivr_service_id,
        conference_password: room.conference_password,
        chairperson_password: room.chairperson_password,
        transit,
    })
}

/// The MCU has one Transit EQ: making `saved` the Transit EQ takes it from the one that was
/// (the queues to save with it, in the same unit).
pub fn transit_moves(saved: &EntryQueue, queues: &[EntryQueue]) -> Vec<EntryQueue> {
    if !saved.transit {
        return Vec::new();
    }
    queues.iter().filter(|q| q.transit && q.id != saved.id).map(|q| EntryQueue { transit: false, ..q.clone() }).collect()
}

/// Builds an IVR service: a name, the welcome message callers hear (up to 500
/// characters), what it asks, and the attempts a caller has per question (1–5; empty: 3).
pub fn ivr_service(id: String, name: &str, welcome: &str, ask_conference: bool, ask_chairperson: bool, attempts: &str) -> Result<IvrService, DomainError> {
    let name = display_name("name", name)?;
    let attempts = match attempts.trim() {
        "" => DEFAULT_IVR_ATTEMPTS,
        a => a
            .parse()
            .ok()
            .filter(|n| (1..=5).contains(n))
            .ok_or_else(|| DomainError::invalid("attempts", "A caller gets 1 to 5 attempts per question."))?,
    };
    let welcome_message = welcome.trim().to_string();
    if welcome_message.chars().count() > 500 || welcome_message.chars().any(|c| c.is_control() && c != '\n') {
        return Err(DomainError::invalid("welcome_message", "The welcome message is up to 500 characters of text."));
    }
    Ok(IvrService { id, name, welcome_message, ask_conference_password: ask_conference, ask_chairperson_password: ask_chairperson, attempts })
}

/// Builds a recording link: a name and the recorder's address (IP, H.323 alias or SIP URI).
pub fn recording_link(id: String, name: &str, address: &str) -> Result<RecordingLink, DomainError> {
    let name = display_name("name", name)?;
    let v = address.trim();
    let protocol = if v.contains('@') { Protocol::Sip } else { Protocol::H323 };
    let address = crate::conference::participant_address(protocol, v)
        .map_err(|_| DomainError::invalid("address", format!("'{v}' is not an IP address, H.323 alias or SIP URI (sip:user@host).")))?;
    Ok(RecordingLink { id, name, address })
}

/// An IVR service used by an entry queue cannot be deleted.
pub fn check_ivr_unused(ivr: &IvrService, queues: &[EntryQueue]) -> Result<(), DomainError> {
    let users: Vec<String> =
        queues.iter().filter(|q| q.ivr_service_id.as_deref() == Some(ivr.id.as_str())).map(|q| format!("'{}'", q.name)).collect();
    if users.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Conflict(format!("The IVR service '{}' is in use by the entry queue {}; change those first.", ivr.name, users.join(", "))))
    }
}

/// A recording link a profile names cannot be deleted (a recording under way keeps the
/// link's name and address, so it is not affected).
pub fn check_recording_link_unused(link: &RecordingLink, profiles: &[Profile]) -> Result<(), DomainError> {
    let users: Vec<String> = profiles.iter().filter(|p| p.recording_link_id == link.id).map(|p| format!("'{}'", p.name)).collect();
    if users.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Conflict(format!("The recording link '{}' is named by the profile {}; change those first.", link.name, users.join(", "))))
    }
}

/// What holds keypad PINs (meeting rooms, entry queues).
pub trait HasPins {
    fn clear_pins(&mut self);
}

impl HasPins for MeetingRoom {
    fn clear_pins(&mut self) {
        self.conference_password.clear();
        self.chairperson_password.clear();
    }
}

impl HasPins for EntryQueue {
    fn clear_pins(&mut self) {
        self.conference_password.clear();
        self.chairperson_password.clear();
    }
}

/// PINs go only to roles that may change them; for every other role they are blanked.
pub fn pins_for<T: HasPins>(role: crate::Role, items: &mut [T]) {
    if !role.can(crate::Permission::ManageResources) {
        items.iter_mut().for_each(HasPins::clear_pins);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> Profile {
        profile("p1".into(), "HD", "1920", "hd720", "auto", false, true, "", &[]).expect("profile")
    }

    #[test]
    fn profiles_take_only_known_values() {
        assert_eq!(p().line_rate_kbps, 1920);
        let field = |r: Result<Profile, DomainError>| match r {
            Err(DomainError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(profile("x".into(), "A", "1000", "hd720", "auto", false, false, "", &[])), "line_rate_kbps");
        assert_eq!(field(profile("x".into(), "A", "1920", "4k", "auto", false, false, "", &[])), "resolution");
        assert_eq!(field(profile("x".into(), "A", "1920", "sd", "9x9", false, false, "", &[])), "layout");
        assert_eq!(field(profile("x".into(), "", "1920", "sd", "auto", false, false, "", &[])), "name");
        assert_eq!(field(profile("x".into(), "A", "1920", "sd", "auto", false, false, "gone", &[])), "recording_link_id");
        let rec = RecordingLink { id: "r1".into(), name: "Recorder".into(), address: "10.0.0.9".into() };
        let with = profile("x".into(), "A", "1920", "sd", "auto", false, false, "r1", std::slice::from_ref(&rec)).expect("a link there is");
        assert_eq!(with.recording_link_id, "r1");
        let e = check_recording_link_unused(&rec, std::slice::from_ref(&with)).expect_err("named by a profile");
        assert!(e.to_string().contains("named by the profile 'A'"), "{e}");
        assert!(check_recording_link_unused(&rec, &[]).is_ok());
    }

    #[test]
    fn pins_go_only_to_roles_that_may_change_them() {
        let profiles = [p()];
        let room = meeting_room("m".into(), "Board", "1001", "p1", "1234", "9876", &profiles).expect("room");
        let mut seen = vec![room.clone()];
        pins_for(crate::Role::Operator, &mut seen);
        assert_eq!(seen[0], room, "an Operator may change meeting rooms");
        pins_for(crate::Role::AdministratorReadOnly, &mut seen);
        assert!(seen[0].conference_password.is_empty() && seen[0].chairperson_password.is_empty());
        assert_eq!(seen[0].name, "Board");
    }

    #[test]
    fn meeting_rooms_need_a_profile_and_keypad_passwords() {
        let profiles = [p()];
        assert!(meeting_room("m".into(), "Board", "1001", "p1", "1234", "9876", &profiles).is_ok());
        assert!(meeting_room("m".into(), "Board", "1001", "nope", "", "", &profiles).is_err());
        assert!(meeting_room("m".into(), "Board", "1001", "p1", "abc", "", &profiles).is_err());
        assert!(meeting_room("m".into(), "Board", "1001", "p1", "12", "12", &profiles).is_err());
        assert!(meeting_room("m".into(), "Board", "10a", "p1", "", "", &profiles).is_err());
    }

    #[test]
    fn ids_are_shared_and_profiles_in_use_are_kept() {
        let profiles = [p()];
        let room = meeting_room("m1".into(), "Board", "1001", "p1", "", "", &profiles).expect("room");
        let conf = Conference { id: "c1".into(), name: "Ops".into(), numeric_id: "2002".into(), profile_id: "p1".into(), start_ms: 0, end_ms: None, source_id: None, locked: false, auto_extended: 0, owner: String::new(), chairperson_password: String::new(), conference_password: String::new(), entry_queue: false, recording: Default::default() };
        let uses = id_uses(std::slice::from_ref(&room), &[], &[], std::slice::from_ref(&conf));
        assert!(check_numeric_id_free("1001", "m1", &uses).is_ok(), "its own ID");
        assert!(check_numeric_id_free("1001", "m2", &uses).is_err());
        assert!(check_numeric_id_free("2002", "m2", &uses).is_err());
        let running = Conference { id: "c2".into(), numeric_id: "1001".into(), source_id: Some("m1".into()), ..conf.clone() };
        let uses = id_uses(std::slice::from_ref(&room), &[], &[], &[running]);
        assert!(check_numeric_id_free("1001", "m1", &uses).is_ok(), "the room's own conference does not block it");
        assert_eq!(free_numeric_id(&uses), "1000");
        let e = check_profile_unused(&p(), &[room], &[], &[conf], &[]).expect_err("in use");
        assert!(e.to_string().contains("meeting room 'Board'") && e.to_string().contains("conference 'Ops'"));
        assert!(check_profile_unused(&p(), &[], &[], &[], &[]).is_ok());
    }

    #[test]
    fn entry_queues_ivr_and_recording_links() {
        let profiles = [p()];
        let ivr = ivr_service("i1".into(), "Welcome", "Welcome to the MCU.", true, false, "").expect("ivr");
        assert_eq!(ivr.attempts, DEFAULT_IVR_ATTEMPTS);
        assert_eq!(ivr_service("i1".into(), "W", "", true, false, "5").expect("five").attempts, 5);
        for bad in ["0", "6", "x"] {
            assert!(ivr_service("i1".into(), "W", "", true, false, bad).is_err(), "{bad}");
        }
        let q = entry_queue("q1".into(), "DefaultEQ", "1000", "p1", "i1", "", "", false, &profiles, std::slice::from_ref(&ivr)).expect("eq");
        let t = entry_queue("q2".into(), "Transit", "2000", "p1", "", "", "", true, &profiles, &[]).expect("transit");
        assert!(transit_moves(&q, std::slice::from_ref(&t)).is_empty(), "not a transit EQ: nothing moves");
        let t2 = EntryQueue { id: "q3".into(), ..t.clone() };
        let moved = transit_moves(&t2, &[q.clone(), t.clone(), t2.clone()]);
        assert_eq!(moved, vec![EntryQueue { transit: false, ..t.clone() }], "the old Transit EQ gives it up");
        assert_eq!(q.ivr_service_id.as_deref(), Some("i1"));
        let field = |r: Result<EntryQueue, DomainError>| match r {
            Err(DomainError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(entry_queue("q".into(), "EQ", "1000", "p1", "nope", "", "", false, &profiles, &[])), "ivr_service_id");
        assert_eq!(field(entry_queue("q".into(), "EQ", "x", "p1", "", "", "", false, &profiles, &[])), "numeric_id");
        assert!(check_ivr_unused(&ivr, std::slice::from_ref(&q)).expect_err("in use").to_string().contains("'DefaultEQ'"));
        assert!(check_ivr_unused(&ivr, &[]).is_ok());
        assert!(check_profile_unused(&p(), &[], &[q], &[], &[]).expect_err("eq uses it").to_string().contains("entry queue"));
        assert!(ivr_service("i".into(), "W", &"x".repeat(501), false, false, "").is_err());
        assert_eq!(recording_link("r".into(), "Rec", "10.0.0.9").expect("ip").address, "10.0.0.9");
        assert_eq!(recording_link("r".into(), "Rec", "rec@example.com").expect("sip").address, "sip:rec@example.com");
        assert!(recording_link("r".into(), "Rec", "not an address").is_err());
    }
}
