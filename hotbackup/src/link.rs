//! What pairing leaves behind on each MCU, and a pairing between its two steps: the data the
//! engine holds (`pairing` does the pairing itself).

use crate::transport::LinkAuth;
use domain::pairing::ServerStart;
use domain::{Millis, Role};
use tokio::time::Instant;

/// The peer link's credential this MCU holds: in the secrets file (never in the database,
/// never synced, never shown). Earlier versions kept it as a local setting of that name.
pub(crate) const PEER_LINK: &str = "hot_backup_peer_link";
/// Local setting holding the digest of the pairing credential this MCU issued.
pub(crate) const PEER_ISSUED: &str = "hot_backup_peer_issued";

/// What this MCU holds to call the paired MCU (never synced, never shown).
#[derive(Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct PeerLink {
    pub(crate) user: String,
    /// The credential the paired MCU issued to this one.
    pub(crate) credential: String,
    /// The paired MCU's certificate fingerprint.
    pub(crate) pin: String,
}

/// Without the credential: it must never reach a log.
impl std::fmt::Debug for PeerLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerLink").field("user", &self.user).field("credential", &"(hidden)").field("pin", &self.pin).finish()
    }
}

impl PeerLink {
    pub(crate) fn auth(&self) -> LinkAuth {
        LinkAuth { credential: self.credential.clone(), pin: self.pin.clone() }
    }
}

/// What this MCU keeps of the credential it issued: its digest, and who it went to.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Issued {
    pub(crate) digest: String,
    pub(crate) user: String,
    /// The certificate fingerprint the initiator proved it holds.
    pub(crate) fingerprint: String,
    pub(crate) at_ms: Millis,
}

/// What the caller of `pair/start` does with the attempt's outcome (the server counts it
/// under the failed-login limits): called once, `true` only when the proof succeeded. An
/// attempt that is never finished counts as failed: its answer let the caller test one
/// password.
pub type Guess = Box<dyn FnOnce(bool) + Send>;

/// A pairing between its two steps, on the responder.
pub(crate) struct Pending {
    pub(crate) responder_nonce: String,
    pub(crate) initiator_nonce: String,
    pub(crate) user: String,
    /// The initiator's client certificate at step 1: step 2 must come from the same one.
    pub(crate) client: String,
    /// `None` for an unknown user: the answer was one no password opens.
    pub(crate) role: Option<Role>,
    pub(crate) server: Option<ServerStart>,
    pub(crate) guess: Option<Guess>,
    pub(crate) at: Instant,
}

impl Pending {
    pub(crate) fn outcome(&mut self, proven: bool) {
        if let Some(g) = self.guess.take() {
            g(proven);
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.outcome(false);
    }
}

