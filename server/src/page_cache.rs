//! Rendered pages, kept for a moment: a logged-in user who loads the same page again
//! while nothing it shows has changed gets the page already made, with a fresh script
//! nonce, instead of a new render (about 0.5 ms of CPU each; a reload storm from one
//! session costs little more than `/healthz`).
//!
//! A kept page is used only when all of this holds, else the page is rendered again:
//! - the same session (its token's digest) asks for the same path and query, and that
//!   session still holds (checked as for any page);
//! - the database has not been written since (`Store::version`: every row any statement
//!   changed, synced or local, sessions and the audit trail included);
//! - no Hot Backup event, role change or alarm change (`HotBackup::live_version`), and
//!   no session or role was ended or changed (`SessionCache::version`);
//! - it is younger than [`FRESH_FOR`]: the figures that move without an event (lag,
//!   the peer's position) are at most that old, and the page refreshes them itself.
//!
//! Chairpersons are never served from here (their scope grows with the passwords they
//! enter, which is kept in memory). Only `200 text/html` answers with a nonce in their
//! Content-Security-Policy and no cookie are kept. The keeping is bounded in entries and
//! bytes; when full, outdated entries go, and if it is still full the page is simply not
//! kept.

use app::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a kept page may be used while nothing changed.
pub const FRESH_FOR: Duration = Duration::from_millis(500);
const MAX_ENTRIES: usize = 256;
const MAX_BYTES: usize = 16 << 20;
const MAX_PAGE: usize = 512 << 10;
const MAX_URI: usize = 1024;

/// Paths that are never pages.
const NOT_PAGES: [&str; 7] = ["/api/", "/pkg/", "/peer/", "/events", "/healthz", "/metrics", "/login"];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Versions {
    store: u64,
    live: (u64, u64),
    sessions: u64,
}

impl Versions {
    fn now(st: &AppState) -> Versions {
        Versions { store: st.store.version(), live: st.hb.live_version(), sessions: st.sessions.version() }
    }
}

struct Entry {
    versions: Versions,
    at: Instant,
    nonce: String,
    csp: String,
    content_type: HeaderValue,
    body: Bytes,
}

#[derive(Default)]
struct Pages {
    entries: HashMap<(String, String), Entry>,
    bytes: usize,
}

/// The kept pages of one server (see the module's documentation).
#[derive(Clone, Default)]
pub struct PageCache(Arc<Mutex<Pages>>);

impl PageCache {
    fn pages(&self) -> MutexGuard<'_, Pages> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The page kept for `key` if it may be used at `now`.
    fn fresh(&self, key: &(String, String), now: Versions) -> Option<Kept> {
        let pages = self.pages();
        let e = pages.entries.get(key).filter(|e| e.versions == now && e.at.elapsed() < FRESH_FOR)?;
        Some(Kept { body: e.body.clone(), nonce: e.nonce.clone(), csp: e.csp.clone(), content_type: e.content_type.clone() })
    }

    fn put(&self, key: (String, String), e: Entry) {
        let mut pages = self.pages();
        let size = weight(&key, &e);
        if let Some(old) = pages.entries.remove(&key) {
            pages.bytes -= weight(&key, &old);
        }
        if pages.entries.len() >= MAX_ENTRIES || pages.bytes + size > MAX_BYTES {
            let Pages { entries, bytes } = &mut *pages;
            entries.retain(|k, e| {
                let keep = e.at.elapsed() < FRESH_FOR;
                if !keep {
                    *bytes -= weight(k, e);
                }
                keep
            });
            if entries.len() >= MAX_ENTRIES || *bytes + size > MAX_BYTES {
                return;
            }
        }
        pages.bytes += size;
        pages.entries.insert(key, e);
    }

    /// How many pages are kept and their bytes (tests, metrics).
    pub fn size(&self) -> (usize, usize) {
        let pages = self.pages();
        (pages.entries.len(), pages.bytes)
    }
}

/// What a kept page counts against [`MAX_BYTES`].
fn weight(key: &(String, String), e: &Entry) -> usize {
    e.body.len() + key.0.len() + key.1.len()
}

/// A kept page, taken out to be answered with a fresh nonce.
struct Kept {
    body: Bytes,
    nonce: String,
    csp: String,
    content_type: HeaderValue,
}

impl Kept {
    fn response(self) -> Option<Response> {
        let fresh = leptos::nonce::Nonce::new().to_string();
        let csp = HeaderValue::from_str(&self.csp.replace(&self.nonce, &fresh)).ok()?;
        let mut res = Response::new(Body::from(replace_all(&self.body, self.nonce.as_bytes(), fresh.as_bytes())));
        res.headers_mut().insert(header::CONTENT_TYPE, self.content_type);
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, csp);
        Some(res)
    }
}

/// Whether pages may be kept for, and answered to, the session `token`: it still holds
/// (checked as any page checks it) and is no Chairperson's.
async fn may_keep(st: &AppState, token: &str) -> bool {
    matches!(app::state::user_of_token(st, token.to_string()).await, Ok(Some(u)) if u.role != domain::Role::Chairperson)
}

/// Middleware in front of the pages: answers from a kept page when it may, else renders
/// and keeps the answer when it may (see the module's documentation).
pub async fn serve(State((st, cache)): State<(AppState, PageCache)>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if req.method() != Method::GET || NOT_PAGES.iter().any(|p| path.starts_with(p)) {
        return next.run(req).await;
    }
    let Some(token) = app::state::token_from_headers(&st, req.headers()) else { return next.run(req).await };
    let Some(uri) = req.uri().path_and_query().map(|p| p.as_str().to_string()).filter(|u| u.len() <= MAX_URI) else {
        return next.run(req).await;
    };
    let key = (domain::auth::token_digest(&token), uri);
    let versions = Versions::now(&st);
    // The session is looked up only when there is a page to answer from, or one to keep
    // (after the page itself looked it up): a cookie of no session costs no extra lookup.
    if let Some(kept) = cache.fresh(&key, versions) {
        if may_keep(&st, &token).await {
            if let Some(res) = kept.response() {
                return res;
            }
        }
    }
    let res = next.run(req).await;
    let Some((content_type, csp, nonce)) = keepable(&res) else { return res };
    if !may_keep(&st, &token).await {
        return res;
    }
    let (parts, body) = res.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "page body failed");
            return Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .body(Body::from("The page could not be made; reload it."))
                .unwrap_or_default();
        }
    };
    if body.len() <= MAX_PAGE {
        cache.put(key, Entry { versions, at: Instant::now(), nonce, csp, content_type, body: body.clone() });
    }
    Response::from_parts(parts, Body::from(body))
}

/// A page answer that may be kept: its content type, its Content-Security-Policy and the
/// nonce in it.
fn keepable(res: &Response) -> Option<(HeaderValue, String, String)> {
    let h = res.headers();
    if res.status() != StatusCode::OK || h.contains_key(header::SET_COOKIE) {
        return None;
    }
    let content_type = h.get(header::CONTENT_TYPE).filter(|v| v.as_bytes().starts_with(b"text/html"))?.clone();
    let csp = h.get(header::CONTENT_SECURITY_POLICY)?.to_str().ok()?.to_string();
    let nonce = nonce_in(&csp)?.to_string();
    Some((content_type, csp, nonce))
}

/// The nonce of `script-src 'nonce-…'` (at least 16 characters of base64url).
fn nonce_in(csp: &str) -> Option<&str> {
    let start = csp.find("'nonce-")? + "'nonce-".len();
    let len = csp[start..].find('\'')?;
    let nonce = &csp[start..start + len];
    (nonce.len() >= 16 && nonce.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')).then_some(nonce)
}

fn replace_all(body: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 64);
    let mut last = 0;
    for at in memchr::memmem::find_iter(body, from) {
        out.extend_from_slice(&body[last..at]);
        out.extend_from_slice(to);
        last = at + from.len();
    }
    out.extend_from_slice(&body[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nonce_is_found_in_a_policy_and_replaced_everywhere() {
        let csp = "default-src 'self'; script-src 'self' 'nonce-MEQsnofpAk-ekc14jBngFg' 'wasm-unsafe-eval'";
        assert_eq!(nonce_in(csp), Some("MEQsnofpAk-ekc14jBngFg"));
        assert_eq!(nonce_in("script-src 'self'"), None);
        assert_eq!(nonce_in("script-src 'nonce-short'"), None);
        assert_eq!(nonce_in("script-src 'nonce-\"><script>alert(1)</script>'"), None);
        let body = b"<script nonce=\"AAAABBBBCCCCDDDD\">x</script><link crossorigin=\"AAAABBBBCCCCDDDD\">AAAABBBBCCCCDDDD";
        let out = replace_all(body, b"AAAABBBBCCCCDDDD", b"zzzzyyyyxxxxwwww");
        assert_eq!(out, b"<script nonce=\"zzzzyyyyxxxxwwww\">x</script><link crossorigin=\"zzzzyyyyxxxxwwww\">zzzzyyyyxxxxwwww".to_vec());
    }

    fn entry(at: Instant, bytes: usize) -> Entry {
        Entry {
            versions: Versions { store: 1, live: (0, 0), sessions: 0 },
            at,
            nonce: "AAAABBBBCCCCDDDD".into(),
            csp: "script-src 'nonce-AAAABBBBCCCCDDDD'".into(),
            content_type: HeaderValue::from_static("text/html; charset=utf-8"),
            body: Bytes::from(vec![b'x'; bytes]),
        }
    }

    #[test]
    fn a_kept_page_is_used_only_at_the_same_versions_while_fresh() {
        let cache = PageCache::default();
        let key = ("digest".to_string(), "/conferences".to_string());
        let v = Versions { store: 1, live: (0, 0), sessions: 0 };
        cache.put(key.clone(), entry(Instant::now(), 10));
        let res = cache.fresh(&key, v).and_then(Kept::response).expect("hit");
        let csp = res.headers().get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(!csp.contains("AAAABBBBCCCCDDDD") && nonce_in(csp).is_some(), "a fresh nonce: {csp}");
        assert!(cache.fresh(&key, Versions { store: 2, ..v }).is_none(), "the database moved");
        assert!(cache.fresh(&key, Versions { live: (1, 0), ..v }).is_none(), "a Hot Backup event");
        assert!(cache.fresh(&key, Versions { live: (0, 1), ..v }).is_none(), "an alarm");
        assert!(cache.fresh(&key, Versions { sessions: 1, ..v }).is_none(), "a session ended");
        assert!(cache.fresh(&("other".into(), "/conferences".into()), v).is_none(), "another session");
        assert!(cache.fresh(&("digest".into(), "/conferences?q=1".into()), v).is_none(), "another address");
        let old = Instant::now().checked_sub(FRESH_FOR).unwrap_or_else(Instant::now);
        cache.put(key.clone(), entry(old, 10));
        assert!(cache.fresh(&key, v).is_none(), "too old");
    }

    #[test]
    fn the_kept_pages_stay_within_their_bounds() {
        let cache = PageCache::default();
        for i in 0..MAX_ENTRIES + 50 {
            cache.put((format!("s{i}"), "/".into()), entry(Instant::now(), 1000));
        }
        assert_eq!(cache.size().0, MAX_ENTRIES);
        let cache = PageCache::default();
        for i in 0..100 {
            cache.put((format!("s{i}"), "/".into()), entry(Instant::now(), MAX_PAGE));
        }
        let (n, bytes) = cache.size();
        assert!(bytes <= MAX_BYTES && n + 1 >= MAX_BYTES / (MAX_PAGE + 4), "{n} pages, {bytes} bytes");
        // Replacing a page does not count it twice.
        let cache = PageCache::default();
        for _ in 0..10 {
            cache.put(("s".into(), "/".into()), entry(Instant::now(), 1000));
        }
        assert_eq!(cache.size(), (1, 1000 + 2));
    }
}
