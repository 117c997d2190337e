//! `POST /peer/v1/takeover`: the Master hands over (a planned switch-over); the Slave takes
//! over only if it holds exactly the Master's last change.

use super::{call, Auth, Caller, PeerCall, Verb};
use crate::transport::{CallError, LinkAuth};
use crate::engine::HotBackup;
use crate::store_task::blocking;
use crate::error::PeerError;
use domain::hotbackup::{Heartbeat, LiveRole, Takeover};
use std::time::Duration;

pub struct TakeoverCall;

impl PeerCall for TakeoverCall {
    const PATH: &'static str = "takeover";
    const VERB: Verb = Verb::Post;
    type Request = Takeover;
    type Response = Heartbeat;

    async fn serve(hb: &HotBackup, t: Takeover, _: Caller) -> Result<Heartbeat, PeerError> {
        hb.serve_takeover(t).await
    }
}

impl HotBackup {
    pub async fn serve_takeover(&self, t: Takeover) -> Result<Heartbeat, PeerError> {
        if self.role() != LiveRole::Slave {
            return Err(PeerError::Conflict("this MCU is not the Slave".into()));
        }
        let have = blocking(&self.inner.store, |s| s.last_seq()).await?;
        if have != t.seq {
            return Err(PeerError::Conflict(format!("this Slave has changes up to {have}, not {}", t.seq)));
        }
        self.become_master("Planned switch-over: the Master handed over.".into(), None).await?;
        self.heartbeat().await
    }

    /// Asks the Slave at `peer` to take over at `seq`.
    pub(crate) async fn takeover_of(&self, peer: &str, auth: &LinkAuth, seq: u64, timeout: Duration) -> Result<Heartbeat, CallError> {
        Ok(call::<TakeoverCall>(&*self.inner.client, peer, Auth::Paired(auth), &Takeover { seq }, timeout).await?.0)
    }
}
