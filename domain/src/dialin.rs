//! Where a dial-in goes (the original's routing, calls simulated): one pure function,
//! [`route`], from the number dialled, what the caller keys in and what the MCU holds now,
//! to a [`Decision`]; [`Decision::changes`] turns it into the records to commit as one unit.
//!
//! - An ongoing conference's number: the caller joins it (a locked one refuses).
//! - A passive meeting room's number: the room starts as a conference and the caller joins.
//! - An entry queue's number: its IVR service asks for the conference ID (an ongoing
//!   conference or a meeting room), then for the password when the target has one; the
//!   caller is moved there.
//! - Any other number: the Transit EQ when there is one, else the call is refused.
//!
//! Each question allows the IVR's attempts (a missing answer counts as a wrong one); a
//! caller who runs out of them is not dropped but left **Awaiting Operator Assistance**:
//! in the target conference when the ID was right, else in the entry queue's holding
//! place ([`crate::conference::entry_queue_lobby`]).

use crate::change::{Change, Record};
use crate::model::*;
use crate::DomainError;

/// At most this many answers are taken from a simulated caller.
pub const MAX_ENTRIES: usize = 16;

/// What the caller keys in, in order: answers separated by `#` (the key that ends an
/// answer on a keypad) or `,`; an empty answer is a bare `#`. Digits and `*` only, up to
/// 16 per answer. A trailing `#` ends the last answer (it adds no empty one).
pub fn parse_entries(raw: &str) -> Result<Vec<String>, DomainError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    let body = raw.strip_suffix('#').unwrap_or(raw);
    let entries: Vec<String> = body.split(['#', ',']).map(|e| e.trim().to_string()).collect();
    if entries.len() > MAX_ENTRIES {
        return Err(DomainError::invalid("digits", format!("A caller keys in at most {MAX_ENTRIES} answers.")));
    }
    if let Some(bad) = entries.iter().find(|e| e.len() > 16 || !e.chars().all(|c| c.is_ascii_digit() || c == '*')) {
        return Err(DomainError::invalid(
            "digits",
            format!("'{bad}' is not something a keypad sends: up to 16 digits per answer, answers separated by # or a comma."),
        ));
    }
    Ok(entries)
}

/// What the MCU holds that a dial-in can reach.
#[derive(Debug, Clone, Copy)]
pub struct Reachable<'a> {
    pub conferences: &'a [Conference],
    pub rooms: &'a [MeetingRoom],
    pub queues: &'a [EntryQueue],
    pub ivrs: &'a [IvrService],
}

/// Where the caller ends up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// An ongoing conference (or an entry queue's holding place already open), by id.
    Conference(String),
    /// This passive meeting room, started now.
    StartRoom(MeetingRoom),
    /// This entry queue's holding place, opened now.
    OpenLobby(EntryQueue),
}

/// How the caller is in the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Participant,
    Chairperson,
    /// The IVR gave up: an operator attends to it.
    AwaitingAssistance,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub place: Place,
    pub admission: Admission,
    /// What the IVR asked and heard, for the participant's properties.
    pub path: Vec<String>,
}

/// Who is calling (already checked: [`crate::conference::display_name`],
/// [`crate::conference::participant_address`]).
#[derive(Debug, Clone)]
pub struct Caller {
    pub name: String,
    pub address: String,
    pub protocol: Protocol,
}

impl Decision {
    /// What the one who placed the call is told.
    pub fn told(&self, caller: &str, conferences: &[Conference]) -> String {
        let (place, started) = match &self.place {
            Place::Conference(id) => (conferences.iter().find(|c| &c.id == id).map(|c| c.name.clone()).unwrap_or_default(), ""),
            Place::StartRoom(r) => (r.name.clone(), " (the meeting room started)"),
            Place::OpenLobby(q) => (q.name.clone(), ""),
        };
        match self.admission {
            Admission::Participant => format!("'{caller}' joined '{place}'{started}."),
            Admission::Chairperson => format!("'{caller}' joined '{place}' as chairperson{started}."),
            Admission::AwaitingAssistance => format!("'{caller}' is awaiting operator assistance in '{place}'{started}."),
        }
    }

    /// The records to commit as one unit: the room's conference or the queue's holding
    /// place when one is opened, then the participant (`ids` makes the new ids). An
    /// admitted caller is `connected` as the ports allow ([`crate::ports::connect`]).
    pub fn changes(&self, caller: Caller, connected: ParticipantState, now: Millis, mut ids: impl FnMut() -> String) -> (Vec<Change>, String) {
        let mut changes = Vec::with_capacity(2);
        let conference_id = match &self.place {
            Place::Conference(id) => id.clone(),
            Place::StartRoom(room) => {
                let c = crate::conference::from_room(ids(), room, "", now);
                let id = c.id.clone();
                changes.push(Change::Put { record: Record::Conference(c) });
                id
            }
            Place::OpenLobby(queue) => {
                let c = crate::conference::entry_queue_lobby(ids(), queue, now);
                let id = c.id.clone();
                changes.push(Change::Put { record: Record::Conference(c) });
                id
            }
        };
        let state = match self.admission {
            Admission::AwaitingAssistance => ParticipantState::AwaitingAssistance,
            Admission::Participant | Admission::Chairperson => connected,
        };
        let p = Participant {
            id: ids(),
            conference_id: conference_id.clone(),
            name: caller.name,
            address: caller.address,
            protocol: caller.protocol,
            direction: Direction::DialIn,
            state,
            audio_muted: false,
            video_muted: false,
            chairperson: self.admission == Admission::Chairperson,
            disconnect_cause: None,
            ivr_path: self.path.clone(),
            home_conference_id: None,
            stamps: Default::default(),
        };
        changes.push(Change::Put { record: Record::Participant(p) });
        (changes, conference_id)
    }
}

/// The answers a caller keys in, taken one question at a time.
struct Keypad<'a> {
    entries: std::slice::Iter<'a, String>,
}

impl Keypad<'_> {
    /// The next answer; none left is a silent caller (the IVR times out).
    fn next(&mut self) -> Option<&str> {
        self.entries.next().map(String::as_str)
    }
}

/// What the IVR asks: how many attempts, and whether it asks the passwords.
#[derive(Debug, Clone, Copy)]
struct Ivr<'a> {
    name: Option<&'a str>,
    attempts: u32,
    ask_conference_password: bool,
    ask_chairperson_password: bool,
}

impl<'a> Ivr<'a> {
    /// A conference's own IVR (a dial-in straight to its number): the original's default.
    const CONFERENCE: Ivr<'static> =
        Ivr { name: None, attempts: DEFAULT_IVR_ATTEMPTS, ask_conference_password: true, ask_chairperson_password: true };

    fn of(queue: &EntryQueue, ivrs: &'a [IvrService]) -> Ivr<'a> {
        match queue.ivr_service_id.as_deref().and_then(|id| ivrs.iter().find(|i| i.id == id)) {
            Some(i) => Ivr {
                name: Some(i.name.as_str()),
                attempts: i.attempts.clamp(1, 5),
                ask_conference_password: i.ask_conference_password,
                ask_chairperson_password: i.ask_chairperson_password,
            },
            None => Ivr::CONFERENCE,
        }
    }
}

/// A conference or room a caller can be put in: its place and passwords.
struct Target {
    place: Place,
    name: String,
    conference_password: String,
    chairperson_password: String,
}

/// The ongoing conference or the meeting room holding `number` (entry queues' holding
/// places are not conferences one dials). `Err`: it is locked.
fn target(number: &str, mcu: Reachable<'_>) -> Option<Result<Target, String>> {
    if let Some(c) = mcu.conferences.iter().find(|c| !c.entry_queue && c.numeric_id == number) {
        if c.locked {
            return Some(Err(c.name.clone()));
        }
        return Some(Ok(Target {
            place: Place::Conference(c.id.clone()),
            name: c.name.clone(),
            conference_password: c.conference_password.clone(),
            chairperson_password: c.chairperson_password.clone(),
        }));
    }
    mcu.rooms.iter().find(|r| r.numeric_id == number).map(|r| {
        Ok(Target {
            place: Place::StartRoom(r.clone()),
            name: r.name.clone(),
            conference_password: r.conference_password.clone(),
            chairperson_password: r.chairperson_password.clone(),
        })
    })
}

/// Where a dial-in to `number` goes, the caller keying in `entries` when asked.
pub fn route(number: &str, entries: &[String], mcu: Reachable<'_>) -> Result<Decision, DomainError> {
    let number = crate::conference::numeric_id(number)?;
    let mut keys = Keypad { entries: entries.iter() };
    let mut path = Vec::new();
    match target(&number, mcu) {
        Some(Err(name)) => {
            return Err(DomainError::Conflict(format!("'{name}' is locked: no new participants can dial in. Unlock it first.")));
        }
        Some(Ok(t)) => {
            path.push(format!("Dialled {number}: '{}'", t.name));
            return Ok(admit(t, Ivr::CONFERENCE, &mut keys, path));
        }
        None => {}
    }
    let queue = match mcu.queues.iter().find(|q| q.numeric_id == number) {
        Some(q) => {
            path.push(format!("Dialled {number}: entry queue '{}'", q.name));
            q
        }
        None => match mcu.queues.iter().find(|q| q.transit) {
            Some(q) => {
                path.push(format!("Dialled {number}: no such ID; Transit EQ '{}'", q.name));
                q
            }
            None => {
                return Err(DomainError::NotFound(format!(
                    "No conference, meeting room or entry queue has ID {number}, and there is no Transit EQ: the call is refused."
                )))
            }
        },
    };
    let ivr = Ivr::of(queue, mcu.ivrs);
    if let Some(name) = ivr.name {
        path.push(format!("IVR '{name}'"));
    }
    for attempt in 1..=ivr.attempts {
        let said = keys.next();
        let heard = match said {
            None => "no answer".to_string(),
            Some(id) => match target(id, mcu) {
                Some(Ok(t)) => {
                    path.push(format!("Conference ID {id}: '{}'", t.name));
                    return Ok(admit(t, ivr, &mut keys, path));
                }
                Some(Err(name)) => format!("{id}: '{name}' is locked"),
                None => format!("{id}: no such conference"),
            },
        };
        path.push(format!("Conference ID {heard} (attempt {attempt} of {})", ivr.attempts));
    }
    path.push("No conference ID after the last attempt: awaiting operator assistance".into());
    let place = match mcu.conferences.iter().find(|c| c.entry_queue && c.source_id.as_deref() == Some(queue.id.as_str())) {
        Some(lobby) => Place::Conference(lobby.id.clone()),
        None => Place::OpenLobby(queue.clone()),
    };
    Ok(Decision { place, admission: Admission::AwaitingAssistance, path })
}

/// The password questions for `t`, then the caller is in.
fn admit(t: Target, ivr: Ivr<'_>, keys: &mut Keypad<'_>, mut path: Vec<String>) -> Decision {
    let conference = Some(t.conference_password.as_str()).filter(|p| ivr.ask_conference_password && !p.is_empty());
    let chair = Some(t.chairperson_password.as_str()).filter(|p| ivr.ask_chairperson_password && !p.is_empty());
    let done = |admission, mut path: Vec<String>| {
        let how = match admission {
            Admission::Chairperson => "as chairperson",
            Admission::Participant => "as a participant",
            Admission::AwaitingAssistance => "awaiting operator assistance",
        };
        path.push(format!("In '{}' {how}", t.name));
        Decision { place: t.place.clone(), admission, path }
    };
    if conference.is_none() && chair.is_none() {
        return done(Admission::Participant, path);
    }
    // With only a chairperson password, a bare # joins as a participant.
    let question = if conference.is_some() { "Conference password" } else { "Chairperson password (# to skip)" };
    for attempt in 1..=ivr.attempts {
        let heard = match keys.next() {
            Some(said) if chair == Some(said) => {
                path.push("Chairperson password: accepted".into());
                return done(Admission::Chairperson, path);
            }
            Some(said) if conference == Some(said) || conference.is_none() && said.is_empty() => {
                path.push(format!("{question}: accepted"));
                return done(Admission::Participant, path);
            }
            Some(_) => "wrong",
            None => "no answer",
        };
        path.push(format!("{question}: {heard} (attempt {attempt} of {})", ivr.attempts));
    }
    done(Admission::AwaitingAssistance, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(id: &str, number: &str, conference: &str, chair: &str) -> MeetingRoom {
        MeetingRoom {
            id: id.into(),
            name: format!("Room {id}"),
            numeric_id: number.into(),
            profile_id: "p".into(),
            conference_password: conference.into(),
            chairperson_password: chair.into(),
        }
    }

    fn queue(id: &str, number: &str, ivr: Option<&str>, transit: bool) -> EntryQueue {
        EntryQueue {
            id: id.into(),
            name: format!("EQ {id}"),
            numeric_id: number.into(),
            profile_id: "p".into(),
            ivr_service_id: ivr.map(Into::into),
            conference_password: String::new(),
            chairperson_password: String::new(),
            transit,
        }
    }

    fn ivr(attempts: u32, ask_conference: bool, ask_chair: bool) -> IvrService {
        IvrService {
            id: "i".into(),
            name: "Welcome".into(),
            welcome_message: String::new(),
            ask_conference_password: ask_conference,
            ask_chairperson_password: ask_chair,
            attempts,
        }
    }

    fn keys(raw: &str) -> Vec<String> {
        parse_entries(raw).expect("entries")
    }

    fn running(id: &str, number: &str) -> Conference {
        crate::conference::start(
            id.into(),
            crate::conference::NewConference { name: &format!("Conf {id}"), numeric_id: number, ..Default::default() },
            0,
        )
        .expect("conference")
    }

    #[test]
    fn keypad_answers_are_split_on_hash_and_comma() {
        assert_eq!(keys("4300#1234#"), vec!["4300", "1234"]);
        assert_eq!(keys("4300, 1234"), vec!["4300", "1234"]);
        assert_eq!(keys("4300##"), vec!["4300", ""], "a bare # is an empty answer");
        assert!(keys("").is_empty());
        assert!(parse_entries("12a").is_err());
        assert!(parse_entries(&"1".repeat(17)).is_err());
        assert!(parse_entries(&"1#".repeat(MAX_ENTRIES + 1)).is_err());
    }

    #[test]
    fn a_meeting_rooms_number_starts_it_and_a_running_one_is_joined() {
        let rooms = [room("r1", "1001", "", "")];
        let mcu = Reachable { conferences: &[], rooms: &rooms, queues: &[], ivrs: &[] };
        let d = route("1001", &[], mcu).expect("routed");
        assert_eq!((d.place, d.admission), (Place::StartRoom(rooms[0].clone()), Admission::Participant));
        let on = crate::conference::from_room("c1".into(), &rooms[0], "", 0);
        let confs = [on];
        let d = route("1001", &[], Reachable { conferences: &confs, ..mcu }).expect("routed");
        assert_eq!(d.place, Place::Conference("c1".into()), "a room runs once: the caller joins it");
    }

    #[test]
    fn passwords_make_a_chairperson_a_participant_or_leave_the_caller_awaiting() {
        let rooms = [room("r1", "1001", "1111", "9999")];
        let mcu = Reachable { conferences: &[], rooms: &rooms, queues: &[], ivrs: &[] };
        assert_eq!(route("1001", &keys("9999"), mcu).expect("chair").admission, Admission::Chairperson);
        assert_eq!(route("1001", &keys("5#1111"), mcu).expect("second try").admission, Admission::Participant);
        let d = route("1001", &keys("5#6#7#1111"), mcu).expect("awaiting");
        assert_eq!(d.admission, Admission::AwaitingAssistance, "three wrong answers use up the attempts");
        assert_eq!(d.place, Place::StartRoom(rooms[0].clone()), "awaiting inside the room it dialled");
        assert!(d.path.iter().any(|s| s.contains("wrong (attempt 3 of 3)")), "{:?}", d.path);
        assert_eq!(route("1001", &[], mcu).expect("silent").admission, Admission::AwaitingAssistance);
        // Only a chairperson password: a bare # joins as a participant.
        let rooms = [room("r1", "1001", "", "9999")];
        let mcu = Reachable { rooms: &rooms, ..mcu };
        assert_eq!(route("1001", &keys("#"), mcu).expect("skip").admission, Admission::Participant);
        assert_eq!(route("1001", &keys("9999"), mcu).expect("chair").admission, Admission::Chairperson);
    }

    #[test]
    fn an_entry_queue_asks_the_id_then_the_password() {
        let rooms = [room("r1", "1001", "1111", "")];
        let confs = [running("c1", "4300")];
        let queues = [queue("q1", "1000", Some("i"), false)];
        let ivrs = [ivr(2, true, true)];
        let mcu = Reachable { conferences: &confs, rooms: &rooms, queues: &queues, ivrs: &ivrs };
        let d = route("1000", &keys("4300"), mcu).expect("into the conference");
        assert_eq!((d.place.clone(), d.admission), (Place::Conference("c1".into()), Admission::Participant));
        assert_eq!(d.path.first().map(String::as_str), Some("Dialled 1000: entry queue 'EQ q1'"));
        let d = route("1000", &keys("5555#1001#1111"), mcu).expect("wrong then right");
        assert_eq!((d.place, d.admission), (Place::StartRoom(rooms[0].clone()), Admission::Participant));
        assert!(d.path.iter().any(|s| s == "Conference ID 5555: no such conference (attempt 1 of 2)"), "{:?}", d.path);
        // Out of attempts: the queue's holding place, opened now or joined.
        let d = route("1000", &keys("5555#6666#4300"), mcu).expect("awaiting");
        assert_eq!((d.place, d.admission), (Place::OpenLobby(queues[0].clone()), Admission::AwaitingAssistance));
        let lobby = crate::conference::entry_queue_lobby("l1".into(), &queues[0], 0);
        let confs = [confs[0].clone(), lobby];
        let d = route("1000", &[], Reachable { conferences: &confs, ..mcu }).expect("awaiting");
        assert_eq!(d.place, Place::Conference("l1".into()), "one holding place per queue");
        // An IVR that does not ask the password lets the caller in with the right ID.
        let ivrs = [ivr(3, false, false)];
        let d = route("1000", &keys("1001"), Reachable { ivrs: &ivrs, ..mcu }).expect("no password asked");
        assert_eq!(d.admission, Admission::Participant);
    }

    #[test]
    fn unknown_numbers_land_in_the_transit_eq_or_are_refused() {
        let confs = [running("c1", "4300")];
        let queues = [queue("q1", "1000", None, false), queue("q2", "2000", None, true)];
        let mcu = Reachable { conferences: &confs, rooms: &[], queues: &queues, ivrs: &[] };
        let d = route("777", &keys("4300"), mcu).expect("transit");
        assert_eq!(d.place, Place::Conference("c1".into()));
        assert_eq!(d.path[0], "Dialled 777: no such ID; Transit EQ 'EQ q2'");
        let d = route("777", &[], mcu).expect("awaiting in the transit EQ");
        assert_eq!(d.place, Place::OpenLobby(queues[1].clone()));
        let e = route("777", &[], Reachable { queues: &queues[..1], ..mcu }).expect_err("refused");
        assert!(e.to_string().contains("no Transit EQ"), "{e}");
        assert!(route("12x", &[], mcu).is_err());
    }

    #[test]
    fn a_locked_conference_refuses_a_direct_dial_and_counts_as_a_wrong_id_in_the_ivr() {
        let mut c = running("c1", "4300");
        c.locked = true;
        let confs = [c];
        let queues = [queue("q1", "1000", None, false)];
        let mcu = Reachable { conferences: &confs, rooms: &[], queues: &queues, ivrs: &[] };
        assert!(matches!(route("4300", &[], mcu), Err(DomainError::Conflict(_))));
        let d = route("1000", &keys("4300#4300#4300"), mcu).expect("awaiting");
        assert_eq!(d.admission, Admission::AwaitingAssistance);
        assert!(d.path.iter().any(|s| s.contains("is locked")));
    }

    #[test]
    fn the_decision_becomes_one_unit_of_records() {
        let rooms = [room("r1", "1001", "", "9")];
        let d = route("1001", &keys("9"), Reachable { conferences: &[], rooms: &rooms, queues: &[], ivrs: &[] }).expect("routed");
        let mut n = 0;
        let caller = Caller { name: "Ann".into(), address: "10.0.0.1".into(), protocol: Protocol::H323 };
        let (changes, conference) = d.changes(caller, ParticipantState::Connected, 5, || {
            n += 1;
            format!("id{n}")
        });
        assert_eq!(conference, "id1");
        let [Change::Put { record: Record::Conference(c) }, Change::Put { record: Record::Participant(p) }] = changes.as_slice() else {
            panic!("{changes:?}")
        };
        assert_eq!((c.source_id.as_deref(), c.numeric_id.as_str(), c.chairperson_password.as_str()), (Some("r1"), "1001", "9"));
        assert_eq!((p.conference_id.as_str(), p.chairperson, p.state, p.direction), ("id1", true, ParticipantState::Connected, Direction::DialIn));
        assert_eq!(p.ivr_path, d.path);
    }
}
