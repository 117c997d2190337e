//! Server functions of Reservations. The scheduler that starts them is in the server
//! (`server::scheduler`); its decisions are `domain::schedule::due`.

use crate::error::AppError;
use domain::{Profile, Reservation};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::state::{answer, require};
#[cfg(feature = "ssr")]
use domain::{Change, Permission, Record};

/// The Reservations page's data: upcoming first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReservationsView {
    pub reservations: Vec<Reservation>,
    pub profiles: Vec<Profile>,
    pub can_manage: bool,
    /// Server time, so the page can offer "now" in UTC whatever the browser's clock says.
    pub now_ms: domain::Millis,
}

#[server(endpoint = "get_reservations")]
pub async fn get_reservations() -> Result<ReservationsView, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewResources).await?;
        let (mut reservations, profiles) = st.db(|s| Ok((s.list::<Reservation>()?, s.list::<Profile>()?))).await?;
        reservations.sort_by(|a, b| a.start_ms.cmp(&b.start_ms).then_with(|| a.name.cmp(&b.name)));
        Ok(ReservationsView { reservations, profiles, can_manage: me.role.can(Permission::ManageResources), now_ms: domain::store::now_ms() })
    })
    .await
}

/// Creates (empty `id`) or changes a reservation. Start is UTC ("2026-11-25T17:30[:ss]",
/// empty = now), duration "H:MM" or minutes, recurrence none/daily/weekly with a count,
/// participants one per line "Name, address[, sip|h323]".
#[allow(clippy::too_many_arguments)]
#[server(endpoint = "save_reservation")]
pub async fn save_reservation(
    id: String,
    name: String,
    numeric_id: String,
    // Absent when the form's list is empty (no profile yet): the rule says what to do.
    profile_id: Option<String>,
    start: String,
    duration: String,
    recurrence: String,
    occurrences: Option<String>,
    participants: String,
) -> Result<String, AppError> {
    answer(async move {
        let (st, _) = require(Permission::ManageResources).await?;
        let profile_id = profile_id.unwrap_or_default();
        let profiles = st.db(|s| s.list::<Profile>()).await?;
        let free = if numeric_id.trim().is_empty() {
            domain::resources::free_numeric_id(&super::services::id_uses(&st).await?)
        } else {
            String::new()
        };
        let id = if id.is_empty() { domain::store::new_id() } else { id };
        let form = domain::schedule::ReservationForm {
            name: &name,
            numeric_id: &numeric_id,
            profile_id: &profile_id,
            start: &start,
            duration: &duration,
            recurrence: &recurrence,
            occurrences: occurrences.as_deref().unwrap_or("1"),
            participants: &participants,
        };
        let r = domain::schedule::reservation(id, &form, &free, &profiles, domain::store::now_ms())?;
        domain::resources::check_numeric_id_free(&r.numeric_id, &r.id, &super::services::numeric_id_uses(&st, r.numeric_id.clone()).await?)?;
        let msg = format!(
            "Reservation '{}' (ID {}) saved: starts {}.",
            r.name,
            r.numeric_id,
            domain::timefmt::format_utc(r.start_ms)
        );
        st.commit(Change::Put { record: Record::Reservation(r) }).await?;
        Ok(msg)
    })
    .await
}
