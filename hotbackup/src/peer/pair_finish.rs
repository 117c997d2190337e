//! `POST /peer/v1/pair/finish`: pairing, step 2 (the initiator's proof), only to the
//! certificate step 1 saw; the answer is the pairing credential. The responder's side is
//! `HotBackup::serve_pair_finish` (`crate::pairing`).

use super::{call, Auth, Caller, PeerCall, Verb};
use crate::transport::CallError;
use crate::engine::HotBackup;
use crate::error::PeerError;
use domain::hotbackup::{PairFinish, PairGranted};
use std::time::Duration;

pub struct PairFinishCall;

impl PeerCall for PairFinishCall {
    const PATH: &'static str = "pair/finish";
    const VERB: Verb = Verb::Post;
    const PAIRED: bool = false;
    type Request = PairFinish;
    type Response = PairGranted;

    async fn serve(hb: &HotBackup, mut f: PairFinish, caller: Caller) -> Result<PairGranted, PeerError> {
        f.user = domain::validate::login_name(&f.user).map_err(|e| PeerError::BadRequest(e.to_string()))?;
        hb.serve_pair_finish(f, &caller.fingerprint).await
    }
}

impl HotBackup {
    /// Step 2 towards `peer`, whose certificate step 1 saw (`pin`).
    pub(crate) async fn pair_finish_of(&self, peer: &str, pin: &str, finish: &PairFinish, timeout: Duration) -> Result<PairGranted, CallError> {
        Ok(call::<PairFinishCall>(&*self.inner.client, peer, Auth::Pairing { pin: Some(pin) }, finish, timeout).await?.0)
    }
}
