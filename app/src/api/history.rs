//! Server function of the call history (the page); the exports are plain GET routes in the
//! server (`/api/history.csv`, `/api/history.json`, same filter). Rules: `domain::cdr`.

use crate::error::AppError;
use domain::cdr::CallRecord;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::state::{answer, require};
#[cfg(feature = "ssr")]
use domain::Permission;

/// Records the page shows at most (the exports have them all).
pub const PAGE_RECORDS: usize = 500;

/// The History page's data: ended conferences, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryView {
    pub records: Vec<CallRecord>,
    /// More match than are shown.
    pub more: bool,
}

/// The ended conferences matching the filter: a part of the name or ID, and the dates they
/// ended "YYYY-MM-DD" in the reader's zone. Everyone but a Chairperson.
#[server(endpoint = "get_history", output = crate::error::Json)]
pub async fn get_history(text: String, from: String, to: String, tz_offset_min: i32) -> Result<HistoryView, AppError> {
    answer(async move {
        let (st, _) = require(Permission::ViewConfiguration).await?;
        let filter = domain::cdr::HistoryFilter::parse(&text, &from, &to, tz_offset_min)?;
        let mut records = st.db(move |s| history(s, &filter, PAGE_RECORDS + 1)).await?;
        let more = records.len() > PAGE_RECORDS;
        records.truncate(PAGE_RECORDS);
        Ok(HistoryView { records, more })
    })
    .await
}

/// The first `limit` records a filter selects, newest first, read a page at a time.
#[cfg(feature = "ssr")]
pub fn history(s: &domain::store::Store, f: &domain::cdr::HistoryFilter, limit: usize) -> Result<Vec<CallRecord>, domain::DomainError> {
    const PAGE: usize = 500;
    let (mut out, mut after) = (Vec::new(), None);
    loop {
        let (matching, next) = s.call_history_page(f, after, PAGE)?;
        out.extend(matching);
        if out.len() >= limit || next.is_none() {
            out.truncate(limit);
            return Ok(out);
        }
        after = next;
    }
}
