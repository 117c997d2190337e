//! Server functions of Entry Queues, IVR services and Recording links, and the one delete
//! of every conference resource (with its in-use check).

use crate::error::AppError;
use domain::{EntryQueue, IvrService, Profile, RecordingLink};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::state::{answer, require};
#[cfg(feature = "ssr")]
use domain::{Change, Conference, EntityKind, MeetingRoom, Permission, Record, Reservation};

/// Who holds `numeric_id` (an indexed lookup).
#[cfg(feature = "ssr")]
pub(crate) async fn numeric_id_uses(st: &crate::state::AppState, numeric_id: String) -> Result<Vec<domain::resources::IdUse>, AppError> {
    st.db(move |s| s.numeric_id_uses(&numeric_id)).await
}

/// Every numeric ID in use (rooms, entry queues, reservations, ongoing conferences): for
/// choosing a free one.
#[cfg(feature = "ssr")]
pub(crate) async fn id_uses(st: &crate::state::AppState) -> Result<Vec<domain::resources::IdUse>, AppError> {
    st.db(|s| {
        Ok(domain::resources::id_uses(
            &s.list::<MeetingRoom>()?,
            &s.list::<EntryQueue>()?,
            &s.list::<Reservation>()?,
            &s.list::<Conference>()?,
        ))
    })
    .await
}

/// The Entry Queues page's data (with what its forms choose from).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryQueuesView {
    pub queues: Vec<EntryQueue>,
    pub profiles: Vec<Profile>,
    pub ivrs: Vec<IvrService>,
    pub can_manage: bool,
}

#[server(endpoint = "get_entry_queues", output = crate::error::Json)]
pub async fn get_entry_queues() -> Result<EntryQueuesView, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewResources).await?;
        let (mut queues, profiles, ivrs) = st.db(|s| Ok((s.list::<EntryQueue>()?, s.list::<Profile>()?, s.list::<IvrService>()?))).await?;
        domain::resources::pins_for(me.role, &mut queues);
        Ok(EntryQueuesView { queues, profiles, ivrs, can_manage: me.role.can(Permission::ManageResources) })
    })
    .await
}

/// Creates (empty `id`) or changes an Entry Queue.
#[server(endpoint = "save_entry_queue", output = crate::error::Json)]
pub async fn save_entry_queue(
    id: String,
    name: String,
    numeric_id: String,
    // Absent when the form's list is empty (no profile yet): the rule says what to do.
    profile_id: Option<String>,
    ivr_service_id: String,
    conference_password: String,
    chairperson_password: String,
    // The check box: present when ticked.
    transit: Option<String>,
) -> Result<String, AppError> {
    answer(async move {
        let (st, _) = require(Permission::ManageResources).await?;
        let profile_id = profile_id.unwrap_or_default();
        let (profiles, ivrs, queues) =
            st.db(|s| Ok((s.list::<Profile>()?, s.list::<IvrService>()?, s.list::<EntryQueue>()?))).await?;
        let id = if id.is_empty() { domain::store::new_id() } else { id };
        let q = domain::resources::entry_queue(
            id,
            &name,
            &numeric_id,
            &profile_id,
            &ivr_service_id,
            &conference_password,
            &chairperson_password,
            transit.is_some(),
            &profiles,
            &ivrs,
        )?;
        domain::resources::check_numeric_id_free(&q.numeric_id, &q.id, &numeric_id_uses(&st, q.numeric_id.clone()).await?)?;
        let name = q.name.clone();
        // The one Transit EQ: taken from the one that had it, in the same unit.
        let moved = domain::resources::transit_moves(&q, &queues);
        let was = moved.first().map(|m| format!(" It is now the Transit EQ instead of '{}'.", m.name)).unwrap_or_default();
        // The old one first: the store refuses a second Transit EQ.
        let changes = moved.into_iter().chain(std::iter::once(q)).map(|q| Change::Put { record: Record::EntryQueue(q) }).collect();
        st.commit_all(changes).await?;
        Ok(format!("Entry queue '{name}' saved.{was}"))
    })
    .await
}

/// The IVR Services page's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IvrServicesView {
    pub services: Vec<IvrService>,
    pub can_manage: bool,
}

#[server(endpoint = "get_ivr_services", output = crate::error::Json)]
pub async fn get_ivr_services() -> Result<IvrServicesView, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewResources).await?;
        let services = st.db(|s| s.list::<IvrService>()).await?;
        Ok(IvrServicesView { services, can_manage: me.role.can(Permission::ManageResources) })
    })
    .await
}

#[server(endpoint = "save_ivr_service", output = crate::error::Json)]
pub async fn save_ivr_service(
    id: String,
    name: String,
    welcome_message: String,
    ask_conference_password: Option<String>,
    ask_chairperson_password: Option<String>,
    attempts: Option<String>,
) -> Result<String, AppError> {
    answer(async move {
        let (st, _) = require(Permission::ManageResources).await?;
        let id = if id.is_empty() { domain::store::new_id() } else { id };
        let ivr = domain::resources::ivr_service(
            id,
            &name,
            &welcome_message,
            ask_conference_password.is_some(),
            ask_chairperson_password.is_some(),
            attempts.as_deref().unwrap_or_default(),
        )?;
        let name = ivr.name.clone();
        st.commit(Change::Put { record: Record::IvrService(ivr) }).await?;
        Ok(format!("IVR service '{name}' saved."))
    })
    .await
}

/// The Recording Links page's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordingLinksView {
    pub links: Vec<RecordingLink>,
    pub can_manage: bool,
}

#[server(endpoint = "get_recording_links", output = crate::error::Json)]
pub async fn get_recording_links() -> Result<RecordingLinksView, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewResources).await?;
        let links = st.db(|s| s.list::<RecordingLink>()).await?;
        Ok(RecordingLinksView { links, can_manage: me.role.can(Permission::ManageResources) })
    })
    .await
}

#[server(endpoint = "save_recording_link", output = crate::error::Json)]
pub async fn save_recording_link(id: String, name: String, address: String) -> Result<String, AppError> {
    answer(async move {
        let (st, _) = require(Permission::ManageResources).await?;
        let id = if id.is_empty() { domain::store::new_id() } else { id };
        let link = domain::resources::recording_link(id, &name, &address)?;
        let name = link.name.clone();
        st.commit(Change::Put { record: Record::RecordingLink(link) }).await?;
        Ok(format!("Recording link '{name}' saved."))
    })
    .await
}

/// Deletes a profile, meeting room, entry queue, IVR service, recording link or
/// reservation; something still in use is kept and the message says by what.
#[server(endpoint = "delete_resource", output = crate::error::Json)]
pub async fn delete_resource(kind: String, id: String) -> Result<String, AppError> {
    answer(async move {
        let (st, _) = require(Permission::ManageResources).await?;
        let kind = match kind.as_str() {
            "profile" => EntityKind::Profile,
            "meeting_room" => EntityKind::MeetingRoom,
            "entry_queue" => EntityKind::EntryQueue,
            "ivr_service" => EntityKind::IvrService,
            "recording_link" => EntityKind::RecordingLink,
            "reservation" => EntityKind::Reservation,
            "template" => EntityKind::Template,
            "address_entry" => EntityKind::AddressEntry,
            _ => return Err(AppError::Invalid { field: "kind".into(), message: format!("'{kind}' is not something this page deletes.") }),
        };
        let missing = || AppError::NotFound(format!("That {} does not exist (any more).", kind.label().to_lowercase()));
        let key = id.clone();
        let name = st
            .db(move |s| {
                let name = match kind {
                    EntityKind::Profile => {
                        let Some(p) = s.get::<Profile>(&key)? else { return Ok(None) };
                        let (rooms, queues, confs, res) = (s.list()?, s.list()?, s.list()?, s.list()?);
                        domain::resources::check_profile_unused(&p, &rooms, &queues, &confs, &res)?;
                        p.name
                    }
                    EntityKind::IvrService => {
                        let Some(i) = s.get::<IvrService>(&key)? else { return Ok(None) };
                        domain::resources::check_ivr_unused(&i, &s.list()?)?;
                        i.name
                    }
                    EntityKind::MeetingRoom => match s.get::<MeetingRoom>(&key)? { Some(r) => r.name, None => return Ok(None) },
                    EntityKind::EntryQueue => match s.get::<EntryQueue>(&key)? { Some(r) => r.name, None => return Ok(None) },
                    EntityKind::RecordingLink => {
                        let Some(l) = s.get::<RecordingLink>(&key)? else { return Ok(None) };
                        domain::resources::check_recording_link_unused(&l, &s.list()?)?;
                        l.name
                    }
                    EntityKind::Template => match s.get::<domain::Template>(&key)? { Some(t) => t.name, None => return Ok(None) },
                    EntityKind::AddressEntry => match s.get::<domain::AddressEntry>(&key)? { Some(e) => e.name, None => return Ok(None) },
                    _ => match s.get::<Reservation>(&key)? { Some(r) => r.name, None => return Ok(None) },
                };
                Ok(Some(name))
            })
            .await?
            .ok_or_else(missing)?;
        st.commit(Change::Delete { kind, id }).await?;
        Ok(format!("{} '{name}' deleted.", kind.label()))
    })
    .await
}
