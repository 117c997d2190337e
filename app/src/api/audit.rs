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

/// The Audit Trail page's data: one page, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditView {
    pub entries: Vec<AuditEntry>,
    /// The next (older) page's cursor, when there is one.
    pub next: Option<String>,
}

/// One page ([`domain::audit::PAGE`] entries) of those matching the filter: a part of a user
/// name, a kind, dates "YYYY-MM-DD" in the reader's zone (`tz_offset_min` as the browser's
/// `getTimezoneOffset`); logins and logouts only with `logins` ("1"); older than `before`
/// (a cursor from the page before). Auditor, Administrator and Administrator Read-only.
#[server(endpoint = "get_audit", output = crate::error::Json)]
pub async fn get_audit(
    user: String,
    kind: String,
    from: String,
    to: String,
    tz_offset_min: i32,
    logins: Option<String>,
    before: Option<String>,
) -> Result<AuditView, AppError> {
    answer(async move {
        let (st, _) = require(Permission::ViewAudit).await?;
        let filter = domain::audit::AuditFilter::parse(&user, &kind, &from, &to, tz_offset_min)?.showing_logins(logins.as_deref() == Some("1"));
        let after = domain::audit::parse_cursor(before.as_deref().unwrap_or(""))?;
        let mut entries = st.db(move |s| s.audit_page(&filter, after, domain::audit::PAGE + 1)).await?;
        let next = (entries.len() > domain::audit::PAGE).then(|| {
            entries.truncate(domain::audit::PAGE);
            entries.last().map(domain::audit::cursor_after)
        });
        Ok(AuditView { entries, next: next.flatten() })
    })
    .await
}
