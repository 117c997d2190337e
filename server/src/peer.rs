//! The peer link's server side: `/peer/v1/*`, JSON, for the other MCU only. Everything but
//! `login` needs the bearer token of an Administrator's peer session.

use app::state::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::hotbackup::{PeerLogin, Takeover};
use hotbackup::PeerError;
use serde::{Deserialize, Serialize};
use std::time::Duration;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/peer/v1/login", post(login))
        .route("/peer/v1/heartbeat", get(heartbeat))
        .route("/peer/v1/facts", get(facts))
        .route("/peer/v1/log", get(log))
        .route("/peer/v1/snapshot", get(snapshot))
        .route("/peer/v1/takeover", post(takeover))
}

#[derive(Serialize)]
struct ErrorBody {
    error: String,
}

fn reply<T: Serialize>(r: Result<T, PeerError>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, Json(ErrorBody { error: e.to_string() })).into_response()
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ")
}

/// The peer link's login goes through the same failed-login limit as the login page.
async fn login(State(st): State<AppState>, body: Result<Json<PeerLogin>, axum::extract::rejection::JsonRejection>) -> Response {
    let l = match body {
        Ok(Json(l)) => l,
        Err(e) => return reply::<()>(Err(PeerError::BadRequest(format!("malformed login: {e}")))),
    };
    let user = l.user.clone();
    let now = std::time::Instant::now();
    if let Err(wait) = st.throttle.lock().map(|t| t.check(&user, now)).unwrap_or(Ok(())) {
        return reply::<()>(Err(PeerError::Unauthorized(format!("too many failed logins for '{user}'; try again in {wait} s"))));
    }
    let answer = st.hb.peer_login(l).await;
    if let Ok(mut t) = st.throttle.lock() {
        match &answer {
            Ok(_) => t.record_success(&user),
            Err(PeerError::Unauthorized(_)) => t.record_failure(&user, now),
            Err(_) => {}
        }
    }
    reply(answer)
}

async fn heartbeat(State(st): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(e) = st.hb.authorize(bearer(&headers)).await {
        return reply::<()>(Err(e));
    }
    reply(st.hb.heartbeat().await)
}

async fn facts(State(st): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(e) = st.hb.authorize(bearer(&headers)).await {
        return reply::<()>(Err(e));
    }
    reply(st.hb.facts().await)
}

#[derive(Deserialize)]
struct LogQuery {
    after: u64,
    #[serde(default)]
    wait_ms: u64,
}

async fn log(State(st): State<AppState>, headers: HeaderMap, q: Result<Query<LogQuery>, axum::extract::rejection::QueryRejection>) -> Response {
    if let Err(e) = st.hb.authorize(bearer(&headers)).await {
        return reply::<()>(Err(e));
    }
    match q {
        Ok(Query(q)) => reply(st.hb.serve_log(q.after, Duration::from_millis(q.wait_ms)).await),
        Err(e) => reply::<()>(Err(PeerError::BadRequest(format!("malformed log request: {e}")))),
    }
}

async fn snapshot(State(st): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(e) = st.hb.authorize(bearer(&headers)).await {
        return reply::<()>(Err(e));
    }
    reply(st.hb.serve_snapshot().await)
}

async fn takeover(State(st): State<AppState>, headers: HeaderMap, body: Result<Json<Takeover>, axum::extract::rejection::JsonRejection>) -> Response {
    if let Err(e) = st.hb.authorize(bearer(&headers)).await {
        return reply::<()>(Err(e));
    }
    match body {
        Ok(Json(t)) => reply(st.hb.serve_takeover(t).await),
        Err(e) => reply::<()>(Err(PeerError::BadRequest(format!("malformed takeover: {e}")))),
    }
}
