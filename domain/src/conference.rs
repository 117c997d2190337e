//! Rules of ongoing conferences and their participants: addresses, capacity, and what
//! each participant action does. Plain functions over the model; the server functions
//! call them and commit the result.

use crate::model::*;
use crate::DomainError;

/// Checks a participant's address for its protocol and returns it cleaned:
/// an IPv4/IPv6 address for either; for H.323 also an alias (E.164 digits or an H.323 ID);
/// for SIP also a URI (`sip:user@host` or `user@host`).
pub fn participant_address(protocol: Protocol, raw: &str) -> Result<String, DomainError> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(DomainError::invalid("address", "Enter the participant's address."));
    }
    if let Ok(ip) = v.parse::<std::net::IpAddr>() {
        return Ok(ip.to_string());
    }
    // Four dot-separated numbers are meant as an IPv4 address: one that is not valid
    // ("999.1.1.1") is refused, not taken as an alias or host name.
    let bad_ipv4 = |s: &str| s.split('.').count() == 4 && s.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if bad_ipv4(v) || v.rsplit_once('@').is_some_and(|(_, host)| bad_ipv4(host) && host.parse::<std::net::Ipv4Addr>().is_err()) {
        let ip = v.rsplit_once('@').map(|(_, h)| h).unwrap_or(v);
        return Err(DomainError::invalid("address", format!("'{ip}' is not a valid IP address (four numbers 0–255).")));
    }
    let ok_chars = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+'));
    match protocol {
        Protocol::H323 => {
            if v.len() <= 64 && ok_chars(v) {
                Ok(v.to_string())
            } else {
                Err(DomainError::invalid(
                    "address",
                    format!("'{v}' is not an IP address or H.323 alias (digits, letters, '.', '-', '_', up to 64)."),
                ))
            }
        }
        Protocol::Sip => {
            let uri = v.strip_prefix("sip:").unwrap_or(v);
            match uri.split_once('@') {
                Some((user, host)) if ok_chars(user) && ok_chars(host) && uri.len() <= 128 => Ok(format!("sip:{uri}")),
                _ => Err(DomainError::invalid(
                    "address",
                    format!("'{v}' is not an IP address or SIP URI (sip:user@host)."),
                )),
            }
        }
    }
}

/// A dial-out goes to an endpoint at most once per conference: the same address (same
/// protocol) already dialled out is refused, naming who has it. Dial-ins are not limited
/// (several endpoints may call in from behind one address).
pub fn check_not_dialled_out(protocol: Protocol, address: &str, participants: &[Participant]) -> Result<(), DomainError> {
    match participants
        .iter()
        .find(|p| p.direction == Direction::DialOut && p.protocol == protocol && p.address.eq_ignore_ascii_case(address))
    {
        Some(p) => Err(DomainError::invalid("address", format!("'{address}' is already dialled in this conference ('{}').", p.name))),
        None => Ok(()),
    }
}

/// What an operator fills in to start a conference now ("New conference").
#[derive(Debug, Clone, Copy, Default)]
pub struct NewConference<'a> {
    pub name: &'a str,
    /// Already chosen: the one typed (checked here), or a free one when left empty.
    pub numeric_id: &'a str,
    /// Empty: the default profile.
    pub profile_id: &'a str,
    /// `profile_id` names no stored profile (the caller looked; empty is the default).
    pub unknown_profile: bool,
    /// "h:mm" or minutes; empty: no end time.
    pub duration: &'a str,
    pub owner: &'a str,
}

/// A conference started now (`id` new), from the operator's form. Every wrong field is a
/// field error; whether its number is free is the store's check, in its transaction.
/// All of them at once: an operator corrects the form in one go.
pub fn start(id: String, f: NewConference<'_>, now: Millis) -> Result<Conference, DomainError> {
    let mut e = crate::FieldErrors::default();
    let name = e.check(display_name("name", f.name));
    let numeric_id = e.check(numeric_id(f.numeric_id));
    if f.unknown_profile {
        e.add(DomainError::invalid("profile_id", "Choose a conference profile from the list."));
    }
    let end_ms = match f.duration.trim() {
        "" => Some(None),
        d => e.check(crate::timefmt::duration_min(d)).map(|min| Some(now + i64::from(min) * crate::timefmt::MINUTE_MS)),
    };
    let (Some(name), Some(numeric_id), Some(end_ms), true) = (name, numeric_id, end_ms, e.is_empty()) else {
        return Err(e.into_error());
    };
    Ok(Conference {
        id,
        name,
        numeric_id,
        profile_id: f.profile_id.to_string(),
        start_ms: now,
        end_ms,
        source_id: None,
        locked: false,
        auto_extended: 0,
        owner: f.owner.to_string(),
        chairperson_password: String::new(),
        conference_password: String::new(),
        entry_queue: false, recording: Default::default(),
    })
}

/// A meeting room started as a conference now: its name, number, profile and passwords,
/// no end time; its `source_id` is the room (the store lets it share the room's
/// number, and refuses a second one while it runs).
pub fn from_room(id: String, room: &MeetingRoom, owner: &str, now: Millis) -> Conference {
    Conference {
        id,
        name: room.name.clone(),
        numeric_id: room.numeric_id.clone(),
        profile_id: room.profile_id.clone(),
        start_ms: now,
        end_ms: None,
        source_id: Some(room.id.clone()),
        locked: false,
        auto_extended: 0,
        owner: owner.to_string(),
        chairperson_password: room.chairperson_password.clone(),
        conference_password: room.conference_password.clone(),
        entry_queue: false, recording: Default::default(),
    }
}

/// Where an entry queue's callers wait for an operator when its IVR could not place them:
/// opened with the first such caller (the queue's name and number; `source_id` the
/// queue), ended when the last is gone.
pub fn entry_queue_lobby(id: String, queue: &EntryQueue, now: Millis) -> Conference {
    Conference {
        id,
        name: queue.name.clone(),
        numeric_id: queue.numeric_id.clone(),
        profile_id: queue.profile_id.clone(),
        start_ms: now,
        end_ms: None,
        source_id: Some(queue.id.clone()),
        locked: false,
        auto_extended: 0,
        owner: String::new(),
        chairperson_password: String::new(),
        conference_password: String::new(),
        entry_queue: true, recording: Default::default(),
    }
}

/// A conference or participant display name: 1–80 printable characters.
pub fn display_name(field: &'static str, raw: &str) -> Result<String, DomainError> {
    let v = raw.trim();
    if v.is_empty() || v.chars().count() > 80 || v.chars().any(char::is_control) {
        return Err(DomainError::invalid(field, "Enter a name of 1–80 characters."));
    }
    Ok(v.to_string())
}

/// A numeric conference ID: 1–8 digits.
pub fn numeric_id(raw: &str) -> Result<String, DomainError> {
    let v = raw.trim();
    if v.is_empty() || v.len() > 8 || !v.chars().all(|c| c.is_ascii_digit()) {
        return Err(DomainError::invalid("numeric_id", "The ID is 1–8 digits."));
    }
    Ok(v.to_string())
}

/// How many participants this MCU can have connected at once: the Video/Voice Port
/// Configuration on CS 2000/4000, a fixed number on the others (this product's figures).
pub fn capacity(model: McuModel, ports: &PortConfiguration) -> u32 {
    match model {
        McuModel::Cs2000 | McuModel::Cs4000 => ports.video_ports + ports.voice_ports,
        McuModel::Cs1800 => 60,
        McuModel::VirtualEdition => 40,
    }
}

/// What a new Master does with the mirrored participants after taking over (the calls went
/// with the old Master): those that were connected or connecting are called again, as
/// dial-out (a dial-in one cannot call a box that is gone), as far as this MCU's ports
/// reach; an operator's disconnected participant stays disconnected.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RedialPlan {
    /// To call again, in conference then name order.
    pub dial: Vec<crate::Participant>,
    /// Were connected, but this MCU's ports are all taken: not called again.
    pub no_port: Vec<crate::Participant>,
}

pub fn redial_plan(mut participants: Vec<crate::Participant>, capacity: u32) -> RedialPlan {
    use crate::ParticipantState as S;
    // Every call that was up or being set up; a caller awaiting an operator is called
    // back into the same wait.
    participants.retain(|p| p.state.holds_port() || matches!(p.state, S::Connecting | S::Redialing { .. }));
    participants.sort_by(|a, b| (&a.conference_id, &a.name, &a.id).cmp(&(&b.conference_id, &b.name, &b.id)));
    let fit = (capacity as usize).min(participants.len());
    let no_port = participants.split_off(fit);
    let dial = participants
        .into_iter()
        .map(|p| {
            let state = if p.state == S::AwaitingAssistance { S::AwaitingAssistance } else { S::Connected };
            crate::Participant { direction: crate::Direction::DialOut, state, ..p }
        })
        .collect();
    RedialPlan { dial, no_port }
}

/// Refuses one more connected participant when all ports are in use.
pub fn check_capacity(connected: u32, capacity: u32) -> Result<(), DomainError> {
    check_ports(connected, 1, capacity)
}

/// Whether `more` calls (an operator's selection reconnected at once) fit on the ports
/// left: all of them, or none is made.
pub fn check_ports(connected: u32, more: usize, capacity: u32) -> Result<(), DomainError> {
    let free = capacity.saturating_sub(connected);
    if u32::try_from(more).is_ok_and(|m| m <= free) {
        return Ok(());
    }
    Err(DomainError::Conflict(if free == 0 {
        format!("All {capacity} ports of this MCU are in use: disconnect a participant first, or change the Video/Voice Port Configuration.")
    } else {
        format!("The {more} calls need {more} ports, but only {free} of this MCU's {capacity} are free: select fewer participants.")
    }))
}

/// What an operator can do to a participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParticipantAction {
    Connect,
    Disconnect,
    MuteAudio,
    UnmuteAudio,
    MuteVideo,
    UnmuteVideo,
    MakeChairperson,
    MakeRegular,
}

impl ParticipantAction {
    pub fn parse(s: &str) -> Option<Self> {
        use ParticipantAction::*;
        Some(match s {
            "connect" => Connect,
            "disconnect" => Disconnect,
            "mute_audio" => MuteAudio,
            "unmute_audio" => UnmuteAudio,
            "mute_video" => MuteVideo,
            "unmute_video" => UnmuteVideo,
            "make_chairperson" => MakeChairperson,
            "make_regular" => MakeRegular,
            _ => return None,
        })
    }

    /// What the operator is told afterwards.
    pub fn done(self, name: &str) -> String {
        use ParticipantAction::*;
        match self {
            Connect => format!("{name} connected."),
            Disconnect => format!("{name} disconnected."),
            MuteAudio => format!("{name}: audio muted."),
            UnmuteAudio => format!("{name}: audio unmuted."),
            MuteVideo => format!("{name}: video suspended."),
            UnmuteVideo => format!("{name}: video resumed."),
            MakeChairperson => format!("{name} is now a chairperson."),
            MakeRegular => format!("{name} is now a regular participant."),
        }
    }

    /// Whether this action needs a free port.
    pub fn needs_port(self, p: &Participant) -> bool {
        self == ParticipantAction::Connect && !p.state.holds_port()
    }

    /// The participant after the action (calls are simulated: connecting succeeds at once).
    pub fn apply(self, p: &Participant) -> Participant {
        use ParticipantAction::*;
        let mut p = p.clone();
        match self {
            // A call that is up stays as it is (an awaiting caller is attended, not connected).
            Connect if p.state.holds_port() => {}
            Connect => {
                p.state = ParticipantState::Connected;
                p.disconnect_cause = None;
            }
            Disconnect => {
                p.state = ParticipantState::Disconnected;
                p.disconnect_cause = Some(crate::DisconnectCause::ByOperator);
            }
            MuteAudio => p.audio_muted = true,
            UnmuteAudio => p.audio_muted = false,
            MuteVideo => p.video_muted = true,
            UnmuteVideo => p.video_muted = false,
            MakeChairperson => p.chairperson = true,
            MakeRegular => p.chairperson = false,
        }
        p
    }
}

/// What the simulation says of a call's media (calls are simulated): all streams up, audio
/// only, or a stream down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    Up,
    AudioOnly,
    StreamDown,
}

impl Media {
    pub fn parse(s: &str) -> Result<Media, DomainError> {
        match s.trim() {
            "up" => Ok(Media::Up),
            "audio_only" => Ok(Media::AudioOnly),
            "stream_down" => Ok(Media::StreamDown),
            _ => Err(DomainError::invalid("media", "Choose up, audio_only or stream_down.")),
        }
    }

    /// The participant with this media: only a call that is up (and not waiting for an
    /// operator) has media to change; Connected, Partially Connected or Faulty Connection.
    pub fn apply(self, p: &Participant) -> Result<Participant, DomainError> {
        use ParticipantState::*;
        if !matches!(p.state, Connected | PartiallyConnected | FaultyConnection) {
            return Err(DomainError::Conflict(format!("{} is not in the call ({}).", p.name, p.state.label())));
        }
        let state = match self {
            Media::Up => Connected,
            Media::AudioOnly => PartiallyConnected,
            Media::StreamDown => FaultyConnection,
        };
        Ok(Participant { state, ..p.clone() })
    }
}

/// Where an operator puts a participant: Move to another conference, Back to Home (the
/// conference it was first in), or Attend (admit a caller the IVR left awaiting, where it
/// is or into the conference the operator picks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    Move,
    BackToHome,
    Attend,
}

impl Placement {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "move" => Placement::Move,
            "home" => Placement::BackToHome,
            "attend" => Placement::Attend,
            _ => return None,
        })
    }

    /// The participant after it, or why not. `to`: the conference the operator picked
    /// (Back to Home finds the home itself in `conferences`; Attend without a pick admits
    /// in place). Its call and port go with it; an attended caller is connected.
    pub fn apply(self, p: &Participant, to: Option<&Conference>, conferences: &[Conference]) -> Result<(Participant, String), DomainError> {
        let here = conferences.iter().find(|c| c.id == p.conference_id);
        let dest = match self {
            Placement::BackToHome => {
                let home = p.home_conference_id.as_deref().ok_or_else(|| {
                    DomainError::Conflict(format!("{} has not been moved: it is in its home conference.", p.name))
                })?;
                conferences
                    .iter()
                    .find(|c| c.id == home)
                    .ok_or_else(|| DomainError::Conflict(format!("{}'s home conference has ended: move it to another one.", p.name)))?
            }
            Placement::Move => to.ok_or_else(|| DomainError::invalid("conference_id", "Choose the conference to move it to."))?,
            Placement::Attend => {
                if p.state != ParticipantState::AwaitingAssistance {
                    return Err(DomainError::Conflict(format!("{} is not awaiting operator assistance.", p.name)));
                }
                match to.or(here.filter(|c| !c.entry_queue)) {
                    Some(c) => c,
                    None => return Err(DomainError::invalid("conference_id", "Choose the conference to admit the caller to.")),
                }
            }
        };
        if dest.entry_queue {
            return Err(DomainError::invalid("conference_id", format!("'{}' is an entry queue, not a conference: choose a conference.", dest.name)));
        }
        if dest.id == p.conference_id && self != Placement::Attend {
            return Err(DomainError::invalid("conference_id", format!("{} is already in '{}'.", p.name, dest.name)));
        }
        let mut after = p.clone();
        if dest.id != p.conference_id {
            // The first conference stays its home; going back there clears it.
            let home = p.home_conference_id.clone().unwrap_or_else(|| p.conference_id.clone());
            after.home_conference_id = (home != dest.id && here.is_some_and(|h| !h.entry_queue)).then_some(home);
            after.conference_id = dest.id.clone();
        }
        if p.state == ParticipantState::AwaitingAssistance {
            after.state = ParticipantState::Connected;
        }
        let told = match self {
            Placement::Move => format!("{} moved to '{}'.", p.name, dest.name),
            Placement::BackToHome => format!("{} is back in '{}'.", p.name, dest.name),
            Placement::Attend => format!("{} admitted to '{}'.", p.name, dest.name),
        };
        Ok((after, told))
    }
}

/// One action on several participants of a conference (the operator's row selection):
/// the ids, each of which must be in `participants`; at most [`MAX_SELECTION`].
pub const MAX_SELECTION: usize = 500;

/// The selected participants, from the comma-separated ids the page sends: unknown ids,
/// ids of another conference, an empty or oversized selection are refused.
pub fn selection<'a>(raw: &str, participants: &'a [Participant]) -> Result<Vec<&'a Participant>, DomainError> {
    let ids: Vec<&str> = raw.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if ids.is_empty() {
        return Err(DomainError::invalid("ids", "Select at least one participant."));
    }
    if ids.len() > MAX_SELECTION {
        return Err(DomainError::invalid("ids", format!("Select at most {MAX_SELECTION} participants at a time.")));
    }
    let mut out: Vec<&Participant> = Vec::with_capacity(ids.len());
    for id in ids {
        let p = participants.iter().find(|p| p.id == id).ok_or_else(|| {
            DomainError::Conflict("A selected participant is no longer in the conference: look again and retry.".into())
        })?;
        if !out.iter().any(|q| q.id == p.id) {
            out.push(p);
        }
    }
    Ok(out)
}

/// Whether a user sees and runs conference `c`. Every role that sees conferences sees them
/// all, except a Chairperson: as on the original, only the conferences they started and
/// those whose chairperson password they entered (`unlocked`: conference ids).
pub fn in_scope(role: crate::Role, user: &str, c: &crate::Conference, unlocked: &[String]) -> bool {
    role != crate::Role::Chairperson || (!c.owner.is_empty() && c.owner == user) || unlocked.contains(&c.id)
}

/// The conferences a chairperson password opens: those whose (non-empty) chairperson
/// password it is.
pub fn unlocked_by<'a>(password: &str, conferences: &'a [crate::Conference]) -> Vec<&'a crate::Conference> {
    let p = password.trim();
    if p.is_empty() {
        return Vec::new();
    }
    conferences.iter().filter(|c| !c.chairperson_password.is_empty() && c.chairperson_password == p).collect()
}

/// Refuses a dial-in to a locked conference.
pub fn check_dial_in(c: &crate::Conference) -> Result<(), DomainError> {
    if c.locked {
        Err(DomainError::Conflict(format!("'{}' is locked: no new participants can dial in. Unlock it first.", c.name)))
    } else {
        Ok(())
    }
}

/// What an operator does to a whole conference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConferenceAction {
    /// Mute the audio of everyone but the chairpersons.
    MuteAll,
    UnmuteAll,
    /// No new dial-ins.
    Lock,
    Unlock,
    /// Push the end time back by this many minutes.
    Extend(u32),
}

/// The extensions an operator can choose, in minutes.
pub const EXTEND_CHOICES: [u32; 3] = [15, 30, 60];

impl ConferenceAction {
    pub fn parse(s: &str) -> Option<Self> {
        use ConferenceAction::*;
        Some(match s {
            "mute_all" => MuteAll,
            "unmute_all" => UnmuteAll,
            "lock" => Lock,
            "unlock" => Unlock,
            _ => {
                let m: u32 = s.strip_prefix("extend_")?.parse().ok()?;
                if !EXTEND_CHOICES.contains(&m) {
                    return None;
                }
                Extend(m)
            }
        })
    }

    /// The records to write: the conference and/or the participants it changes (none when
    /// there is nothing to do). A conference without an end time cannot be extended.
    pub fn apply(self, c: &crate::Conference, participants: &[Participant]) -> Result<Vec<crate::Record>, DomainError> {
        use crate::Record;
        use ConferenceAction::*;
        Ok(match self {
            MuteAll => participants
                .iter()
                .filter(|p| !p.chairperson && !p.audio_muted)
                .map(|p| Record::Participant(Participant { audio_muted: true, ..p.clone() }))
                .collect(),
            UnmuteAll => participants
                .iter()
                .filter(|p| p.audio_muted)
                .map(|p| Record::Participant(Participant { audio_muted: false, ..p.clone() }))
                .collect(),
            Lock | Unlock => {
                let locked = self == Lock;
                if c.locked == locked {
                    Vec::new()
                } else {
                    vec![Record::Conference(crate::Conference { locked, ..c.clone() })]
                }
            }
            Extend(minutes) => {
                let end = c.end_ms.ok_or_else(|| {
                    DomainError::Conflict(format!("'{}' has no end time: it runs until it is terminated.", c.name))
                })?;
                vec![Record::Conference(crate::Conference {
                    end_ms: Some(end + i64::from(minutes) * crate::timefmt::MINUTE_MS),
                    ..c.clone()
                })]
            }
        })
    }

    /// What the operator is told afterwards.
    pub fn done(self, name: &str, changed: usize) -> String {
        use ConferenceAction::*;
        match self {
            MuteAll => format!("{name}: muted {changed} participant(s); chairpersons keep their audio."),
            UnmuteAll => format!("{name}: unmuted {changed} participant(s)."),
            Lock => format!("{name} is locked: no new dial-ins."),
            Unlock => format!("{name} is unlocked: participants can dial in again."),
            Extend(m) => format!("{name} extended by {m} minutes."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: &str, chair: bool, muted: bool) -> Participant {
        Participant {
            id: id.into(),
            conference_id: "c".into(),
            name: format!("P-{id}"),
            address: format!("10.0.0.{}", id.len()),
            protocol: Protocol::H323,
            direction: Direction::DialOut,
            state: ParticipantState::Connected,
            audio_muted: muted,
            video_muted: false,
            chairperson: chair,
            disconnect_cause: None,
            ivr_path: Vec::new(),
            home_conference_id: None,
            stamps: Default::default(),
        }
    }

    fn conf(end_ms: Option<i64>) -> crate::Conference {
        crate::Conference {
            id: "c".into(),
            name: "Board".into(),
            numeric_id: "1234".into(),
            profile_id: String::new(),
            start_ms: 0,
            end_ms,
            source_id: None,
            locked: false,
            auto_extended: 0,
            owner: String::new(),
            chairperson_password: String::new(),
            conference_password: String::new(),
            entry_queue: false, recording: Default::default(),
        }
    }

    #[test]
    fn conference_actions_mute_all_but_the_chair_lock_and_extend() {
        use crate::Record;
        let people = [person("a", true, false), person("b", false, false), person("c", false, true)];
        let muted = ConferenceAction::MuteAll.apply(&conf(None), &people).expect("mute all");
        let ids: Vec<&str> = muted.iter().filter_map(|r| match r { Record::Participant(p) if p.audio_muted => Some(p.id.as_str()), _ => None }).collect();
        assert_eq!(ids, vec!["b"], "only the unmuted non-chairperson changes");
        assert_eq!(ConferenceAction::UnmuteAll.apply(&conf(None), &people).expect("unmute").len(), 1);
        let Record::Conference(locked) = &ConferenceAction::Lock.apply(&conf(None), &[]).expect("lock")[0] else { panic!() };
        assert!(locked.locked && check_dial_in(locked).is_err() && check_dial_in(&conf(None)).is_ok());
        assert!(ConferenceAction::Lock.apply(locked, &[]).expect("again").is_empty(), "already locked: nothing to write");
        let Record::Conference(longer) = &ConferenceAction::Extend(30).apply(&conf(Some(1_000)), &[]).expect("extend")[0] else { panic!() };
        assert_eq!(longer.end_ms, Some(1_000 + 30 * 60_000));
        assert!(ConferenceAction::Extend(15).apply(&conf(None), &[]).is_err(), "no end time to extend");
        assert_eq!(ConferenceAction::parse("extend_60"), Some(ConferenceAction::Extend(60)));
        for bad in ["extend_61", "extend_", "extend_-15", "mute", ""] {
            assert_eq!(ConferenceAction::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_chairperson_runs_their_own_conferences_and_those_they_have_the_password_of() {
        use crate::Role;
        let mine = crate::Conference { owner: "chair1".into(), ..conf(None) };
        let theirs = crate::Conference { id: "c2".into(), owner: "op".into(), chairperson_password: "4321".into(), ..conf(None) };
        let scheduled = crate::Conference { id: "c3".into(), ..conf(None) };
        assert!(in_scope(Role::Chairperson, "chair1", &mine, &[]));
        assert!(!in_scope(Role::Chairperson, "chair1", &theirs, &[]));
        assert!(!in_scope(Role::Chairperson, "", &scheduled, &[]), "an empty owner is nobody's");
        let all = [mine.clone(), theirs.clone(), scheduled.clone()];
        let opened: Vec<String> = unlocked_by("4321", &all).into_iter().map(|c| c.id.clone()).collect();
        assert_eq!(opened, vec!["c2".to_string()]);
        assert!(unlocked_by("", &all).is_empty() && unlocked_by("0000", &all).is_empty());
        assert!(in_scope(Role::Chairperson, "chair1", &theirs, &opened));
        for role in [Role::Administrator, Role::Operator, Role::AdministratorReadOnly, Role::Auditor] {
            assert!(in_scope(role, "x", &theirs, &[]), "{role:?} sees every conference");
        }
    }

    #[test]
    fn simulated_media_makes_a_call_faulty_or_audio_only_and_back() {
        let p = person("a", false, false);
        assert_eq!(Media::StreamDown.apply(&p).expect("down").state, ParticipantState::FaultyConnection);
        assert_eq!(Media::AudioOnly.apply(&p).expect("audio").state, ParticipantState::PartiallyConnected);
        let faulty = Media::StreamDown.apply(&p).expect("down");
        assert_eq!(Media::Up.apply(&faulty).expect("up").state, ParticipantState::Connected);
        let off = ParticipantAction::Disconnect.apply(&p);
        assert!(Media::Up.apply(&off).is_err(), "no call, no media");
        assert!(Media::parse("sideways").is_err());
    }

    #[test]
    fn move_back_to_home_and_attend() {
        let a = conf(None);
        let b = crate::Conference { id: "b".into(), name: "Sales".into(), ..conf(None) };
        let c = crate::Conference { id: "c2".into(), name: "Ops".into(), ..conf(None) };
        let queue = EntryQueue {
            id: "q".into(),
            name: "DefaultEQ".into(),
            numeric_id: "1000".into(),
            profile_id: String::new(),
            ivr_service_id: None,
            conference_password: String::new(),
            chairperson_password: String::new(),
            transit: false,
        };
        let lobby = entry_queue_lobby("l".into(), &queue, 0);
        let all = [a.clone(), b.clone(), c.clone(), lobby.clone()];
        let bob = person("bob", false, false);
        let (moved, told) = Placement::Move.apply(&bob, Some(&b), &all).expect("moved");
        assert_eq!((moved.conference_id.as_str(), moved.home_conference_id.as_deref(), told.as_str()), ("b", Some("c"), "P-bob moved to 'Sales'."));
        let (again, _) = Placement::Move.apply(&moved, Some(&c), &all).expect("moved again");
        assert_eq!(again.home_conference_id.as_deref(), Some("c"), "home is the first conference");
        let (home, _) = Placement::BackToHome.apply(&again, None, &all).expect("home");
        assert_eq!((home.conference_id.as_str(), home.home_conference_id.as_deref()), ("c", None));
        assert!(Placement::BackToHome.apply(&home, None, &all).is_err(), "already home");
        assert!(Placement::BackToHome.apply(&again, None, &[b.clone(), c.clone()]).is_err(), "home ended");
        assert!(Placement::Move.apply(&bob, Some(&a), &all).is_err(), "already there");
        assert!(Placement::Move.apply(&bob, Some(&lobby), &all).is_err(), "not into an entry queue");
        assert!(Placement::Attend.apply(&bob, Some(&b), &all).is_err(), "only a caller awaiting assistance");
        // A caller left in the entry queue: admitted into the conference the operator picks.
        let waiting = Participant { conference_id: "l".into(), state: ParticipantState::AwaitingAssistance, ..person("ann", false, false) };
        assert!(Placement::Attend.apply(&waiting, None, &all).is_err(), "the queue is no conference: pick one");
        let (in_b, told) = Placement::Attend.apply(&waiting, Some(&b), &all).expect("attended");
        assert_eq!((in_b.conference_id.as_str(), in_b.state, in_b.home_conference_id.as_deref()), ("b", ParticipantState::Connected, None));
        assert_eq!(told, "P-ann admitted to 'Sales'.");
        // A wrong password in a conference: admitted where it is.
        let at_door = Participant { state: ParticipantState::AwaitingAssistance, ..person("cy", false, false) };
        let (admitted, _) = Placement::Attend.apply(&at_door, None, &all).expect("in place");
        assert_eq!((admitted.conference_id.as_str(), admitted.state), ("c", ParticipantState::Connected));
        assert_eq!(Placement::parse("home"), Some(Placement::BackToHome));
        assert_eq!(Placement::parse("teleport"), None);
    }

    #[test]
    fn a_selection_holds_only_this_conferences_participants() {
        let people = [person("a", false, false), person("b", false, false)];
        let picked = selection("a, b,a", &people).expect("two");
        assert_eq!(picked.len(), 2);
        assert!(selection("", &people).is_err());
        assert!(selection("a,zzz", &people).is_err(), "an id not in this conference");
        let many = vec!["a"; MAX_SELECTION + 1].join(",");
        assert!(selection(&many, &people).is_err());
    }

    #[test]
    fn disconnecting_names_the_cause_and_connecting_clears_it() {
        let off = ParticipantAction::Disconnect.apply(&person("a", false, false));
        assert_eq!(off.disconnect_cause, Some(crate::DisconnectCause::ByOperator));
        assert_eq!(ParticipantAction::Connect.apply(&off).disconnect_cause, None);
    }

    #[test]
    fn an_address_is_dialled_out_once_per_conference() {
        let p = |dir: Direction, protocol: Protocol, address: &str| Participant {
            disconnect_cause: None,
            ivr_path: Vec::new(),
            home_conference_id: None,
            stamps: Default::default(),
            id: "p".into(),
            conference_id: "c".into(),
            name: "Lisbon".into(),
            address: address.into(),
            protocol,
            direction: dir,
            state: ParticipantState::Disconnected,
            audio_muted: false,
            video_muted: false,
            chairperson: false,
        };
        let there = [p(Direction::DialOut, Protocol::H323, "10.0.0.7"), p(Direction::DialIn, Protocol::Sip, "sip:a@b")];
        let e = check_not_dialled_out(Protocol::H323, "10.0.0.7", &there).expect_err("twice").to_string();
        assert!(e.contains("already dialled") && e.contains("Lisbon"), "{e}");
        assert!(check_not_dialled_out(Protocol::Sip, "10.0.0.7", &there).is_ok(), "another protocol");
        assert!(check_not_dialled_out(Protocol::Sip, "sip:a@b", &there).is_ok(), "a dial-in does not count");
        assert!(check_not_dialled_out(Protocol::H323, "10.0.0.8", &there).is_ok());
    }

    #[test]
    fn addresses_per_protocol() {
        assert_eq!(participant_address(Protocol::H323, " 10.1.2.3 ").ok().as_deref(), Some("10.1.2.3"));
        assert_eq!(participant_address(Protocol::Sip, "fd00::7").ok().as_deref(), Some("fd00::7"));
        assert_eq!(participant_address(Protocol::H323, "1001").ok().as_deref(), Some("1001"));
        assert_eq!(participant_address(Protocol::H323, "room.lisbon").ok().as_deref(), Some("room.lisbon"));
        assert_eq!(participant_address(Protocol::Sip, "alice@example.com").ok().as_deref(), Some("sip:alice@example.com"));
        assert_eq!(participant_address(Protocol::Sip, "sip:bob@10.0.0.9").ok().as_deref(), Some("sip:bob@10.0.0.9"));
        for (p, bad) in [(Protocol::Sip, "alice"), (Protocol::Sip, "@host"), (Protocol::H323, "a b"), (Protocol::H323, ""), (Protocol::Sip, "a@b c")] {
            assert!(participant_address(p, bad).is_err(), "{bad}");
        }
        // An invalid dotted IPv4 is not an alias or a host name.
        for (p, bad) in [(Protocol::H323, "999.1.1.1"), (Protocol::Sip, "999.1.1.1"), (Protocol::Sip, "bob@10.0.0.256")] {
            let e = participant_address(p, bad).expect_err(bad).to_string();
            assert!(e.contains("not a valid IP address"), "{bad}: {e}");
        }
        assert_eq!(participant_address(Protocol::H323, "1.2.3").ok().as_deref(), Some("1.2.3"), "three numbers stay an alias");
    }

    #[test]
    fn names_and_ids() {
        assert!(display_name("name", " Board ").is_ok());
        assert!(display_name("name", "").is_err());
        assert!(display_name("name", &"x".repeat(81)).is_err());
        assert_eq!(numeric_id(" 4711 ").ok().as_deref(), Some("4711"));
        assert!(numeric_id("47a").is_err() && numeric_id("123456789").is_err());
    }

    #[test]
    fn a_conference_starts_from_the_form_or_from_its_meeting_room() {
        let form = NewConference { name: " Ops ", numeric_id: "4300", profile_id: "p1", duration: "1:30", owner: "op", unknown_profile: false };
        let c = start("c1".into(), form, 1_000).expect("started");
        assert_eq!((c.name.as_str(), c.numeric_id.as_str(), c.start_ms, c.end_ms, c.owner.as_str()), ("Ops", "4300", 1_000, Some(1_000 + 90 * 60_000), "op"));
        assert_eq!(start("c2".into(), NewConference { duration: "", ..form }, 5).expect("no end").end_ms, None);
        let bad = |f: NewConference<'_>| start("c3".into(), f, 0).expect_err("refused");
        assert!(matches!(bad(NewConference { name: "", ..form }), DomainError::Invalid { field: "name", .. }));
        assert!(matches!(bad(NewConference { numeric_id: "12a", ..form }), DomainError::Invalid { field: "numeric_id", .. }));
        assert!(matches!(bad(NewConference { duration: "forever", ..form }), DomainError::Invalid { .. }));
        // Every wrong field at once, the profile too.
        match bad(NewConference { name: "", numeric_id: "x", duration: "forever", unknown_profile: true, ..form }) {
            DomainError::Fields(v) => {
                let fields: Vec<&str> = v.iter().map(|(f, _)| *f).collect();
                assert_eq!(fields, ["name", "numeric_id", "profile_id", "duration"]);
            }
            other => panic!("one error only: {other:?}"),
        }
        let room = MeetingRoom {
            id: "r1".into(),
            name: "Board".into(),
            numeric_id: "1001".into(),
            profile_id: "p2".into(),
            conference_password: String::new(),
            chairperson_password: "9876".into(),
        };
        let c = from_room("c4".into(), &room, "op", 7);
        assert_eq!((c.source_id.as_deref(), c.numeric_id.as_str(), c.chairperson_password.as_str(), c.end_ms), (Some("r1"), "1001", "9876", None));
    }

    #[test]
    fn capacity_follows_the_port_configuration() {
        let ports = PortConfiguration { video_ports: 3, voice_ports: 2, ..Default::default() };
        assert_eq!(capacity(McuModel::Cs2000, &ports), 5);
        assert_eq!(capacity(McuModel::Cs1800, &ports), 60);
        assert!(check_capacity(4, 5).is_ok());
        let e = check_capacity(5, 5).expect_err("full");
        assert!(e.to_string().contains("All 5 ports"));
        // A selection: all of it fits, or none of it is made.
        assert!(check_ports(2, 3, 5).is_ok());
        let e = check_ports(3, 3, 5).expect_err("one too many");
        assert!(e.to_string().contains("only 2 of this MCU's 5 are free"), "{e}");
        assert!(check_ports(0, usize::MAX, 5).is_err());
    }

    #[test]
    fn after_a_takeover_connected_participants_are_redialled_as_far_as_the_ports_reach() {
        let p = |id: &str, conf: &str, state: ParticipantState, direction: Direction| Participant {
            disconnect_cause: None,
            ivr_path: Vec::new(),
            home_conference_id: None,
            stamps: Default::default(),
            id: id.into(),
            conference_id: conf.into(),
            name: format!("Site {id}"),
            address: "10.0.0.1".into(),
            protocol: Protocol::H323,
            direction,
            state,
            audio_muted: id == "a",
            video_muted: false,
            chairperson: false,
        };
        let all = vec![
            p("c", "c1", ParticipantState::Connected, Direction::DialOut),
            p("a", "c1", ParticipantState::Connected, Direction::DialIn),
            p("off", "c1", ParticipantState::Disconnected, Direction::DialOut),
            p("b", "c2", ParticipantState::Connecting, Direction::DialOut),
            p("w", "c3", ParticipantState::AwaitingAssistance, Direction::DialIn),
            p("x", "c3", ParticipantState::WaitingForDialIn, Direction::DialIn),
        ];
        let plan = redial_plan(all.clone(), 10);
        let ids: Vec<&str> = plan.dial.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["a", "c", "b", "w"], "the operator's disconnected participant stays disconnected, nobody calls a waiting dial-in");
        assert!(plan.dial.iter().all(|p| p.direction == Direction::DialOut));
        let states: Vec<ParticipantState> = plan.dial.iter().map(|p| p.state).collect();
        use ParticipantState::{AwaitingAssistance, Connected};
        assert_eq!(states, [Connected, Connected, Connected, AwaitingAssistance], "a caller awaiting an operator still waits");
        assert!(plan.dial[0].audio_muted, "mute and the rest are kept");
        assert!(plan.no_port.is_empty());
        let small = redial_plan(all, 2);
        assert_eq!(small.dial.len(), 2);
        assert_eq!(small.no_port.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["b", "w"]);
    }

    #[test]
    fn actions_change_only_what_they_say() {
        let p = Participant {
            disconnect_cause: None,
            ivr_path: Vec::new(),
            home_conference_id: None,
            stamps: Default::default(),
            id: "p".into(),
            conference_id: "c".into(),
            name: "Lisbon".into(),
            address: "10.0.0.1".into(),
            protocol: Protocol::H323,
            direction: Direction::DialOut,
            state: ParticipantState::Disconnected,
            audio_muted: false,
            video_muted: false,
            chairperson: false,
        };
        assert!(ParticipantAction::Connect.needs_port(&p));
        let c = ParticipantAction::Connect.apply(&p);
        assert_eq!(c.state, ParticipantState::Connected);
        assert!(!ParticipantAction::Connect.needs_port(&c));
        let m = ParticipantAction::MuteAudio.apply(&c);
        assert!(m.audio_muted && !m.video_muted && m.state == ParticipantState::Connected);
        assert!(ParticipantAction::MakeChairperson.apply(&m).chairperson);
        assert_eq!(ParticipantAction::parse("mute_video"), Some(ParticipantAction::MuteVideo));
        assert_eq!(ParticipantAction::parse("explode"), None);
    }
}
