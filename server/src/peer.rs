//! The peer link's server side: `/peer/v1/*`, JSON, for the other MCU only. Everything but
//! `login` needs the bearer token of an Administrator's peer session.

use app::state::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::hotbackup::{PeerLogin, Takeover};
use domain::throttle::Outcome;
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

/// The peer link's login goes through the same failed-login limits as the login page (per
/// name and client address, and per address) and the same bounded password workers.
async fn login(State(st): State<AppState>, req: axum::extract::Request) -> Response {
    let client = app::state::client_ip_in(req.extensions());
    let bytes = match axum::body::to_bytes(req.into_body(), 8 * 1024).await {
        Ok(b) => b,
        Err(_) => return reply::<()>(Err(PeerError::BadRequest("the login is too large or was cut off".into()))),
    };
    let l: PeerLogin = match serde_json::from_slice(&bytes) {
        Ok(l) => l,
        Err(e) => return reply::<()>(Err(PeerError::BadRequest(format!("malformed login: {e}")))),
    };
    let user = match domain::validate::login_credentials(&l.user, &l.password) {
        Ok((user, _)) => user,
        Err(e) => return reply::<()>(Err(PeerError::BadRequest(e.to_string()))),
    };
    let ticket = match st.throttle.begin(&user, client) {
        Ok(t) => t,
        Err(r) => {
            if r.first {
                tracing::warn!(user = ?user, %client, wait_s = r.wait_s, "peer link login refused: too many failed logins (further refusals of this burst are not logged)");
            }
            let mut res = reply::<()>(Err(PeerError::Busy(format!("too many failed logins; try again in {} s", r.wait_s))));
            res.headers_mut().insert(header::RETRY_AFTER, r.wait_s.into());
            return res;
        }
    };
    let answer = st.hb.peer_login(l).await;
    ticket.finish(match &answer {
        Ok(_) => Outcome::Success,
        Err(PeerError::Unauthorized(_)) => {
            tracing::warn!(user = ?user, %client, "peer link login failed");
            Outcome::Failure
        }
        Err(_) => Outcome::NotChecked,
    });
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
        Ok(Query(q)) => {
            // A long poll ends at once when this MCU stops or resets.
            let mut stopping = st.stopping.subscribe();
            tokio::select! {
                r = st.hb.serve_log(q.after, Duration::from_millis(q.wait_ms)) => reply(r),
                _ = app::state::until_true(&mut stopping) => reply::<()>(Err(PeerError::Internal("the MCU is stopping".into()))),
            }
        }
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
