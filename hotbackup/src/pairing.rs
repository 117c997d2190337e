//! Pairing and the pairing credential.
//!
//! Enabling Hot Backup on an MCU pairs it with the other one (it is the *initiator*, the
//! other the *responder*): two calls over TLS in which the initiator proves it knows an
//! Administrator's password and the responder proves it holds that password's hash (see
//! `domain::pairing`; the password never crosses). Both proofs cover the certificates both
//! sides see, so the initiator pins the responder's certificate only when no one relays
//! the link. The responder then issues a **pairing credential**: random, not a session,
//! accepted only on `/peer/v1/*`, kept on the responder as a digest. Each enable issues a
//! new one (the old one stops working); disabling revokes it. Each MCU pairs when it is
//! enabled, so each holds a credential for the other and pins the other's certificate:
//! the Slave checks the Master as the Master checks the Slave.

use crate::client::{CallError, LinkAuth};
use crate::{blocking, HotBackup, PeerError, PEER_ISSUED, PEER_LINK};
use domain::hotbackup::{Challenge, PairChallenge, PairFinish, PairGranted, PairStart};
use domain::pairing::{self, PairingKey, Side, Transcript};
use domain::{DomainError, Millis, Role};
use std::time::{Duration, Instant};

/// Pairings started and not finished that the responder remembers (oldest forgotten first).
const PENDING: usize = 16;
/// Time the initiator has between the two steps.
const PENDING_FOR: Duration = Duration::from_secs(30);

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

/// A pairing between its two steps, on the responder.
pub(crate) struct Pending {
    responder_nonce: String,
    initiator_nonce: String,
    user: String,
    /// `None` for an unknown user (a decoy challenge was sent): the proof cannot succeed.
    key: Option<(PairingKey, Role)>,
    at: Instant,
}

/// Why pairing failed, in the words the administrator sees on the Hot Backup page.
pub(crate) fn pairing_refused(peer: &str, user: &str, e: CallError) -> DomainError {
    DomainError::Conflict(match e {
        CallError::Unreachable(_) | CallError::Down(_) => {
            format!("G3: the paired MCU at {peer} cannot be reached. Check the address and that both MCUs can reach each other.")
        }
        CallError::Refused { status: 401, message } => format!(
            "G2: the paired MCU refused the login of '{user}' with this password ({message}). The users and passwords must be the same on both MCUs."
        ),
        other => other.to_string(),
    })
}

impl HotBackup {
    /// Pairs with `peer` as `user` (the initiator's side): the link to keep, with the
    /// paired MCU's certificate pinned.
    pub(crate) async fn pair_with(&self, peer: &str, user: &str, password: &str, timeout: Duration) -> Result<PeerLink, DomainError> {
        let nonce = pairing::random_hex();
        let start = PairStart { user: user.to_string(), version: self.inner.me.version.clone(), nonce: nonce.clone() };
        let (answer, seen) = self.inner.client.pair_start(peer, &start, timeout).await.map_err(|e| pairing_refused(peer, user, e))?;
        let key = password_key(password, answer.challenge.clone()).await?;
        let mine = self.inner.me.fingerprint.clone();
        let t = Transcript {
            user,
            initiator_nonce: &nonce,
            responder_nonce: &answer.nonce,
            initiator_fingerprint: &mine,
            responder_fingerprint: &seen,
        };
        let finish = PairFinish {
            user: user.to_string(),
            initiator_nonce: nonce.clone(),
            responder_nonce: answer.nonce.clone(),
            fingerprint: mine.clone(),
            proof: pairing::proof(&key, Side::Initiator, &t),
        };
        let granted = self.inner.client.pair_finish(peer, &seen, &finish, timeout).await.map_err(|e| pairing_refused(peer, user, e))?;
        if !pairing::check(&key, Side::Responder, &t, &granted.proof) {
            return Err(DomainError::Conflict(format!(
                "The MCU at {peer} could not prove that it holds '{user}''s password: something other than the paired MCU answers there, or relays the link. Nothing was paired."
            )));
        }
        Ok(PeerLink { user: user.to_string(), credential: granted.credential, pin: seen })
    }

    /// `POST /peer/v1/pair/start` (the responder's side): the challenge for `user` (a decoy
    /// one for an unknown user). Costs no password work.
    pub async fn serve_pair_start(&self, s: PairStart) -> Result<PairChallenge, PeerError> {
        if s.version != self.inner.me.version {
            return Err(PeerError::Conflict(format!(
                "G1: the MCUs run different software versions: the paired MCU {}, this MCU {}.",
                s.version, self.inner.me.version
            )));
        }
        if !pairing::is_random_hex(&s.nonce) {
            return Err(PeerError::BadRequest("malformed pairing nonce".into()));
        }
        let user = s.user.clone();
        let found = blocking(&self.inner.store, move |st| st.pairing_challenge(&user)).await?;
        let (challenge, key): (Challenge, _) = match found {
            Some((c, k, role)) => (c, Some((k, role))),
            None => (pairing::decoy(&self.inner.decoy_secret, &s.user), None),
        };
        let nonce = pairing::random_hex();
        let mut pending = self.inner.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.retain(|p| p.at.elapsed() < PENDING_FOR);
        if pending.len() >= PENDING {
            pending.pop_front();
        }
        pending.push_back(Pending { responder_nonce: nonce.clone(), initiator_nonce: s.nonce, user: s.user, key, at: Instant::now() });
        Ok(PairChallenge { challenge, nonce })
    }

    /// `POST /peer/v1/pair/finish` (the responder's side): checks the initiator's proof and
    /// issues a new pairing credential, which replaces (revokes) the one issued before.
    pub async fn serve_pair_finish(&self, f: PairFinish) -> Result<PairGranted, PeerError> {
        let found = {
            let mut pending = self.inner.pending.lock().unwrap_or_else(|p| p.into_inner());
            pending.retain(|p| p.at.elapsed() < PENDING_FOR);
            let i = pending.iter().position(|p| {
                p.responder_nonce == f.responder_nonce && p.initiator_nonce == f.initiator_nonce && p.user.eq_ignore_ascii_case(&f.user)
            });
            i.and_then(|i| pending.remove(i))
        };
        let Some(p) = found else {
            return Err(PeerError::BadRequest("no pairing under way with these nonces (they last 30 s and are used once): start again".into()));
        };
        let wrong = || PeerError::Unauthorized("wrong user name or password".into());
        let Some((key, role)) = p.key else { return Err(wrong()) };
        let mine = self.inner.me.fingerprint.clone();
        let t = Transcript {
            user: &p.user,
            initiator_nonce: &p.initiator_nonce,
            responder_nonce: &p.responder_nonce,
            initiator_fingerprint: &f.fingerprint,
            responder_fingerprint: &mine,
        };
        if !pairing::check(&key, Side::Initiator, &t, &f.proof) {
            return Err(wrong());
        }
        if role != Role::Administrator {
            return Err(PeerError::Unauthorized(format!("'{}' is not an Administrator here.", p.user)));
        }
        let credential = pairing::random_hex();
        let issued = Issued {
            digest: domain::auth::token_digest(&credential),
            user: p.user.clone(),
            fingerprint: f.fingerprint.clone(),
            at_ms: domain::store::now_ms(),
        };
        let saved = issued.clone();
        blocking(&self.inner.store, move |s| s.set_local(PEER_ISSUED, &saved)).await?;
        self.st().issued = Some(issued);
        self.event(format!("Paired by '{}' from the MCU whose certificate is {}; any earlier pairing credential no longer works.", p.user, f.fingerprint));
        Ok(PairGranted { credential, proof: pairing::proof(&key, Side::Responder, &t) })
    }

    /// Checks a peer-link call's credential: the one this MCU issued at the last pairing.
    /// Browser sessions and earlier credentials are refused.
    pub async fn authorize(&self, credential: Option<&str>) -> Result<(), PeerError> {
        let Some(credential) = credential else {
            return Err(PeerError::Unauthorized("the peer link needs the pairing credential".into()));
        };
        let digest = domain::auth::token_digest(credential);
        match &self.st().issued {
            // Digests of a random value: comparing them leaks nothing about the credential.
            Some(i) if i.digest == digest => Ok(()),
            _ => Err(PeerError::Unauthorized("the pairing credential is not valid here (any more): enable Hot Backup again on the paired MCU".into())),
        }
    }

    /// Forgets the pairing both ways: the credential this MCU issued stops working, and the
    /// one it held is dropped (disable).
    pub(crate) async fn revoke_pairing(&self) -> Result<(), DomainError> {
        blocking(&self.inner.store, |s| {
            s.set_local(PEER_ISSUED, &Issued::default())?;
            s.set_local(PEER_LINK, &PeerLink::default())
        })
        .await?;
        let mut st = self.st();
        st.issued = None;
        st.link = PeerLink::default();
        Ok(())
    }
}

/// The pairing key from the password, on the password workers (Argon2).
async fn password_key(password: &str, challenge: Challenge) -> Result<PairingKey, DomainError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || domain::auth::with_password_work(move || pairing::from_password(&password, &challenge)))
        .await
        .unwrap_or_else(|e| Err(DomainError::Storage(format!("password task failed: {e}"))))?
}
