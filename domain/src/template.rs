//! Conference templates: a running conference saved as a template (its profile, how long
//! it was set to run, whether it is locked, and whom it has, as participants to dial), and
//! a conference started from one. A template is a synced record.

use crate::conference::display_name;
use crate::error::DomainError;
use crate::model::{Conference, DefinedParticipant, Participant, Template};
use crate::timefmt::{Millis, MINUTE_MS};

/// Participants one template keeps at most.
pub const MAX_PARTICIPANTS: usize = 100;

/// The template `name` of the conference `c` with its `participants` (each kept once by
/// address, at most [`MAX_PARTICIPANTS`]; an entry queue's holding place is no meeting to
/// save).
pub fn from_conference(id: String, name: &str, c: &Conference, participants: &[Participant]) -> Result<Template, DomainError> {
    let name = display_name("name", name)?;
    if c.entry_queue {
        return Err(DomainError::invalid("name", "An entry queue's holding place cannot be saved as a template."));
    }
    let mut kept: Vec<DefinedParticipant> = Vec::new();
    for p in participants {
        if kept.len() == MAX_PARTICIPANTS {
            break;
        }
        if !kept.iter().any(|k| k.address.eq_ignore_ascii_case(&p.address)) {
            kept.push(DefinedParticipant { name: p.name.clone(), address: p.address.clone(), protocol: p.protocol });
        }
    }
    let duration_min = c.end_ms.map(|end| u32::try_from(((end - c.start_ms).max(0) + MINUTE_MS - 1) / MINUTE_MS).unwrap_or(u32::MAX)).unwrap_or(0);
    Ok(Template { id, name, profile_id: c.profile_id.clone(), duration_min: duration_min.min(crate::timefmt::MAX_DURATION_MIN), locked: c.locked, participants: kept })
}

/// A conference started from `t` now, with the ID `numeric_id`, by `owner`; and whom to dial.
pub fn start(t: &Template, conference_id: String, numeric_id: String, owner: &str, now: Millis) -> (Conference, Vec<DefinedParticipant>) {
    let conference = Conference {
        id: conference_id,
        name: t.name.clone(),
        numeric_id,
        profile_id: t.profile_id.clone(),
        start_ms: now,
        end_ms: (t.duration_min > 0).then(|| now + i64::from(t.duration_min) * MINUTE_MS),
        source_id: None,
        locked: t.locked,
        auto_extended: 0,
        owner: owner.to_string(),
        chairperson_password: String::new(),
        conference_password: String::new(),
        entry_queue: false,
        recording: Default::default(),
    };
    (conference, t.participants.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    fn conf(end: Option<Millis>) -> Conference {
        let t = Template { id: "t".into(), name: "Weekly".into(), profile_id: "p1".into(), duration_min: 0, locked: true, participants: Vec::new() };
        let (mut c, _) = start(&t, "c1".into(), "1000".into(), "admin", 1_000_000);
        c.end_ms = end;
        c
    }

    fn person(name: &str, address: &str) -> Participant {
        Participant {
            id: name.into(),
            conference_id: "c1".into(),
            name: name.into(),
            address: address.into(),
            protocol: Protocol::H323,
            direction: Direction::DialOut,
            state: ParticipantState::Connected,
            audio_muted: false,
            video_muted: false,
            chairperson: false,
            disconnect_cause: None,
            ivr_path: Vec::new(),
            home_conference_id: None,
            stamps: Stamps::default(),
        }
    }

    #[test]
    fn a_conference_saved_as_a_template_starts_again_with_its_profile_participants_and_settings() {
        let c = conf(Some(1_000_000 + 90 * MINUTE_MS - 1));
        let people = [person("Alice", "10.0.0.5"), person("Alice again", "10.0.0.5"), person("Bob", "10.0.0.6")];
        let t = from_conference("t1".into(), "  Board  ", &c, &people).expect("saved");
        assert_eq!((t.name.as_str(), t.profile_id.as_str(), t.duration_min, t.locked), ("Board", "p1", 90, true));
        assert_eq!(t.participants.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["Alice", "Bob"], "each address once");
        let (again, dial) = start(&t, "c2".into(), "1001".into(), "op", 5_000_000);
        assert_eq!((again.name.as_str(), again.end_ms, again.locked, again.owner.as_str()), ("Board", Some(5_000_000 + 90 * MINUTE_MS), true, "op"));
        assert_eq!(dial.len(), 2);
        // Until terminated stays so; a name is required; a holding place is no meeting.
        assert_eq!(from_conference("t".into(), "Open", &conf(None), &[]).expect("ok").duration_min, 0);
        assert!(from_conference("t".into(), "", &c, &[]).is_err());
        assert!(from_conference("t".into(), "Lobby", &Conference { entry_queue: true, ..c }, &[]).is_err());
    }
}
