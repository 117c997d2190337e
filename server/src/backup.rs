//! Backup and restore from the browser (System page): `GET /api/backup.sqlite3` downloads
//! this MCU's configuration (Administrator, Administrator Read-only), `POST
//! /api/restore_backup` uploads one to restore at the next System Reset (Administrator;
//! refused while Hot Backup is on, G9). What a backup holds and what a restore checks and
//! brings back is `domain::backup` and `domain::store::Store::{export_backup,
//! stage_restore}`; this is the HTTP around them.
//!
//! An upload is not read before its caller is known: the body limits let this path through
//! unread (its declared length still checked) and this handler, after the session and role
//! checks, streams it to a private file in the data folder, at most
//! [`domain::backup::MAX_UPLOAD`] bytes, one upload at a time.

use app::error::AppError;
use app::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::{DomainError, Permission, UserView};
use futures::StreamExt;
use tokio::io::AsyncWriteExt;

pub const DOWNLOAD_PATH: &str = "/api/backup.sqlite3";
pub const UPLOAD_PATH: &str = "/api/restore_backup";

/// One upload at a time on this MCU.
static UPLOADING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

fn text(status: StatusCode, message: impl Into<String>) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], message.into()).into_response()
}

fn refused(e: AppError) -> Response {
    match e {
        e @ (AppError::Invalid { .. } | AppError::Fields(_)) => text(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
        e => text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// The caller, once logged in and allowed `p`; or the refusal.
async fn caller(st: &AppState, headers: &HeaderMap, p: Permission) -> Result<UserView, Response> {
    let Some(user) = app::state::user_from_headers(st, headers).await else {
        return Err(text(StatusCode::UNAUTHORIZED, "Log in first."));
    };
    if !user.role.can(p) {
        return Err(text(StatusCode::FORBIDDEN, user.role.refusal(p)));
    }
    Ok(user)
}

/// An entry of the audit trail by `user` from `client`.
async fn audit(st: &AppState, user: &UserView, client: std::net::IpAddr, summary: String, ok: bool) {
    let client = client.to_string();
    let by = domain::audit::By { mcu: &st.info.name, user: &user.name, role: Some(user.role), client: &client };
    let e = domain::audit::entry(domain::store::now_ms(), by, domain::audit::AuditKind::Backup, &summary, ok);
    if let Err(err) = st.db(move |s| s.audit(&e)).await {
        tracing::error!(error = %err, "the audit trail could not be written");
    }
}

/// `GET /api/backup.sqlite3`: this MCU's configuration as a file to keep.
pub async fn download(State(st): State<AppState>, req: Request) -> Response {
    let user = match caller(&st, req.headers(), Permission::DownloadBackup).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    // Bounded like the other downloads: a few at once per user and in all.
    let Some(_slot) = st.exports.take(user.name.to_lowercase(), app::state::MAX_EXPORTS_PER_USER) else {
        return text(StatusCode::TOO_MANY_REQUESTS, "You already have downloads running: try again in 2 s.");
    };
    let client = app::state::client_ip_in(req.extensions());
    let now = domain::store::now_ms();
    let path = st.data_dir.join(format!("backup-download-{}.sqlite3", domain::store::new_id()));
    let (info, version, model, name) = (st.info.clone(), st.info.version.clone(), st.info.model, st.info.name.clone());
    // Written, read and removed in one blocking task: a client that goes away half-way
    // leaves no file behind.
    let written = st
        .db(move |s| {
            let read = s
                .export_backup(&path, &version, model, &name, now)
                .and_then(|_| std::fs::read(&path).map_err(|e| DomainError::Storage(format!("cannot read the backup: {e}"))));
            let _ = std::fs::remove_file(&path);
            read
        })
        .await;
    let bytes = match written {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "a backup to download could not be made");
            return text(StatusCode::INTERNAL_SERVER_ERROR, "The backup could not be made; the details are in the MCU's log.");
        }
    };
    audit(&st, &user, client, format!("Backup downloaded ({} bytes).", bytes.len()), true).await;
    let minute = domain::timefmt::format_utc(now).trim_end_matches(" UTC").replace([' ', ':'], "-");
    let safe_name: String = info.name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    let disposition = format!("attachment; filename=\"{safe_name}-{minute}.mcu-backup.sqlite3\"");
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/vnd.sqlite3".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// `POST /api/restore_backup` (the file as the body): checked and kept for the next System
/// Reset.
pub async fn upload(State(st): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let user = match caller(&st, &parts.headers, Permission::ManageConfiguration).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let client = app::state::client_ip_in(&parts.extensions);
    let hot_backup_on = st.hb.settings().enabled;
    if hot_backup_on {
        // Said before the file is read (G9).
        if let Err(e) = domain::backup::check_upload(None, 0, 0, st.info.model, true) {
            return refused(e.into());
        }
    }
    let Ok(_one) = UPLOADING.try_acquire() else {
        return text(StatusCode::TOO_MANY_REQUESTS, "Another backup is being uploaded: try again when it is done.");
    };
    let upload = st.data_dir.join("restore-upload.partial");
    let outcome = match receive(body, &upload).await {
        Err(ReceiveError::TooLarge) => {
            let _ = tokio::fs::remove_file(&upload).await;
            let said = format!("This file is larger than a backup can be ({} MB at most).", domain::backup::MAX_UPLOAD / (1024 * 1024));
            audit(&st, &user, client, format!("Backup upload refused: {said}"), false).await;
            return text(StatusCode::PAYLOAD_TOO_LARGE, said);
        }
        Err(ReceiveError::Failed(e)) => Err(e.into()),
        Ok(()) => {
            let (model, path) = (st.info.model, upload.clone());
            let actor = domain::audit::Actor { user: user.name.clone(), role: user.role, client: client.to_string(), mcu: st.info.name.clone() };
            st.db(move |s| s.stage_restore(&path, model, hot_backup_on, &actor)).await
        }
    };
    let _ = tokio::fs::remove_file(&upload).await;
    match outcome {
        Ok(info) => {
            let said = format!("Backup of {} kept: it is restored at the next System Reset.", info.describe());
            audit(&st, &user, client, said.clone(), true).await;
            st.alarms.raise(domain::alarms::AlarmCode::ResetNeeded, "a backup waits to be restored at the System Reset.");
            text(StatusCode::OK, said)
        }
        Err(e) => {
            audit(&st, &user, client, format!("Backup upload refused: {e}"), false).await;
            refused(e)
        }
    }
}

enum ReceiveError {
    TooLarge,
    Failed(DomainError),
}

impl From<DomainError> for ReceiveError {
    fn from(e: DomainError) -> Self {
        ReceiveError::Failed(e)
    }
}

/// Writes the body to `to` (private), refusing past [`domain::backup::MAX_UPLOAD`] bytes.
async fn receive(body: Body, to: &std::path::Path) -> Result<(), ReceiveError> {
    let storage = |e: std::io::Error| DomainError::Storage(format!("cannot store the upload: {e}"));
    let _ = tokio::fs::remove_file(to).await;
    let file = domain::store::files::create_private(to)?;
    let mut file = tokio::fs::File::from_std(file);
    let mut stream = body.into_data_stream();
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| DomainError::invalid("backup", "The upload was cut short: try again."))?;
        total += chunk.len();
        if total > domain::backup::MAX_UPLOAD {
            return Err(ReceiveError::TooLarge);
        }
        file.write_all(&chunk).await.map_err(storage)?;
    }
    if total == 0 {
        return Err(DomainError::invalid("backup", "Choose a backup file first.").into());
    }
    file.sync_all().await.map_err(storage)?;
    Ok(())
}
