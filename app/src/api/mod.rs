//! Server functions: the browser's API. Each one checks the caller's role first
//! ([`crate::state::require`]), then calls the domain; nothing here decides a rule.

use crate::error::AppError;
use domain::{
    Conference, HotBackupSettings, ManagementNetwork, MeetingRoom, Profile, SystemInfo,
    SystemStatus, UserView,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

mod alarms;
mod audit;
mod history;
mod netsvc;
mod schedule;
mod services;
pub use alarms::*;
pub use audit::*;
pub use history::*;
pub use netsvc::*;
pub use schedule::*;
pub use services::*;

#[cfg(feature = "ssr")]
use crate::state::{answer, require, state};
#[cfg(feature = "ssr")]
use domain::Permission;

/// What every page's frame shows: this MCU, who is logged in, and (when someone is) the
/// Hot Backup state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shell {
    pub info: SystemInfo,
    pub user: Option<UserView>,
    pub live: Option<LiveHb>,
    /// The live updates announced before the page was made (its event stream starts from
    /// there: `/events?since=`).
    pub changes: u64,
}

/// `full`: with the Hot Backup page's event log and checks (that page is being shown).
#[server(endpoint = "get_shell", output = crate::error::Json)]
pub async fn get_shell(full: bool) -> Result<Shell, AppError> {
    answer(async move {
        let st = state()?;
        let changes = st.hb.changes_announced();
        let user = crate::state::current_user(&st).await?;
        let live = match &user {
            Some(u) => Some(live_hb(&st, u, full).await),
            None => None,
        };
        Ok(Shell { info: st.info.clone(), user, live, changes })
    })
    .await
}

/// The Hot Backup state every page shares: one snapshot drives the header badge, the
/// Slave's read-only mode and banner, and the Hot Backup page's panel, so they always agree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveHb {
    pub status: domain::hotbackup::HbStatus,
    /// On a Slave: the Master's web address (scheme and host, no path), where changes are
    /// made.
    pub master_url: Option<String>,
    /// This MCU's Active Alarms, counted (the header's indicator); none for a role that
    /// does not see them.
    pub alarms: domain::alarms::AlarmCounts,
}

impl LiveHb {
    /// A Slave mirrors its Master: its synced state is read-only (G5).
    pub fn read_only(&self) -> bool {
        self.status.role == domain::hotbackup::LiveRole::Slave
    }

    /// The role badge: "Hot Backup off", "Master · Sync OK", "Slave · Sync Fail"...
    pub fn badge(&self) -> String {
        use domain::hotbackup::LiveRole;
        let sync = self.status.sync_status.label();
        match self.status.role {
            LiveRole::Standalone => "Hot Backup off".into(),
            LiveRole::Master => format!("Master · Sync {sync}"),
            LiveRole::Slave => format!("Slave · Sync {sync}"),
        }
    }

    /// The paired Master's name for the read-only banner (its address until it answered).
    pub fn master_name(&self) -> String {
        self.status.peer_name.clone().unwrap_or_else(|| self.status.peer_address.clone())
    }
}

/// The shared Hot Backup state, fetched again by the frame at every Hot Backup event and
/// once a second. `full` adds the event log and the guideline checks (for the Hot Backup
/// page); those, the digests and the certificate fingerprints only for users who may see
/// the configuration.
#[server(endpoint = "get_live", output = crate::error::Json)]
pub async fn get_live(full: bool) -> Result<LiveHb, AppError> {
    answer(async move {
        let st = state()?;
        let me = crate::state::current_user(&st).await?.ok_or(AppError::NotLoggedIn)?;
        Ok(live_hb(&st, &me, full).await)
    })
    .await
}

#[cfg(feature = "ssr")]
async fn live_hb(st: &crate::state::AppState, me: &UserView, full: bool) -> LiveHb {
    use domain::hotbackup::LiveRole;
    let mut status = st.hb.status().await;
    if !(full && me.role.can(Permission::ViewConfiguration)) {
        status.events.clear();
        status.checks.clear();
    }
    if !me.role.can(Permission::ViewConfiguration) {
        status.digest.clear();
        status.peer_digest = None;
        status.fingerprint.clear();
        status.peer_fingerprint.clear();
    }
    let master_url = (status.role == LiveRole::Slave && !status.peer_address.is_empty())
        .then(|| format!("{}://{}", if st.policy.tls { "https" } else { "http" }, status.peer_address));
    let alarms = if me.role.can(Permission::ViewConfiguration) { st.hb.alarm_counts() } else { Default::default() };
    LiveHb { status, master_url, alarms }
}

/// Logs in and sets the session cookie. Wrong name and wrong password get the same answer.
/// Sizes are bounded before anything else; the failed-login limit (per name and client
/// address, and per address) admits and counts the attempt in one step; the password check
/// runs on the bounded password workers (429 with `Retry-After` when they are full).
#[server(endpoint = "login", output = crate::error::Json)]
pub async fn login(username: String, password: String, next: String) -> Result<UserView, AppError> {
    answer(async move {
        use domain::throttle::Outcome;
        let st = state()?;
        let (name, password) = domain::validate::login_credentials(&username, &password)?;
        let client = crate::state::client_ip();
        let ticket = match st.throttle.begin(&name, client) {
            Ok(t) => t,
            Err(r) => {
                if r.first {
                    tracing::warn!(user = ?name, %client, wait_s = r.wait_s, whole_address = r.address,
                        "login refused: too many failed logins (further refusals of this burst are not logged)");
                }
                let whom = if r.address { "from this address" } else { "for this user from this address" };
                return Err(AppError::Throttled {
                    message: format!("Too many failed logins {whom}. Try again in {} s.", r.wait_s),
                    retry_after_s: r.wait_s,
                });
            }
        };
        let who = name.clone();
        let checked = st.db(move |s| s.check_login(&who, &password)).await;
        let user = match checked {
            Ok(Some(user)) => {
                ticket.finish(Outcome::Success);
                user
            }
            Ok(None) => {
                ticket.finish(Outcome::Failure);
                // A name that is no user's may be a password typed in the wrong field: it
                // goes neither to the trail nor to the log.
                let who = name.clone();
                let known = st.db(move |s| s.user_exists(&who)).await.unwrap_or(false);
                let shown = if known { name.as_str() } else { domain::audit::UNKNOWN_USER };
                tracing::warn!(user = ?shown, %client, "login failed");
                st.audit_as(shown, None, domain::audit::AuditKind::LoginFailed, "Wrong user name or password.", false).await;
                return Err(AppError::LoginRefused("Wrong user name or password.".into()));
            }
            Err(e) => {
                ticket.finish(Outcome::NotChecked);
                return Err(e);
            }
        };
        let (who, idle) = (user.name.clone(), st.policy.session_idle_ms);
        let token = st.db(move |s| s.create_session(&who, idle)).await?;
        crate::state::set_cookie(crate::state::session_cookie(&st, Some(&token)));
        tracing::info!(user = %user.name, role = %user.role, %client, "login");
        st.audit_as(&user.name, Some(user.role), domain::audit::AuditKind::Login, "Logged in.", true).await;
        leptos_axum::redirect(&domain::validate::local_path(&next));
        Ok(user)
    })
    .await
}

#[server(endpoint = "logout", output = crate::error::Json)]
pub async fn logout() -> Result<(), AppError> {
    answer(async {
        let st = state()?;
        if let Some(token) = crate::state::session_token(&st) {
            if let Ok(Some(u)) = crate::state::current_user(&st).await {
                st.audit_as(&u.name, Some(u.role), domain::audit::AuditKind::Logout, "Logged out.", true).await;
            }
            st.db(move |s| s.end_session(&token)).await?;
            st.sessions.clear();
        }
        crate::state::set_cookie(crate::state::session_cookie(&st, None));
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}


// ---------------------------------------------------------------- users

/// The Users page's data; `can_manage` says whether the caller may change users.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserList {
    pub users: Vec<UserView>,
    pub can_manage: bool,
}

#[server(endpoint = "list_users", output = crate::error::Json)]
pub async fn list_users() -> Result<UserList, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewUsers).await?;
        let users = st.db(|s| s.users()).await?;
        Ok(UserList { users, can_manage: me.role.can(Permission::ManageUsers) })
    })
    .await
}

#[server(endpoint = "add_user", output = crate::error::Json)]
pub async fn add_user(name: String, password: String, role: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageUsers).await?;
        let name = domain::validate::user_name(&name)?;
        let password = domain::validate::new_password(&password)?;
        let role = domain::validate::role(&role)?;
        let user = st.db(move |s| s.create_user(&name, &password, role)).await?;
        tracing::info!(by = %me.name, user = %user.name, "user added");
        st.audit(domain::audit::AuditKind::Users, &format!("User '{}' added as {}.", user.name, user.role), true).await;
        Ok(format!("User '{}' added as {}.", user.name, user.role))
    })
    .await
}

#[server(endpoint = "set_user_role", output = crate::error::Json)]
pub async fn set_user_role(name: String, role: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageUsers).await?;
        let role = domain::validate::role(&role)?;
        let who = name.clone();
        st.db(move |s| s.set_role(&who, role)).await?;
        st.sessions.clear();
        tracing::info!(by = %me.name, user = %name, "user role changed");
        st.audit(domain::audit::AuditKind::Users, &format!("Role of '{name}' changed to {role}."), true).await;
        Ok(format!("'{name}' is now {role}."))
    })
    .await
}

#[server(endpoint = "set_user_password", output = crate::error::Json)]
pub async fn set_user_password(name: String, password: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageUsers).await?;
        let password = domain::validate::new_password(&password)?;
        let keep = if me.name.eq_ignore_ascii_case(&name) { crate::state::session_token(&st) } else { None };
        let who = name.clone();
        st.db(move |s| s.set_password(&who, &password, keep.as_deref())).await?;
        st.sessions.clear();
        tracing::info!(by = %me.name, user = %name, "user password changed");
        st.audit(domain::audit::AuditKind::Users, &format!("Password of '{name}' changed."), true).await;
        Ok(format!("Password of '{name}' changed; their other sessions were ended."))
    })
    .await
}

#[server(endpoint = "delete_user", output = crate::error::Json)]
pub async fn delete_user(name: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageUsers).await?;
        domain::users::may_delete(&me.name, &name)?;
        let who = name.clone();
        st.db(move |s| s.delete_user(&who)).await?;
        st.sessions.clear();
        tracing::info!(by = %me.name, user = %name, "user deleted");
        st.audit(domain::audit::AuditKind::Users, &format!("User '{name}' deleted."), true).await;
        Ok(format!("User '{name}' deleted."))
    })
    .await
}

// ---------------------------------------------------------------- system

#[server(endpoint = "get_system_status", output = crate::error::Json)]
pub async fn get_system_status() -> Result<SystemStatus, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewConfiguration).await?;
        let (users, change_log_seq) = st.db(|s| Ok((s.user_count()?, s.last_seq()?))).await?;
        Ok(SystemStatus {
            info: st.info.clone(),
            uptime_s: st.started.elapsed().as_secs(),
            data_dir: st.data_dir.display().to_string(),
            users,
            change_log_seq,
            can_manage: me.role.can(Permission::ManageConfiguration),
        })
    })
    .await
}

/// Backups kept in the data folder's `backups/`; older ones are removed.
#[cfg(feature = "ssr")]
const BACKUPS_KEPT: usize = 10;

/// "Backup configuration": a consistent copy of this MCU's database (SQLite online backup,
/// taken while it runs) in `<data folder>/backups/`, private to the MCU's user. The file
/// never leaves the MCU: it holds password hashes and credentials. Administrator only.
#[server(endpoint = "backup_configuration", output = crate::error::Json)]
pub async fn backup_configuration() -> Result<String, AppError> {
    answer(async {
        let (st, me) = require(Permission::ManageConfiguration).await?;
        let dir = st.data_dir.join("backups");
        let now = domain::store::now_ms();
        let minute = domain::timefmt::format_utc(now).trim_end_matches(" UTC").replace([' ', ':'], "-");
        let name = format!("mcu-{minute}-{:02}.sqlite3", now / 1000 % 60);
        let path = dir.join(&name);
        let shown = path.display().to_string();
        st.db(move |s| {
            std::fs::create_dir_all(&dir).map_err(|e| domain::DomainError::Storage(format!("cannot create {}: {e}", dir.display())))?;
            s.backup_to(&path)?;
            let mut old: Vec<_> = std::fs::read_dir(&dir)
                .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "sqlite3")).collect())
                .unwrap_or_default();
            old.sort();
            let extra = old.len().saturating_sub(BACKUPS_KEPT);
            for p in old.into_iter().take(extra) {
                let _ = std::fs::remove_file(p);
            }
            Ok(())
        })
        .await?;
        tracing::info!(by = %me.name, file = %shown, "configuration backed up");
        st.audit(domain::audit::AuditKind::Backup, &format!("Backup written to {shown}."), true).await;
        Ok(format!("Backup written to {shown} (the last {BACKUPS_KEPT} are kept)."))
    })
    .await
}

// ---------------------------------------------------------------- read-only lists

/// A row of the conference list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConferenceRow {
    pub conference: Conference,
    pub connected: usize,
    pub participants: usize,
}

#[server(endpoint = "list_conferences", output = crate::error::Json)]
pub async fn list_conferences() -> Result<Vec<ConferenceRow>, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewConferences).await?;
        let unlocked = unlocked(&st);
        st.db(move |s| {
            let counts = s.participant_counts()?;
            Ok(s.list::<Conference>()?
                .into_iter()
                .filter(|c| domain::conference::in_scope(me.role, &me.name, c, &unlocked))
                .map(|mut conference| {
                    // The chairperson password is for typing, not for showing.
                    conference.chairperson_password.clear();
                    let (connected, participants) = counts.get(&conference.id).copied().unwrap_or((0, 0));
                    ConferenceRow { conference, connected, participants }
                })
                .collect())
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
}

#[server(endpoint = "get_profiles", output = crate::error::Json)]
pub async fn get_profiles() -> Result<ProfilesView, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewResources).await?;
        let profiles = st.db(|s| s.list::<Profile>()).await?;
        Ok(ProfilesView { profiles, can_manage: me.role.can(Permission::ManageResources) })
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

/// Starts an ongoing conference: name, numeric ID (empty = the next free one), profile
/// (optional) and duration ("H:MM" or minutes; empty = until terminated). Refused on a Slave (G5).
#[server(endpoint = "add_conference", output = crate::error::Json)]
pub async fn add_conference(
    name: String,
    numeric_id: String,
    profile_id: Option<String>,
    duration: Option<String>,
) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::RunConferences).await?;
        let numeric_id = match numeric_id.trim() {
            "" => domain::resources::free_numeric_id(&id_uses(&st).await?),
            v => v.to_string(),
        };
        let profile_id = profile_id.unwrap_or_default();
        if !profile_id.is_empty() {
            let pid = profile_id.clone();
            if st.db(move |s| s.get::<Profile>(&pid)).await?.is_none() {
                return Err(AppError::Invalid { field: "profile_id".into(), message: "Choose a conference profile from the list.".into() });
            }
        }
        let form = domain::conference::NewConference {
            name: &name,
            numeric_id: &numeric_id,
            profile_id: &profile_id,
            duration: duration.as_deref().unwrap_or_default(),
            owner: &me.name,
        };
        let conference = domain::conference::start(domain::store::new_id(), form, domain::store::now_ms())?;
        let (name, numeric_id) = (conference.name.clone(), conference.numeric_id.clone());
        // Whether the ID is free is checked inside the store's transaction (a field error
        // like any other), so two operators can never both take one number.
        st.commit(domain::Change::Put { record: domain::Record::Conference(conference) }).await?;
        tracing::info!(by = %me.name, conference = %name, "conference started");
        Ok(format!("Conference '{name}' (ID {numeric_id}) started."))
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
}

/// A call needs a free port of this MCU; when none is left it is refused and the
/// capacity alarm raised (cleared by the server's watch once a port is free).
#[cfg(feature = "ssr")]
async fn need_port(st: &crate::state::AppState) -> Result<(), AppError> {
    need_ports(st, 1).await
}

/// `n` more calls fit on this MCU's ports (all of a selection, or none of it).
#[cfg(feature = "ssr")]
async fn need_ports(st: &crate::state::AppState, n: usize) -> Result<(), AppError> {
    let (connected, capacity) = port_use(st).await?;
    domain::conference::check_ports(connected, n, capacity).map_err(|e| {
        st.hb.raise_alarm(domain::alarms::AlarmCode::PortsExhausted, &format!("a call was refused: all {capacity} ports are in use."));
        e.into()
    })
}

#[cfg(feature = "ssr")]
async fn port_use(st: &crate::state::AppState) -> Result<(u32, u32), AppError> {
    let model = st.info.model;
    st.db(move |s| {
        let ports: domain::PortConfiguration = s.local(domain::store::keys::PORT_CONFIGURATION)?;
        Ok((s.connected_participants()?, domain::conference::capacity(model, &ports)))
    })
    .await
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
fn unlocked(st: &crate::state::AppState) -> Vec<String> {
    crate::state::session_token(st).map(|t| st.chair_unlocks.of(&t)).unwrap_or_default()
}

/// A conference the caller may see and run (a Chairperson: one they started or opened
/// with its chairperson password), its chairperson password not shown.
#[cfg(feature = "ssr")]
async fn conference_for(st: &crate::state::AppState, me: &UserView, id: String) -> Result<Conference, AppError> {
    let mut c = find_conference(st, id).await?;
    if !domain::conference::in_scope(me.role, &me.name, &c, &unlocked(st)) {
        return Err(AppError::Forbidden(
            "A Chairperson runs only the conferences they started or whose chairperson password they entered.".into(),
        ));
    }
    c.chairperson_password.clear();
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
        let cid = conference.id.clone();
        let participants = st.db(move |s| s.participants_of(&cid)).await?;
        let (connected_on_mcu, capacity) = port_use(&st).await?;
        Ok(ConferenceDetail { conference, participants, connected_on_mcu, capacity, can_run: me.role.can(Permission::RunConferences) })
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
    need_port(st).await?;
    let p = domain::Participant {
        id: domain::store::new_id(),
        conference_id: conference.id,
        name: name.clone(),
        address,
        protocol,
        direction,
        state: domain::ParticipantState::Connected,
        audio_muted: false,
        video_muted: false,
        chairperson: false,
        disconnect_cause: None,
    };
    st.commit(domain::Change::Put { record: domain::Record::Participant(p) }).await?;
    Ok(format!("'{name}' connected to {}.", conference.name))
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

/// Simulation endpoint: a participant calls in to the ongoing conference with this numeric
/// ID (calls are simulated). Needs a login with the right to run conferences.
#[server(endpoint = "simulate_dial_in", output = crate::error::Json)]
pub async fn simulate_dial_in(numeric_id: String, name: String, address: String, protocol: String) -> Result<String, AppError> {
    answer(async move {
        let (st, _) = require(Permission::RunConferences).await?;
        crate::state::require_simulation(&st)?;
        let nid = domain::conference::numeric_id(&numeric_id)?;
        let conference = st
            .db(move |s| Ok(s.list::<Conference>()?.into_iter().find(|c| c.numeric_id == nid)))
            .await?
            .ok_or_else(|| AppError::NotFound(format!("No ongoing conference has ID {numeric_id}.")))?;
        domain::conference::check_dial_in(&conference)?;
        add_participant_as(&st, conference.id, &name, &address, &protocol, domain::Direction::DialIn).await
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
        if act.needs_port(&p) {
            need_port(&st).await?;
        }
        let after = act.apply(&p);
        st.commit(domain::Change::Put { record: domain::Record::Participant(after) }).await?;
        Ok(act.done(&p.name))
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
        if needs_ports > 0 {
            need_ports(&st, needs_ports).await?;
        }
        let changes: Vec<domain::Change> = picked
            .iter()
            .map(|p| (act.apply(p), *p))
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

// ---------------------------------------------------------------- Hot Backup

/// The Hot Backup page's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HotBackupView {
    pub status: domain::hotbackup::HbStatus,
    pub settings: HotBackupSettings,
    pub can_manage: bool,
}

#[server(endpoint = "get_hot_backup", output = crate::error::Json)]
pub async fn get_hot_backup() -> Result<HotBackupView, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewConfiguration).await?;
        Ok(HotBackupView {
            status: st.hb.status().await,
            settings: st.hb.settings(),
            can_manage: me.role.can(Permission::ManageConfiguration),
        })
    })
    .await
}

#[cfg(feature = "ssr")]
fn number(field: &'static str, raw: &str, what: &str) -> Result<u32, AppError> {
    raw.trim()
        .parse()
        .map_err(|_| AppError::Invalid { field: field.into(), message: format!("{what} must be a whole number.") })
}

/// Enables Hot Backup on this MCU after checking the guidelines against the paired MCU.
/// `password` is the caller's own: the peer link logs in to the paired MCU as them.
#[server(endpoint = "enable_hot_backup", output = crate::error::Json)]
pub async fn enable_hot_backup(
    role: String,
    peer_address: String,
    heartbeat_ms: String,
    detection_ms: String,
    inactivity_s: String,
    signalling_trigger: Option<String>,
    media_trigger: Option<String>,
    password: String,
    redial_interval_s: Option<String>,
    redial_attempts: Option<String>,
    isolation_address: Option<String>,
) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageConfiguration).await?;
        let role = match role.as_str() {
            "master" => domain::HotBackupRole::Master,
            "slave" => domain::HotBackupRole::Slave,
            _ => return Err(AppError::Invalid { field: "role".into(), message: "Choose Master MCU or Slave MCU.".into() }),
        };
        let form = SettingsForm {
            peer_address,
            heartbeat_ms,
            detection_ms,
            inactivity_s,
            signalling_trigger,
            media_trigger,
            redial_interval_s,
            redial_attempts,
            isolation_address,
        };
        let settings = HotBackupSettings { role, ..form.settings()? };
        if password.is_empty() {
            return Err(AppError::Invalid {
                field: "password".into(),
                message: "Enter your password: the paired MCU is logged in to as you (the users are the same on both, G2).".into(),
            });
        }
        let checks = st.hb.enable(settings, &me.name, &password).await?;
        let warnings: Vec<String> = checks.iter().filter(|c| !c.passed).map(|c| c.reason.clone()).collect();
        tracing::info!(by = %me.name, ?role, "Hot Backup enabled");
        st.audit(domain::audit::AuditKind::HotBackup, &format!("Hot Backup enabled as the {role:?}."), true).await;
        Ok(if warnings.is_empty() {
            "Hot Backup enabled. All guideline checks passed.".into()
        } else {
            format!("Hot Backup enabled, with a warning: {}", warnings.join(" "))
        })
    })
    .await
}

/// The settings fields shared by enabling and changing Hot Backup.
#[cfg(feature = "ssr")]
struct SettingsForm {
    peer_address: String,
    heartbeat_ms: String,
    detection_ms: String,
    inactivity_s: String,
    signalling_trigger: Option<String>,
    media_trigger: Option<String>,
    redial_interval_s: Option<String>,
    redial_attempts: Option<String>,
    isolation_address: Option<String>,
}

#[cfg(feature = "ssr")]
impl SettingsForm {
    /// Parsed (numbers); `domain::hotbackup::validate_settings` judges the values. Fields a
    /// script leaves out take their defaults.
    fn settings(self) -> Result<HotBackupSettings, AppError> {
        let d = HotBackupSettings::default();
        let optional = |field: &'static str, raw: Option<String>, what: &str, default: u32| match raw.as_deref().map(str::trim) {
            None | Some("") => Ok(default),
            Some(v) => number(field, v, what),
        };
        Ok(HotBackupSettings {
            enabled: true,
            role: d.role,
            peer_address: self.peer_address,
            heartbeat_ms: number("heartbeat_ms", &self.heartbeat_ms, "The heartbeat interval")?,
            detection_ms: number("detection_ms", &self.detection_ms, "The detection time")?,
            signalling_trigger: self.signalling_trigger.is_some(),
            media_trigger: self.media_trigger.is_some(),
            inactivity_s: number("inactivity_s", &self.inactivity_s, "The inactivity time")?,
            redial_interval_s: optional("redial_interval_s", self.redial_interval_s, "The redial interval", d.redial_interval_s)?,
            redial_attempts: optional("redial_attempts", self.redial_attempts, "The number of redial attempts", d.redial_attempts)?,
            isolation_address: self.isolation_address.unwrap_or_default(),
        })
    }
}

/// Changes the Hot Backup settings while paired, on this MCU (each MCU has its own): the
/// timings, the triggers, the isolation check address, the paired address, the redial.
/// The role does not change here (Trigger Failover does that).
#[server(endpoint = "update_hot_backup_settings", output = crate::error::Json)]
pub async fn update_hot_backup_settings(
    peer_address: String,
    heartbeat_ms: String,
    detection_ms: String,
    inactivity_s: String,
    signalling_trigger: Option<String>,
    media_trigger: Option<String>,
    redial_interval_s: Option<String>,
    redial_attempts: Option<String>,
    isolation_address: Option<String>,
) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageConfiguration).await?;
        let form = SettingsForm {
            peer_address,
            heartbeat_ms,
            detection_ms,
            inactivity_s,
            signalling_trigger,
            media_trigger,
            redial_interval_s,
            redial_attempts,
            isolation_address,
        };
        let saved = st.hb.update_settings(form.settings()?).await?;
        tracing::info!(by = %me.name, "Hot Backup settings changed while paired");
        st.audit(domain::audit::AuditKind::HotBackup, &format!("Hot Backup settings changed (heartbeat {} ms, detection {} ms).", saved.heartbeat_ms, saved.detection_ms), true).await;
        Ok(format!(
            "Settings saved on this MCU and in effect now (heartbeat {} ms, detection {} ms). It stays the {:?}.",
            saved.heartbeat_ms, saved.detection_ms, saved.role
        ))
    })
    .await
}

#[server(endpoint = "disable_hot_backup", output = crate::error::Json)]
pub async fn disable_hot_backup() -> Result<String, AppError> {
    answer(async {
        let (st, me) = require(Permission::ManageConfiguration).await?;
        st.hb.disable().await?;
        tracing::info!(by = %me.name, "Hot Backup disabled");
        st.audit(domain::audit::AuditKind::HotBackup, "Hot Backup disabled.", true).await;
        Ok("Hot Backup disabled.".into())
    })
    .await
}

#[server(endpoint = "trigger_failover", output = crate::error::Json)]
pub async fn trigger_failover() -> Result<String, AppError> {
    answer(async {
        let (st, me) = require(Permission::ManageConfiguration).await?;
        if let Err(e) = st.hb.trigger_failover().await {
            st.audit(domain::audit::AuditKind::Failover, &format!("Trigger Failover refused: {e}"), false).await;
            return Err(e.into());
        }
        tracing::info!(by = %me.name, "planned switch-over");
        st.audit(domain::audit::AuditKind::Failover, "Trigger Failover: the paired MCU is now the Master.", true).await;
        Ok("Switch-over done: the paired MCU is now the Master and this MCU its Slave.".into())
    })
    .await
}

/// Simulation endpoint (calls are simulated): this MCU's signalling or media link goes
/// down (`up` = "false") or comes back. With that failover trigger on, a Master whose link
/// stays down for the inactivity time hands over to its Slave.
#[server(endpoint = "simulate_link", output = crate::error::Json)]
pub async fn simulate_link(link: String, up: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageConfiguration).await?;
        crate::state::require_simulation(&st)?;
        let link = match link.as_str() {
            "signalling" => domain::hotbackup::Link::Signalling,
            "media" => domain::hotbackup::Link::Media,
            _ => return Err(AppError::Invalid { field: "link".into(), message: "The link is 'signalling' or 'media'.".into() }),
        };
        let up = match up.as_str() {
            "true" => true,
            "false" => false,
            _ => return Err(AppError::Invalid { field: "up".into(), message: "'up' is true or false.".into() }),
        };
        st.hb.set_link(link, up);
        tracing::info!(by = %me.name, ?link, up, "simulated link change");
        Ok(format!("{link:?} link {}.", if up { "up" } else { "down" }))
    })
    .await
}

// ---------------------------------------------------------------- settings that need a System Reset

/// The Network page's own-settings part: what is in force and what waits for a reset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResetSettings {
    pub management: ManagementNetwork,
    pub addresses: domain::NetworkAddresses,
    pub ports: domain::PortConfiguration,
    pub pending: domain::PendingReset,
    pub has_port_configuration: bool,
    pub hot_backup_enabled: bool,
    pub can_manage: bool,
}

#[server(endpoint = "get_reset_settings", output = crate::error::Json)]
pub async fn get_reset_settings() -> Result<ResetSettings, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewConfiguration).await?;
        let has = st.info.model.has_port_configuration();
        let hb = st.hb.settings().enabled;
        st.db(move |s| {
            use domain::store::keys;
            Ok(ResetSettings {
                management: s.local(keys::MANAGEMENT_NETWORK)?,
                addresses: s.local(keys::NETWORK_ADDRESSES)?,
                ports: s.local(keys::PORT_CONFIGURATION)?,
                pending: s.local(keys::PENDING_RESET)?,
                has_port_configuration: has,
                hot_backup_enabled: hb,
                can_manage: me.role.can(Permission::ManageConfiguration),
            })
        })
        .await
    })
    .await
}

/// Saves a reset-requiring change as pending; refused while Hot Backup is on (G9).
#[cfg(feature = "ssr")]
async fn save_pending(
    st: &crate::state::AppState,
    what: &str,
    update: impl FnOnce(&mut domain::PendingReset) + Send + 'static,
) -> Result<String, AppError> {
    if st.hb.settings().enabled {
        return Err(domain::hotbackup::refused_needs_reset(what).into());
    }
    st.db(move |s| {
        let mut pending: domain::PendingReset = s.local(domain::store::keys::PENDING_RESET)?;
        update(&mut pending);
        s.set_local(domain::store::keys::PENDING_RESET, &pending)
    })
    .await?;
    st.hb.raise_alarm(domain::alarms::AlarmCode::ResetNeeded, &format!("the new {what} takes effect after a System Reset."));
    st.audit(domain::audit::AuditKind::Reset, &format!("The new {what} saved for the next System Reset."), true).await;
    Ok(format!("Saved. The new {what} takes effect after a System Reset."))
}

#[server(endpoint = "set_management_network", output = crate::error::Json)]
pub async fn set_management_network(control_unit_address: String, host_name: String, dns: String) -> Result<String, AppError> {
    answer(async move {
        let (st, _) = require(Permission::ManageConfiguration).await?;
        let m = ManagementNetwork {
            control_unit_address: domain::validate::ip_address("control_unit_address", &control_unit_address, false)?,
            host_name: domain::validate::host_name("host_name", &host_name)?,
            dns: domain::validate::ip_address("dns", &dns, true)?,
        };
        save_pending(&st, "management network", move |p| p.management = Some(m)).await
    })
    .await
}

#[server(endpoint = "set_network_addresses", output = crate::error::Json)]
pub async fn set_network_addresses(signalling: String, media: String) -> Result<String, AppError> {
    answer(async move {
        let (st, _) = require(Permission::ManageConfiguration).await?;
        let a = domain::NetworkAddresses {
            signalling: domain::validate::ip_address("signalling", &signalling, false)?,
            media: domain::validate::ip_address("media", &media, false)?,
        };
        save_pending(&st, "IP Network Service addresses", move |p| p.addresses = Some(a)).await
    })
    .await
}

#[server(endpoint = "set_port_configuration", output = crate::error::Json)]
pub async fn set_port_configuration(video_ports: String, video_resolution: String, voice_ports: String) -> Result<String, AppError> {
    answer(async move {
        let (st, _) = require(Permission::ManageConfiguration).await?;
        let video_resolution = domain::Resolution::parse("video_resolution", &video_resolution)?;
        let p = domain::PortConfiguration {
            video_ports: domain::validate::number_in("video_ports", &video_ports, "Video ports", 0, 10_000)?,
            video_resolution,
            voice_ports: domain::validate::number_in("voice_ports", &voice_ports, "Voice ports", 0, 10_000)?,
        };
        p.check(st.info.model)?;
        save_pending(&st, "Video/Voice Port Configuration", move |pending| pending.ports = Some(p)).await
    })
    .await
}

/// System Reset: restarts the MCU process, which applies the pending settings.
#[server(endpoint = "reset_mcu", output = crate::error::Json)]
pub async fn reset_mcu() -> Result<String, AppError> {
    answer(async {
        let (st, me) = require(Permission::ManageConfiguration).await?;
        tracing::warn!(by = %me.name, "System Reset requested");
        st.audit(domain::audit::AuditKind::Reset, "System Reset.", true).await;
        let reset = st.reset.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            reset.request();
        });
        Ok("The MCU is resetting; it will be back in a few seconds.".into())
    })
    .await
}

// ---------------------------------------------------------------- profiles and meeting rooms

/// Creates (empty `id`) or changes a Conference Profile.
#[server(endpoint = "save_profile", output = crate::error::Json)]
pub async fn save_profile(
    id: String,
    name: String,
    line_rate_kbps: String,
    resolution: String,
    layout: String,
    encryption: Option<String>,
    auto_terminate: Option<String>,
) -> Result<String, AppError> {
    answer(async move {
        let (st, _) = require(Permission::ManageResources).await?;
        let id = if id.is_empty() { domain::store::new_id() } else { id };
        let p = domain::resources::profile(id, &name, &line_rate_kbps, &resolution, &layout, encryption.is_some(), auto_terminate.is_some())?;
        let name = p.name.clone();
        st.commit(domain::Change::Put { record: domain::Record::Profile(p) }).await?;
        Ok(format!("Profile '{name}' saved."))
    })
    .await
}

/// Creates (empty `id`) or changes a Meeting Room.
#[server(endpoint = "save_meeting_room", output = crate::error::Json)]
pub async fn save_meeting_room(
    id: String,
    name: String,
    numeric_id: String,
    // Absent when the form's list is empty (no profile yet): the rule says what to do.
    profile_id: Option<String>,
    conference_password: String,
    chairperson_password: String,
) -> Result<String, AppError> {
    answer(async move {
        let (st, _) = require(Permission::ManageResources).await?;
        let profile_id = profile_id.unwrap_or_default();
        let profiles = st.db(|s| s.list::<Profile>()).await?;
        let id = if id.is_empty() { domain::store::new_id() } else { id };
        let room = domain::resources::meeting_room(id, &name, &numeric_id, &profile_id, &conference_password, &chairperson_password, &profiles)?;
        domain::resources::check_numeric_id_free(&room.numeric_id, &room.id, &numeric_id_uses(&st, room.numeric_id.clone()).await?)?;
        let name = room.name.clone();
        st.commit(domain::Change::Put { record: domain::Record::MeetingRoom(room) }).await?;
        Ok(format!("Meeting room '{name}' saved."))
    })
    .await
}

/// Starts the meeting room's conference: its name, ID and profile.
#[server(endpoint = "start_meeting_room", output = crate::error::Json)]
pub async fn start_meeting_room(id: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::RunConferences).await?;
        let room = st.db(move |s| s.get::<MeetingRoom>(&id)).await?;
        let room = room.ok_or_else(|| AppError::NotFound("That meeting room does not exist (any more).".into()))?;
        let conference = domain::conference::from_room(domain::store::new_id(), &room, &me.name, domain::store::now_ms());
        // A room runs once at a time: the store refuses a second conference on its number,
        // in its transaction (two operators starting it at once get one conference).
        st.commit(domain::Change::Put { record: domain::Record::Conference(conference) }).await.map_err(|e| match e {
            AppError::Invalid { field, .. } if field == "numeric_id" => AppError::Conflict(format!("The meeting room '{}' is already running.", room.name)),
            other => other,
        })?;
        Ok(format!("Conference '{}' started from its meeting room.", room.name))
    })
    .await
}
