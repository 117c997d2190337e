//! `server`: runs one MCU. See `server --help`.

use clap::Parser;
use server::{build_state, router_for, Command, Config};
use std::process::ExitCode;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

#[global_allocator]
static ALLOCATOR: server::alloc::Split = server::alloc::Split;

#[tokio::main]
async fn main() -> ExitCode {
    let cfg = Config::parse();
    // Large blocks (each password hash takes about 19 MiB; `alloc` hands them to glibc)
    // always come from and go back to the system. glibc otherwise raises this threshold
    // after the first such block and then serves them from its heaps, where aligned blocks
    // fragment: resident memory grew by about 19 MiB per login attempt and never came back.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes the allocator (it takes the allocator's own locks).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, server::alloc::LARGE as libc::c_int);
    }
    // No transparent huge pages: mimalloc asks for them on its arenas, and then every page
    // it gives back and takes again costs the kernel zeroing 2 MiB. Under 64 writing
    // clients that zeroing was 17 % of the server's CPU (perf); without it mutations/s went
    // from ~3,000 to ~3,600 and resident memory from 36 to 27 MB.
    #[cfg(target_os = "linux")]
    // SAFETY: prctl(PR_SET_THP_DISABLE) only sets a flag on this process's memory.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    // Whatever this process writes (database, WAL, exports, backups) is its owner's only.
    #[cfg(unix)]
    // SAFETY: umask only sets the process's file-creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
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
    if let Some(Command::Backup { to }) = &cfg.command {
        server::backup(&cfg, to)?;
        println!("backup written to {}", to.display());
        return Ok(());
    }
    if let Some(Command::Precompress { dir, quick }) = &cfg.command {
        let d = server::assets::precompress(dir, !quick)?;
        println!(
            "precompressed {} files in {}: {} KB → brotli {} KB, gzip {} KB",
            d.files,
            dir.display(),
            d.bytes / 1024,
            d.brotli_bytes / 1024,
            d.gzip_bytes / 1024
        );
        return Ok(());
    }
    let state = build_state(&cfg).await?;
    let peer = state.peer_identity.clone();
    let tls = server::serve::Tls {
        web: match (&cfg.tls_cert, &cfg.tls_key) {
            (Some(cert), Some(key)) => Some(server::serve::tls_config(cert, key)?),
            _ => None,
        },
        peer: peer.server_config()?,
    };
    let listener = match inherited_listener(&cfg) {
        Some(l) => l,
        None => tokio::net::TcpListener::bind(cfg.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", cfg.listen))?,
    };
    let scheme = if tls.web.is_some() { "https" } else { "http" };
    tracing::info!(name = %state.info.name, model = %state.info.model, version = %state.info.version,
        data = %state.data_dir.display(), simulate = cfg.simulate, "MCU listening on {scheme}://{}", cfg.listen);
    let reset = state.reset.clone();
    let stopping = state.stopping.clone();
    let (waiter, stopper) = (reset.clone(), stopping.clone());
    // Stop (signal or System Reset): tell streams and long polls to end, then the listener.
    tokio::spawn(async move {
        tokio::select! {
            _ = shutdown_signal() => {}
            _ = waiter.notify.notified() => tracing::info!("System Reset: restarting"),
        }
        stopper.send_replace(true);
    });
    let limits = server::serve::Limits {
        max_connections: usize::try_from(cfg.max_connections).unwrap_or(1024),
        max_per_client: usize::try_from(cfg.max_connections_per_client).unwrap_or(128),
        header_timeout: Duration::from_secs(cfg.header_timeout_s),
        grace: STOP_GRACE,
        proxies: std::sync::Arc::new(server::proxy::TrustedProxies::new(cfg.trusted_proxies.clone())),
    };
    let alarms = state.alarms.clone();
    let listener = server::serve::serve(listener, router_for(state, &cfg), tls, limits, stopping.subscribe()).await;
    // The alarms' newest state is on disk before the process goes (bounded: one local write).
    if tokio::time::timeout(Duration::from_secs(1), alarms.save()).await.is_err() {
        tracing::warn!("the alarms were not saved within 1 s");
    }
    if reset.is_requested() {
        return restart(listener);
    }
    drop(listener);
    tracing::info!("stopped");
    Ok(())
}

/// Time open connections get to finish when the MCU stops or resets; it never waits longer.
const STOP_GRACE: Duration = Duration::from_millis(1500);

/// The environment variable that hands the listening socket to the restarted process.
const LISTEN_FD: &str = "MCU_LISTEN_FD";

/// System Reset: the same program, arguments and environment start again in this process,
/// keeping the listening socket: connections that arrive meanwhile wait in its backlog (the
/// paired MCU sees a slow answer, not a refusal, and does not take over).
#[cfg(unix)]
fn restart(listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    use std::os::unix::io::AsRawFd;
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe()?;
    let mut cmd = std::process::Command::new(exe);
    cmd.args(std::env::args_os().skip(1));
    if let Ok(std_listener) = listener.into_std() {
        let fd = std_listener.as_raw_fd();
        // SAFETY: fcntl on a descriptor this process owns; it only clears close-on-exec.
        if unsafe { libc::fcntl(fd, libc::F_SETFD, 0) } == 0 {
            cmd.env(LISTEN_FD, fd.to_string());
            std::mem::forget(std_listener); // stays open into the new program
        }
    }
    let err = cmd.exec();
    Err(anyhow::anyhow!("System Reset failed to start the MCU again: {err}"))
}

#[cfg(not(unix))]
fn restart(_listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    anyhow::bail!("System Reset needs a Unix system; start the MCU again by hand")
}

/// The listening socket handed over by a System Reset, if it listens on `--listen`.
#[cfg(unix)]
fn inherited_listener(cfg: &Config) -> Option<tokio::net::TcpListener> {
    use std::os::unix::io::FromRawFd;
    let fd: i32 = std::env::var(LISTEN_FD).ok()?.parse().ok()?;
    std::env::remove_var(LISTEN_FD);
    if fd < 3 {
        return None;
    }
    // SAFETY: the previous program of this process put a listening socket at `fd` for us
    // (and nothing else of ours uses it); it is checked below before use.
    let std_listener = unsafe { std::net::TcpListener::from_raw_fd(fd) };
    let ok = std_listener.local_addr().is_ok_and(|a| a.port() == cfg.listen.port()) && std_listener.set_nonblocking(true).is_ok();
    if !ok {
        return None;
    }
    // Close-on-exec again, like every other descriptor.
    // SAFETY: fcntl on the descriptor just adopted.
    unsafe {
        libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
    }
    tokio::net::TcpListener::from_std(std_listener).ok()
}

#[cfg(not(unix))]
fn inherited_listener(_cfg: &Config) -> Option<tokio::net::TcpListener> {
    None
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
