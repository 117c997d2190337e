//! The network as the engine sees it: the calls to the other MCU, and whether this MCU's
//! own network is up. [`PeerClient`] makes them over TLS and TCP; tests put the two engines
//! of a pair on one in-memory wire instead, so every transition runs without processes or
//! sockets, on a paused clock.

use crate::client::{CallError, LinkAuth, PeerClient};
use domain::hotbackup::{Heartbeat, LogBatch, PairChallenge, PairFinish, PairGranted, PairStart, PeerFacts, Snapshot, Takeover};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

/// One call's answer, to be awaited.
pub type Call<'a, T> = Pin<Box<dyn Future<Output = Result<T, CallError>> + Send + 'a>>;

pub trait Transport: Send + Sync + 'static {
    /// Pairing, step 1: the challenge, and the fingerprint of the certificate the answering
    /// MCU showed.
    fn pair_start<'a>(&'a self, peer: &'a str, start: &'a PairStart, timeout: Duration) -> Call<'a, (PairChallenge, String)>;
    /// Pairing, step 2, only to the certificate `pin`.
    fn pair_finish<'a>(&'a self, peer: &'a str, pin: &'a str, finish: &'a PairFinish, timeout: Duration) -> Call<'a, PairGranted>;
    fn heartbeat<'a>(&'a self, peer: &'a str, auth: &'a LinkAuth, timeout: Duration) -> Call<'a, Heartbeat>;
    fn facts<'a>(&'a self, peer: &'a str, auth: &'a LinkAuth, salt: &'a str, timeout: Duration) -> Call<'a, PeerFacts>;
    /// The Master's changes after `after`, waiting up to `wait` for new ones.
    fn log<'a>(&'a self, peer: &'a str, auth: &'a LinkAuth, after: u64, wait: Duration, timeout: Duration) -> Call<'a, LogBatch>;
    fn snapshot<'a>(&'a self, peer: &'a str, auth: &'a LinkAuth, timeout: Duration) -> Call<'a, Snapshot>;
    fn takeover<'a>(&'a self, peer: &'a str, auth: &'a LinkAuth, t: &'a Takeover, timeout: Duration) -> Call<'a, Heartbeat>;
    /// Whether this MCU can still reach its network: with an isolation check address
    /// (`witness`), any answer from it counts (a refused connection too: the network carried
    /// it), silence means this MCU is the one cut off; without one, `own` (this MCU's own
    /// listening address) must take a connection.
    fn network_up<'a>(&'a self, witness: &'a str, own: SocketAddr) -> Pin<Box<dyn Future<Output = bool> + Send + 'a>>;
}

impl Transport for PeerClient {
    fn pair_start<'a>(&'a self, peer: &'a str, start: &'a PairStart, timeout: Duration) -> Call<'a, (PairChallenge, String)> {
        Box::pin(PeerClient::pair_start(self, peer, start, timeout))
    }

    fn pair_finish<'a>(&'a self, peer: &'a str, pin: &'a str, finish: &'a PairFinish, timeout: Duration) -> Call<'a, PairGranted> {
        Box::pin(PeerClient::pair_finish(self, peer, pin, finish, timeout))
    }

    fn heartbeat<'a>(&'a self, peer: &'a str, auth: &'a LinkAuth, timeout: Duration) -> Call<'a, Heartbeat> {
        Box::pin(PeerClient::heartbeat(self, peer, auth, timeout))
    }

    fn facts<'a>(&'a self, peer: &'a str, auth: &'a LinkAuth, salt: &'a str, timeout: Duration) -> Call<'a, PeerFacts> {
        Box::pin(PeerClient::facts(self, peer, auth, salt, timeout))
    }

    fn log<'a>(&'a self, peer: &'a str, auth: &'a LinkAuth, after: u64, wait: Duration, timeout: Duration) -> Call<'a, LogBatch> {
        Box::pin(PeerClient::log(self, peer, auth, after, wait, timeout))
    }

    fn snapshot<'a>(&'a self, peer: &'a str, auth: &'a LinkAuth, timeout: Duration) -> Call<'a, Snapshot> {
        Box::pin(PeerClient::snapshot(self, peer, auth, timeout))
    }

    fn takeover<'a>(&'a self, peer: &'a str, auth: &'a LinkAuth, t: &'a Takeover, timeout: Duration) -> Call<'a, Heartbeat> {
        Box::pin(PeerClient::takeover(self, peer, auth, t, timeout))
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
