//! The peer link's client side: JSON over HTTP/1.1 over mutual TLS to the other MCU's
//! `/peer/v1/*`. The server's certificate must be the pinned one (learnt at pairing), and
//! this MCU shows its own as client certificate; every call but the two pairing steps
//! carries the pairing credential.

use crate::identity::{PeerIdentity, Pinned, PEER_SERVER_NAME};
use crate::transport::{Call, CallError, Exchange, Transport, Verb};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{header, Method, Request};
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use serde::Deserialize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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

    async fn send(
        peer: &str,
        sender: &mut SendRequest<Full<Bytes>>,
        x: &Exchange<'_>,
    ) -> Result<Vec<u8>, CallError> {
        let unreachable = || CallError::Unreachable(peer.to_string());
        let (method, uri, body) = match x.verb {
            Verb::Get if x.request.is_empty() => (Method::GET, format!("/peer/v1/{}", x.path), Vec::new()),
            Verb::Get => (Method::GET, format!("/peer/v1/{}?{}", x.path, String::from_utf8_lossy(&x.request)), Vec::new()),
            Verb::Post => (Method::POST, format!("/peer/v1/{}", x.path), x.request.clone()),
        };
        let mut req = Request::builder().method(method).uri(uri).header(header::HOST, PEER_SERVER_NAME);
        if let Some(c) = x.credential {
            req = req.header(header::AUTHORIZATION, format!("Bearer {c}"));
        }
        if x.verb == Verb::Post {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        let req = req.body(Full::new(Bytes::from(body))).map_err(|e| CallError::BadAnswer(e.to_string()))?;
        let exchange = async {
            let res = sender.send_request(req).await.map_err(|_| unreachable())?;
            let status = res.status();
            let bytes = Limited::new(res.into_body(), MAX_ANSWER_BYTES).collect().await.map_err(|_| unreachable())?.to_bytes();
            Ok::<_, CallError>((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(x.timeout, exchange).await.map_err(|_| unreachable())??;
        if status.is_success() {
            Ok(bytes.to_vec())
        } else {
            let message = serde_json::from_slice::<ErrorBody>(&bytes)
                .map(|b| b.error)
                .unwrap_or_else(|_| format!("the paired MCU answered HTTP {status}"));
            Err(CallError::Refused { status: status.as_u16(), message })
        }
    }

    /// One call: a pairing step on a new connection of its own (any certificate for step 1,
    /// the one step 1 saw for step 2); every other call on a pooled connection to the pinned
    /// certificate. Returns the answer and the certificate fingerprint the answer came with.
    pub async fn exchange(&self, x: Exchange<'_>) -> Result<(Vec<u8>, String), CallError> {
        let peer = x.peer;
        let (Some(pin), Some(_)) = (x.pin, x.credential) else {
            let (mut sender, seen) = self.connect(peer, x.pin, x.timeout).await?;
            return Ok((Self::send(peer, &mut sender, &x).await?, seen));
        };
        let started = tokio::time::Instant::now();
        let (mut sender, reused) = self.sender(peer, pin, x.timeout).await?;
        let mut answer = Self::send(peer, &mut sender, &x).await;
        // A kept connection that the peer closed meanwhile (its process died or restarted)
        // fails at once: asked again on a new connection, a dead peer's host refuses it
        // (`Down`) instead of this looking like silence. Only reads are asked again.
        if reused && x.verb == Verb::Get && matches!(answer, Err(CallError::Unreachable(_))) && started.elapsed() < x.timeout / 4 {
            sender = self.connect(peer, Some(pin), x.timeout).await?.0;
            answer = Self::send(peer, &mut sender, &x).await;
        }
        if !matches!(answer, Err(CallError::Unreachable(_))) {
            self.keep(peer, pin, sender);
        }
        answer.map(|a| (a, pin.to_string()))
    }
}

impl Transport for PeerClient {
    fn exchange<'a>(&'a self, x: Exchange<'a>) -> Call<'a, (Vec<u8>, String)> {
        Box::pin(PeerClient::exchange(self, x))
    }

    fn network_up<'a>(&'a self, witness: &'a str, own: std::net::SocketAddr) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send + 'a>> {
        Box::pin(async move {
            const WITHIN: Duration = Duration::from_millis(300);
            if !witness.is_empty() {
                return match tokio::time::timeout(WITHIN, tokio::net::TcpStream::connect(witness)).await {
                    Ok(Ok(_)) => true,
                    Ok(Err(e)) => e.kind() == std::io::ErrorKind::ConnectionRefused,
                    Err(_) => false,
                };
            }
            // The own address does not leave the host: an unspecified one is tried on loopback.
            let probe = if own.ip().is_unspecified() {
                std::net::SocketAddr::new(if own.is_ipv4() { [127, 0, 0, 1].into() } else { std::net::Ipv6Addr::LOCALHOST.into() }, own.port())
            } else {
                own
            };
            matches!(tokio::time::timeout(WITHIN, tokio::net::TcpStream::connect(probe)).await, Ok(Ok(_)))
        })
    }
}
