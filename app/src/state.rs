//! Server-side context for server functions: the shared [`AppState`], who is calling,
//! and the one place where a role is checked and a domain error becomes an HTTP answer.

use crate::error::AppError;
use axum::http::request::Parts;
use axum_extra::extract::cookie::CookieJar;
use domain::store::Store;
use domain::throttle::SharedThrottle;
use domain::{Permission, SystemInfo, UserView};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use std::path::PathBuf;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Everything a request handler needs. Built once by the server binary; cloned for every
/// request (and server function), so a clone is one reference count.
#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

impl AppState {
    pub fn new(inner: AppStateInner) -> AppState {
        AppState(Arc::new(inner))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppStateInner;
    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> LeptosOptions {
        s.leptos_options.clone()
    }
}

pub struct AppStateInner {
    pub leptos_options: LeptosOptions,
    pub store: Store,
    pub info: SystemInfo,
    pub data_dir: PathBuf,
    pub started: Instant,
    /// Failed-login limits, shared by the login page and the peer link's login.
    pub throttle: SharedThrottle,
    /// Session cookie name. Includes the listen port: browsers share cookies between
    /// ports of one host, and two MCUs on one host must not log each other out.
    pub cookie_name: String,
    /// The Hot Backup engine; every change to synced state goes through `hb.commit`.
    pub hb: hotbackup::HotBackup,
    /// This MCU's Active Alarms, its Hot Backup event log, and what the open pages hear.
    pub alarms: hotbackup::Alarms,
    pub events: hotbackup::EventLog,
    /// The link's last 24 hours (sampled by the server, drawn by the Hot Backup page).
    pub link_history: hotbackup::LinkHistory,
    pub updates: hotbackup::Updates,
    /// Ending conferences with their call records (over `hb`).
    pub calls: hotbackup::CallRecords,
    /// System Reset: set, then notified; the server stops serving and starts itself again.
    pub reset: Arc<ResetRequest>,
    /// Who each recent session token belongs to (a page load asks several times).
    pub sessions: SessionCache,
    /// Settings from the command line that requests are judged by.
    pub policy: Policy,
    /// Set when the server stops or resets: event streams and peer long-polls end at once.
    pub stopping: Arc<tokio::sync::watch::Sender<bool>>,
    /// Open event streams per session, to bound them.
    pub event_streams: EventStreams,
    /// Exports (CSV/JSON downloads of the audit trail and call history) running, per user
    /// name: at most [`MAX_EXPORTS_PER_USER`] each and [`MAX_EXPORTS`] in all.
    pub exports: Slots<String>,
    /// This MCU's peer-link key and certificate (made at first start); the listener
    /// shows it to the peer link.
    pub peer_identity: hotbackup::identity::PeerIdentity,
    /// The conferences each Chairperson session opened with a chairperson password.
    pub chair_unlocks: ChairUnlocks,
}

/// Per session (SHA-256 of its token): the conference ids its chairperson passwords
/// opened. Bounded: at most [`MAX_UNLOCK_SESSIONS`] sessions (the oldest entry goes) and
/// [`MAX_UNLOCKS`] conferences each.
#[derive(Clone, Default)]
pub struct ChairUnlocks(Arc<std::sync::Mutex<UnlockList>>);

/// (session token digest, conference ids), oldest session first.
type UnlockList = std::collections::VecDeque<(String, Vec<String>)>;

pub const MAX_UNLOCK_SESSIONS: usize = 4096;
pub const MAX_UNLOCKS: usize = 200;

impl ChairUnlocks {
    fn with<T>(&self, f: impl FnOnce(&mut UnlockList) -> T) -> T {
        let mut g = self.0.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut g)
    }

    /// The conference ids this session opened.
    pub fn of(&self, token: &str) -> Vec<String> {
        let key = domain::auth::token_digest(token);
        self.with(|q| q.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()).unwrap_or_default())
    }

    /// Adds conference ids to this session's list.
    pub fn add(&self, token: &str, ids: impl IntoIterator<Item = String>) {
        let key = domain::auth::token_digest(token);
        self.with(|q| {
            let at = match q.iter().position(|(k, _)| *k == key) {
                Some(i) => i,
                None => {
                    if q.len() >= MAX_UNLOCK_SESSIONS {
                        q.pop_front();
                    }
                    q.push_back((key, Vec::new()));
                    q.len() - 1
                }
            };
            let list = &mut q[at].1;
            for id in ids {
                if !list.contains(&id) {
                    if list.len() >= MAX_UNLOCKS {
                        list.remove(0);
                    }
                    list.push(id);
                }
            }
        })
    }
}

#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// Browser sessions end after this long without use.
    pub session_idle_ms: domain::Millis,
    /// Served over TLS: cookies are marked `Secure`.
    pub tls: bool,
    /// The simulation endpoints (`simulate_dial_in`, `simulate_link`) answer only with `--simulate`.
    pub simulate: bool,
}

/// Resolves once `stop` is (or becomes) true, or its sender is gone.
pub async fn until_true(stop: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = stop.wait_for(|v| *v).await.map(|_| ());
}

/// A bounded count of open things per key (event streams per session, connections per
/// client address). A [`Slot`] holds one; dropping it frees it.
pub struct Slots<K: std::hash::Hash + Eq + Clone>(Arc<Mutex<std::collections::HashMap<K, usize>>>);

impl<K: std::hash::Hash + Eq + Clone> Clone for Slots<K> {
    fn clone(&self) -> Self {
        Slots(self.0.clone())
    }
}

impl<K: std::hash::Hash + Eq + Clone> Default for Slots<K> {
    fn default() -> Self {
        Slots(Default::default())
    }
}

pub struct Slot<K: std::hash::Hash + Eq + Clone> {
    slots: Slots<K>,
    key: K,
}

impl<K: std::hash::Hash + Eq + Clone> Slots<K> {
    /// One more for `key`, or `None` when it has `max` already.
    pub fn take(&self, key: K, max: usize) -> Option<Slot<K>> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(key.clone()).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot { slots: self.clone(), key })
    }

    /// Open in all.
    pub fn open(&self) -> usize {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).values().sum()
    }
}

impl<K: std::hash::Hash + Eq + Clone> Drop for Slot<K> {
    fn drop(&mut self) {
        let mut map = self.slots.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.key);
            }
        }
    }
}

/// Open event streams per session (by the token's digest), at most `max` each. When a
/// session has them all, the oldest is told to end and the new one takes its place: it is
/// the page the user looks at now, while the oldest is most likely a page already left
/// whose closed connection the server has not noticed yet (it would be, at the next write).
#[derive(Clone, Default)]
pub struct EventStreams {
    open: Arc<Mutex<std::collections::HashMap<String, SessionStreams>>>,
    next: Arc<std::sync::atomic::AtomicU64>,
}

/// A session's open streams, oldest first: each one's id and how to tell it to end.
type SessionStreams = std::collections::VecDeque<(u64, tokio::sync::watch::Sender<bool>)>;

/// One open event stream's place; `ended` turns true when a newer stream of its session
/// took it. Dropping it frees the place.
pub struct EventStreamSlot {
    streams: EventStreams,
    key: String,
    id: u64,
    pub ended: tokio::sync::watch::Receiver<bool>,
}

impl EventStreams {
    pub fn open(&self, key: String, max: usize) -> EventStreamSlot {
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (tx, ended) = tokio::sync::watch::channel(false);
        let mut map = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let queue = map.entry(key.clone()).or_default();
        while queue.len() >= max.max(1) {
            match queue.pop_front() {
                Some((_, oldest)) => {
                    let _ = oldest.send(true);
                }
                None => break,
            }
        }
        queue.push_back((id, tx));
        EventStreamSlot { streams: self.clone(), key, id, ended }
    }

    /// Open in all.
    pub fn count(&self) -> usize {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).values().map(|q| q.len()).sum()
    }
}

impl Drop for EventStreamSlot {
    fn drop(&mut self) {
        let mut map = self.streams.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(queue) = map.get_mut(&self.key) {
            queue.retain(|(id, _)| *id != self.id);
            if queue.is_empty() {
                map.remove(&self.key);
            }
        }
    }
}

/// Exports one user may run at once, and all users together: an export reads up to
/// thousands of rows and formats them, so a storm of them must not starve the MCU.
pub const MAX_EXPORTS_PER_USER: usize = 2;
pub const MAX_EXPORTS: usize = 4;

/// Event streams one session may hold open at once (a few tabs; a new one ends the oldest).
pub const MAX_STREAMS_PER_SESSION: usize = 8;

/// Session token → user for a couple of seconds, so one page load (the frame and each of
/// its lists) looks the session up once. Cleared whenever a user or session changes.
/// Every clear bumps a counter that open event streams watch, so a logout or a user change
/// makes them check their session at once.
#[derive(Clone)]
pub struct SessionCache {
    map: Arc<Mutex<std::collections::HashMap<String, CachedSession>>>,
    changed: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Default for SessionCache {
    fn default() -> Self {
        SessionCache { map: Default::default(), changed: Arc::new(tokio::sync::watch::channel(0).0) }
    }
}

/// A session as looked up: the user, when, and whether that lookup counted as activity.
type CachedSession = (UserView, Instant, bool);

/// How long a cached session answer is used.
pub const SESSION_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(2);

impl SessionCache {
    /// The cached user of `token`; with `touched`, only an answer that also counted as the
    /// user's activity.
    fn get(&self, token: &str, touched: bool) -> Option<UserView> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(token).filter(|(_, at, t)| at.elapsed() < SESSION_CACHE_TTL && (*t || !touched)).map(|(u, _, _)| u.clone())
    }

    fn put(&self, token: String, user: UserView, touched: bool) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 1000 {
            map.retain(|_, (_, at, _)| at.elapsed() < SESSION_CACHE_TTL);
            if map.len() > 1000 {
                map.clear();
            }
        }
        map.insert(token, (user, Instant::now(), touched));
    }

    /// Forget everything (after logout, a role or password change, a deleted user).
    pub fn clear(&self) {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Notified at every [`SessionCache::clear`].
    pub fn watch(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changed.subscribe()
    }
}

/// A request to restart the MCU process (System Reset).
#[derive(Default)]
pub struct ResetRequest {
    pub requested: std::sync::atomic::AtomicBool,
    pub notify: tokio::sync::Notify,
}

impl ResetRequest {
    pub fn request(&self) {
        self.requested.store(true, std::sync::atomic::Ordering::SeqCst);
        self.notify.notify_one();
    }

    pub fn is_requested(&self) -> bool {
        self.requested.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl AppState {
    /// The one write path of the server functions: commits through Hot Backup (refused on a
    /// Slave, waits for the Slave while in sync) and tells the caller, in the response
    /// headers `x-mcu-epoch`, `x-mcu-seq`, `x-mcu-mirrored` and `x-mcu-replication-us`, where the change stands
    /// (scripts and the fault suite read them; pages ignore them).
    pub async fn commit(&self, change: domain::Change) -> Result<domain::change::LogEntry, AppError> {
        let mut entries = self.commit_all(vec![change]).await?;
        entries.pop().ok_or(AppError::Internal)
    }

    /// Changes of one request as one unit: all of them or none (an operator's selection
    /// never stays half-applied). The answer's headers describe the last one.
    pub async fn commit_all(&self, changes: Vec<domain::Change>) -> Result<Vec<domain::change::LogEntry>, AppError> {
        let actor = self.actor();
        let summary = actor.as_ref().map(|_| changes.iter().map(|c| domain::audit::summary(c, None)).collect::<Vec<_>>().join("; "));
        let c = match self.hb.commit_all_as(changes, actor).await {
            Ok(c) => c,
            Err(e) => {
                // A refused change is in the trail too (the store wrote nothing else).
                if let Some(summary) = summary {
                    self.audit(domain::audit::AuditKind::Change, &format!("{summary} — refused: {e}"), false).await;
                }
                return Err(e.into());
            }
        };
        if let (Some(res), Some(last)) = (use_context::<ResponseOptions>(), c.entries.last()) {
            use axum::http::{HeaderName, HeaderValue};
            for (name, value) in [
                ("x-mcu-epoch", last.epoch.to_string()),
                ("x-mcu-seq", last.seq.to_string()),
                ("x-mcu-mirrored", c.mirrored.to_string()),
                ("x-mcu-replication-us", c.replication_us.map(|u| u.to_string()).unwrap_or_default()),
            ] {
                if let Ok(v) = HeaderValue::from_str(&value) {
                    res.insert_header(HeaderName::from_static(name), v);
                }
            }
        }
        Ok(c.entries)
    }

    /// Ends a conference (its call record first) as the caller; refused on a Slave (G5).
    pub async fn end_conference(&self, c: &domain::Conference, ended: domain::cdr::Ended) -> Result<(), AppError> {
        let actor = self.actor();
        self.calls.end_conference(c, ended, actor).await.map_err(AppError::from)
    }

    /// The caller of the running server function as the change log records them.
    fn actor(&self) -> Option<domain::audit::Actor> {
        use_context::<Caller>().map(|c| domain::audit::Actor {
            user: c.0.name,
            role: c.0.role,
            client: client_ip().to_string(),
            mcu: self.info.name.clone(),
        })
    }

    /// An entry of this MCU's audit trail by the caller (or "system" outside a call). A
    /// trail that cannot be written is logged, never a reason to refuse what was done.
    pub async fn audit(&self, kind: domain::audit::AuditKind, summary: &str, ok: bool) {
        let (user, role) = match use_context::<Caller>() {
            Some(c) => (c.0.name, Some(c.0.role)),
            None => ("system".to_string(), None),
        };
        self.audit_as(&user, role, kind, summary, ok).await;
    }

    /// [`Self::audit`] naming the user (a login, before any session exists).
    pub async fn audit_as(&self, user: &str, role: Option<domain::Role>, kind: domain::audit::AuditKind, summary: &str, ok: bool) {
        let client = client_ip().to_string();
        let by = domain::audit::By { mcu: &self.info.name, user, role, client: &client };
        let e = domain::audit::entry(domain::store::now_ms(), by, kind, summary, ok);
        if let Err(err) = self.db(move |s| s.audit(&e)).await {
            tracing::error!(error = %err, "the audit trail could not be written");
        }
    }

    /// Runs a (blocking) store call on tokio's blocking pool.
    pub async fn db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, domain::DomainError> + Send + 'static,
    {
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || f(&store)).await {
            Ok(r) => r.map_err(AppError::from),
            Err(e) => {
                tracing::error!(error = %e, "store task failed");
                Err(AppError::Internal)
            }
        }
    }
}

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal
    })
}

/// The zone the reader's browser named in its zone cookie (at most 64 characters), if any.
pub fn zone_told() -> Option<String> {
    use_context::<Parts>()
        .and_then(|p| CookieJar::from_headers(&p.headers).get(crate::localtime::ZONE_COOKIE).map(|c| c.value().to_string()))
        .filter(|z| z.len() <= 64)
}

/// The reader's time zone: the one their browser named, UTC when it has not (yet) or
/// named none the database knows.
pub fn reader_zone() -> domain::zone::Clock {
    zone_told().and_then(|name| domain::zone::Clock::named(&name).ok()).unwrap_or(domain::zone::Clock::UTC)
}

/// The session token sent by the browser, if any.
pub fn session_token(st: &AppState) -> Option<String> {
    let parts = use_context::<Parts>()?;
    token_from_headers(st, &parts.headers)
}

/// The user whose session cookie is in `headers` (for plain axum routes such as `/events`).
pub async fn user_from_headers(st: &AppState, headers: &axum::http::HeaderMap) -> Option<UserView> {
    let token = token_from_headers(st, headers)?;
    user_of_token(st, token).await.ok().flatten()
}

/// The session token in `headers`' cookie, if any (bounded: a token is 64 hex digits).
pub fn token_from_headers(st: &AppState, headers: &axum::http::HeaderMap) -> Option<String> {
    CookieJar::from_headers(headers)
        .get(&st.cookie_name)
        .map(|c| c.value().to_string())
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The user of a session token, through the short cache; the request counts as the
/// user's activity (it keeps the session from its idle limit).
pub async fn user_of_token(st: &AppState, token: String) -> Result<Option<UserView>, AppError> {
    lookup_session(st, token, true).await
}

/// Like [`user_of_token`], for what a page does by itself (polling, reloading after a
/// change, its event stream): the session's idle time goes on.
pub async fn user_of_token_quietly(st: &AppState, token: String) -> Result<Option<UserView>, AppError> {
    lookup_session(st, token, false).await
}

async fn lookup_session(st: &AppState, token: String, activity: bool) -> Result<Option<UserView>, AppError> {
    if let Some(user) = st.sessions.get(&token, activity) {
        return Ok(Some(user));
    }
    let key = token.clone();
    let user = if activity {
        st.db(move |s| s.session_user(&key)).await?
    } else {
        st.db(move |s| s.session_user_quietly(&key)).await?
    };
    if let Some(u) = &user {
        st.sessions.put(token, u.clone(), activity);
    }
    Ok(user)
}

/// Whether a request to `path` is one a page makes by itself: a server function that only
/// reads (`/api/get_*`, `/api/list_*`; polling, reloading after a change). Page loads,
/// changes, exports and logins are the user's own, and only they keep a session alive.
pub fn is_background_read(path: &str) -> bool {
    path.strip_prefix("/api/").is_some_and(|f| f.starts_with("get_") || f.starts_with("list_"))
}

fn background_request() -> bool {
    use_context::<Parts>().is_some_and(|p| is_background_read(p.uri.path()))
}

/// The client's address (the TCP peer, or the client a `--trusted-proxy` names), when the
/// server recorded it; unspecified otherwise (tests that drive the router without a socket).
pub fn client_ip() -> IpAddr {
    use_context::<Parts>().map(|p| client_ip_in(&p.extensions)).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// The client's address as `server::serve` put it in a request's extensions.
pub fn client_ip_in(extensions: &axum::http::Extensions) -> IpAddr {
    extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// The logged-in user, if any.
pub async fn current_user(st: &AppState) -> Result<Option<UserView>, AppError> {
    let Some(token) = session_token(st) else { return Ok(None) };
    if background_request() {
        user_of_token_quietly(st, token).await
    } else {
        user_of_token(st, token).await
    }
}

/// The caller, who must be logged in and allowed `p`. Every server function that reads
/// or changes anything starts here.
pub async fn require(p: Permission) -> Result<(AppState, UserView), AppError> {
    let st = state()?;
    let user = current_user(&st).await?.ok_or(AppError::NotLoggedIn)?;
    if !user.role.can(p) {
        return Err(AppError::Forbidden(user.role.refusal(p)));
    }
    // The caller goes with the changes this server function commits (the audit trail).
    provide_context(Caller(user.clone()));
    Ok((st, user))
}

/// Who called the running server function (set by [`require`]).
#[derive(Clone)]
pub struct Caller(pub UserView);

/// A page's Content-Security-Policy: scripts only from this MCU or inline with this
/// answer's nonce (the hydration script), WebAssembly allowed, nothing inline otherwise,
/// no framing. Set while the page's shell renders, before the first byte goes out.
pub fn set_page_security_policy() {
    let (Some(nonce), Some(res)) = (leptos::nonce::use_nonce(), use_context::<ResponseOptions>()) else { return };
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(v) = axum::http::HeaderValue::from_str(&csp) {
        res.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, v);
    }
}

/// The simulation endpoints exist only on an MCU started with `--simulate`.
pub fn require_simulation(st: &AppState) -> Result<(), AppError> {
    if st.policy.simulate {
        Ok(())
    } else {
        Err(AppError::NotFound("Simulation endpoints are off; start the MCU with --simulate to use them.".into()))
    }
}

/// Sets the HTTP status that matches `e` (for calls to the API, not while a page is being
/// rendered: a page shows the error in place) and hands it back, for `map_err`.
pub fn fail(e: AppError) -> AppError {
    let api_call = use_context::<Parts>().is_some_and(|p| p.uri.path().starts_with("/api/"));
    if let (true, Some(res)) = (api_call, use_context::<ResponseOptions>()) {
        res.set_status(e.status());
        if let AppError::Throttled { retry_after_s, .. } = &e {
            res.insert_header(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(*retry_after_s));
        }
    }
    e
}

/// Wraps a server function body so every error sets its status code.
pub async fn answer<T>(fut: impl std::future::Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    fut.await.map_err(fail)
}

/// The `Set-Cookie` value that stores (or, with `None`, removes) the session token:
/// HttpOnly, SameSite=Strict, whole site, and Secure over TLS. The token is hex, the name ASCII.
pub fn session_cookie(st: &AppState, token: Option<&str>) -> String {
    let max_age = if token.is_some() { domain::store::SESSION_TTL_MS / 1000 } else { 0 };
    let secure = if st.policy.tls { "; Secure" } else { "" };
    format!("{}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}", st.cookie_name, token.unwrap_or(""))
}

pub fn set_cookie(value: String) {
    if let (Some(res), Ok(v)) = (use_context::<ResponseOptions>(), axum::http::HeaderValue::from_str(&value)) {
        res.append_header(axum::http::header::SET_COOKIE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_event_stream_ends_the_oldest_of_its_session_when_all_are_open() {
        let streams = EventStreams::default();
        let first = streams.open("s".into(), 2);
        let second = streams.open("s".into(), 2);
        let other = streams.open("t".into(), 2);
        assert_eq!(streams.count(), 3);
        let third = streams.open("s".into(), 2);
        assert!(*first.ended.borrow(), "the oldest of the session is told to end");
        assert!(!*second.ended.borrow() && !*third.ended.borrow() && !*other.ended.borrow());
        assert_eq!(streams.count(), 3, "never more than the most per session");
        drop(first);
        assert_eq!(streams.count(), 3, "its place was already taken");
        drop((second, third, other));
        assert_eq!(streams.count(), 0);
    }
}
