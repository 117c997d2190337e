//! The network as the engine sees it: one exchange with the other MCU (a peer call's
//! request out, its answer back, see `crate::peer`), and whether this MCU's own network is
//! up. [`PeerClient`] makes them over TLS and TCP; tests put the two engines of a pair on
//! one in-memory wire instead, so every transition runs without processes or sockets, on a
//! paused clock.

use crate::client::{CallError, PeerClient};
use crate::peer::Verb;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

/// One call's answer, to be awaited.
pub type Call<'a, T> = Pin<Box<dyn Future<Output = Result<T, CallError>> + Send + 'a>>;

/// One peer call as it travels.
#[derive(Debug)]
pub struct Exchange<'a> {
    pub peer: &'a str,
    /// Under `/peer/v1/`.
    pub path: &'static str,
    pub verb: Verb,
    /// The certificate the answering MCU must show (`None`: any, the first pairing step).
    pub pin: Option<&'a str>,
    /// The pairing credential (`None`: a pairing step).
    pub credential: Option<&'a str>,
    /// The query string of a `GET`, the JSON body of a `POST`.
    pub request: Vec<u8>,
    pub timeout: Duration,
}

pub trait Transport: Send + Sync + 'static {
    /// The answer's JSON, and the fingerprint of the certificate the answering MCU showed.
    fn exchange<'a>(&'a self, x: Exchange<'a>) -> Call<'a, (Vec<u8>, String)>;
    /// Whether this MCU can still reach its network: with an isolation check address
    /// (`witness`), any answer from it counts (a refused connection too: the network carried
    /// it), silence means this MCU is the one cut off; without one, `own` (this MCU's own
    /// listening address) must take a connection.
    fn network_up<'a>(&'a self, witness: &'a str, own: SocketAddr) -> Pin<Box<dyn Future<Output = bool> + Send + 'a>>;
}

impl Transport for PeerClient {
    fn exchange<'a>(&'a self, x: Exchange<'a>) -> Call<'a, (Vec<u8>, String)> {
        Box::pin(PeerClient::exchange(self, x))
    }

    fn network_up<'a>(&'a self, witness: &'a str, own: SocketAddr) -> Pin<Box<dyn Future<Output = bool> + Send + 'a>> {
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
                SocketAddr::new(if own.is_ipv4() { [127, 0, 0, 1].into() } else { std::net::Ipv6Addr::LOCALHOST.into() }, own.port())
            } else {
                own
            };
            matches!(tokio::time::timeout(WITHIN, tokio::net::TcpStream::connect(probe)).await, Ok(Ok(_)))
        })
    }
}
