//! The peer link's server side: `/peer/v1/*`, JSON, for the other MCU only, and only on
//! connections that came in as the peer link (mutual TLS with this MCU's peer-link
//! certificate; `serve` marks them with [`PeerChannel`] and the client's certificate).
//! Everything but the two pairing steps needs the pairing credential this MCU issued, from
//! the certificate it was issued to (see `hotbackup::pairing`).

use app::state::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use domain::hotbackup::{PairFinish, PairStart, Takeover};
use domain::throttle::Outcome;
use hotbackup::PeerError;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Marks a request that came over the peer link's mutual TLS (set by `serve`), with the
/// fingerprint of the client certificate it showed.
#[derive(Clone, Debug)]
pub struct PeerChannel {
    pub client: String,
}

/// The client certificate's fingerprint of a peer-link request (empty: none).
fn client_of(req: &axum::extract::Request) -> String {
    req.extensions().get::<PeerChannel>().map(|p| p.client.clone()).unwrap_or_default()
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/peer/v1/pair/start", post(pair_start))
        .route("/peer/v1/pair/finish", post(pair_finish))
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

/// A JSON body of at most 8 KB.
async fn small_json<T: serde::de::DeserializeOwned>(req: axum::extract::Request, what: &str) -> Result<T, PeerError> {
    let bytes = axum::body::to_bytes(req.into_body(), 8 * 1024)
        .await
        .map_err(|_| PeerError::BadRequest(format!("the {what} is too large or was cut off")))?;
    serde_json::from_slice(&bytes).map_err(|e| PeerError::BadRequest(format!("malformed {what}: {e}")))
}

/// Pairing, step 1: no password work here, nothing kept but a bounded list of attempts.
/// Its answer lets the caller test one password, so it is admitted and counted under the
/// same failed-login limits as the login page (per name and client address, and per
/// address): it counts as failed unless step 2 proves the password.
async fn pair_start(State(st): State<AppState>, req: axum::extract::Request) -> Response {
    let client_ip = app::state::client_ip_in(req.extensions());
    let client = client_of(&req);
    let mut s: PairStart = match small_json(req, "pairing request").await {
        Ok(s) => s,
        Err(e) => return reply::<()>(Err(e)),
    };
    match domain::validate::login_name(&s.user) {
        Ok(user) => s.user = user,
        Err(e) => return reply::<()>(Err(PeerError::BadRequest(e.to_string()))),
    }
    st.hb.expire_pairings();
    let ticket = match st.throttle.begin(&s.user, client_ip) {
        Ok(t) => t,
        Err(r) => {
            if r.first {
                tracing::warn!(user = ?s.user, %client_ip, wait_s = r.wait_s, "peer link pairing refused: too many failed attempts (further refusals of this burst are not logged)");
            }
            let mut res = reply::<()>(Err(PeerError::Busy(format!("too many failed logins; try again in {} s", r.wait_s))));
            res.headers_mut().insert(header::RETRY_AFTER, r.wait_s.into());
            return res;
        }
    };
    let user = s.user.clone();
    let guess: hotbackup::Guess = Box::new(move |proven| {
        if !proven {
            tracing::warn!(user = ?user, %client_ip, "peer link pairing failed");
        }
        ticket.finish(if proven { Outcome::Success } else { Outcome::Failure });
    });
    reply(st.hb.serve_pair_start(s, &client, guess).await)
}

/// Pairing, step 2: the proof, counted with step 1's attempt.
async fn pair_finish(State(st): State<AppState>, req: axum::extract::Request) -> Response {
    let client = client_of(&req);
    let mut f: PairFinish = match small_json(req, "pairing proof").await {
        Ok(f) => f,
        Err(e) => return reply::<()>(Err(e)),
    };
    match domain::validate::login_name(&f.user) {
        Ok(user) => f.user = user,
        Err(e) => return reply::<()>(Err(PeerError::BadRequest(e.to_string()))),
    }
    reply(st.hb.serve_pair_finish(f, &client).await)
}

async fn heartbeat(State(st): State<AppState>, Extension(peer): Extension<PeerChannel>, headers: HeaderMap) -> Response {
    if let Err(e) = st.hb.authorize(bearer(&headers), &peer.client).await {
        return reply::<()>(Err(e));
    }
    reply(st.hb.heartbeat().await)
}

#[derive(Deserialize)]
struct FactsQuery {
    salt: String,
}

async fn facts(
    State(st): State<AppState>,
    Extension(peer): Extension<PeerChannel>,
    headers: HeaderMap,
    q: Result<Query<FactsQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if let Err(e) = st.hb.authorize(bearer(&headers), &peer.client).await {
        return reply::<()>(Err(e));
    }
    match q {
        Ok(Query(q)) => reply(st.hb.facts(&q.salt).await),
        Err(e) => reply::<()>(Err(PeerError::BadRequest(format!("malformed facts request: {e}")))),
    }
}

#[derive(Deserialize)]
struct LogQuery {
    after: u64,
    #[serde(default)]
    wait_ms: u64,
}

async fn log(
    State(st): State<AppState>,
    Extension(peer): Extension<PeerChannel>,
    headers: HeaderMap,
    q: Result<Query<LogQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if let Err(e) = st.hb.authorize(bearer(&headers), &peer.client).await {
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

async fn snapshot(State(st): State<AppState>, Extension(peer): Extension<PeerChannel>, headers: HeaderMap) -> Response {
    if let Err(e) = st.hb.authorize(bearer(&headers), &peer.client).await {
        return reply::<()>(Err(e));
    }
    reply(st.hb.serve_snapshot().await)
}

async fn takeover(
    State(st): State<AppState>,
    Extension(peer): Extension<PeerChannel>,
    headers: HeaderMap,
    body: Result<Json<Takeover>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if let Err(e) = st.hb.authorize(bearer(&headers), &peer.client).await {
        return reply::<()>(Err(e));
    }
    match body {
        Ok(Json(t)) => reply(st.hb.serve_takeover(t).await),
        Err(e) => reply::<()>(Err(PeerError::BadRequest(format!("malformed takeover: {e}")))),
    }
}
