//! `GET /peer/v1/log?after=N&wait_ms=W`: the Slave's poll. `after` is what it holds on disk
//! (its acknowledgement); the Master answers its changes after it, waiting up to `wait_ms`
//! for new ones (see `HotBackup::serve_log`).

use super::{call, Auth, Caller, PeerCall, Verb};
use crate::transport::{CallError, LinkAuth};
use crate::engine::HotBackup;
use crate::error::PeerError;
use domain::hotbackup::LogBatch;
use serde::{Deserialize, Serialize};
use std::time::Duration;

pub struct Log;

#[derive(Debug, Serialize, Deserialize)]
pub struct LogRequest {
    pub after: u64,
    #[serde(default)]
    pub wait_ms: u64,
}

impl PeerCall for Log {
    const PATH: &'static str = "log";
    const VERB: Verb = Verb::Get;
    type Request = LogRequest;
    type Response = LogBatch;

    async fn serve(hb: &HotBackup, req: LogRequest, _: Caller) -> Result<LogBatch, PeerError> {
        hb.serve_log(req.after, Duration::from_millis(req.wait_ms)).await
    }
}

impl HotBackup {
    /// Polls the Master for its changes after `after`, waiting up to `wait` for new ones.
    pub(crate) async fn log_of(&self, peer: &str, auth: &LinkAuth, after: u64, wait: Duration, timeout: Duration) -> Result<LogBatch, CallError> {
        let req = LogRequest { after, wait_ms: wait.as_millis() as u64 };
        Ok(call::<Log>(&*self.inner.client, peer, Auth::Paired(auth), &req, timeout + wait).await?.0)
    }
}
