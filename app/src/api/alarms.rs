//! Server functions of the Active Alarms: the list (active and history) and the
//! acknowledgement. The rules (who may acknowledge, what a one-off alarm does then) are
//! `domain::alarms`; the book is the engine's (`HotBackup::alarm_book`), each MCU its own.

use crate::error::AppError;
use domain::alarms::Alarm;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::state::{answer, require};
#[cfg(feature = "ssr")]
use domain::Permission;

/// The Alarms page's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmsView {
    /// Newest occurrence first.
    pub active: Vec<Alarm>,
    /// Cleared alarms, newest first.
    pub history: Vec<Alarm>,
    pub can_acknowledge: bool,
}

#[server(endpoint = "get_alarms", output = crate::error::Json)]
pub async fn get_alarms() -> Result<AlarmsView, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewConfiguration).await?;
        let book = st.alarms.book();
        let mut active = book.active;
        active.sort_by_key(|a| std::cmp::Reverse(a.last_ms));
        Ok(AlarmsView { active, history: book.history, can_acknowledge: domain::alarms::may_acknowledge(me.role) })
    })
    .await
}

/// Acknowledges one active alarm of this MCU (an Operator or above; on a Slave too: alarms
/// are each MCU's own).
#[server(endpoint = "acknowledge_alarm", output = crate::error::Json)]
pub async fn acknowledge_alarm(id: u64) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ViewConfiguration).await?;
        let what = st.alarms.book().active.iter().find(|a| a.id == id).map(|a| format!("{} {}", a.code.code(), a.code.title()));
        st.alarms.acknowledge(id, &me.name, me.role)?;
        tracing::info!(user = %me.name, id, "alarm acknowledged");
        st.audit(domain::audit::AuditKind::Alarm, &format!("Alarm acknowledged: {}.", what.unwrap_or_else(|| id.to_string())), true).await;
        Ok("Alarm acknowledged.".to_string())
    })
    .await
}
