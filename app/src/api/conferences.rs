//! Conferences and their participants: the lists, starting one, a Chairperson's password,
//! one conference's page, adding and acting on participants, conference actions, ending one.

use super::*;

/// A row of the conference list: what its columns show (the rest is on the conference's
/// own page, `get_conference`), so every page load carries no more than it shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConferenceRow {
    pub conference: ConferenceSummary,
    pub connected: usize,
    pub participants: usize,
}

/// A conference as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConferenceSummary {
    pub id: String,
    pub name: String,
    pub numeric_id: String,
    pub start_ms: domain::Millis,
    pub end_ms: Option<domain::Millis>,
    /// An entry queue's holding place (callers awaiting an operator), not a meeting.
    pub entry_queue: bool,
    /// "REC", "REC paused", or nothing.
    #[serde(default)]
    pub recording: Option<String>,
}

impl From<Conference> for ConferenceSummary {
    fn from(c: Conference) -> Self {
        let recording = c.recording.badge().map(str::to_string);
        ConferenceSummary { id: c.id, name: c.name, numeric_id: c.numeric_id, start_ms: c.start_ms, end_ms: c.end_ms, entry_queue: c.entry_queue, recording }
    }
}

#[server(endpoint = "list_conferences", output = crate::error::Json)]
pub async fn list_conferences() -> Result<Vec<ConferenceRow>, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewConferences).await?;
        let unlocked = unlocked(&st);
        st.db(move |s| rows_in_scope(s, &me, &unlocked)).await
    })
    .await
}

/// The ongoing conferences `me` sees (a Chairperson: their own and those `unlocked`), each
/// with its participant counts: the list's rows, and the Overview's.
#[cfg(feature = "ssr")]
pub(super) fn rows_in_scope(s: &domain::store::Store, me: &UserView, unlocked: &[String]) -> Result<Vec<ConferenceRow>, domain::DomainError> {
    let counts = s.participant_counts()?;
    Ok(s.list::<Conference>()?
        .into_iter()
        .filter(|c| domain::conference::in_scope(me.role, &me.name, c, unlocked))
        .map(|c| {
            let (connected, participants) = counts.get(&c.id).copied().unwrap_or((0, 0));
            ConferenceRow { conference: c.into(), connected, participants }
        })
        .collect())
}

/// A participant an operator should look at (the header's participant alerts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParticipantAlert {
    pub name: String,
    pub address: String,
    pub state: domain::ParticipantState,
    pub conference_id: String,
    pub conference: String,
}

/// Callers awaiting operator assistance and faulty connections, in the conferences the
/// caller sees, by conference.
#[server(endpoint = "list_participant_alerts", output = crate::error::Json)]
pub async fn list_participant_alerts() -> Result<Vec<ParticipantAlert>, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewConferences).await?;
        let unlocked = unlocked(&st);
        st.db(move |s| {
            let conferences: std::collections::HashMap<String, Conference> = s
                .list::<Conference>()?
                .into_iter()
                .filter(|c| domain::conference::in_scope(me.role, &me.name, c, &unlocked))
                .map(|c| (c.id.clone(), c))
                .collect();
            let mut out: Vec<ParticipantAlert> = s
                .list::<domain::Participant>()?
                .into_iter()
                .filter(|p| p.state.is_alert())
                .filter_map(|p| {
                    let c = conferences.get(&p.conference_id)?;
                    Some(ParticipantAlert { name: p.name, address: p.address, state: p.state, conference_id: c.id.clone(), conference: c.name.clone() })
                })
                .collect();
            out.sort_by(|a, b| (&a.conference, &a.name).cmp(&(&b.conference, &b.name)));
            Ok(out)
        })
        .await
    })
    .await
}

/// The Resource Report: the MCU's ports by type and the conferences holding them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceReport {
    pub types: Vec<domain::ports::TypeLine>,
    /// The conferences the caller sees that hold ports, most first.
    pub conferences: Vec<domain::ports::ConferenceLine>,
}

#[server(endpoint = "get_resource_report", output = crate::error::Json)]
pub async fn get_resource_report() -> Result<ResourceReport, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewConferences).await?;
        let unlocked = unlocked(&st);
        let model = st.info.model;
        st.db(move |s| {
            let (_, totals) = domain::ports::of_load(model, &s.load()?);
            let all = s.list::<Conference>()?;
            let (types, mut conferences) = domain::ports::report(totals, &all, &s.list::<domain::Participant>()?);
            let visible: std::collections::HashSet<&str> =
                all.iter().filter(|c| domain::conference::in_scope(me.role, &me.name, c, &unlocked)).map(|c| c.id.as_str()).collect();
            conferences.retain(|c| visible.contains(c.id.as_str()));
            Ok(ResourceReport { types, conferences })
        })
        .await
    })
    .await
}

/// The Profiles page's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfilesView {
    pub profiles: Vec<Profile>,
    pub can_manage: bool,
    /// The recording links a profile may name.
    #[serde(default)]
    pub recording_links: Vec<domain::RecordingLink>,
}

#[server(endpoint = "get_profiles", output = crate::error::Json)]
pub async fn get_profiles() -> Result<ProfilesView, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewResources).await?;
        let (profiles, recording_links) = st.db(|s| Ok((s.list::<Profile>()?, s.list::<domain::RecordingLink>()?))).await?;
        Ok(ProfilesView { profiles, can_manage: me.role.can(Permission::ManageResources), recording_links })
    })
    .await
}

/// The Meeting Rooms page's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingRoomsView {
    pub rooms: Vec<MeetingRoom>,
    pub profiles: Vec<Profile>,
    /// Numeric IDs of the rooms that are running now.
    pub running: Vec<String>,
    pub can_manage: bool,
    pub can_run: bool,
}

#[server(endpoint = "get_meeting_rooms", output = crate::error::Json)]
pub async fn get_meeting_rooms() -> Result<MeetingRoomsView, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewResources).await?;
        let (mut rooms, profiles, confs) = st.db(|s| Ok((s.list::<MeetingRoom>()?, s.list::<Profile>()?, s.list::<Conference>()?))).await?;
        domain::resources::pins_for(me.role, &mut rooms);
        Ok(MeetingRoomsView {
            rooms,
            profiles,
            running: confs.into_iter().map(|c| c.numeric_id).collect(),
            can_manage: me.role.can(Permission::ManageResources),
            can_run: me.role.can(Permission::RunConferences),
        })
    })
    .await
}

// ---------------------------------------------------------------- conferences

/// What a create form gets back: the confirmation, and the address of what it made (the
/// page links to it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Started {
    pub message: String,
    pub href: String,
}

/// Starts an ongoing conference: name, numeric ID (empty = the next free one), profile
/// (optional) and duration ("H:MM" or minutes; empty = until terminated). Refused on a Slave (G5).
#[server(endpoint = "add_conference", output = crate::error::Json)]
pub async fn add_conference(
    name: String,
    numeric_id: String,
    profile_id: Option<String>,
    duration: Option<String>,
) -> Result<Started, AppError> {
    answer(async move {
        let (st, me) = require(Permission::RunConferences).await?;
        let numeric_id = match numeric_id.trim() {
            "" => domain::resources::free_numeric_id(&id_uses(&st).await?),
            v => v.to_string(),
        };
        let profile_id = profile_id.unwrap_or_default();
        let unknown_profile = !profile_id.is_empty() && {
            let pid = profile_id.clone();
            st.db(move |s| s.get::<Profile>(&pid)).await?.is_none()
        };
        let form = domain::conference::NewConference {
            name: &name,
            numeric_id: &numeric_id,
            profile_id: &profile_id,
            unknown_profile,
            duration: duration.as_deref().unwrap_or_default(),
            owner: &me.name,
        };
        let conference = domain::conference::start(domain::store::new_id(), form, domain::store::now_ms())?;
        let (name, numeric_id, id) = (conference.name.clone(), conference.numeric_id.clone(), conference.id.clone());
        // Whether the ID is free is checked inside the store's transaction (a field error
        // like any other), so two operators can never both take one number.
        st.commit(domain::Change::Put { record: domain::Record::Conference(conference) }).await?;
        tracing::info!(by = %me.name, conference = %name, "conference started");
        Ok(Started { message: format!("Conference '{name}' (ID {numeric_id}) started."), href: format!("/conferences/{id}") })
    })
    .await
}

/// Profiles to start a conference with (the Conferences page's form).
#[server(endpoint = "get_profile_choices", output = crate::error::Json)]
pub async fn get_profile_choices() -> Result<Vec<Profile>, AppError> {
    answer(async {
        let (st, _) = require(Permission::RunConferences).await?;
        st.db(|s| s.list::<Profile>()).await
    })
    .await
}

/// One conference with its participants, and the MCU's port use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConferenceDetail {
    pub conference: Conference,
    pub participants: Vec<domain::Participant>,
    pub connected_on_mcu: u32,
    pub capacity: u32,
    pub can_run: bool,
    /// The caller may start, pause, resume and stop the recording (Operator and above).
    #[serde(default)]
    pub can_record: bool,
    /// The recording link of the conference's profile (none: Start recording is refused).
    #[serde(default)]
    pub recording_link: Option<String>,
    /// The caller may save it as a template (Operator and above; not a holding place).
    #[serde(default)]
    pub can_save_template: bool,
    /// The other conferences the caller runs: where a participant can be moved or an
    /// awaiting caller admitted (entry queues' holding places are not among them).
    pub others: Vec<ConferenceSummary>,
}

/// How `n` new calls connect on this MCU's ports (`domain::ports::connect`: video first,
/// then audio only), all of them or none; when none is left the call is refused and the
/// capacity alarm raised (cleared by the server's watch once a port is free).
#[cfg(feature = "ssr")]
pub(super) async fn connect_ports(st: &crate::state::AppState, n: usize) -> Result<Vec<domain::ParticipantState>, AppError> {
    let (used, totals) = port_use(st).await?;
    domain::ports::connect(n, used, totals).map_err(|e| {
        let capacity = totals.total();
        st.alarms.raise(domain::alarms::AlarmCode::PortsExhausted, &format!("a call was refused: all {capacity} ports are in use."));
        e.into()
    })
}

/// Dials `whom` out into the conference `conference_id`, each on a free port (else left
/// disconnected with the reason): a template's participants, address book entries. How
/// many connected.
#[cfg(feature = "ssr")]
pub(super) async fn dial_out(st: &crate::state::AppState, conference_id: &str, whom: &[domain::DefinedParticipant]) -> Result<usize, AppError> {
    let mut connected = 0;
    for d in whom {
        let (state, cause) = match connect_ports(st, 1).await {
            Ok(states) => (states.first().copied().unwrap_or(domain::ParticipantState::Connected), None),
            Err(_) => (domain::ParticipantState::Disconnected, Some(domain::DisconnectCause::NoFreePort)),
        };
        connected += usize::from(state.holds_port());
        let p = domain::Participant {
            id: domain::store::new_id(),
            conference_id: conference_id.to_string(),
            name: d.name.clone(),
            address: d.address.clone(),
            protocol: d.protocol,
            direction: domain::Direction::DialOut,
            state,
            audio_muted: false,
            video_muted: false,
            chairperson: false,
            disconnect_cause: cause,
            ivr_path: Vec::new(),
            home_conference_id: None,
            stamps: Default::default(),
        };
        st.commit(domain::Change::Put { record: domain::Record::Participant(p) }).await?;
    }
    Ok(connected)
}

/// One new call's state ([`connect_ports`]).
#[cfg(feature = "ssr")]
async fn connect_port(st: &crate::state::AppState) -> Result<domain::ParticipantState, AppError> {
    Ok(connect_ports(st, 1).await?.first().copied().unwrap_or(domain::ParticipantState::Connected))
}

/// (ports in use, ports) by type.
#[cfg(feature = "ssr")]
async fn port_use(st: &crate::state::AppState) -> Result<(domain::ports::Ports, domain::ports::Ports), AppError> {
    let load = st.db(|s| s.load()).await?;
    Ok(domain::ports::of_load(st.info.model, &load))
}

/// What the operator is told when a call could connect on audio only.
#[cfg(feature = "ssr")]
fn audio_only_note(state: domain::ParticipantState) -> &'static str {
    if state == domain::ParticipantState::PartiallyConnected {
        " No video port was free: it is connected on audio only."
    } else {
        ""
    }
}

/// One synced record by id, or `NotFound` with `missing` as the message.
#[cfg(feature = "ssr")]
async fn find<T: domain::store::Synced + Send + 'static>(
    st: &crate::state::AppState,
    id: String,
    missing: &str,
) -> Result<T, AppError> {
    st.db(move |s| s.get::<T>(&id)).await?.ok_or_else(|| AppError::NotFound(missing.into()))
}

#[cfg(feature = "ssr")]
async fn find_conference(st: &crate::state::AppState, id: String) -> Result<Conference, AppError> {
    find(st, id, "That conference has ended or does not exist.").await
}

/// The conferences this session's chairperson passwords opened.
#[cfg(feature = "ssr")]
pub(super) fn unlocked(st: &crate::state::AppState) -> Vec<String> {
    crate::state::session_token(st).map(|t| st.chair_unlocks.of(&t)).unwrap_or_default()
}

/// A conference the caller may see and run (a Chairperson: one they started or opened
/// with its chairperson password), its chairperson password not shown.
#[cfg(feature = "ssr")]
pub(super) async fn conference_for(st: &crate::state::AppState, me: &UserView, id: String) -> Result<Conference, AppError> {
    let mut c = find_conference(st, id).await?;
    if !domain::conference::in_scope(me.role, &me.name, &c, &unlocked(st)) {
        return Err(AppError::Forbidden(
            "A Chairperson runs only the conferences they started or whose chairperson password they entered.".into(),
        ));
    }
    c.chairperson_password.clear();
    c.conference_password.clear();
    Ok(c)
}

/// A Chairperson opens the conferences whose chairperson password this is (for this
/// session), as on the original. Wrong passwords count like failed logins.
#[server(endpoint = "enter_chairperson_password", output = crate::error::Json)]
pub async fn enter_chairperson_password(password: String) -> Result<String, AppError> {
    answer(async move {
        use domain::throttle::Outcome;
        let (st, me) = require(Permission::RunConferences).await?;
        if me.role != domain::Role::Chairperson {
            return Ok(format!("Your role ({}) sees every conference.", me.role.label()));
        }
        let password = domain::resources::numeric_password("password", &password)?;
        if password.is_empty() {
            return Err(AppError::Invalid { field: "password".into(), message: "Enter the conference's chairperson password.".into() });
        }
        let client = crate::state::client_ip();
        let ticket = st.throttle.begin(&format!("chairperson-password:{}", me.name), client).map_err(|r| AppError::Throttled {
            message: format!("Too many wrong chairperson passwords. Try again in {} s.", r.wait_s),
            retry_after_s: r.wait_s,
        })?;
        let conferences = st.db(|s| s.list::<Conference>()).await?;
        let opened: Vec<(String, String)> =
            domain::conference::unlocked_by(&password, &conferences).into_iter().map(|c| (c.id.clone(), c.name.clone())).collect();
        if opened.is_empty() {
            ticket.finish(Outcome::Failure);
            tracing::warn!(user = %me.name, %client, "wrong chairperson password");
            return Err(AppError::Invalid { field: "password".into(), message: "No ongoing conference has that chairperson password.".into() });
        }
        ticket.finish(Outcome::Success);
        if let Some(token) = crate::state::session_token(&st) {
            st.chair_unlocks.add(&token, opened.iter().map(|(id, _)| id.clone()));
        }
        let names: Vec<&str> = opened.iter().map(|(_, n)| n.as_str()).collect();
        Ok(format!("Opened: {}.", names.join(", ")))
    })
    .await
}

#[server(endpoint = "get_conference", output = crate::error::Json)]
pub async fn get_conference(id: String) -> Result<ConferenceDetail, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ViewConferences).await?;
        let conference = conference_for(&st, &me, id).await?;
        let (cid, profile_id) = (conference.id.clone(), conference.profile_id.clone());
        let (participants, all, recording_link) = st
            .db(move |s| {
                let link_id = s.get::<domain::Profile>(&profile_id)?.map(|p| p.recording_link_id).filter(|l| !l.is_empty());
                let link = match link_id {
                    Some(l) => s.get::<domain::RecordingLink>(&l)?.map(|l| l.name),
                    None => None,
                };
                Ok((s.participants_of(&cid)?, s.list::<Conference>()?, link))
            })
            .await?;
        let (used, totals) = port_use(&st).await?;
        let (connected_on_mcu, capacity) = (used.total(), totals.total());
        let can_run = me.role.can(Permission::RunConferences);
        let unlocked = unlocked(&st);
        let others = all
            .into_iter()
            .filter(|c| can_run && c.id != conference.id && !c.entry_queue && domain::conference::in_scope(me.role, &me.name, c, &unlocked))
            .map(ConferenceSummary::from)
            .collect();
        let can_record = can_run && me.role.can(Permission::ControlRecording);
        let can_save_template = me.role.can(Permission::ManageResources) && !conference.entry_queue;
        Ok(ConferenceDetail { conference, participants, connected_on_mcu, capacity, can_run, can_record, recording_link, can_save_template, others })
    })
    .await
}

/// Adds a participant and dials it (calls are simulated: it connects at once when a port is free).
#[cfg(feature = "ssr")]
async fn add_participant_as(
    st: &crate::state::AppState,
    conference_id: String,
    name: &str,
    address: &str,
    protocol: &str,
    direction: domain::Direction,
) -> Result<String, AppError> {
    let protocol = domain::Protocol::parse(protocol)?;
    let name = domain::conference::display_name("name", name)?;
    let address = domain::conference::participant_address(protocol, address)?;
    let conference = find_conference(st, conference_id).await?;
    if direction == domain::Direction::DialOut {
        let cid = conference.id.clone();
        let present = st.db(move |s| s.participants_of(&cid)).await?;
        domain::conference::check_not_dialled_out(protocol, &address, &present)?;
    }
    let state = connect_port(st).await?;
    let p = domain::Participant {
        id: domain::store::new_id(),
        conference_id: conference.id,
        name: name.clone(),
        address,
        protocol,
        direction,
        state,
        audio_muted: false,
        video_muted: false,
        chairperson: false,
        disconnect_cause: None,
        ivr_path: Vec::new(),
        home_conference_id: None,
        stamps: Default::default(),
    };
    st.commit(domain::Change::Put { record: domain::Record::Participant(p) }).await?;
    Ok(format!("'{name}' connected to {}.{}", conference.name, audio_only_note(state)))
}

#[server(endpoint = "add_participant", output = crate::error::Json)]
pub async fn add_participant(conference_id: String, name: String, address: String, protocol: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::RunConferences).await?;
        conference_for(&st, &me, conference_id.clone()).await?;
        add_participant_as(&st, conference_id, &name, &address, &protocol, domain::Direction::DialOut).await
    })
    .await
}

/// Simulation endpoint (calls are simulated): a caller dials `numeric_id` and keys in
/// `digits` when the IVR asks (answers separated by `#` or `,`). Where the call goes is
/// `domain::dialin::route`: an ongoing conference, a meeting room (started now), an entry
/// queue's IVR, or the Transit EQ; the room's conference and the participant are one unit.
#[server(endpoint = "simulate_dial_in", output = crate::error::Json)]
pub async fn simulate_dial_in(
    numeric_id: String,
    name: String,
    address: String,
    protocol: String,
    digits: Option<String>,
) -> Result<String, AppError> {
    answer(async move {
        use domain::dialin::{parse_entries, route, Caller, Reachable};
        let (st, _) = require(Permission::RunConferences).await?;
        crate::state::require_simulation(&st)?;
        let protocol = domain::Protocol::parse(&protocol)?;
        let name = domain::conference::display_name("name", &name)?;
        let address = domain::conference::participant_address(protocol, &address)?;
        let entries = parse_entries(digits.as_deref().unwrap_or_default())?;
        let (conferences, rooms, queues, ivrs) = st
            .db(|s| {
                Ok((s.list::<Conference>()?, s.list::<domain::MeetingRoom>()?, s.list::<domain::EntryQueue>()?, s.list::<domain::IvrService>()?))
            })
            .await?;
        let decision = route(&numeric_id, &entries, Reachable { conferences: &conferences, rooms: &rooms, queues: &queues, ivrs: &ivrs })?;
        let media = connect_port(&st).await?;
        let told = decision.told(&name, &conferences);
        let (changes, _) = decision.changes(Caller { name, address, protocol }, media, domain::store::now_ms(), domain::store::new_id);
        st.commit_all(changes).await?;
        Ok(format!("{told}{}", audio_only_note(media)))
    })
    .await
}

/// Simulation endpoint (calls are simulated): a participant's media — `up`, `audio_only`
/// (Partially Connected) or `stream_down` (Faulty Connection, a participant alert).
#[server(endpoint = "simulate_media", output = crate::error::Json)]
pub async fn simulate_media(participant_id: String, media: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::RunConferences).await?;
        crate::state::require_simulation(&st)?;
        let media = domain::conference::Media::parse(&media)?;
        let p: domain::Participant = find(&st, participant_id, "That participant is no longer in the conference.").await?;
        conference_for(&st, &me, p.conference_id.clone()).await?;
        let after = media.apply(&p)?;
        let told = format!("{}: {}.", after.name, after.state.label());
        st.commit(domain::Change::Put { record: domain::Record::Participant(after) }).await?;
        Ok(told)
    })
    .await
}

/// Move a participant to another conference, back to its home conference, or attend to a
/// caller awaiting assistance (`action`: move, home, attend; `conference_id`: the
/// operator's pick, empty for none).
#[server(endpoint = "place_participant", output = crate::error::Json)]
pub async fn place_participant(participant_id: String, action: String, conference_id: Option<String>) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::RunConferences).await?;
        let placement = domain::conference::Placement::parse(&action)
            .ok_or_else(|| AppError::Invalid { field: "action".into(), message: format!("Unknown action '{action}'.") })?;
        let p: domain::Participant = find(&st, participant_id, "That participant is no longer in the conference.").await?;
        conference_for(&st, &me, p.conference_id.clone()).await?;
        let conferences = st.db(|s| s.list::<Conference>()).await?;
        let to = match conference_id.as_deref().map(str::trim).filter(|id| !id.is_empty()) {
            Some(id) => {
                let c = conferences.iter().find(|c| c.id == id).ok_or_else(|| AppError::NotFound("That conference has ended or does not exist.".into()))?;
                if !domain::conference::in_scope(me.role, &me.name, c, &unlocked(&st)) {
                    return Err(AppError::Forbidden("A Chairperson moves participants only into conferences they run.".into()));
                }
                Some(c)
            }
            None => None,
        };
        let (after, told) = placement.apply(&p, to, &conferences)?;
        st.commit(domain::Change::Put { record: domain::Record::Participant(after) }).await?;
        Ok(told)
    })
    .await
}

#[server(endpoint = "participant_action", output = crate::error::Json)]
pub async fn participant_action(participant_id: String, action: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::RunConferences).await?;
        let p: domain::Participant = find(&st, participant_id, "That participant is no longer in the conference.").await?;
        conference_for(&st, &me, p.conference_id.clone()).await?;
        if action == "delete" {
            st.commit(domain::Change::Delete { kind: domain::EntityKind::Participant, id: p.id }).await?;
            return Ok(format!("{} removed from the conference.", p.name));
        }
        let act = domain::conference::ParticipantAction::parse(&action)
            .ok_or_else(|| AppError::Invalid { field: "action".into(), message: format!("Unknown action '{action}'.") })?;
        let mut after = act.apply(&p);
        let mut note = "";
        if act.needs_port(&p) {
            after.state = connect_port(&st).await?;
            note = audio_only_note(after.state);
        }
        st.commit(domain::Change::Put { record: domain::Record::Participant(after) }).await?;
        Ok(format!("{}{note}", act.done(&p.name)))
    })
    .await
}

/// One action on the participants an operator selected (comma-separated ids): mute,
/// unmute, connect, disconnect or delete. Connecting counts ports for the whole selection.
#[server(endpoint = "participants_action", output = crate::error::Json)]
pub async fn participants_action(conference_id: String, ids: String, action: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::RunConferences).await?;
        let c = conference_for(&st, &me, conference_id).await?;
        let cid = c.id.clone();
        let present = st.db(move |s| s.participants_of(&cid)).await?;
        let picked = domain::conference::selection(&ids, &present)?;
        let n = picked.len();
        // The whole selection, or nothing of it.
        if action == "delete" {
            let gone = picked.iter().map(|p| domain::Change::Delete { kind: domain::EntityKind::Participant, id: p.id.clone() }).collect();
            st.commit_all(gone).await?;
            return Ok(format!("{n} participant(s) removed from {}.", c.name));
        }
        let act = domain::conference::ParticipantAction::parse(&action)
            .ok_or_else(|| AppError::Invalid { field: "action".into(), message: format!("Unknown action '{action}'.") })?;
        let needs_ports = picked.iter().filter(|p| act.needs_port(p)).count();
        // Video for as many as video ports allow, then audio only; all of them or none.
        let mut media = if needs_ports > 0 { connect_ports(&st, needs_ports).await? } else { Vec::new() }.into_iter();
        let changes: Vec<domain::Change> = picked
            .iter()
            .map(|p| {
                let mut after = act.apply(p);
                if act.needs_port(p) {
                    after.state = media.next().unwrap_or(after.state);
                }
                (after, *p)
            })
            .filter(|(after, before)| after != *before)
            .map(|(after, _)| domain::Change::Put { record: domain::Record::Participant(after) })
            .collect();
        let changed = changes.len();
        st.commit_all(changes).await?;
        Ok(format!("{}: {} — {changed} of {n} selected participant(s) changed.", c.name, action.replace('_', " ")))
    })
    .await
}

/// An action on a whole conference: mute all but the chairpersons, unmute all, lock,
/// unlock, extend by 15, 30 or 60 minutes.
#[server(endpoint = "conference_action", output = crate::error::Json)]
pub async fn conference_action(id: String, action: String) -> Result<String, AppError> {
    if let Some(act) = domain::recording::RecordingAction::parse(&action) {
        return recording_action(id, act).await;
    }
    answer(async move {
        let (st, me) = require(Permission::RunConferences).await?;
        let act = domain::conference::ConferenceAction::parse(&action)
            .ok_or_else(|| AppError::Invalid { field: "action".into(), message: format!("Unknown conference action '{action}'.") })?;
        let c = conference_for(&st, &me, id).await?;
        let cid = c.id.clone();
        let present = st.db(move |s| s.participants_of(&cid)).await?;
        let records = act.apply(&c, &present)?;
        let n = records.len();
        st.commit_all(records.into_iter().map(|record| domain::Change::Put { record }).collect()).await?;
        Ok(act.done(&c.name, n))
    })
    .await
}

/// Start, Pause, Resume or Stop the conference's recording (Operator and above); Start
/// records to the recording link of the conference's profile.
#[cfg(feature = "ssr")]
async fn recording_action(id: String, act: domain::recording::RecordingAction) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ControlRecording).await?;
        let c = conference_for(&st, &me, id).await?;
        let profile_id = c.profile_id.clone();
        let link = st
            .db(move |s| {
                let profile = s.get::<domain::Profile>(&profile_id)?;
                let link_id = profile.map(|p| p.recording_link_id).filter(|l| !l.is_empty());
                Ok(match link_id {
                    Some(l) => s.get::<domain::RecordingLink>(&l)?,
                    None => None,
                })
            })
            .await?;
        let recording = domain::recording::act(&c.recording, act, link.as_ref(), &c.name, domain::store::now_ms())?;
        let said = act.done(&c.name, &recording);
        st.commit(domain::Change::Put { record: domain::Record::Conference(Conference { recording, ..c }) }).await?;
        Ok(said)
    })
    .await
}

#[server(endpoint = "terminate_conference", output = crate::error::Json)]
pub async fn terminate_conference(id: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::RunConferences).await?;
        let c = conference_for(&st, &me, id).await?;
        st.end_conference(&c, domain::cdr::Ended::Terminated { by: me.name.clone() }).await?;
        tracing::info!(by = %me.name, conference = %c.name, "conference terminated");
        // The list says what ended (the name is looked up there, never echoed from the URL).
        leptos_axum::redirect(&format!("/conferences?ended={}", c.numeric_id));
        Ok(format!("Conference '{}' terminated.", c.name))
    })
    .await
}
