//! The MCU server process, as a library so tests can build the same router without a
//! socket: [`Config`] (the CLI), [`build_state`] (open the store, create the first
//! Administrator, start Hot Backup) and [`router`] (pages, server functions, the peer link,
//! `/healthz`, `/metrics`, static files).

// Without `--cfg erase_components` (tests) the pages' view types are deep: the router's
// layouts need more than the default 128 levels.
#![recursion_limit = "256"]

pub mod alloc;
pub mod assets;
pub mod conns;
pub mod backup;
pub mod export;
pub mod guard;
pub mod peer;
pub mod proxy;
mod redial;
pub mod scheduler;
pub mod serve;
mod watch;

use anyhow::{bail, Context};
use app::state::AppState;
use app::shell;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use clap::Parser;
use domain::store::Store;
use domain::hotbackup::{LiveRole, SyncStatus};
use domain::{McuModel, Role, SystemInfo};
use leptos::prelude::*;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One MCU server: its web administration app, its API and its embedded database.
#[derive(Debug, Clone, Parser)]
#[command(name = "server", version, about)]
pub struct Config {
    /// Address and port to listen on (IPv4 or IPv6).
    #[arg(long, env = "MCU_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Folder for this MCU's database; created if missing.
    #[arg(long, env = "MCU_DATA_DIR", default_value = "data/mcu", global = true)]
    pub data_dir: PathBuf,

    /// The MCU's display name.
    #[arg(long, env = "MCU_NAME", default_value = "MCU")]
    pub name: String,

    /// Model: "CS 1800", "CS 2000", "CS 4000" or "Virtual Edition".
    #[arg(long, env = "MCU_MODEL", default_value = "CS 2000", value_parser = parse_model)]
    pub model: McuModel,

    /// Software version this MCU reports (Hot Backup pairs only equal versions).
    #[arg(long, env = "MCU_SOFTWARE_VERSION", default_value = env!("CARGO_PKG_VERSION"))]
    pub software_version: String,

    /// Login name of the first Administrator, created on a new database.
    #[arg(long, env = "MCU_ADMIN_USER", default_value = "admin")]
    pub admin_user: String,

    /// Password of the first Administrator. Required when the database has no users yet;
    /// there is no built-in default. Ignored once users exist.
    #[arg(long, env = "MCU_ADMIN_PASSWORD", hide_env_values = true, conflicts_with = "admin_password_file")]
    pub admin_password: Option<String>,

    /// A file holding the first Administrator's password (one line; a final newline is
    /// not part of it), instead of --admin-password: nothing secret on the command line or
    /// in the environment (e.g. a systemd credential).
    #[arg(long, env = "MCU_ADMIN_PASSWORD_FILE")]
    pub admin_password_file: Option<PathBuf>,

    /// Folder with the built site (pkg/ with the WASM, JS and CSS).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,

    /// Serve HTTPS with this PEM certificate chain (needs --tls-key). Without it the MCU
    /// serves plain HTTP: for loopback and the demo only.
    #[arg(long, env = "MCU_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The PEM private key of --tls-cert.
    #[arg(long, env = "MCU_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Another origin whose pages may make changes here (e.g. https://mcu.example.com when
    /// a proxy serves the app under that name). Repeat, or separate with commas.
    #[arg(long = "allowed-origin", env = "MCU_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// A reverse proxy in front of this MCU: an address (10.0.0.5) or a block (10.0.0.0/24).
    /// Only requests from these have their Forwarded / X-Forwarded-For header believed, so
    /// the login limits, the audit trail and the logs see the real client. Repeat, or
    /// separate with commas.
    #[arg(long = "trusted-proxy", env = "MCU_TRUSTED_PROXIES", value_delimiter = ',', value_parser = proxy::parse_proxy)]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Turn on the simulation endpoints (simulate_dial_in, simulate_link): calls are
    /// simulated, so demos and tests need them; a production MCU does not.
    #[arg(long, env = "MCU_SIMULATE")]
    pub simulate: bool,

    /// Minutes without use after which a browser session ends.
    #[arg(long, env = "MCU_SESSION_IDLE_MINUTES", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=1440))]
    pub session_idle_minutes: u64,

    /// Connections served at once; more are closed at once.
    #[arg(long, env = "MCU_MAX_CONNECTIONS", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(8..=100_000))]
    pub max_connections: u64,

    /// Connections served at once from one client address (an IPv6 /64).
    #[arg(long, env = "MCU_MAX_CONNECTIONS_PER_CLIENT", default_value_t = 128, value_parser = clap::value_parser!(u64).range(4..=100_000))]
    pub max_connections_per_client: u64,

    /// Seconds a client has for its first byte, its TLS handshake and each request's headers.
    #[arg(long, env = "MCU_HEADER_TIMEOUT_S", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub header_timeout_s: u64,

    /// The audit trail keeps at most this many entries (the oldest go first).
    #[arg(long, env = "MCU_AUDIT_MAX_ENTRIES", default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(100..=10_000_000))]
    pub audit_max_entries: u64,

    /// ...and none older than this many days.
    #[arg(long, env = "MCU_AUDIT_MAX_DAYS", default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub audit_max_days: u32,

    /// The call history keeps at most this many ended conferences (the oldest go first).
    #[arg(long, env = "MCU_CDR_MAX_RECORDS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(10..=1_000_000))]
    pub cdr_max_records: u64,

    /// ...and none that ended longer ago than this many days.
    #[arg(long, env = "MCU_CDR_MAX_DAYS", default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub cdr_max_days: u32,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Write a consistent copy of this MCU's database to FILE (safe while the MCU runs),
    /// then exit. See README, "Backup and restore".
    Backup {
        /// Where to write the copy (created private, 0600).
        #[arg(long)]
        to: PathBuf,
    },
    /// Write brotli and gzip copies of the built site's assets (run by the build), then exit.
    Precompress {
        /// The folder of the built assets.
        #[arg(long, default_value = "target/site/pkg")]
        dir: PathBuf,
        /// Quick levels instead of the best (a debug build).
        #[arg(long)]
        quick: bool,
    },
}

impl Config {
    /// The same settings as `server` with no arguments and no environment: for tests.
    pub fn for_tests(listen: SocketAddr, data_dir: PathBuf, admin_password: Option<String>) -> Config {
        Config {
            listen,
            data_dir,
            name: "MCU".into(),
            model: McuModel::Cs2000,
            software_version: env!("CARGO_PKG_VERSION").into(),
            admin_user: "admin".into(),
            admin_password,
            admin_password_file: None,
            site_root: "target/site".into(),
            tls_cert: None,
            tls_key: None,
            allowed_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            simulate: false,
            session_idle_minutes: 30,
            max_connections: 1024,
            max_connections_per_client: 128,
            header_timeout_s: 10,
            audit_max_entries: 100_000,
            audit_max_days: 365,
            cdr_max_records: 10_000,
            cdr_max_days: 365,
            command: None,
        }
    }

    pub fn tls(&self) -> bool {
        self.tls_cert.is_some()
    }

    /// The first Administrator's password, from --admin-password or the file
    /// --admin-password-file names (read only when needed: a new database).
    pub fn first_admin_password(&self) -> anyhow::Result<Option<String>> {
        if let Some(p) = &self.admin_password {
            return Ok(Some(p.clone()));
        }
        let Some(file) = &self.admin_password_file else { return Ok(None) };
        Ok(Some(read_password_file(file)?))
    }
}

/// Longest password file read (a password is far shorter; anything longer is not one).
const PASSWORD_FILE_MAX: u64 = 4096;

/// A password kept in a file: its first line, without the line end.
fn read_password_file(file: &std::path::Path) -> anyhow::Result<String> {
    use std::io::Read;
    let what = || format!("--admin-password-file {}", file.display());
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(PASSWORD_FILE_MAX + 1).read_to_end(&mut bytes))
        .with_context(|| format!("{}: cannot read it", what()))?;
    if bytes.len() as u64 > PASSWORD_FILE_MAX {
        bail!("{}: more than {PASSWORD_FILE_MAX} bytes is not a password file", what());
    }
    let text = String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{}: the file is not text", what()))?;
    let line = text.lines().next().unwrap_or_default();
    if line.is_empty() {
        bail!("{}: the file is empty", what());
    }
    Ok(line.to_string())
}

/// `server backup --to FILE`: opens the database (alongside a running MCU, if any) and
/// writes SQLite's online backup of it.
pub fn backup(cfg: &Config, to: &std::path::Path) -> anyhow::Result<()> {
    if !cfg.data_dir.join(domain::store::DB_FILE).is_file() {
        bail!("there is no MCU database in {} (give its folder with --data-dir)", cfg.data_dir.display());
    }
    let store = Store::open(&cfg.data_dir).with_context(|| format!("cannot open the database in {}", cfg.data_dir.display()))?;
    store.backup_to(to).with_context(|| format!("backup to {} failed", to.display()))?;
    Ok(())
}

/// A System Reset restores the backup uploaded for it, if any (before Hot Backup starts):
/// applied all or nothing, or forgotten with the reason when it no longer may be (Hot
/// Backup turned on meanwhile). Either way in the audit trail.
fn restore_kept_backup(store: &Store, mcu: &str, model: McuModel) -> anyhow::Result<()> {
    let hb: domain::HotBackupSettings = store.local(domain::store::keys::HOT_BACKUP)?;
    let (summary, ok) = match store.apply_pending_restore(model, hb.enabled) {
        Ok(None) => return Ok(()),
        Ok(Some(done)) => (
            format!("Configuration restored from the backup of {}: {} records written, {} removed.", done.info.describe(), done.written, done.removed),
            true,
        ),
        Err(e) => (format!("The backup kept for this System Reset was not restored: {e}"), false),
    };
    if ok {
        tracing::info!("{summary}");
    } else {
        tracing::warn!("{summary}");
    }
    let by = domain::audit::By { mcu, user: "system", role: None, client: "-" };
    store.audit(&domain::audit::entry(domain::store::now_ms(), by, domain::audit::AuditKind::Backup, &summary, ok))?;
    Ok(())
}

fn parse_model(s: &str) -> Result<McuModel, String> {
    McuModel::parse(s).ok_or_else(|| format!("unknown model '{s}': use CS 1800, CS 2000, CS 4000 or Virtual Edition"))
}

/// Opens the store, makes sure an Administrator exists, starts the Hot Backup engine.
pub async fn build_state(cfg: &Config) -> anyhow::Result<AppState> {
    let name = domain::validate::mcu_name(&cfg.name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
    let store = Store::open(&cfg.data_dir)
        .with_context(|| format!("cannot open the database in {}", cfg.data_dir.display()))?;
    if store.user_count()? == 0 {
        let Some(password) = cfg.first_admin_password()? else {
            bail!(
                "the database in {} has no users yet: give the first Administrator's password with \
                 --admin-password-file (or --admin-password, MCU_ADMIN_PASSWORD; there is no default password)",
                cfg.data_dir.display()
            );
        };
        let user = domain::validate::user_name(&cfg.admin_user).map_err(|e| anyhow::anyhow!("--admin-user: {e}"))?;
        let password = domain::validate::new_password(&password).map_err(|e| anyhow::anyhow!("the first Administrator's password: {e}"))?;
        store.create_user(&user, &password, Role::Administrator)?;
        tracing::info!(user = %user, "created the first Administrator");
    } else if cfg.admin_password.is_some() || cfg.admin_password_file.is_some() {
        tracing::info!("users exist already; the first Administrator's password is ignored");
    }

    // Built here rather than read from the environment, so the same binary runs the same
    // way under cargo-leptos, plain cargo (tests) and by hand.
    let env = match std::env::var("LEPTOS_ENV").unwrap_or_default().to_ascii_lowercase().as_str() {
        "prod" | "production" => leptos::config::Env::PROD,
        _ => leptos::config::Env::DEV,
    };
    let leptos_options = LeptosOptions::builder()
        .output_name("mcu")
        .site_root(cfg.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(cfg.listen)
        .reload_port(3011)
        .env(env)
        // Asset names carry a content hash when the build wrote `hash.txt` beside this binary.
        .hash_files(std::env::current_exe().ok().and_then(|e| e.parent().map(|d| d.join("hash.txt").is_file())).unwrap_or(false))
        .build();

    // A System Reset is this start: settings saved for it take effect now.
    let applied = store.apply_pending_reset()?;
    if !applied.is_empty() {
        tracing::info!(?applied, "applied settings saved for the System Reset");
    }
    restore_kept_backup(&store, &name, cfg.model)?;

    let data_dir = std::fs::canonicalize(&cfg.data_dir).unwrap_or_else(|_| cfg.data_dir.clone());
    let peer_identity = hotbackup::identity::PeerIdentity::load_or_create(&data_dir)?;
    tracing::info!(fingerprint = %peer_identity.fingerprint, "peer-link certificate (compare it on the paired MCU's Hot Backup page)");
    let me = hotbackup::Identity {
        name: name.clone(),
        version: cfg.software_version.clone(),
        model: cfg.model,
        listen: cfg.listen,
        fingerprint: peer_identity.fingerprint.clone(),
    };
    let services = hotbackup::Services::load(&store).await;
    let hb = hotbackup::HotBackup::start(store.clone(), me, data_dir.clone(), peer_identity.clone(), &services).await?;
    let calls = hotbackup::CallRecords::new(hb.clone());
    // Whatever waited for a System Reset took effect above.
    services.alarms.clear(&[domain::alarms::AlarmCode::ResetNeeded]);
    let history = domain::cdr::Retention { max_records: usize::try_from(cfg.cdr_max_records).unwrap_or(10_000), max_days: cfg.cdr_max_days };
    scheduler::spawn(store.clone(), hb.clone(), calls.clone(), &services, cfg.model, history);
    redial::spawn(store.clone(), hb.clone(), services.clone(), cfg.model);
    let retention = domain::audit::Retention { max_entries: cfg.audit_max_entries, max_days: cfg.audit_max_days };
    watch::spawn(store.clone(), services.alarms.clone(), cfg.model, data_dir.clone(), retention);
    watch::sample_link(hb.clone(), services.link_history.clone());
    Ok(AppState::new(app::state::AppStateInner {
        leptos_options,
        store,
        info: SystemInfo { name, model: cfg.model, version: cfg.software_version.clone() },
        data_dir,
        started: Instant::now(),
        throttle: Default::default(),
        cookie_name: format!("mcu_session_{}", cfg.listen.port()),
        hb,
        alarms: services.alarms,
        events: services.events,
        link_history: services.link_history,
        updates: services.updates,
        calls,
        reset: Default::default(),
        sessions: Default::default(),
        policy: app::state::Policy {
            session_idle_ms: i64::try_from(cfg.session_idle_minutes * 60_000).unwrap_or(i64::MAX),
            tls: cfg.tls(),
            simulate: cfg.simulate,
        },
        stopping: Arc::new(tokio::sync::watch::channel(false).0),
        event_streams: Default::default(),
        exports: Default::default(),
        chair_unlocks: Default::default(),
        peer_identity,
    }))
}


/// Health for machines: no login, no secrets.
async fn healthz(State(st): State<AppState>) -> Json<serde_json::Value> {
    let s = st.hb.status_brief().await;
    Json(serde_json::json!({
        "role": s.role.key(),
        "epoch": s.epoch,
        "seq": s.seq,
        "sync_status": s.sync_status.key(),
        "lag_ms": s.lag_ms,
        "peer": if s.peer_address.is_empty() { serde_json::Value::Null } else { s.peer_address.into() },
        "digest": s.digest,
        "name": st.info.name,
        "version": st.info.version,
    }))
}

/// Server-Sent Events for the logged-in browser: one `change` message per change on this
/// MCU (made here or replicated from the Master), so open pages refresh at once. At most
/// [`app::state::MAX_STREAMS_PER_SESSION`] per session (a new one ends the oldest); a
/// stream ends when its session does
/// (logout, user changed or deleted, idle time) and when the MCU stops or resets.
/// `/events?since=N`: N is the count of change messages announced when the page was made
/// (`Shell::changes`).
#[derive(serde::Deserialize)]
struct EventsFrom {
    since: Option<u64>,
}

async fn events(
    State(st): State<AppState>,
    axum::extract::Query(from): axum::extract::Query<EventsFrom>,
    headers: axum::http::HeaderMap,
) -> Response {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use axum::response::IntoResponse;
    use tokio::sync::broadcast::error::RecvError;
    let Some(token) = app::state::token_from_headers(&st, &headers) else {
        return (StatusCode::UNAUTHORIZED, "log in first").into_response();
    };
    // The stream is the page's own doing: it does not keep the session alive.
    if !matches!(app::state::user_of_token_quietly(&st, token.clone()).await, Ok(Some(_))) {
        return (StatusCode::UNAUTHORIZED, "log in first").into_response();
    }
    // At most so many per session: a new page's stream ends the session's oldest.
    let slot = st.event_streams.open(domain::auth::token_digest(&token), app::state::MAX_STREAMS_PER_SESSION);
    struct Stream {
        st: AppState,
        token: String,
        changes: tokio::sync::broadcast::Receiver<u64>,
        status: tokio::sync::watch::Receiver<u64>,
        sessions: tokio::sync::watch::Receiver<u64>,
        stopping: tokio::sync::watch::Receiver<bool>,
        checked: tokio::time::Instant,
        /// Changes were announced between the page's making and this stream: one `change`
        /// first.
        missed: bool,
        slot: app::state::EventStreamSlot,
    }
    let changes = st.updates.subscribe_changes();
    // Read after subscribing: what is announced later arrives on `changes`.
    let missed = from.since.is_some_and(|n| n != st.updates.announced());
    let s = Stream {
        changes,
        missed,
        status: st.updates.subscribe_status(),
        sessions: st.sessions.watch(),
        stopping: st.stopping.subscribe(),
        checked: tokio::time::Instant::now(),
        st,
        token,
        slot,
    };
    let stream = futures::stream::unfold(s, |mut s| async move {
        if std::mem::take(&mut s.missed) {
            // Never empty data: a browser drops an event without data (the SSE rules).
            return Some((Ok::<_, std::convert::Infallible>(Event::default().event("change").data("missed")), s));
        }
        loop {
            // The session is checked again at least every SESSION_RECHECK, busy or not.
            let due = s.checked + SESSION_RECHECK;
            if tokio::time::Instant::now() >= due {
                if !session_holds(&s.st, &s.token).await {
                    return None;
                }
                s.checked = tokio::time::Instant::now();
                continue;
            }
            tokio::select! {
                r = s.changes.recv() => match r {
                    Ok(seq) => return Some((Ok::<_, std::convert::Infallible>(Event::default().event("change").data(seq.to_string())), s)),
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                },
                // The Hot Backup state changed (an event, a role change): the header badge,
                // the panel and the read-only mode are fetched again at once.
                changed = s.status.changed() => {
                    if changed.is_err() {
                        return None;
                    }
                    return Some((Ok(Event::default().event("hb").data("status")), s));
                }
                _ = app::state::until_true(&mut s.stopping) => return None,
                // A newer page of this session took this stream's place.
                _ = app::state::until_true(&mut s.slot.ended) => return None,
                changed = s.sessions.changed() => {
                    if changed.is_err() || !session_holds(&s.st, &s.token).await {
                        return None;
                    }
                }
                _ = tokio::time::sleep_until(due) => {}
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

/// How often an open event stream checks that its session still holds (idle time, expiry).
const SESSION_RECHECK: Duration = Duration::from_secs(30);

/// Whether an open stream's session still holds (without counting as the user's activity).
async fn session_holds(st: &AppState, token: &str) -> bool {
    let token = token.to_string();
    matches!(st.db(move |s| s.session_still_valid(&token)).await, Ok(true))
}

/// 200 only on the live Master, so a load balancer can find it.
async fn healthz_master(State(st): State<AppState>) -> (StatusCode, &'static str) {
    match st.hb.role() {
        LiveRole::Master => (StatusCode::OK, "master\n"),
        LiveRole::Standalone => (StatusCode::SERVICE_UNAVAILABLE, "standalone\n"),
        LiveRole::Slave => (StatusCode::SERVICE_UNAVAILABLE, "slave\n"),
    }
}

/// Prometheus text format.
async fn metrics(State(st): State<AppState>) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    let s = st.hb.status_brief().await;
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, value: String| {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"));
    };
    for r in [LiveRole::Standalone, LiveRole::Master, LiveRole::Slave] {
        let v = u8::from(s.role == r);
        gauge(&format!("mcu_hot_backup_role_{}", r.key()), "1 when this is the MCU's live Hot Backup role.", v.to_string());
    }
    gauge("mcu_hot_backup_epoch", "Epoch this MCU writes or follows.", s.epoch.to_string());
    gauge("mcu_hot_backup_seq", "Newest change sequence number held.", s.seq.to_string());
    for k in SyncStatus::ALL {
        gauge(&format!("mcu_hot_backup_sync_{}", k.key()), "1 when this is the Sync Status.", u8::from(s.sync_status == k).to_string());
    }
    gauge("mcu_hot_backup_lag_ms", "Replication lag in milliseconds.", s.lag_ms.to_string());
    gauge("mcu_hot_backup_changes_replicated_total", "Changes applied from the Master since start.", s.replicated.to_string());
    gauge("mcu_hot_backup_failovers_total", "Times this MCU took over as Master since start.", s.failovers.to_string());
    gauge("mcu_event_streams_open", "Open event streams (browser tabs).", st.event_streams.count().to_string());
    gauge("mcu_login_throttle_entries", "Entries held by the failed-login limit.", st.throttle.len().to_string());
    let alarms = st.alarms.counts();
    gauge("mcu_alarms_unacknowledged", "Active alarms nobody has acknowledged.", alarms.unacknowledged.to_string());
    out.push_str("# HELP mcu_alarms_active Active alarms of this MCU by severity.\n# TYPE mcu_alarms_active gauge\n");
    for (sev, n) in domain::alarms::Severity::ALL.iter().zip(alarms.by_severity) {
        out.push_str(&format!("mcu_alarms_active{{severity=\"{}\"}} {n}\n", sev.label().to_lowercase()));
    }
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

/// The server-function framework answers 500 when it cannot decode the arguments (a
/// missing or malformed form field). That is bad input, not a server fault: say 422.
async fn bad_input_is_not_a_server_error(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    if bytes.starts_with(b"{\"Invalid\":") {
        parts.status = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// The whole HTTP surface. Layers run outermost first: security headers, the
/// cross-origin check, body limits, the time limit, the API gate (see [`guard`]).
pub fn router(state: AppState, origins: guard::Origins) -> Router {
    // Server-side tasks (resources, server functions) run on tokio; an Err means it is set.
    let _ = any_spawner::Executor::init_tokio();
    // The hashed, precompressed build output (see `assets`).
    let assets_dir = tower_http::services::ServeDir::new(format!("{}/pkg", state.leptos_options.site_root))
        .precompressed_br()
        .precompressed_gzip();
    let mut routes = Router::new();
    // The server functions (`/api/*`), with the state in their context.
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        let st = state.clone();
        let handler = move |req: Request| {
            let st = st.clone();
            async move { leptos_axum::handle_server_fns_with_context(move || provide_context(st.clone()), req).await }
        };
        use axum::http::Method;
        use axum::routing::{delete, patch, post, put};
        routes = match method {
            Method::GET => routes.route(path, get(handler)),
            Method::POST => routes.route(path, post(handler)),
            Method::PUT => routes.route(path, put(handler)),
            Method::DELETE => routes.route(path, delete(handler)),
            Method::PATCH => routes.route(path, patch(handler)),
            _ => routes,
        };
    }
    // The pages (see `app::nav`): each rendered once its data is in (no streaming).
    let page = {
        let st = state.clone();
        let opts = state.leptos_options.clone();
        leptos_axum::render_app_async_with_context(move || provide_context(st.clone()), move || shell(opts.clone()))
    };
    for path in app::nav::page_routes() {
        routes = routes.route(path, get(page.clone()));
    }
    // Files at the site's root (the favicon); any other address is the not-found page (404).
    // Not Leptos's `file_and_error_handler`: it serves a file under a reactive owner made as
    // a child of whatever owner the thread holds, and hands that owner's response headers
    // to the file, so a page being made at the same moment lost its Content-Security-Policy
    // to the favicon (and then ran no script).
    let root_files = tower_http::services::ServeDir::new(state.leptos_options.site_root.as_ref())
        .append_index_html_on_directories(false)
        .call_fallback_on_method_not_allowed(true)
        .not_found_service(axum::routing::any(page));
    routes
        .route("/healthz", get(healthz))
        .route("/healthz/master", get(healthz_master))
        .route("/metrics", get(metrics))
        .route("/events", get(events))
        .route("/api/audit.csv", get(export::audit_csv))
        .route("/api/history.csv", get(export::history_csv))
        .route("/api/history.json", get(export::history_json))
        .route(backup::DOWNLOAD_PATH, get(backup::download))
        .route(backup::UPLOAD_PATH, axum::routing::post(backup::upload))
        .merge(peer::routes())
        .nest_service("/pkg", assets_dir)
        .fallback_service(root_files)
        .layer(middleware::from_fn(bad_input_is_not_a_server_error))
        .layer(middleware::from_fn(guard::peer_link_apart))
        .layer(middleware::from_fn_with_state(state.clone(), guard::api_gate))
        .layer(middleware::from_fn(guard::time_limit))
        .layer(middleware::from_fn(guard::body_limits))
        .layer(middleware::from_fn_with_state(origins, guard::same_origin_only))
        .layer(middleware::from_fn(guard::security_headers))
        .layer(middleware::from_fn(assets::cache_control))
        // Pages and API answers on the fly (event streams and the peer link, whose client
        // asks for none, are left alone).
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

/// The router for `cfg`: its own origin's scheme and the extra origins it allows.
pub fn router_for(state: AppState, cfg: &Config) -> Router {
    router(state, guard::Origins { tls: cfg.tls(), extra: cfg.allowed_origins.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_file(dir: &std::path::Path, text: &[u8]) -> Config {
        let file = dir.join("admin-password");
        std::fs::write(&file, text).expect("write");
        Config { admin_password_file: Some(file), ..Config::for_tests("127.0.0.1:9".parse().expect("addr"), dir.to_path_buf(), None) }
    }

    #[test]
    fn the_first_password_comes_from_its_file_without_the_line_end_and_a_bad_file_says_why() {
        let dir = tempfile::tempdir().expect("dir");
        let cfg = with_file(dir.path(), b"Secret-pass-1\n");
        assert_eq!(cfg.first_admin_password().expect("read").as_deref(), Some("Secret-pass-1"));
        assert_eq!(with_file(dir.path(), b"Secret-pass-1\r\n").first_admin_password().expect("read").as_deref(), Some("Secret-pass-1"));
        let empty = with_file(dir.path(), b"\n").first_admin_password().expect_err("empty");
        assert!(empty.to_string().contains("empty"), "{empty}");
        let big = with_file(dir.path(), &vec![b'x'; 5000]).first_admin_password().expect_err("too big");
        assert!(big.to_string().contains("not a password file"), "{big}");
        let missing = Config { admin_password_file: Some(dir.path().join("none")), ..cfg };
        assert!(format!("{:#}", missing.first_admin_password().expect_err("missing")).contains("--admin-password-file"));
        // Both ways at once is refused by the command line itself.
        let both = Config::try_parse_from(["server", "--admin-password", "x", "--admin-password-file", "f"]);
        assert!(both.is_err());
    }
}
