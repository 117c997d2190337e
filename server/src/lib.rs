//! The MCU server process, as a library so tests can build the same router without a
//! socket: [`Config`] (the CLI), [`build_state`] (open the store, create the first
//! Administrator) and [`router`] (pages, server functions, `/healthz`, static files).

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

/// Opens the store and makes sure an Administrator exists.
pub fn build_state(cfg: &Config) -> anyhow::Result<AppState> {
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

    let mut conf = get_configuration(None).context("reading the Leptos configuration")?;
    conf.leptos_options.output_name = "mcu".into();
    conf.leptos_options.site_root = cfg.site_root.as_str().into();
    conf.leptos_options.site_pkg_dir = "pkg".into();
    conf.leptos_options.site_addr = cfg.listen;

    let data_dir = std::fs::canonicalize(&cfg.data_dir).unwrap_or_else(|_| cfg.data_dir.clone());
    Ok(AppState {
        leptos_options: conf.leptos_options,
        store,
        info: SystemInfo { name, model: cfg.model, version: cfg.software_version.clone() },
        data_dir,
        started: Instant::now(),
        throttle: Arc::new(Mutex::new(Default::default())),
        cookie_name: format!("mcu_session_{}", cfg.listen.port()),
    })
}

/// Health for machines: no login, no secrets. Hot Backup fills in role and sync later;
/// until then every MCU is standalone.
async fn healthz(State(st): State<AppState>) -> Json<serde_json::Value> {
    let store = st.store.clone();
    let epoch = tokio::task::spawn_blocking(move || store.epoch().ok()).await.ok().flatten();
    Json(serde_json::json!({
        "role": "standalone",
        "epoch": epoch,
        "sync_status": "none",
        "lag_ms": 0,
        "peer": null,
        "name": st.info.name,
        "version": st.info.version,
    }))
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
        .leptos_routes(&state, routes, move || shell(opts.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(bad_input_is_not_a_server_error))
        .with_state(state)
}
