//! Conference profiles and meeting rooms: save, start a room.

use super::*;

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
    // Absent from API clients of earlier versions: none.
    recording_link_id: Option<String>,
) -> Result<String, AppError> {
    answer(async move {
        let (st, _) = require(Permission::ManageResources).await?;
        let id = if id.is_empty() { domain::store::new_id() } else { id };
        let links = st.db(|s| s.list::<domain::RecordingLink>()).await?;
        let link = recording_link_id.unwrap_or_default();
        let p = domain::resources::profile(id, &name, &line_rate_kbps, &resolution, &layout, encryption.is_some(), auto_terminate.is_some(), &link, &links)?;
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
