//! `GET /peer/v1/snapshot`: the Master's whole synced state, for a Slave that cannot resume.

use super::{call, Auth, Caller, PeerCall, Verb};
use crate::transport::{CallError, LinkAuth};
use crate::engine::HotBackup;
use crate::store_task::blocking;
use crate::error::PeerError;
use domain::hotbackup::LiveRole;
use domain::hotbackup::Snapshot;
use std::time::Duration;

pub struct SnapshotCall;

impl PeerCall for SnapshotCall {
    const PATH: &'static str = "snapshot";
    const VERB: Verb = Verb::Get;
    type Request = ();
    type Response = Snapshot;

    async fn serve(hb: &HotBackup, _: (), _: Caller) -> Result<Snapshot, PeerError> {
        hb.serve_snapshot().await
    }
}

impl HotBackup {
    /// Only a Master gives its state.
    pub async fn serve_snapshot(&self) -> Result<Snapshot, PeerError> {
        if self.role() != LiveRole::Master {
            return Err(PeerError::Conflict("this MCU is not the Master".into()));
        }
        Ok(blocking(&self.inner.store, |s| s.snapshot()).await?)
    }

    pub(crate) async fn snapshot_of(&self, peer: &str, auth: &LinkAuth, timeout: Duration) -> Result<Snapshot, CallError> {
        Ok(call::<SnapshotCall>(&*self.inner.client, peer, Auth::Paired(auth), &(), timeout).await?.0)
    }
}
