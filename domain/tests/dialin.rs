//! Dial-in routing over generated MCUs and callers: whatever is dialled and keyed in, the
//! decision is one the original would make — never a panic, never a way past a password,
//! never a conference other than the one dialled or named, and a caller is left awaiting
//! an operator only after using up the IVR's attempts.

use domain::dialin::{parse_entries, route, Admission, Place, Reachable};
use domain::{Conference, EntryQueue, IvrService, MeetingRoom};
use proptest::prelude::*;

/// Numbers from a small pool, so dials often hit something.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![(1000u32..1008).prop_map(|n| n.to_string()), "[0-9]{1,9}", "[0-9a-z#*]{0,4}"]
}

fn pin() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), (10u32..14).prop_map(|n| n.to_string())]
}

#[derive(Debug, Clone)]
struct Mcu {
    conferences: Vec<Conference>,
    rooms: Vec<MeetingRoom>,
    queues: Vec<EntryQueue>,
    ivrs: Vec<IvrService>,
}

impl Mcu {
    fn reach(&self) -> Reachable<'_> {
        Reachable { conferences: &self.conferences, rooms: &self.rooms, queues: &self.queues, ivrs: &self.ivrs }
    }
}

fn mcu() -> impl Strategy<Value = Mcu> {
    let room = (1000u32..1008, pin(), pin()).prop_map(|(n, c, ch)| MeetingRoom {
        id: format!("r{n}"),
        name: format!("Room {n}"),
        numeric_id: n.to_string(),
        profile_id: "p".into(),
        chairperson_password: if ch == c { String::new() } else { ch },
        conference_password: c,
    });
    let conf = (1000u32..1008, pin(), pin(), any::<bool>(), any::<bool>()).prop_map(|(n, c, ch, locked, lobby)| Conference {
        id: format!("c{n}"),
        name: format!("Conf {n}"),
        numeric_id: n.to_string(),
        profile_id: "p".into(),
        start_ms: 0,
        end_ms: None,
        source_id: lobby.then(|| format!("q{n}")),
        locked,
        auto_extended: 0,
        owner: String::new(),
        chairperson_password: if ch == c { String::new() } else { ch },
        conference_password: c,
        entry_queue: lobby,
        recording: Default::default(),
    });
    let queue = (1000u32..1008, proptest::option::of(Just("i".to_string())), any::<bool>()).prop_map(|(n, ivr, transit)| EntryQueue {
        id: format!("q{n}"),
        name: format!("EQ {n}"),
        numeric_id: n.to_string(),
        profile_id: "p".into(),
        ivr_service_id: ivr,
        conference_password: String::new(),
        chairperson_password: String::new(),
        transit,
    });
    let ivr = (0u32..7, any::<bool>(), any::<bool>()).prop_map(|(attempts, a, b)| IvrService {
        id: "i".into(),
        name: "IVR".into(),
        welcome_message: String::new(),
        ask_conference_password: a,
        ask_chairperson_password: b,
        attempts,
    });
    (
        proptest::collection::vec(conf, 0..4),
        proptest::collection::vec(room, 0..4),
        proptest::collection::vec(queue, 0..3),
        proptest::collection::vec(ivr, 0..2),
    )
        .prop_map(|(mut conferences, mut rooms, mut queues, ivrs)| {
            // One holder per number, as the store keeps it (a lobby shares its queue's).
            let mut seen = std::collections::HashSet::new();
            conferences.retain(|c| c.entry_queue || seen.insert(c.numeric_id.clone()));
            rooms.retain(|r| seen.insert(r.numeric_id.clone()));
            queues.retain(|q| seen.insert(q.numeric_id.clone()));
            Mcu { conferences, rooms, queues, ivrs }
        })
}

fn passwords_of(m: &Mcu, place: &Place) -> Option<(String, String)> {
    match place {
        Place::Conference(id) => m.conferences.iter().find(|c| &c.id == id).map(|c| (c.conference_password.clone(), c.chairperson_password.clone())),
        Place::StartRoom(r) => Some((r.conference_password.clone(), r.chairperson_password.clone())),
        Place::OpenLobby(_) => None,
    }
}

proptest! {
    #[test]
    fn routing_never_panics_and_goes_only_where_the_caller_may_go(m in mcu(), dialled in number(), keyed in "[0-9#,*]{0,30}") {
        let Ok(entries) = parse_entries(&keyed) else { return Ok(()) };
        let Ok(d) = route(&dialled, &entries, m.reach()) else { return Ok(()) };
        // Wherever it goes exists (or is opened from what exists), and is never locked.
        match &d.place {
            Place::Conference(id) => {
                let c = m.conferences.iter().find(|c| &c.id == id);
                prop_assert!(c.is_some_and(|c| !c.locked || c.entry_queue), "{d:?}");
            }
            Place::StartRoom(r) => {
                prop_assert!(m.rooms.contains(r));
                prop_assert!(!m.conferences.iter().any(|c| !c.entry_queue && c.numeric_id == r.numeric_id), "a running room is joined, not started again");
            }
            Place::OpenLobby(q) => {
                prop_assert!(m.queues.contains(q));
                prop_assert!(!m.conferences.iter().any(|c| c.entry_queue && c.source_id.as_deref() == Some(q.id.as_str())), "one holding place per queue");
            }
        }
        // Nobody gets past a password without keying it in.
        if let Some((conference, chair)) = passwords_of(&m, &d.place) {
            match d.admission {
                Admission::Chairperson => prop_assert!(!chair.is_empty() && entries.contains(&chair)),
                Admission::Participant if !conference.is_empty() => {
                    let via_ivr_without_password = d.path.iter().any(|s| s.contains("entry queue") || s.contains("Transit"))
                        && !d.path.iter().any(|s| s.starts_with("Conference password"));
                    prop_assert!(entries.contains(&conference) || via_ivr_without_password, "{d:?}");
                }
                _ => {}
            }
        }
        // A lobby holds only callers awaiting an operator.
        if matches!(d.place, Place::OpenLobby(_)) || m.conferences.iter().any(|c| c.entry_queue && d.place == Place::Conference(c.id.clone())) {
            prop_assert_eq!(d.admission, Admission::AwaitingAssistance);
        }
        // Awaiting only after every attempt of a question was used.
        if d.admission == Admission::AwaitingAssistance {
            prop_assert!(d.path.iter().any(|s| s.contains("attempt")), "{d:?}");
        }
    }

    #[test]
    fn a_direct_dial_to_a_room_or_conference_reaches_exactly_it(m in mcu(), keyed in "[0-9#]{0,12}") {
        let Ok(entries) = parse_entries(&keyed) else { return Ok(()) };
        for c in m.conferences.iter().filter(|c| !c.entry_queue && !c.locked) {
            let d = route(&c.numeric_id, &entries, m.reach()).expect("a running conference answers");
            prop_assert_eq!(d.place, Place::Conference(c.id.clone()));
        }
        for r in &m.rooms {
            let d = route(&r.numeric_id, &entries, m.reach()).expect("a room answers");
            prop_assert_eq!(d.place, Place::StartRoom(r.clone()));
        }
    }
}
