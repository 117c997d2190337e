//! The network as the engine sees it: one exchange with the other MCU (a peer call's
//! request out, its answer back, see `crate::peer`), and whether this MCU's own network is
//! up. `client::PeerClient` makes them over TLS and TCP; tests put the two engines of a pair on
//! one in-memory wire instead, so every transition runs without processes or sockets, on a
//! paused clock.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
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

/// How a call travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// A read: the request is the query string; asked again on a fresh connection when a
    /// kept one turns out closed.
    Get,
    /// The request is a JSON body.
    Post,
}

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
