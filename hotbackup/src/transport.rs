//! The peer link as the engine sees it: six calls to the other MCU. [`PeerClient`] makes
//! them over HTTP; tests put the two engines of a pair on one in-memory wire instead, so
//! every transition runs without processes or sockets.

use crate::client::{CallError, PeerClient};
use domain::hotbackup::{Heartbeat, LogBatch, PeerFacts, PeerLogin, PeerToken, Snapshot, Takeover};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// One call's answer, to be awaited.
pub type Call<'a, T> = Pin<Box<dyn Future<Output = Result<T, CallError>> + Send + 'a>>;

pub trait Transport: Send + Sync + 'static {
    fn login<'a>(&'a self, peer: &'a str, login: &'a PeerLogin, timeout: Duration) -> Call<'a, PeerToken>;
    fn heartbeat<'a>(&'a self, peer: &'a str, token: &'a str, timeout: Duration) -> Call<'a, Heartbeat>;
    fn facts<'a>(&'a self, peer: &'a str, token: &'a str, timeout: Duration) -> Call<'a, PeerFacts>;
    /// The Master's changes after `after`, waiting up to `wait` for new ones.
    fn log<'a>(&'a self, peer: &'a str, token: &'a str, after: u64, wait: Duration, timeout: Duration) -> Call<'a, LogBatch>;
    fn snapshot<'a>(&'a self, peer: &'a str, token: &'a str, timeout: Duration) -> Call<'a, Snapshot>;
    fn takeover<'a>(&'a self, peer: &'a str, token: &'a str, t: &'a Takeover, timeout: Duration) -> Call<'a, Heartbeat>;
}

impl Transport for PeerClient {
    fn login<'a>(&'a self, peer: &'a str, login: &'a PeerLogin, timeout: Duration) -> Call<'a, PeerToken> {
        Box::pin(PeerClient::login(self, peer, login, timeout))
    }

    fn heartbeat<'a>(&'a self, peer: &'a str, token: &'a str, timeout: Duration) -> Call<'a, Heartbeat> {
        Box::pin(PeerClient::heartbeat(self, peer, token, timeout))
    }

    fn facts<'a>(&'a self, peer: &'a str, token: &'a str, timeout: Duration) -> Call<'a, PeerFacts> {
        Box::pin(PeerClient::facts(self, peer, token, timeout))
    }

    fn log<'a>(&'a self, peer: &'a str, token: &'a str, after: u64, wait: Duration, timeout: Duration) -> Call<'a, LogBatch> {
        Box::pin(PeerClient::log(self, peer, token, after, wait, timeout))
    }

    fn snapshot<'a>(&'a self, peer: &'a str, token: &'a str, timeout: Duration) -> Call<'a, Snapshot> {
        Box::pin(PeerClient::snapshot(self, peer, token, timeout))
    }

    fn takeover<'a>(&'a self, peer: &'a str, token: &'a str, t: &'a Takeover, timeout: Duration) -> Call<'a, Heartbeat> {
        Box::pin(PeerClient::takeover(self, peer, token, t, timeout))
    }
}
