//! Server functions of Reservations. The scheduler that starts them is in the server
//! (`server::scheduler`); its decisions are `domain::schedule::due`.

use crate::error::AppError;
use domain::schedule::{CalendarDay, WallStart};
use domain::{Profile, Reservation};
#[cfg(feature = "ssr")]
use domain::schedule::wall_start;
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
    /// Each reservation's start as its form shows it (same order).
    pub walls: Vec<WallStart>,
    /// What a new reservation's form starts with: the reader's next full hour.
    pub new_start: WallStart,
    pub profiles: Vec<Profile>,
    pub can_manage: bool,
    /// Server time, so the page can offer "now" whatever the browser's clock says.
    pub now_ms: domain::Millis,
    /// The reader's zone (their browser's, once it has said; UTC until then).
    pub zone: String,
    /// The zone the browser said, known or not (the page tells the server only once).
    pub zone_told: Option<String>,
    /// The calendar's week (weeks from this one) and its seven days in the reader's zone.
    pub week: u32,
    pub calendar: Vec<CalendarDay>,
}

/// The reservations, their starts in their own zones, and the calendar's `week` (weeks
/// from this one, up to a year) in the reader's zone.
#[server(endpoint = "get_reservations", output = crate::error::Json)]
pub async fn get_reservations(week: Option<u32>) -> Result<ReservationsView, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ViewResources).await?;
        let (mut reservations, profiles) = st.db(|s| Ok((s.list::<Reservation>()?, s.list::<Profile>()?))).await?;
        reservations.sort_by(|a, b| a.start_ms.cmp(&b.start_ms).then_with(|| a.name.cmp(&b.name)));
        let reader = crate::state::reader_zone();
        let now_ms = domain::store::now_ms();
        let week = week.unwrap_or(0).min(domain::schedule::WEEKS_AHEAD);
        let offered = Reservation {
            id: String::new(),
            name: String::new(),
            numeric_id: String::new(),
            profile_id: String::new(),
            start_ms: domain::schedule::next_full_hour(now_ms, &reader),
            duration_min: 60,
            recurrence: domain::Recurrence::None,
            participants: Vec::new(),
        };
        Ok(ReservationsView {
            walls: reservations.iter().map(|r| wall_start(r, &reader)).collect(),
            new_start: wall_start(&offered, &reader),
            calendar: domain::schedule::calendar_week(&reservations, now_ms, &reader, week),
            reservations,
            profiles,
            can_manage: me.role.can(Permission::ManageResources),
            now_ms,
            zone: reader.name(),
            zone_told: crate::state::zone_told(),
            week,
        })
    })
    .await
}

/// Every time zone name the MCU knows, for the reservation form's list.
#[server(endpoint = "get_time_zones", output = crate::error::Json)]
pub async fn get_time_zones() -> Result<Vec<String>, AppError> {
    answer(async {
        require(Permission::ViewResources).await?;
        Ok(domain::zone::names())
    })
    .await
}

/// Creates (empty `id`) or changes a reservation. The start: the page's local date and
/// 24-hour time with the browser's offset, or an API client's `start` in UTC
/// ("2026-11-25T17:30[:ss]"), or "Start now"; never empty. Duration "H:MM" or minutes;
/// recurrence none/daily/weekly/monthly with its pattern and end (see
/// `domain::recurrence`);
/// participants one per line "Name, address[, sip|h323]".
#[allow(clippy::too_many_arguments)]
#[server(endpoint = "save_reservation", output = crate::error::Json)]
pub async fn save_reservation(
    id: String,
    name: String,
    numeric_id: String,
    // Absent when the form's list is empty (no profile yet): the rule says what to do.
    profile_id: Option<String>,
    // API clients: the start in UTC. The page sends a local date and time and its offset.
    start: Option<String>,
    start_date: Option<String>,
    start_time: Option<String>,
    start_now: Option<String>,
    // The zone the start and the series are in ("Europe/Berlin"); API clients of earlier
    // versions may send a fixed offset instead.
    time_zone: Option<String>,
    tz_offset_min: Option<String>,
    duration: String,
    recurrence: String,
    every: Option<String>,
    // The weekday boxes (Sunday first): present when ticked.
    day_0: Option<String>,
    day_1: Option<String>,
    day_2: Option<String>,
    day_3: Option<String>,
    day_4: Option<String>,
    day_5: Option<String>,
    day_6: Option<String>,
    monthly: Option<String>,
    month_day: Option<String>,
    nth: Option<String>,
    nth_weekday: Option<String>,
    end: Option<String>,
    occurrences: Option<String>,
    end_by: Option<String>,
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
        let text = |o: &Option<String>| o.clone().unwrap_or_default();
        let zone = time_zone.unwrap_or_default();
        let (start, start_date, start_time, tz, every, monthly, month_day, nth, nth_weekday, end, occurrences, end_by) = (
            text(&start), text(&start_date), text(&start_time), text(&tz_offset_min), every.unwrap_or_else(|| "1".into()),
            text(&monthly), text(&month_day), text(&nth), text(&nth_weekday), text(&end), occurrences.unwrap_or_else(|| "1".into()), text(&end_by),
        );
        let form = domain::schedule::ReservationForm {
            name: &name,
            numeric_id: &numeric_id,
            profile_id: &profile_id,
            start: &start,
            start_date: &start_date,
            start_time: &start_time,
            start_now: start_now.is_some(),
            time_zone: &zone,
            tz_offset_min: &tz,
            duration: &duration,
            recurrence: &recurrence,
            every: &every,
            weekdays: [&day_0, &day_1, &day_2, &day_3, &day_4, &day_5, &day_6].map(|d| d.is_some()),
            monthly: &monthly,
            month_day: &month_day,
            nth: &nth,
            nth_weekday: &nth_weekday,
            end: &end,
            occurrences: &occurrences,
            end_by: &end_by,
            participants: &participants,
        };
        let r = domain::schedule::reservation(id, &form, &free, &profiles, domain::store::now_ms())?;
        domain::resources::check_numeric_id_free(&r.numeric_id, &r.id, &super::services::numeric_id_uses(&st, r.numeric_id.clone()).await?)?;
        let wall = wall_start(&r, &crate::state::reader_zone());
        let msg = format!("Reservation '{}' (ID {}) saved: starts {} {} ({}).", r.name, r.numeric_id, wall.date, wall.time, wall.zone);
        st.commit(Change::Put { record: Record::Reservation(r) }).await?;
        Ok(msg)
    })
    .await
}
