//! The listener: accepts TCP connections (optionally TLS), serves HTTP/1.1 and HTTP/2 on
//! them with bounds, and stops within a fixed time whatever the clients do.
//!
//! - At most `max_connections` at once, and `max_per_client` from one client address (an
//!   IPv6 /64); one more is closed at once (and logged once a burst).
//! - A client has `header_timeout` to send its first byte, to complete its TLS handshake and
//!   each request's headers (a slow or silent client cannot hold a connection); headers are
//!   capped in size.
//! - Every request carries the client's address (`ConnectInfo`), for the login limits.
//! - The peer link shares the port: a TLS connection asking for the peer link's name (SNI)
//!   gets the peer link's configuration (this MCU's peer-link certificate, and a client
//!   certificate required: mutual TLS) and its requests are marked [`PeerChannel`] with the
//!   client certificate's fingerprint; the others get the HTTPS configuration, or are closed
//!   without `--tls-cert` (then plain HTTP is for browsers, TLS for the peer link only).
//! - Stop: no new connections; open ones are asked to finish (event streams and long polls
//!   end on their own through `AppState::stopping`), and after `grace` the rest are dropped.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::rustls;
use hotbackup::identity::{fingerprint, PEER_SERVER_NAME};
use crate::conns::{Activity, Conns, Place};
use crate::peer::PeerChannel;

/// How connections are secured: HTTPS for browsers (optional) and the peer link's TLS.
#[derive(Clone)]
pub struct Tls {
    /// With `--tls-cert`: every connection is TLS; the peer link is told apart by name.
    pub web: Option<Arc<rustls::ServerConfig>>,
    /// The peer link's (mutual TLS), for connections that ask for its name.
    pub peer: Arc<rustls::ServerConfig>,
}

#[derive(Clone)]
pub struct Limits {
    pub max_connections: usize,
    pub max_per_client: usize,
    pub header_timeout: Duration,
    /// Time open connections get to finish once the server stops.
    pub grace: Duration,
    /// Reverse proxies whose forwarding headers name the client (`--trusted-proxy`).
    pub proxies: Arc<crate::proxy::TrustedProxies>,
}

/// Bytes of request headers a connection may send.
const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Loads a PEM certificate chain and private key for HTTPS (the peer link keeps its own).
pub fn tls_config(cert: &Path, key: &Path) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| anyhow::anyhow!("--tls-cert {}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("--tls-cert {}: {e}", cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!("--tls-cert {}: no certificate in the file", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| anyhow::anyhow!("--tls-key {}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let signing = provider.key_provider.load_private_key(key).map_err(|e| anyhow::anyhow!("--tls-key: {e}"))?;
    let web = rustls::sign::CertifiedKey::new(certs, signing);
    web.keys_match().map_err(|e| anyhow::anyhow!("--tls-cert/--tls-key do not make a usable pair: {e}"))?;
    let resolver = rustls::sign::SingleCertAndKey::from(Arc::new(web));
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| anyhow::anyhow!("TLS set-up: {e}"))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(resolver));
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serves `app` on `listener` until `stop` turns true, then returns within `limits.grace`,
/// handing the listener back (still listening: a System Reset passes it to the restarted
/// process, so connections wait in its backlog instead of being refused).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Tls,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) -> TcpListener {
    let conns = Conns::new(limits.max_connections, limits.max_per_client);
    let web = tls.web.clone();
    let mut refusing = false;
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = app::state::until_true(&mut stop) => break,
        };
        let (tcp, remote) = match accepted {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors and the like: do not spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let from_proxy = limits.proxies.contains(remote.ip());
        let Some((admitted, place)) = conns.admit(domain::throttle::client_key(remote.ip()), from_proxy) else {
            if !refusing {
                tracing::warn!(max = limits.max_connections, "every connection is busy: closing new connections (further ones of this burst are not logged)");
            }
            refusing = true;
            drop(tcp);
            continue;
        };
        refusing = false;
        let _ = tcp.set_nodelay(true);
        let (app, web, peer, limits, stop, conns) = (app.clone(), web.clone(), tls.peer.clone(), limits.clone(), stop.clone(), conns.clone());
        tokio::spawn(async move {
            let kill = admitted.kill.clone();
            let serve = async {
                // Until its first request is complete, a connection has `header_timeout` in
                // all: first byte, TLS handshake, HTTP/2 preface, headers.
                let deadline = tokio::time::Instant::now() + limits.header_timeout;
                let mut first = [0u8; 1];
                if !matches!(tokio::time::timeout_at(deadline, tcp.peek(&mut first)).await, Ok(Ok(n)) if n > 0) {
                    return;
                }
                // 0x16: a TLS handshake record.
                if first[0] != 0x16 {
                    if web.is_none() && place == Place::General {
                        connection(tcp, remote, app, limits, stop, None, admitted.activity.clone(), deadline).await;
                    }
                    return;
                }
                // The configuration is chosen by the name the client asks for: the peer link's
                // (mutual TLS) or the HTTPS one; without --tls-cert, TLS is for the peer link only.
                let handshake = async {
                    let start = tokio_rustls::LazyConfigAcceptor::new(rustls::server::Acceptor::default(), tcp).await.ok()?;
                    let is_peer = start.client_hello().server_name() == Some(PEER_SERVER_NAME);
                    let config = if is_peer { peer.clone() } else { web.clone()? };
                    let tls = start.into_stream(config).await.ok()?;
                    let client = is_peer.then(|| {
                        let certs = tls.get_ref().1.peer_certificates().unwrap_or_default();
                        PeerChannel { client: certs.first().map(|c| fingerprint(c)).unwrap_or_default() }
                    });
                    Some((tls, client))
                };
                match tokio::time::timeout_at(deadline, handshake).await {
                    Ok(Some((tls, Some(client)))) => {
                        // The peer link moves to its own places, and is served on its own
                        // runtime: no browser's work queues in front of its answers.
                        if conns.to_peer(&admitted) {
                            let served = connection(tls, remote, app, limits, stop, Some(client), admitted.activity.clone(), deadline);
                            match peer_runtime() {
                                Some(rt) => {
                                    let mut task = AbortOnDrop(rt.spawn(served));
                                    let _ = (&mut task.0).await;
                                }
                                None => served.await,
                            }
                        }
                    }
                    Ok(Some((tls, None))) => {
                        // Over the limits, nothing but the peer link is served.
                        if place == Place::General {
                            connection(tls, remote, app, limits, stop, None, admitted.activity.clone(), deadline).await;
                        }
                    }
                    Ok(None) => tracing::debug!(%remote, "TLS handshake failed or asked for no name served here"),
                    Err(_) => tracing::debug!(%remote, "TLS handshake timed out"),
                }
            };
            tokio::select! {
                _ = serve => {}
                _ = kill.notified() => tracing::debug!(%remote, "connection closed to make room for a new one"),
            }
        });
    }
    // Every connection task holds its admission: none left means all connections ended.
    let until = tokio::time::Instant::now() + limits.grace;
    while conns.open() > 0 && tokio::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if conns.open() > 0 {
        tracing::warn!("connections still open after {:?}: closing them", limits.grace);
    }
    listener
}

/// The peer link's own runtime (one worker thread, its own blocking threads): its
/// connections are served there, so the Slave's polls and heartbeats are answered while the
/// main runtime is busy with browsers (exports, page loads), and the host's scheduler gives
/// its thread a share of the CPU whatever they do. `None` if it could not be made (the
/// peer link is then served with the rest).
fn peer_runtime() -> Option<&'static tokio::runtime::Runtime> {
    static RUNTIME: std::sync::OnceLock<Option<tokio::runtime::Runtime>> = std::sync::OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            let made = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .max_blocking_threads(16)
                .thread_name("peer-link")
                .enable_all()
                .build();
            if let Err(e) = &made {
                tracing::error!(error = %e, "cannot start the peer link's runtime; serving it with the rest");
            }
            made.ok()
        })
        .as_ref()
}

/// A task that ends when its handle is dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A connection with requests done and none in flight is closed after this long.
const IDLE_CLOSE: Duration = Duration::from_secs(75);

/// Serves HTTP on one admitted connection until it ends, the server stops, it misses its
/// first request's deadline, or it stays idle for [`IDLE_CLOSE`].
#[allow(clippy::too_many_arguments)]
async fn connection<I>(
    io: I,
    remote: SocketAddr,
    app: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
    peer: Option<PeerChannel>,
    activity: Arc<Activity>,
    first_request_by: tokio::time::Instant,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    use std::sync::atomic::Ordering;
    use tower::ServiceExt;
    let counted = activity.clone();
    // Each request is in flight until its answer's body is finished (an event stream stays
    // in flight while it is open).
    let proxies = limits.proxies.clone();
    let svc = tower::service_fn(move |mut req: axum::http::Request<hyper::body::Incoming>| {
        let guard = counted.begin();
        let client = proxies.client(remote, req.headers());
        req.extensions_mut().insert(ConnectInfo(client));
        if let Some(p) = &peer {
            req.extensions_mut().insert(p.clone());
        }
        let app = app.clone();
        async move {
            let res = app.oneshot(req).await?;
            Ok::<_, std::convert::Infallible>(res.map(|body| axum::body::Body::new(Counted { body, _in_flight: guard })))
        }
    });
    let svc = hyper_util::service::TowerToHyperService::new(svc);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(MAX_HEADER_BYTES);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(MAX_HEADER_BYTES as u32)
        .max_concurrent_streams(64)
        .keep_alive_interval(Some(Duration::from_secs(30)));
    let conn = builder.serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(%remote, error = %e, "connection ended with an error");
                }
                return;
            }
            _ = app::state::until_true(&mut stop) => break,
            _ = tick.tick() => {
                let requests = activity.requests.load(Ordering::Relaxed);
                let idle = activity.in_flight.load(Ordering::Relaxed) == 0;
                if requests == 0 && tokio::time::Instant::now() >= first_request_by {
                    tracing::debug!(%remote, "no complete request within the header time: closed");
                    return;
                }
                if requests > 0 && idle && activity.idle_ms() >= IDLE_CLOSE.as_millis() as u64 {
                    break;
                }
            }
        }
    }
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(limits.grace, conn).await;
}

/// An answer's body that keeps its request counted as in flight until it is finished.
struct Counted {
    body: axum::body::Body,
    _in_flight: crate::conns::InFlight,
}

impl hyper::body::Body for Counted {
    type Data = hyper::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        std::pin::Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}
