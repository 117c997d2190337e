//! `server`: runs one MCU. See `server --help`.

use clap::Parser;
use server::{build_state, router, Config};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let cfg = Config::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    match run(cfg).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cfg: Config) -> anyhow::Result<()> {
    let state = build_state(&cfg).await?;
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", cfg.listen))?;
    tracing::info!(name = %state.info.name, model = %state.info.model, version = %state.info.version,
        data = %state.data_dir.display(), "MCU listening on http://{}", cfg.listen);
    let reset = state.reset.clone();
    let waiter = reset.clone();
    let stop = async move {
        tokio::select! {
            _ = shutdown_signal() => {}
            _ = waiter.notify.notified() => tracing::info!("System Reset: restarting"),
        }
    };
    axum::serve(listener, router(state)).with_graceful_shutdown(stop).await?;
    if reset.is_requested() {
        return restart();
    }
    tracing::info!("stopped");
    Ok(())
}

/// System Reset: the same program, arguments and environment start again in this process.
#[cfg(unix)]
fn restart() -> anyhow::Result<()> {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe()?;
    let err = std::process::Command::new(exe).args(std::env::args_os().skip(1)).exec();
    Err(anyhow::anyhow!("System Reset failed to start the MCU again: {err}"))
}

#[cfg(not(unix))]
fn restart() -> anyhow::Result<()> {
    anyhow::bail!("System Reset needs a Unix system; start the MCU again by hand")
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C: shutting down"),
        _ = term => tracing::info!("SIGTERM: shutting down"),
    }
}
