//! The peer link's calls, one file each (as mini-redis has one file per command): each
//! names its path, its request and answer, the client's call and this MCU's handler.
//! [`dispatch`] is the one table the server's `/peer/v1/*` route and the tests' in-memory
//! wire both answer with; [`call`] the one way the engine makes a call.
//!
//! Reads are `GET` with their request as a query string, and `heartbeat` stays a plain
//! `GET` in every version: an MCU of another version must still hear this one's version
//! (G1) instead of taking its answer for silence.

mod facts;
mod heartbeat;
mod log;
mod pair_finish;
mod pair_start;
mod snapshot;
mod takeover;

pub use facts::Facts;
pub use heartbeat::HeartbeatCall;
pub use log::{Log, LogRequest};
pub use pair_finish::PairFinishCall;
pub use pair_start::PairStartCall;
pub use snapshot::SnapshotCall;
pub use takeover::TakeoverCall;

use crate::link::Guess;
use crate::transport::{CallError, Exchange, LinkAuth, Transport};
pub use crate::transport::Verb;
use crate::engine::HotBackup;
use crate::error::PeerError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;
use std::time::Duration;

/// One call of the peer link.
pub trait PeerCall {
    /// Its address: `/peer/v1/<PATH>`.
    const PATH: &'static str;
    const VERB: Verb;
    /// Needs the pairing credential, from the certificate it was issued to (all but the
    /// two pairing steps).
    const PAIRED: bool = true;
    type Request: Serialize + DeserializeOwned + Send + Sync + 'static;
    type Response: Serialize + DeserializeOwned + Send + 'static;
    /// This MCU's answer.
    fn serve(hb: &HotBackup, req: Self::Request, caller: Caller) -> impl Future<Output = Result<Self::Response, PeerError>> + Send;
}

/// Who calls: the fingerprint of the client certificate on the connection, the credential
/// presented, and for a pairing's first step how its guess ends (the server counts it under
/// the login limits; none: not counted).
pub struct Caller {
    pub fingerprint: String,
    pub credential: Option<String>,
    pub guess: Option<Guess>,
}

/// Every call's path and verb: the routes the server serves.
pub const CALLS: [(&str, Verb); 7] = [
    (PairStartCall::PATH, PairStartCall::VERB),
    (PairFinishCall::PATH, PairFinishCall::VERB),
    (HeartbeatCall::PATH, HeartbeatCall::VERB),
    (Facts::PATH, Facts::VERB),
    (Log::PATH, Log::VERB),
    (SnapshotCall::PATH, SnapshotCall::VERB),
    (TakeoverCall::PATH, TakeoverCall::VERB),
];

/// The largest request accepted (a query string or a JSON body).
pub const MAX_REQUEST: usize = 8 * 1024;

/// This MCU's answer to the call at `path` (its request as received: the query string of a
/// `GET`, the body of a `POST`), as JSON.
pub async fn dispatch(hb: &HotBackup, path: &str, request: &[u8], caller: Caller) -> Result<Vec<u8>, PeerError> {
    match path {
        PairStartCall::PATH => serve::<PairStartCall>(hb, request, caller).await,
        PairFinishCall::PATH => serve::<PairFinishCall>(hb, request, caller).await,
        HeartbeatCall::PATH => serve::<HeartbeatCall>(hb, request, caller).await,
        Facts::PATH => serve::<Facts>(hb, request, caller).await,
        Log::PATH => serve::<Log>(hb, request, caller).await,
        SnapshotCall::PATH => serve::<SnapshotCall>(hb, request, caller).await,
        TakeoverCall::PATH => serve::<TakeoverCall>(hb, request, caller).await,
        _ => Err(PeerError::BadRequest(format!("no peer call '{path}'"))),
    }
}

async fn serve<C: PeerCall>(hb: &HotBackup, request: &[u8], caller: Caller) -> Result<Vec<u8>, PeerError> {
    // The credential first: nothing of a request is read for a caller that is not paired.
    if C::PAIRED {
        hb.authorize(caller.credential.as_deref(), &caller.fingerprint).await?;
    }
    if request.len() > MAX_REQUEST {
        return Err(PeerError::BadRequest(format!("the {} request is too large", C::PATH)));
    }
    let req = decode::<C>(request).map_err(|e| PeerError::BadRequest(format!("malformed {} request: {e}", C::PATH)))?;
    let answer = C::serve(hb, req, caller).await?;
    serde_json::to_vec(&answer).map_err(|e| PeerError::Internal(e.to_string()))
}

fn decode<C: PeerCall>(bytes: &[u8]) -> Result<C::Request, String> {
    match C::VERB {
        Verb::Get => serde_urlencoded::from_bytes(bytes).map_err(|e| e.to_string()),
        Verb::Post => serde_json::from_slice(bytes).map_err(|e| e.to_string()),
    }
}

fn encode<C: PeerCall>(req: &C::Request) -> Result<Vec<u8>, CallError> {
    match C::VERB {
        Verb::Get => serde_urlencoded::to_string(req).map(String::into_bytes).map_err(|e| CallError::BadAnswer(e.to_string())),
        Verb::Post => serde_json::to_vec(req).map_err(|e| CallError::BadAnswer(e.to_string())),
    }
}

/// How a call is authenticated: by the credential of the pairing (the pinned certificate
/// with it), or not yet (a pairing step: any certificate, or the one step 1 saw).
#[derive(Clone, Copy)]
pub(crate) enum Auth<'a> {
    Paired(&'a LinkAuth),
    Pairing { pin: Option<&'a str> },
}

/// Makes call `C` to `peer`: its answer, and the fingerprint of the certificate the
/// answering MCU showed.
pub(crate) async fn call<C: PeerCall>(
    t: &dyn Transport,
    peer: &str,
    auth: Auth<'_>,
    req: &C::Request,
    timeout: Duration,
) -> Result<(C::Response, String), CallError> {
    let (pin, credential) = match auth {
        Auth::Paired(a) => (Some(a.pin.as_str()), Some(a.credential.as_str())),
        Auth::Pairing { pin } => (pin, None),
    };
    let x = Exchange { peer, path: C::PATH, verb: C::VERB, pin, credential, request: encode::<C>(req)?, timeout };
    let (bytes, shown) = t.exchange(x).await?;
    let answer = serde_json::from_slice(&bytes).map_err(|e| CallError::BadAnswer(e.to_string()))?;
    Ok((answer, shown))
}
