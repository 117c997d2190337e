//! Conference templates: save a running conference as one, start one, list and delete
//! them (the rules are `domain::template`).

use super::*;
#[cfg(feature = "ssr")]
use domain::{Change, Record};
use domain::Template;

/// The Templates page's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplatesView {
    pub templates: Vec<Template>,
    pub profiles: Vec<Profile>,
    /// The caller may delete templates (and save them).
    pub can_manage: bool,
    /// The caller may start conferences.
    pub can_start: bool,
}

#[server(endpoint = "get_templates", output = crate::error::Json)]
pub async fn get_templates() -> Result<TemplatesView, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewResources).await?;
        let (templates, profiles) = st.db(|s| Ok((s.list::<Template>()?, s.list::<Profile>()?))).await?;
        Ok(TemplatesView { templates, profiles, can_manage: me.role.can(Permission::ManageResources), can_start: me.role.can(Permission::RunConferences) })
    })
    .await
}

/// "Save as template" on a running conference: its profile, duration, lock and
/// participants, under `name` (a template of that name is replaced).
#[server(endpoint = "save_template", output = crate::error::Json)]
pub async fn save_template(conference_id: String, name: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageResources).await?;
        let c = super::conferences::conference_for(&st, &me, conference_id).await?;
        let (cid, wanted) = (c.id.clone(), name.trim().to_lowercase());
        let (participants, same_name) = st
            .db(move |s| Ok((s.participants_of(&cid)?, s.list::<Template>()?.into_iter().find(|t| t.name.to_lowercase() == wanted))))
            .await?;
        let id = same_name.map(|t| t.id).unwrap_or_else(domain::store::new_id);
        let t = domain::template::from_conference(id, &name, &c, &participants)?;
        let said = format!("Template '{}' saved: {} participant(s); start it from Templates.", t.name, t.participants.len());
        st.commit(Change::Put { record: Record::Template(t) }).await?;
        Ok(said)
    })
    .await
}

/// Starts a conference from a template (the next free ID) and dials its participants
/// (each on a free port, else left disconnected with the reason).
#[server(endpoint = "start_template", output = crate::error::Json)]
pub async fn start_template(id: String) -> Result<Started, AppError> {
    answer(async move {
        let (st, me) = require(Permission::RunConferences).await?;
        let t = st.db(move |s| s.get::<Template>(&id)).await?.ok_or_else(|| AppError::NotFound("That template does not exist (any more).".into()))?;
        if !t.profile_id.is_empty() {
            let pid = t.profile_id.clone();
            if st.db(move |s| s.get::<Profile>(&pid)).await?.is_none() {
                return Err(AppError::Conflict(format!("The profile of template '{}' no longer exists: save the template again from a conference.", t.name)));
            }
        }
        let numeric_id = domain::resources::free_numeric_id(&super::services::id_uses(&st).await?);
        let (conference, dial) = domain::template::start(&t, domain::store::new_id(), numeric_id, &me.name, domain::store::now_ms());
        let (cid, name, number) = (conference.id.clone(), conference.name.clone(), conference.numeric_id.clone());
        st.commit(Change::Put { record: Record::Conference(conference) }).await?;
        let connected = super::conferences::dial_out(&st, &cid, &dial).await?;
        Ok(Started {
            message: format!("Conference '{name}' (ID {number}) started from its template; {connected} of {} participant(s) connected.", t.participants.len()),
            href: format!("/conferences/{cid}"),
        })
    })
    .await
}
