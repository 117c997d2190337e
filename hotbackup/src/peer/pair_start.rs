//! `POST /peer/v1/pair/start`: pairing, step 1 (OPAQUE's first message and its answer),
//! on a connection that accepts any certificate. The responder's side is
//! `HotBackup::serve_pair_start` (`crate::pairing`).

use super::{call, Auth, Caller, PeerCall, Verb};
use crate::transport::CallError;
use crate::engine::HotBackup;
use crate::error::PeerError;
use domain::hotbackup::{PairChallenge, PairStart};
use std::time::Duration;

pub struct PairStartCall;

impl PeerCall for PairStartCall {
    const PATH: &'static str = "pair/start";
    const VERB: Verb = Verb::Post;
    const PAIRED: bool = false;
    type Request = PairStart;
    type Response = PairChallenge;

    async fn serve(hb: &HotBackup, mut s: PairStart, caller: Caller) -> Result<PairChallenge, PeerError> {
        s.user = domain::validate::login_name(&s.user).map_err(|e| PeerError::BadRequest(e.to_string()))?;
        let guess = caller.guess.unwrap_or_else(|| Box::new(|_| {}));
        hb.serve_pair_start(s, &caller.fingerprint, guess).await
    }
}

impl HotBackup {
    /// Step 1 towards `peer`: the answer, and the certificate that answered.
    pub(crate) async fn pair_start_of(&self, peer: &str, start: &PairStart, timeout: Duration) -> Result<(PairChallenge, String), CallError> {
        call::<PairStartCall>(&*self.inner.client, peer, Auth::Pairing { pin: None }, start, timeout).await
    }
}
