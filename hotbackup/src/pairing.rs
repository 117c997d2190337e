//! Pairing and the pairing credential.
//!
//! Enabling Hot Backup on an MCU pairs it with the other one (it is the *initiator*, the
//! other the *responder*) by OPAQUE (see `domain::pairing`): two calls over mutually
//! authenticated TLS, in which the initiator proves it knows an Administrator's password
//! and the responder proves it holds that user's registration record, both bound to the two
//! peer-link certificates. The password never crosses, and someone answering in the
//! responder's place learns nothing it could test offline. The responder then issues a
//! **pairing credential**: random, not a session, accepted only on `/peer/v1/*` and only
//! from the client certificate that paired; kept on the responder as a digest, on the
//! initiator in its secrets file. Each enable issues a new one (the old one stops working);
//! disabling revokes it. Each MCU pairs when it is enabled, so each holds a credential for
//! the other and pins the other's certificate.

use crate::transport::CallError;
use crate::engine::HotBackup;
use crate::store_task::blocking;
use crate::error::PeerError;
use crate::link::{Guess, Issued, PeerLink, Pending, PEER_ISSUED, PEER_LINK};
use domain::alarms::AlarmCode;
use domain::hotbackup::{PairChallenge, PairFinish, PairGranted, PairStart};
use domain::pairing::{self, ClientStart};
use domain::{DomainError, Role};
use std::time::Duration;
use tokio::time::Instant;

/// Pairings started and not finished that the responder remembers (oldest forgotten first).
const PENDING: usize = 16;
/// Time the initiator has between the two steps.
const PENDING_FOR: Duration = Duration::from_secs(30);

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
        let typed = password.to_string();
        let client = on_password_workers(move || ClientStart::new(&typed)).await?;
        let start = PairStart { user: user.to_string(), version: self.inner.me.version.clone(), nonce: nonce.clone(), request: client.request.clone() };
        let (answer, seen) = self.pair_start_of(peer, &start, timeout).await.map_err(|e| pairing_refused(peer, user, e))?;
        let mine = self.inner.me.fingerprint.clone();
        if seen == mine {
            return Err(DomainError::Conflict(format!(
                "G3: the paired MCU address {peer} is this MCU itself (the same certificate answers there). Give the other MCU's address."
            )));
        }
        let context = pairing::context(&mine, &seen);
        let (who, typed) = (user.to_string(), password.to_string());
        let response = answer.response.clone();
        let finalization = on_password_workers(move || pairing::client_finish(client, &who, &typed, &response, &context)).await.map_err(|_| {
            let why = format!(
                "The MCU at {peer} (certificate {seen}) could not prove that it holds '{user}' with this password: either the password differs there (G2), or something other than the paired MCU answers there or relays the link. Nothing was sent that depends on the password, and nothing was paired."
            );
            self.refused_event(&why);
            DomainError::Conflict(why)
        })?;
        let finish = PairFinish { user: user.to_string(), initiator_nonce: nonce, responder_nonce: answer.nonce, finalization };
        let granted = self.pair_finish_of(peer, &seen, &finish, timeout).await.map_err(|e| pairing_refused(peer, user, e))?;
        if !pairing::is_random_hex(&granted.credential) {
            return Err(DomainError::Conflict(format!("The MCU at {peer} answered with a malformed pairing credential; nothing was paired.")));
        }
        self.security_audit(format!("Paired as '{user}' with the MCU at {peer} (certificate {seen}); it issued this MCU a new pairing credential."), true);
        Ok(PeerLink { user: user.to_string(), credential: granted.credential, pin: seen })
    }

    /// `POST /peer/v1/pair/start` (the responder's side), from the client certificate
    /// `client`: the OPAQUE answer for `user` (one no password opens for an unknown user).
    /// Costs no password work. `guess` learns how the attempt ends.
    pub async fn serve_pair_start(&self, s: PairStart, client: &str, guess: Guess) -> Result<PairChallenge, PeerError> {
        if s.version != self.inner.me.version {
            return Err(PeerError::Conflict(format!(
                "G1: the MCUs run different software versions: the paired MCU {}, this MCU {}.",
                s.version, self.inner.me.version
            )));
        }
        if !pairing::is_random_hex(&s.nonce) {
            return Err(PeerError::BadRequest("malformed pairing nonce".into()));
        }
        if client.is_empty() {
            return Err(PeerError::Unauthorized("pairing needs the caller's peer-link certificate".into()));
        }
        if client == self.inner.me.fingerprint {
            return Err(PeerError::Conflict("G3: the caller is this MCU itself (its own certificate called it): give the other MCU's address.".into()));
        }
        let user = s.user.clone();
        let domain::store::PairingRecord { keys, record, role } = blocking(&self.inner.store, move |st| st.pairing_record(&user)).await?;
        let context = pairing::context(client, &self.inner.me.fingerprint);
        let (server, response) = pairing::server_start(&keys, record.as_deref(), &s.user, &s.request, &context)
            .map_err(|e| PeerError::BadRequest(e.to_string()))?;
        // (The server has let the expired attempts go before admitting this one: see
        // `expire_pairings`.)
        let nonce = pairing::random_hex();
        let evicted = {
            let mut pending = self.inner.pending.lock().unwrap_or_else(|p| p.into_inner());
            let mut gone: Vec<Pending> = Vec::new();
            if pending.len() >= PENDING {
                gone.extend(pending.pop_front());
            }
            pending.push_back(Pending {
                responder_nonce: nonce.clone(),
                initiator_nonce: s.nonce,
                user: s.user,
                client: client.to_string(),
                role: record.is_some().then_some(role).flatten(),
                server: Some(server),
                guess: Some(guess),
                at: Instant::now(),
            });
            gone
        };
        // Outside the lock: their outcomes reach the login limits.
        drop(evicted);
        Ok(PairChallenge { response, nonce })
    }

    /// Forgets the pairings begun more than 30 s ago: each counts as a failed guess (the
    /// server calls this before it admits a new attempt, so an attempt never finished
    /// does not stay pending in the login limits).
    pub fn expire_pairings(&self) {
        let gone: Vec<Pending> = {
            let mut pending = self.inner.pending.lock().unwrap_or_else(|p| p.into_inner());
            let (old, keep): (Vec<Pending>, Vec<Pending>) = pending.drain(..).partition(|p| p.at.elapsed() >= PENDING_FOR);
            pending.extend(keep);
            old
        };
        drop(gone);
    }

    /// `POST /peer/v1/pair/finish` (the responder's side), from the client certificate
    /// `client`: checks the initiator's last message and issues a new pairing credential
    /// bound to that certificate, which replaces (revokes) the one issued before.
    pub async fn serve_pair_finish(&self, f: PairFinish, client: &str) -> Result<PairGranted, PeerError> {
        let found = {
            let mut pending = self.inner.pending.lock().unwrap_or_else(|p| p.into_inner());
            let i = pending.iter().position(|p| {
                p.responder_nonce == f.responder_nonce && p.initiator_nonce == f.initiator_nonce && p.user.eq_ignore_ascii_case(&f.user)
            });
            i.and_then(|i| pending.remove(i))
        };
        let Some(mut p) = found.filter(|p| p.at.elapsed() < PENDING_FOR) else {
            return Err(PeerError::BadRequest("no pairing under way with these nonces (they last 30 s and are used once): start again".into()));
        };
        let proven = p.client == client && p.server.take().is_some_and(|s| pairing::server_finish(s, &f.finalization));
        p.outcome(proven);
        let refused = |why: String| {
            self.refused(&why);
            PeerError::Unauthorized("wrong user name or password".into())
        };
        if !proven {
            return Err(refused(format!(
                "A pairing as '{}' from the MCU whose certificate is {client} failed its proof (wrong password, unknown user, or a relay).",
                p.user
            )));
        }
        match p.role {
            Some(Role::Administrator) => {}
            _ => return Err(refused(format!("A pairing as '{}' was refused: that user is not an Administrator here.", p.user))),
        }
        let credential = pairing::random_hex();
        let issued = Issued {
            digest: domain::auth::token_digest(&credential),
            user: p.user.clone(),
            fingerprint: client.to_string(),
            at_ms: domain::store::now_ms(),
        };
        let saved = issued.clone();
        blocking(&self.inner.store, move |s| s.set_local(PEER_ISSUED, &saved)).await?;
        self.st().issued = Some(issued);
        let what = format!("Paired by '{}' from the MCU whose certificate is {client}; issued it a new pairing credential, and any earlier one no longer works.", p.user);
        self.event(what.clone());
        self.security_audit(what, true);
        Ok(PairGranted { credential })
    }

    /// Checks a peer-link call: the credential this MCU issued at the last pairing,
    /// presented from the client certificate that paired (`client`). Browser sessions,
    /// earlier credentials and a credential replayed from another key are refused, with an
    /// alarm.
    pub async fn authorize(&self, credential: Option<&str>, client: &str) -> Result<(), PeerError> {
        let Some(credential) = credential else {
            return Err(PeerError::Unauthorized("the peer link needs the pairing credential".into()));
        };
        let digest = domain::auth::token_digest(credential);
        let verdict = match &self.st().issued {
            // Digests of a random value: comparing them leaks nothing about the credential.
            Some(i) if i.digest == digest && i.fingerprint == client => Ok(()),
            Some(i) if i.digest == digest => Err(format!(
                "The pairing credential was presented from certificate {client}, not from the paired MCU's {}: refused.",
                i.fingerprint
            )),
            _ => Err(format!("A peer-link call from certificate {client} carried a pairing credential that is not valid here (any more).")),
        };
        verdict.map_err(|why| {
            self.refused(&why);
            PeerError::Unauthorized("the pairing credential is not valid here (any more): enable Hot Backup again on the paired MCU".into())
        })
    }

    /// A refusal on the peer link: an alarm (one-off, counted while unacknowledged) and an
    /// audit entry.
    fn refused(&self, why: &str) {
        use std::sync::atomic::Ordering;
        tracing::warn!(why, "peer link refused a caller");
        self.refused_event(why);
        let now = u64::try_from(domain::store::now_ms()).unwrap_or(0);
        let last = self.inner.refused_audit_ms.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= 1000
            && self.inner.refused_audit_ms.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
        {
            self.security_audit(why.to_string(), false);
        }
    }

    fn refused_event(&self, why: &str) {
        self.alarms().raise(AlarmCode::PeerLinkRefused, why);
    }

    /// A security event in the audit trail (pairing, credentials), written in the background.
    pub(crate) fn security_audit(&self, summary: String, ok: bool) {
        let by = domain::audit::By::system(&self.inner.me.name);
        let e = domain::audit::entry(domain::store::now_ms(), by, domain::audit::AuditKind::HotBackup, &summary, ok);
        let store = self.inner.store.clone();
        tokio::spawn(async move {
            if let Err(err) = blocking(&store, move |s| s.audit(&e)).await {
                tracing::error!(error = %err, "the audit trail could not be written");
            }
        });
    }

    /// Forgets the pairing both ways: the credential this MCU issued stops working, and the
    /// one it held is dropped (disable).
    pub(crate) async fn revoke_pairing(&self) -> Result<(), DomainError> {
        blocking(&self.inner.store, |s| {
            s.set_local(PEER_ISSUED, &Issued::default())?;
            s.set_secret(PEER_LINK, &PeerLink::default())
        })
        .await?;
        {
            let mut st = self.st();
            st.issued = None;
            st.link = PeerLink::default();
        }
        self.security_audit("Hot Backup disabled: the pairing credential this MCU issued is revoked, and the one it held is dropped.".into(), true);
        Ok(())
    }
}

/// Runs `f` (OPAQUE with Argon2) on the password workers.
async fn on_password_workers<T: Send + 'static>(f: impl FnOnce() -> Result<T, DomainError> + Send + 'static) -> Result<T, DomainError> {
    tokio::task::spawn_blocking(move || domain::auth::with_password_work(f))
        .await
        .unwrap_or_else(|e| Err(DomainError::Storage(format!("password task failed: {e}"))))?
}
