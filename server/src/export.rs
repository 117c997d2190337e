//! The downloads: `/api/audit.csv`, `/api/history.csv` and `/api/history.json`, with the
//! filter of their page. Each is streamed page by page from a reader connection (never the
//! writer's), so an export of the whole trail holds a page in memory, not the trail; a few
//! run at once per user and in all (429 with `Retry-After` beyond). A client that stops
//! reading is let go after [`STALL`]; no export runs longer than [`LONGEST`].

use hotbackup::store_task::blocking;
use app::state::{AppState, Slot};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::store::Store;
use domain::DomainError;
use std::time::Duration;

/// Rows read from the database at a time.
const PAGE_ROWS: usize = 500;
/// A client that has not taken the next part for this long is let go (its export slot too).
pub const STALL: Duration = Duration::from_secs(30);
/// No export runs longer than this.
pub const LONGEST: Duration = Duration::from_secs(600);

/// The filter of an export, as the page's link gives it (the audit trail reads user and
/// kind, the call history the text; both the dates and the reader's zone).
#[derive(serde::Deserialize)]
pub struct ExportFilter {
    #[serde(default)]
    user: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    tz: i32,
    /// The audit page's "Show logins": "0" leaves logins and logouts out (absent: all).
    #[serde(default)]
    logins: Option<String>,
}

type ExportQuery = Result<axum::extract::Query<ExportFilter>, axum::extract::rejection::QueryRejection>;

/// An export's filter, once its caller is known to be logged in and allowed `p` (`what`
/// names the data in the refusal), with its slot; or the refusal.
async fn export_query(st: &AppState, headers: &HeaderMap, query: ExportQuery, p: domain::Permission, what: &str) -> Result<(ExportFilter, Slot<String>), Response> {
    let Ok(axum::extract::Query(q)) = query else {
        return Err((StatusCode::UNPROCESSABLE_ENTITY, "malformed filter").into_response());
    };
    let Some(user) = app::state::user_from_headers(st, headers).await else {
        return Err((StatusCode::UNAUTHORIZED, "log in first").into_response());
    };
    if !user.role.can(p) {
        return Err((StatusCode::FORBIDDEN, format!("Your role ({}) does not allow reading {what}.", user.role.label())).into_response());
    }
    // A few at once per user and in all; more wait for the client to try again.
    let busy = |why: &str| (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "2")], format!("{why}: try again in 2 s.")).into_response();
    let Some(slot) = st.exports.take(user.name.to_lowercase(), app::state::MAX_EXPORTS_PER_USER) else {
        return Err(busy(&format!("You already have {} exports running", app::state::MAX_EXPORTS_PER_USER)));
    };
    if st.exports.open() > app::state::MAX_EXPORTS {
        return Err(busy("The MCU is busy with other exports"));
    }
    Ok((q, slot))
}

fn refused(e: DomainError) -> Response {
    match e {
        e @ (DomainError::Invalid { .. } | DomainError::Fields(_)) => (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()).into_response(),
        e => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// One page of an export: its text, and where the next page starts (`None`: it was the last).
type Page<C> = (String, Option<C>);

/// A download named after this MCU (`<stem>-<MCU>.<ext>`): `head`, then the pages `next`
/// reads from `first`'s cursor on, then `tail`. The first page is read before answering, so
/// a failing read is a plain error; a later one ends the download unfinished (the browser
/// says it failed). The export's slot is held until the last part is taken or the client
/// goes away.
async fn stream<C, F>(st: &AppState, slot: Slot<String>, (stem, ext, content_type): (&str, &str, &'static str), head: String, tail: &'static str, next: F) -> Response
where
    C: Send + 'static,
    F: Fn(&Store, Option<C>) -> Result<Page<C>, DomainError> + Send + Sync + Clone + 'static,
{
    let read = next.clone();
    let first = match blocking(&st.store, move |s| read(s, None)).await {
        Ok(p) => p,
        Err(e) => return refused(e),
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(2);
    let store = st.store.clone();
    tokio::spawn(async move {
        let _slot = slot;
        let until = tokio::time::Instant::now() + LONGEST;
        let give = |part: Result<Bytes, std::io::Error>| {
            let tx = tx.clone();
            async move { matches!(tokio::time::timeout(STALL, tx.send(part)).await, Ok(Ok(()))) }
        };
        let (text, mut cursor) = first;
        let first_part = format!("{head}{text}");
        if !first_part.is_empty() && !give(Ok(Bytes::from(first_part))).await {
            return;
        }
        while let Some(c) = cursor.take() {
            if tokio::time::Instant::now() > until {
                let _ = give(Err(std::io::Error::other("the export took too long"))).await;
                return;
            }
            let read = next.clone();
            match blocking(&store, move |s| read(s, Some(c))).await {
                Ok((text, more)) => {
                    if !text.is_empty() && !give(Ok(Bytes::from(text))).await {
                        return;
                    }
                    cursor = more;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "an export stopped unfinished");
                    let _ = give(Err(std::io::Error::other(e.to_string()))).await;
                    return;
                }
            }
        }
        // (Empty parts are not sent: they carry nothing.)
        if !tail.is_empty() {
            let _ = give(Ok(Bytes::from_static(tail.as_bytes()))).await;
        }
    });
    // A stream that may be asked again after its end (the compression layer does): the
    // channel answers "ended" every time.
    let mut rx = rx;
    let body = Body::from_stream(futures::stream::poll_fn(move |cx| rx.poll_recv(cx)));
    let name = format!("{stem}-{}.{ext}", st.info.name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect::<String>());
    ([(header::CONTENT_TYPE, content_type.to_string()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))], body).into_response()
}

/// `GET /api/audit.csv`: the whole audit trail the page's filter selects, as CSV, for the
/// roles that may read it.
pub async fn audit_csv(State(st): State<AppState>, headers: HeaderMap, query: ExportQuery) -> Response {
    let (q, slot) = match export_query(&st, &headers, query, domain::Permission::ViewAudit, "the audit trail").await {
        Ok(q) => q,
        Err(refused) => return refused,
    };
    let filter = match domain::audit::AuditFilter::parse(&q.user, &q.kind, &q.from, &q.to, q.tz) {
        Ok(f) => f.showing_logins(q.logins.as_deref() != Some("0")),
        Err(e) => return refused(e),
    };
    let next = move |s: &Store, after: Option<domain::store::AuditCursor>| {
        let page = s.audit_page(&filter, after, PAGE_ROWS)?;
        let more = (page.len() == PAGE_ROWS).then(|| page.last().map(|e| (e.at_ms, e.id))).flatten();
        Ok((domain::audit::csv_lines(&page), more))
    };
    stream(&st, slot, ("audit", "csv", "text/csv; charset=utf-8"), domain::audit::CSV_HEADER.to_string(), "", next).await
}

/// A history export's filter and slot, once its caller may read the call history; or the
/// refusal.
async fn history_export(st: &AppState, headers: &HeaderMap, query: ExportQuery) -> Result<(domain::cdr::HistoryFilter, Slot<String>), Response> {
    let (q, slot) = export_query(st, headers, query, domain::Permission::ViewConfiguration, "the call history").await?;
    let filter = domain::cdr::HistoryFilter::parse(&q.text, &q.from, &q.to, q.tz).map_err(refused)?;
    Ok((filter, slot))
}

/// `GET /api/history.csv`: one line per participant of each ended conference.
pub async fn history_csv(State(st): State<AppState>, headers: HeaderMap, query: ExportQuery) -> Response {
    let (filter, slot) = match history_export(&st, &headers, query).await {
        Ok(x) => x,
        Err(refused) => return refused,
    };
    let next = move |s: &Store, after| {
        let (records, more) = s.call_history_page(&filter, after, PAGE_ROWS)?;
        Ok((domain::cdr::csv_lines(&records), more))
    };
    stream(&st, slot, ("history", "csv", "text/csv; charset=utf-8"), domain::cdr::CSV_HEADER.to_string(), "", next).await
}

/// `GET /api/history.json`: the records as they are kept, one JSON array.
pub async fn history_json(State(st): State<AppState>, headers: HeaderMap, query: ExportQuery) -> Response {
    let (filter, slot) = match history_export(&st, &headers, query).await {
        Ok(x) => x,
        Err(refused) => return refused,
    };
    // Whether a record has been written yet decides the comma before the next one.
    let written = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let next = move |s: &Store, after| {
        let (records, more) = s.call_history_page(&filter, after, PAGE_ROWS)?;
        let mut text = String::new();
        for r in &records {
            let json = serde_json::to_string(r).map_err(|e| DomainError::Storage(e.to_string()))?;
            if written.swap(true, std::sync::atomic::Ordering::Relaxed) {
                text.push(',');
            }
            text.push_str(&json);
        }
        Ok((text, more))
    };
    stream(&st, slot, ("history", "json", "application/json"), "[".to_string(), "]", next).await
}
