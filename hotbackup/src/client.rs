//! The peer link's client side: JSON over HTTP to the other MCU's `/peer/v1/*`.

use domain::hotbackup::{Heartbeat, LogBatch, PeerFacts, PeerLogin, PeerToken, Snapshot, Takeover};
use serde::de::DeserializeOwned;
use serde::Deserialize;
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
    /// The peer answered with a refusal; `message` is its own words.
    #[error("{message}")]
    Refused { status: u16, message: String },
    /// The peer answered something this version cannot read.
    #[error("the paired MCU's answer could not be read: {0}")]
    BadAnswer(String),
}

/// What the peer sends with a refusal.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: String,
}

#[derive(Clone)]
pub struct PeerClient {
    http: reqwest::Client,
}

/// Whether a request failed because the connection was refused (ECONNREFUSED).
fn refused(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    for _ in 0..16 {
        let Some(s) = source else { return false };
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return io.kind() == std::io::ErrorKind::ConnectionRefused;
        }
        source = s.source();
    }
    false
}

impl Default for PeerClient {
    fn default() -> Self {
        Self::new()
    }
}

impl PeerClient {
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(500))
            .pool_idle_timeout(Duration::from_secs(30))
            .no_proxy()
            .build()
            .unwrap_or_default();
        PeerClient { http }
    }

    fn url(peer: &str, path: &str) -> String {
        format!("http://{peer}/peer/v1/{path}")
    }

    async fn answer<T: DeserializeOwned>(
        peer: &str,
        res: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<T, CallError> {
        let res = res.map_err(|e| {
            if refused(&e) {
                CallError::Down(peer.to_string())
            } else {
                CallError::Unreachable(peer.to_string())
            }
        })?;
        let status = res.status();
        let bytes = res.bytes().await.map_err(|_| CallError::Unreachable(peer.to_string()))?;
        if status.is_success() {
            serde_json::from_slice(&bytes).map_err(|e| CallError::BadAnswer(e.to_string()))
        } else {
            let message = serde_json::from_slice::<ErrorBody>(&bytes)
                .map(|b| b.error)
                .unwrap_or_else(|_| format!("the paired MCU answered HTTP {status}"));
            Err(CallError::Refused { status: status.as_u16(), message })
        }
    }

    pub async fn login(&self, peer: &str, login: &PeerLogin, timeout: Duration) -> Result<PeerToken, CallError> {
        let res = self.http.post(Self::url(peer, "login")).json(login).timeout(timeout).send().await;
        Self::answer(peer, res).await
    }

    pub async fn heartbeat(&self, peer: &str, token: &str, timeout: Duration) -> Result<Heartbeat, CallError> {
        let res = self.http.get(Self::url(peer, "heartbeat")).bearer_auth(token).timeout(timeout).send().await;
        Self::answer(peer, res).await
    }

    pub async fn facts(&self, peer: &str, token: &str, timeout: Duration) -> Result<PeerFacts, CallError> {
        let res = self.http.get(Self::url(peer, "facts")).bearer_auth(token).timeout(timeout).send().await;
        Self::answer(peer, res).await
    }

    pub async fn log(&self, peer: &str, token: &str, after: u64, wait: Duration, timeout: Duration) -> Result<LogBatch, CallError> {
        let res = self
            .http
            .get(Self::url(peer, "log"))
            .query(&[("after", after), ("wait_ms", wait.as_millis() as u64)])
            .bearer_auth(token)
            .timeout(timeout + wait)
            .send()
            .await;
        Self::answer(peer, res).await
    }

    pub async fn snapshot(&self, peer: &str, token: &str, timeout: Duration) -> Result<Snapshot, CallError> {
        let res = self.http.get(Self::url(peer, "snapshot")).bearer_auth(token).timeout(timeout).send().await;
        Self::answer(peer, res).await
    }

    pub async fn takeover(&self, peer: &str, token: &str, t: &Takeover, timeout: Duration) -> Result<Heartbeat, CallError> {
        let res = self.http.post(Self::url(peer, "takeover")).bearer_auth(token).json(t).timeout(timeout).send().await;
        Self::answer(peer, res).await
    }
}
