//! The peer link's server side: `/peer/v1/*`, for the other MCU only, and only on
//! connections that came in as the peer link (mutual TLS with this MCU's peer-link
//! certificate; `serve` marks them with [`PeerChannel`] and the client's certificate).
//! The routes are the engine's table of calls (`hotbackup::peer::CALLS`), each answered by
//! `hotbackup::peer::dispatch`; everything but the two pairing steps needs the pairing
//! credential this MCU issued, from the certificate it was issued to. What is the server's
//! own: the first pairing step is admitted and counted under the login limits, and every
//! call ends at once when this MCU stops.

use app::state::AppState;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::hotbackup::PairStart;
use domain::throttle::Outcome;
use hotbackup::peer::{Caller, PairStartCall, PeerCall, Verb, CALLS, MAX_REQUEST};
use hotbackup::PeerError;
use serde::Serialize;

/// Marks a request that came over the peer link's mutual TLS (set by `serve`), with the
/// fingerprint of the client certificate it showed.
#[derive(Clone, Debug)]
pub struct PeerChannel {
    pub client: String,
}

/// One route per peer call.
pub fn routes() -> Router<AppState> {
    CALLS.iter().fold(Router::new(), |router, &(path, verb)| {
        let handler = move |st: axum::extract::State<AppState>, req: axum::extract::Request| call(st.0, path, verb, req);
        let route = format!("/peer/v1/{path}");
        match verb {
            Verb::Get => router.route(&route, get(handler)),
            Verb::Post => router.route(&route, post(handler)),
        }
    })
}

#[derive(Serialize)]
struct ErrorBody {
    error: String,
}

fn refusal(e: PeerError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(ErrorBody { error: e.to_string() })).into_response()
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    Some(headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ")?.to_string())
}

async fn call(st: AppState, path: &'static str, verb: Verb, req: axum::extract::Request) -> Response {
    let client_ip = app::state::client_ip_in(req.extensions());
    let fingerprint = req.extensions().get::<PeerChannel>().map(|p| p.client.clone()).unwrap_or_default();
    let credential = bearer(req.headers());
    let request = match verb {
        Verb::Get => req.uri().query().unwrap_or_default().as_bytes().to_vec(),
        Verb::Post => match axum::body::to_bytes(req.into_body(), MAX_REQUEST).await {
            Ok(b) => b.to_vec(),
            Err(_) => return refusal(PeerError::BadRequest(format!("the {path} request is too large or was cut off"))),
        },
    };
    let guess = if path == PairStartCall::PATH {
        match admit_pairing(&st, &request, client_ip, &fingerprint) {
            Ok(g) => Some(g),
            Err((e, retry_after_s)) => {
                let mut res = refusal(e);
                if let Some(s) = retry_after_s {
                    res.headers_mut().insert(header::RETRY_AFTER, s.into());
                }
                return res;
            }
        }
    } else {
        None
    };
    let caller = Caller { fingerprint, credential, guess };
    // A call (a long poll above all) ends at once when this MCU stops or resets.
    let mut stopping = st.stopping.subscribe();
    tokio::select! {
        r = hotbackup::peer::dispatch(&st.hb, path, &request, caller) => match r {
            Ok(answer) => ([(header::CONTENT_TYPE, "application/json")], answer).into_response(),
            Err(e) => refusal(e),
        },
        _ = app::state::until_true(&mut stopping) => refusal(PeerError::Internal("the MCU is stopping".into())),
    }
}

/// Pairing, step 1: its answer lets the caller test one password, so it is admitted and
/// counted under the same failed-login limits as the login page (per name and client
/// address, and per address): it counts as failed unless step 2 proves the password.
/// Attempts begun long ago and never finished are let go (and counted) first.
/// Refused: why, and when to try again (seconds) if the limits refused it.
fn admit_pairing(st: &AppState, request: &[u8], client_ip: std::net::IpAddr, fingerprint: &str) -> Result<hotbackup::Guess, (PeerError, Option<u64>)> {
    let bad = |m: String| (PeerError::BadRequest(m), None);
    let s: PairStart = serde_json::from_slice(request).map_err(|e| bad(format!("malformed pairing request: {e}")))?;
    let user = domain::validate::login_name(&s.user).map_err(|e| bad(e.to_string()))?;
    st.hb.expire_pairings();
    let ticket = st.throttle.begin(&user, client_ip).map_err(|r| {
        if r.first {
            tracing::warn!(user = ?user, %client_ip, wait_s = r.wait_s, "peer link pairing refused: too many failed attempts (further refusals of this burst are not logged)");
        }
        (PeerError::Busy(format!("too many failed logins; try again in {} s", r.wait_s)), Some(r.wait_s))
    })?;
    let fingerprint = fingerprint.to_string();
    Ok(Box::new(move |proven| {
        if !proven {
            tracing::warn!(user = ?user, %client_ip, client = %fingerprint, "peer link pairing failed");
        }
        ticket.finish(if proven { Outcome::Success } else { Outcome::Failure });
    }))
}
