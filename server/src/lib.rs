//! The MCU server process, as a library so tests can build the same router without a
//! socket: [`Config`] (the CLI), [`build_state`] (open the store, create the first
//! Administrator, start Hot Backup) and [`router`] (pages, server functions, the peer link,
//! `/healthz`, `/metrics`, static files).

mod peer;
pub mod scheduler;

use anyhow::{bail, Context};
use app::state::AppState;
use app::{shell, App};
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
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// One MCU server: its web administration app, its API and its embedded database.
#[derive(Debug, Clone, Parser)]
#[command(name = "server", version, about)]
pub struct Config {
    /// Address and port to listen on (IPv4 or IPv6).
    #[arg(long, env = "MCU_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Folder for this MCU's database; created if missing.
    #[arg(long, env = "MCU_DATA_DIR", default_value = "data/mcu")]
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
    #[arg(long, env = "MCU_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,

    /// Folder with the built site (pkg/ with the WASM, JS and CSS).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,
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
        let Some(password) = cfg.admin_password.as_deref() else {
            bail!(
                "the database in {} has no users yet: give the first Administrator's password with \
                 --admin-password or MCU_ADMIN_PASSWORD (there is no default password)",
                cfg.data_dir.display()
            );
        };
        let user = domain::validate::user_name(&cfg.admin_user).map_err(|e| anyhow::anyhow!("--admin-user: {e}"))?;
        let password = domain::validate::new_password(password).map_err(|e| anyhow::anyhow!("--admin-password: {e}"))?;
        store.create_user(&user, &password, Role::Administrator)?;
        tracing::info!(user = %user, "created the first Administrator");
    } else if cfg.admin_password.is_some() {
        tracing::info!("users exist already; --admin-password is ignored");
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
        .build();

    // A System Reset is this start: settings saved for it take effect now.
    let applied = store.apply_pending_reset()?;
    if !applied.is_empty() {
        tracing::info!(?applied, "applied settings saved for the System Reset");
    }

    let data_dir = std::fs::canonicalize(&cfg.data_dir).unwrap_or_else(|_| cfg.data_dir.clone());
    let me = hotbackup::Identity {
        name: name.clone(),
        version: cfg.software_version.clone(),
        has_port_configuration: cfg.model.has_port_configuration(),
        listen: cfg.listen,
    };
    let hb = hotbackup::HotBackup::start(store.clone(), me, data_dir.clone()).await?;
    scheduler::spawn(store.clone(), hb.clone(), cfg.model);
    Ok(AppState {
        leptos_options,
        store,
        info: SystemInfo { name, model: cfg.model, version: cfg.software_version.clone() },
        data_dir,
        started: Instant::now(),
        throttle: Arc::new(Mutex::new(Default::default())),
        cookie_name: format!("mcu_session_{}", cfg.listen.port()),
        hb,
        reset: Default::default(),
        sessions: Default::default(),
    })
}

/// Health for machines: no login, no secrets.
async fn healthz(State(st): State<AppState>) -> Json<serde_json::Value> {
    let s = st.hb.status().await;
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
/// MCU (made here or replicated from the Master), so open pages refresh at once.
async fn events(State(st): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use axum::response::IntoResponse;
    if app::state::user_from_headers(&st, &headers).await.is_none() {
        return (StatusCode::UNAUTHORIZED, "log in first").into_response();
    }
    let rx = st.hb.subscribe_changes();
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(seq) => return Some((Ok::<_, std::convert::Infallible>(Event::default().event("change").data(seq.to_string())), rx)),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
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
    let s = st.hb.status().await;
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

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let opts = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/healthz/master", get(healthz_master))
        .route("/metrics", get(metrics))
        .route("/events", get(events))
        .merge(peer::routes())
        .leptos_routes(&state, routes, move || shell(opts.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(bad_input_is_not_a_server_error))
        .with_state(state)
}
