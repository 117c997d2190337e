//! The peer link's client side: JSON over HTTP/1.1 over mutual TLS to the other MCU's
//! `/peer/v1/*`. The server's certificate must be the pinned one (learnt at pairing), and
//! this MCU shows its own as client certificate; every call but the two pairing steps
//! carries the pairing credential.

use crate::identity::{PeerIdentity, Pinned, PEER_SERVER_NAME};
use domain::hotbackup::{Heartbeat, LogBatch, PairChallenge, PairFinish, PairGranted, PairStart, PeerFacts, Snapshot, Takeover};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{header, Method, Request};
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// No answer: timed out, reset, unreachable.
    #[error("the paired MCU at {0} does not answer")]
    Unreachable(String),
    /// Its host refused the connection: nothing listens on the paired MCU's port (its
    /// process is gone while the host is up).
    #[error("the paired MCU at {0} refuses connections (its process is not running)")]
    Down(String),
    /// Something answered with another certificate than the one pinned at pairing.
    #[error("the MCU at {peer} shows certificate {got}, not the paired MCU's {expected}")]
    CertChanged { peer: String, expected: String, got: String },
    /// The peer answered with a refusal; `message` is its own words.
    #[error("{message}")]
    Refused { status: u16, message: String },
    /// The peer answered something this version cannot read.
    #[error("the paired MCU's answer could not be read: {0}")]
    BadAnswer(String),
}

/// What the engine presents on each call and expects of the answer: the pairing credential
/// the paired MCU issued, and that MCU's certificate fingerprint.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct LinkAuth {
    pub credential: String,
    pub pin: String,
}

/// Without the credential: it must never reach a log.
impl std::fmt::Debug for LinkAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkAuth").field("credential", &"(hidden)").field("pin", &self.pin).finish()
    }
}

/// What the peer sends with a refusal.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: String,
}

/// The largest answer read (a snapshot of a full MCU is a few MB).
const MAX_ANSWER_BYTES: usize = 256 * 1024 * 1024;
/// Idle connections kept for reuse.
const POOL: usize = 4;
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

struct Idle {
    peer: String,
    pin: String,
    sender: SendRequest<Full<Bytes>>,
}

#[derive(Clone)]
pub struct PeerClient {
    idle: Arc<Mutex<Vec<Idle>>>,
    /// This MCU's peer-link certificate, shown as client certificate on every call.
    me: PeerIdentity,
}

impl PeerClient {
    pub fn new(me: PeerIdentity) -> Self {
        PeerClient { idle: Default::default(), me }
    }

    /// A new TLS connection to `peer`, its certificate checked against `pin` (any while
    /// pairing). Returns the sender and the fingerprint the server showed.
    async fn connect(&self, peer: &str, pin: Option<&str>, timeout: Duration) -> Result<(SendRequest<Full<Bytes>>, String), CallError> {
        let unreachable = || CallError::Unreachable(peer.to_string());
        let tcp = match tokio::time::timeout(CONNECT_TIMEOUT.min(timeout), tokio::net::TcpStream::connect(peer)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => return Err(CallError::Down(peer.to_string())),
            _ => return Err(unreachable()),
        };
        let _ = tcp.set_nodelay(true);
        let check = Pinned::new(pin.map(str::to_string));
        let config = check.client_config(&self.me).map_err(|e| CallError::BadAnswer(e.to_string()))?;
        let name = ServerName::try_from(PEER_SERVER_NAME).map_err(|e| CallError::BadAnswer(e.to_string()))?;
        let tls = match tokio::time::timeout(timeout, tokio_rustls::TlsConnector::from(config).connect(name, tcp)).await {
            Ok(Ok(tls)) => tls,
            Ok(Err(_)) => {
                return Err(match (check.expected(), check.seen()) {
                    (Some(expected), Some(got)) if expected != got => {
                        CallError::CertChanged { peer: peer.to_string(), expected: expected.to_string(), got }
                    }
                    _ => unreachable(),
                })
            }
            Err(_) => return Err(unreachable()),
        };
        let seen = check.seen().unwrap_or_default();
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.map_err(|_| unreachable())?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok((sender, seen))
    }

    /// An idle connection to `peer` checked against `pin` (`true`: reused), or a new one.
    async fn sender(&self, peer: &str, pin: &str, timeout: Duration) -> Result<(SendRequest<Full<Bytes>>, bool), CallError> {
        loop {
            let found = {
                let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
                idle.retain(|c| !c.sender.is_closed());
                idle.iter().position(|c| c.peer == peer && c.pin == pin).map(|i| idle.swap_remove(i))
            };
            match found {
                Some(mut c) => {
                    if c.sender.ready().await.is_ok() {
                        return Ok((c.sender, true));
                    }
                }
                None => return Ok((self.connect(peer, Some(pin), timeout).await?.0, false)),
            }
        }
    }

    fn keep(&self, peer: &str, pin: &str, sender: SendRequest<Full<Bytes>>) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < POOL && !sender.is_closed() {
            idle.push(Idle { peer: peer.to_string(), pin: pin.to_string(), sender });
        }
    }

    /// Forgets every kept connection (after a re-pairing, or in tests).
    pub fn forget_connections(&self) {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    async fn send<T: DeserializeOwned>(
        peer: &str,
        sender: &mut SendRequest<Full<Bytes>>,
        method: Method,
        path: &str,
        credential: Option<&str>,
        body: Option<Vec<u8>>,
        timeout: Duration,
    ) -> Result<T, CallError> {
        let unreachable = || CallError::Unreachable(peer.to_string());
        let mut req = Request::builder().method(method).uri(format!("/peer/v1/{path}")).header(header::HOST, PEER_SERVER_NAME);
        if let Some(c) = credential {
            req = req.header(header::AUTHORIZATION, format!("Bearer {c}"));
        }
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        let req = req.body(Full::new(Bytes::from(body.unwrap_or_default()))).map_err(|e| CallError::BadAnswer(e.to_string()))?;
        let exchange = async {
            let res = sender.send_request(req).await.map_err(|_| unreachable())?;
            let status = res.status();
            let bytes = Limited::new(res.into_body(), MAX_ANSWER_BYTES).collect().await.map_err(|_| unreachable())?.to_bytes();
            Ok::<_, CallError>((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(timeout, exchange).await.map_err(|_| unreachable())??;
        if status.is_success() {
            serde_json::from_slice(&bytes).map_err(|e| CallError::BadAnswer(e.to_string()))
        } else {
            let message = serde_json::from_slice::<ErrorBody>(&bytes)
                .map(|b| b.error)
                .unwrap_or_else(|_| format!("the paired MCU answered HTTP {status}"));
            Err(CallError::Refused { status: status.as_u16(), message })
        }
    }

    /// One authenticated call on a pooled connection.
    async fn call<T: DeserializeOwned>(
        &self,
        peer: &str,
        auth: &LinkAuth,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        timeout: Duration,
    ) -> Result<T, CallError> {
        let started = tokio::time::Instant::now();
        let (mut sender, reused) = self.sender(peer, &auth.pin, timeout).await?;
        let mut answer = Self::send(peer, &mut sender, method.clone(), path, Some(&auth.credential), body.clone(), timeout).await;
        // A kept connection that the peer closed meanwhile (its process died or restarted)
        // fails at once: asked again on a new connection, a dead peer's host refuses it
        // (`Down`) instead of this looking like silence. Only reads are asked again.
        if reused && method == Method::GET && matches!(answer, Err(CallError::Unreachable(_))) && started.elapsed() < timeout / 4 {
            sender = self.connect(peer, Some(&auth.pin), timeout).await?.0;
            answer = Self::send(peer, &mut sender, method, path, Some(&auth.credential), body, timeout).await;
        }
        if !matches!(answer, Err(CallError::Unreachable(_))) {
            self.keep(peer, &auth.pin, sender);
        }
        answer
    }

    fn json<B: Serialize>(body: &B) -> Result<Vec<u8>, CallError> {
        serde_json::to_vec(body).map_err(|e| CallError::BadAnswer(e.to_string()))
    }

    /// Pairing, step 1, on a new connection that accepts any certificate: the challenge
    /// and the fingerprint of the certificate that connection showed.
    pub async fn pair_start(&self, peer: &str, start: &PairStart, timeout: Duration) -> Result<(PairChallenge, String), CallError> {
        let (mut sender, seen) = self.connect(peer, None, timeout).await?;
        let answer = Self::send(peer, &mut sender, Method::POST, "pair/start", None, Some(Self::json(start)?), timeout).await?;
        Ok((answer, seen))
    }

    /// Pairing, step 2, to the certificate step 1 saw.
    pub async fn pair_finish(&self, peer: &str, pin: &str, finish: &PairFinish, timeout: Duration) -> Result<PairGranted, CallError> {
        let (mut sender, _) = self.connect(peer, Some(pin), timeout).await?;
        Self::send(peer, &mut sender, Method::POST, "pair/finish", None, Some(Self::json(finish)?), timeout).await
    }

    pub async fn heartbeat(&self, peer: &str, auth: &LinkAuth, timeout: Duration) -> Result<Heartbeat, CallError> {
        self.call(peer, auth, Method::GET, "heartbeat", None, timeout).await
    }

    /// The peer's facts, its users' verifiers keyed by `salt` (fresh for each call).
    pub async fn facts(&self, peer: &str, auth: &LinkAuth, salt: &str, timeout: Duration) -> Result<PeerFacts, CallError> {
        self.call(peer, auth, Method::GET, &format!("facts?salt={salt}"), None, timeout).await
    }

    pub async fn log(&self, peer: &str, auth: &LinkAuth, after: u64, wait: Duration, timeout: Duration) -> Result<LogBatch, CallError> {
        let path = format!("log?after={after}&wait_ms={}", wait.as_millis());
        self.call(peer, auth, Method::GET, &path, None, timeout + wait).await
    }

    pub async fn snapshot(&self, peer: &str, auth: &LinkAuth, timeout: Duration) -> Result<Snapshot, CallError> {
        self.call(peer, auth, Method::GET, "snapshot", None, timeout).await
    }

    pub async fn takeover(&self, peer: &str, auth: &LinkAuth, t: &Takeover, timeout: Duration) -> Result<Heartbeat, CallError> {
        self.call(peer, auth, Method::POST, "takeover", Some(Self::json(t)?), timeout).await
    }
}
