//! `GET /peer/v1/heartbeat`: where an MCU stands (role, position, epochs, digest, version).
//! Small, sent every heartbeat interval; the same in every version (G1).

use super::{call, Auth, Caller, PeerCall, Verb};
use crate::transport::{CallError, LinkAuth};
use crate::engine::HotBackup;
use crate::store_task::blocking;
use crate::error::PeerError;
use domain::hotbackup::Heartbeat;
use std::time::Duration;

pub struct HeartbeatCall;

impl PeerCall for HeartbeatCall {
    const PATH: &'static str = "heartbeat";
    const VERB: Verb = Verb::Get;
    type Request = ();
    type Response = Heartbeat;

    async fn serve(hb: &HotBackup, _: (), _: Caller) -> Result<Heartbeat, PeerError> {
        hb.heartbeat().await
    }
}

impl HotBackup {
    /// Where this MCU stands, as a heartbeat says it.
    pub async fn heartbeat(&self) -> Result<Heartbeat, PeerError> {
        let role = self.role();
        let (name, version) = (self.inner.me.name.clone(), self.inner.me.version.clone());
        Ok(blocking(&self.inner.store, move |s| {
            Ok(Heartbeat {
                instance_id: s.instance_id()?,
                name,
                version,
                role,
                position: s.position()?,
                epochs: s.epoch_history()?,
                oldest_logged: s.oldest_logged_seq()?,
                digest: s.digest()?,
            })
        })
        .await?)
    }

    /// The peer's heartbeat.
    pub(crate) async fn heartbeat_of(&self, peer: &str, auth: &LinkAuth, timeout: Duration) -> Result<Heartbeat, CallError> {
        Ok(call::<HeartbeatCall>(&*self.inner.client, peer, Auth::Paired(auth), &(), timeout).await?.0)
    }
}
