//! The Overview, the page a login opens: what is going on across the MCU, each part only
//! for a role that may see it, each linking to its page. The pair's health, ports and the
//! alarm counts come with the shared live state (`LiveHb`); this adds the lists.

use super::*;

/// How many of each list the overview shows (the page it links to has the rest).
pub const OVERVIEW_ROWS: usize = 5;

/// The Overview's lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverviewView {
    /// The ongoing meetings the caller sees (entry queues' holding places aside), the most
    /// connected first, at most [`OVERVIEW_ROWS`]...
    pub conferences: Vec<ConferenceRow>,
    /// ...of this many, with this many participants connected in all.
    pub conference_count: usize,
    pub connected: usize,
    /// The next reservations to start within a week (none for a role that does not see
    /// them).
    pub next: Option<Vec<NextReservation>>,
    /// The newest active alarms (for a role that sees configuration).
    pub alarms: Option<Vec<domain::alarms::Alarm>>,
    /// Whether the caller sees failovers (a role that sees configuration)...
    pub sees_failovers: bool,
    /// ...and the last takeover, step-down or switch-over on this MCU, as the audit trail
    /// has it (`None` when none was recorded). Two fields: JSON cannot tell `Some(None)`
    /// from `None`.
    pub last_failover: Option<LastFailover>,
    pub now_ms: domain::Millis,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NextReservation {
    pub name: String,
    pub start_ms: domain::Millis,
    pub duration_min: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastFailover {
    pub at_ms: domain::Millis,
    pub summary: String,
}

#[server(endpoint = "get_overview", output = crate::error::Json)]
pub async fn get_overview() -> Result<OverviewView, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewConferences).await?;
        let unlocked = super::conferences::unlocked(&st);
        let now = domain::store::now_ms();
        let sees_resources = me.role.can(Permission::ViewResources);
        let sees_configuration = me.role.can(Permission::ViewConfiguration);
        let (mut rows, reservations, last) = st
            .db(move |s| {
                let mut rows = super::conferences::rows_in_scope(s, &me, &unlocked)?;
                rows.retain(|r| !r.conference.entry_queue);
                let reservations = if sees_resources { Some(s.list::<domain::Reservation>()?) } else { None };
                let last = if sees_configuration {
                    let failovers = domain::audit::AuditFilter { kind: Some(domain::audit::AuditKind::Failover), ..Default::default() };
                    // A refused Trigger Failover is in the trail too: the newest that happened.
                    s.audit_page(&failovers, None, 20)?.into_iter().find(|e| e.ok).map(|e| LastFailover { at_ms: e.at_ms, summary: e.summary })
                } else {
                    None
                };
                Ok((rows, reservations, last))
            })
            .await?;
        let conference_count = rows.len();
        let connected = rows.iter().map(|r| r.connected).sum();
        rows.sort_by(|a, b| b.connected.cmp(&a.connected).then_with(|| a.conference.name.cmp(&b.conference.name)));
        rows.truncate(OVERVIEW_ROWS);
        let next = reservations.map(|rs| {
            domain::schedule::next_occurrences(&rs, now, 7 * domain::recurrence::DAY_MS, OVERVIEW_ROWS)
                .into_iter()
                .map(|o| NextReservation { name: o.name, start_ms: o.start_ms, duration_min: o.duration_min })
                .collect()
        });
        let alarms = sees_configuration.then(|| {
            let mut active = st.alarms.book().active;
            active.sort_by_key(|a| std::cmp::Reverse(a.last_ms));
            active.truncate(OVERVIEW_ROWS);
            active
        });
        Ok(OverviewView { conferences: rows, conference_count, connected, next, alarms, sees_failovers: sees_configuration, last_failover: last, now_ms: now })
    })
    .await
}
