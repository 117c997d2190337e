//! Server function of the audit trail (the page); the CSV export is a plain GET route in
//! the server (`/api/audit.csv`, same filter). The trail and its rules: `domain::audit`.

use crate::error::AppError;
use domain::audit::AuditEntry;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::state::{answer, require};
#[cfg(feature = "ssr")]
use domain::Permission;

/// The Audit Trail page's data: newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditView {
    pub entries: Vec<AuditEntry>,
    /// More entries match than are shown (narrow the filter, or export).
    pub more: bool,
}

/// The entries matching the filter: a part of a user name, a kind, dates "YYYY-MM-DD" in
/// the reader's zone (`tz_offset_min` as the browser's `getTimezoneOffset`). Auditor,
/// Administrator and Administrator Read-only.
#[server(endpoint = "get_audit", output = crate::error::Json)]
pub async fn get_audit(user: String, kind: String, from: String, to: String, tz_offset_min: i32) -> Result<AuditView, AppError> {
    answer(async move {
        let (st, _) = require(Permission::ViewAudit).await?;
        let filter = domain::audit::AuditFilter::parse(&user, &kind, &from, &to, tz_offset_min)?;
        let entries = st.db(move |s| s.audit_query(&filter)).await?;
        Ok(AuditView { more: entries.len() >= domain::audit::MAX_ROWS, entries })
    })
    .await
}
