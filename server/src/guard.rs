//! What every request passes before a handler sees it (outermost first):
//! security headers on every answer, the cross-origin check on state-changing requests,
//! body limits, the login check of the API before its arguments are read, the simulation
//! switch, and a time limit on everything but streams.

use app::error::AppError;
use app::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// Origins (besides the MCU's own) whose pages may change things here, from `--allowed-origin`.
#[derive(Clone, Debug, Default)]
pub struct Origins {
    pub tls: bool,
    pub extra: Vec<String>,
}

/// The Content-Security-Policy of answers that are not pages: nothing may run or be framed.
const CSP_NOT_A_PAGE: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// `nosniff`, no referrer, no framing, and a CSP where the page did not set its own (pages
/// set one with their script nonce, see `app::shell`).
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP_NOT_A_PAGE));
    }
    res
}

/// Refuses state-changing requests that a browser sent from another origin (another site,
/// another port of this host such as the paired MCU, a sibling host): `Sec-Fetch-Site`
/// when the browser sends it, else `Origin` compared with the scheme and `Host` the request
/// came to, plus `--allowed-origin`. A request with neither header did not come from a
/// browser page (scripts, the fault suite) and cannot carry a cross-site attack. The peer
/// link (`/peer/v1/*`, bearer token, no cookies) is exempt.
pub async fn same_origin_only(State(origins): State<Origins>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) || req.uri().path().starts_with("/peer/v1/") {
        return next.run(req).await;
    }
    match cross_origin_verdict(req.headers(), &origins) {
        Ok(()) => next.run(req).await,
        Err(why) => {
            tracing::warn!(path = %req.uri().path(), why, "cross-origin request refused");
            error(StatusCode::FORBIDDEN, AppError::Forbidden(format!("Refused: {why}. Changes are accepted only from this MCU's own pages.")))
        }
    }
}

/// `Ok` when the request may change things; `Err` says why not.
pub fn cross_origin_verdict(headers: &HeaderMap, origins: &Origins) -> Result<(), &'static str> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let origin = text("origin");
    if let Some(o) = origin {
        if origins.extra.iter().any(|a| a.eq_ignore_ascii_case(o)) {
            return Ok(());
        }
    }
    match text("sec-fetch-site") {
        Some("same-origin") | Some("none") => return Ok(()),
        Some(_) => return Err("the request came from another site's page"),
        None => {}
    }
    let Some(origin) = origin else { return Ok(()) };
    let Some(host) = text("host") else { return Err("the request names no host") };
    let scheme = if origins.tls { "https" } else { "http" };
    if same_origin(origin, scheme, host) {
        Ok(())
    } else {
        Err("the request came from another origin")
    }
}

/// Whether `origin` ("scheme://host[:port]") is `scheme://host` (default ports ignored).
fn same_origin(origin: &str, scheme: &str, host: &str) -> bool {
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let norm = |h: &str| {
        let h = h.to_ascii_lowercase();
        h.strip_suffix(default_port).map(str::to_string).unwrap_or(h)
    };
    match origin.split_once("://") {
        Some((s, rest)) => s.eq_ignore_ascii_case(scheme) && !rest.contains('/') && norm(rest) == norm(host),
        None => false,
    }
}

/// Bytes a request body may have, by route.
fn body_limit(path: &str) -> usize {
    if path == "/api/login" {
        4 * 1024
    } else if path.starts_with("/api/") || path.starts_with("/peer/v1/") {
        64 * 1024
    } else {
        16 * 1024
    }
}

/// The address book's import, and the most it reads (4,000 entries of CSV fit).
const IMPORT_PATH: &str = "/api/import_address_book";
const IMPORT_LIMIT: usize = 1024 * 1024;

/// Time a client has to send a request's (small) body.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Refuses a body over the route's limit (413): at once when it says its length, else as
/// soon as it grows past it. Bodies here are small, so they are read before the handler.
pub async fn body_limits(req: Request, next: Next) -> Response {
    // A backup upload is read by its handler, after the caller is known (see `backup`).
    if req.uri().path() == crate::backup::UPLOAD_PATH {
        return upload_length_checked(req, next).await;
    }
    // An address book import (a whole book of CSV) is read only once the login check has
    // passed, and only as long as it says it is (at most `IMPORT_LIMIT`).
    if req.uri().path() == IMPORT_PATH {
        let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
        return match declared {
            Some(n) if n <= IMPORT_LIMIT as u64 => next.run(req).await,
            _ => error(
                StatusCode::PAYLOAD_TOO_LARGE,
                AppError::Invalid { field: "csv".into(), message: format!("An import says its length and has at most {} KB.", IMPORT_LIMIT / 1024) },
            ),
        };
    }
    let limit = body_limit(req.uri().path());
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Invalid { field: String::new(), message: format!("The request is too large (at most {limit} bytes here).") },
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large();
    }
    if matches!(*req.method(), Method::GET | Method::HEAD) && declared.is_none() {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Ok(Err(_)) => too_large(),
        Err(_) => error(StatusCode::REQUEST_TIMEOUT, AppError::Transport("the request's body came too slowly".into())),
    }
}

/// A backup upload goes on unread, unless it says it is larger than a backup can be.
async fn upload_length_checked(req: Request, next: Next) -> Response {
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > domain::backup::MAX_UPLOAD as u64) {
        let message = format!("This file is larger than a backup can be ({} MB at most).", domain::backup::MAX_UPLOAD / (1024 * 1024));
        return error(StatusCode::PAYLOAD_TOO_LARGE, AppError::Invalid { field: "backup".into(), message });
    }
    next.run(req).await
}

/// The API's own checks before a server function decodes its arguments: the simulation
/// endpoints exist only with `--simulate`; everything but logging in (and the frame's
/// anonymous view) needs a live session, so a caller without one gets 401, never a
/// validation message.
pub async fn api_gate(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let Some(name) = path.strip_prefix("/api/") else { return next.run(req).await };
    if name.starts_with("simulate_") && !st.policy.simulate {
        return error(StatusCode::NOT_FOUND, AppError::NotFound("Simulation endpoints are off; start the MCU with --simulate.".into()));
    }
    if matches!(name, "login" | "logout" | "get_shell") {
        return next.run(req).await;
    }
    // Reads (`get_*`, `list_*`) are what pages do by themselves: they do not count as the
    // user's activity, so an unattended page does not keep its session alive.
    let reading = app::state::is_background_read(path);
    let user = match app::state::token_from_headers(&st, req.headers()) {
        Some(token) if reading => app::state::user_of_token_quietly(&st, token).await.ok().flatten(),
        Some(token) => app::state::user_of_token(&st, token).await.ok().flatten(),
        None => None,
    };
    if user.is_none() {
        return error(StatusCode::UNAUTHORIZED, AppError::NotLoggedIn);
    }
    next.run(req).await
}

/// Most requests finish well within this; streams (`/events`) and the peer link's long
/// polls have their own bounds.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn time_limit(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path == "/events" || path.starts_with("/peer/v1/") {
        return next.run(req).await;
    }
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(res) => res,
        Err(_) => error(StatusCode::SERVICE_UNAVAILABLE, AppError::Transport("the request took too long".into())),
    }
}

/// A typed API error as the server functions answer it (JSON body, matching status).
fn error(status: StatusCode, e: AppError) -> Response {
    let body = serde_json::to_string(&e).unwrap_or_else(|_| "\"Internal\"".into());
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The peer link and the rest are kept apart: `/peer/v1/*` only on the peer link's TLS
/// connections (`serve` marks them), and nothing else on those.
pub async fn peer_link_apart(req: Request, next: Next) -> Response {
    let on_peer_link = req.extensions().get::<crate::peer::PeerChannel>().is_some();
    let peer_path = req.uri().path().starts_with("/peer/v1/");
    if on_peer_link == peer_path {
        return next.run(req).await;
    }
    let error = if peer_path {
        "The peer link is served only over its own TLS connection: pair the MCUs from the Hot Backup page."
    } else {
        "Only the peer link is served on this connection."
    };
    (StatusCode::NOT_FOUND, axum::Json(serde_json::json!({ "error": error }))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("value"));
        }
        h
    }

    #[test]
    fn cross_origin_requests_are_refused_and_own_pages_pass() {
        let plain = Origins::default();
        let own = [("host", "127.0.0.1:3000"), ("origin", "http://127.0.0.1:3000")];
        assert!(cross_origin_verdict(&headers(&own), &plain).is_ok());
        assert!(cross_origin_verdict(&headers(&[("host", "mcu.example"), ("origin", "http://MCU.example:80")]), &plain).is_ok());
        // The paired MCU on another port of the same host, another site, a sibling host.
        for origin in ["http://127.0.0.1:3001", "http://evil.example", "http://other.mcu.example", "https://127.0.0.1:3000", "null"] {
            let h = headers(&[("host", "127.0.0.1:3000"), ("origin", origin)]);
            assert!(cross_origin_verdict(&h, &plain).is_err(), "{origin}");
        }
        assert!(cross_origin_verdict(&headers(&[("host", "127.0.0.1:3000"), ("sec-fetch-site", "same-site")]), &plain).is_err());
        assert!(cross_origin_verdict(&headers(&[("host", "127.0.0.1:3000"), ("sec-fetch-site", "cross-site")]), &plain).is_err());
        assert!(cross_origin_verdict(&headers(&[("host", "127.0.0.1:3000"), ("sec-fetch-site", "same-origin")]), &plain).is_ok());
        // Not a browser page: nothing to forge.
        assert!(cross_origin_verdict(&headers(&[("host", "127.0.0.1:3000")]), &plain).is_ok());
        // Over TLS the own origin is https.
        let tls = Origins { tls: true, extra: vec![] };
        assert!(cross_origin_verdict(&headers(&[("host", "mcu:443"), ("origin", "https://mcu")]), &tls).is_ok());
        assert!(cross_origin_verdict(&headers(&[("host", "mcu"), ("origin", "http://mcu")]), &tls).is_err());
        // Names given by --allowed-origin.
        let extra = Origins { tls: false, extra: vec!["https://admin.example".into()] };
        let h = headers(&[("host", "127.0.0.1:3000"), ("origin", "https://admin.example"), ("sec-fetch-site", "cross-site")]);
        assert!(cross_origin_verdict(&h, &extra).is_ok());
    }
}
