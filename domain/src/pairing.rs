//! Pairing two MCUs by a standard augmented PAKE: OPAQUE (RFC 9807), through the
//! `opaque-ke` crate — ristretto255, 3DH, Argon2id as the key-stretching function. Nothing
//! here is a protocol of our own: this module only names the cipher suite, what the
//! transcript is bound to, and how the messages are carried.
//!
//! - Each MCU is the OPAQUE *server* for its own users: it keeps a secret [`ServerKeys`]
//!   (OPRF seed and 3DH key pair, in its secrets file, never in the database) and, per user,
//!   a *registration record* made when that user's password is set here ([`register`]).
//!   The record alone, or with the database's password hash, does not let anyone pair: the
//!   initiator must run Argon2 over the typed password to open it.
//! - The MCU being enabled is the OPAQUE *client* ([`ClientStart`], [`client_finish`]): it
//!   runs Argon2 with its own parameters (the responder sends none), and it checks the
//!   responder's answer before it sends anything that depends on the password. Someone who
//!   merely answers on the paired address therefore learns nothing it can test offline;
//!   each attempt is one online guess, counted under the login limits by the responder.
//! - Both sides put the two peer-link certificate fingerprints (the initiator's client
//!   certificate and the responder's server certificate, as each side sees them on its TLS
//!   connection) in the OPAQUE context ([`context`]): a relay that shows its own certificate
//!   to either side makes the key exchange fail, and nothing is pinned.
//!
//! The same module salts the G2 verifiers with a random value per request, so what the
//! Hot Backup checks exchange cannot be compared across pairs or over time.

use crate::DomainError;
use hmac::{Hmac, Mac};
use opaque_ke::ciphersuite::CipherSuite;
use opaque_ke::{
    ClientLogin, ClientLoginFinishParameters, ClientRegistration, ClientRegistrationFinishParameters,
    CredentialFinalization, CredentialRequest, CredentialResponse, Identifiers, ServerLogin, ServerLoginStartParameters, ServerRegistration, ServerSetup,
};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The cipher suite both MCUs of a pair use (a version change is a G1 difference anyway).
pub struct Suite;

impl CipherSuite for Suite {
    type OprfCs = opaque_ke::Ristretto255;
    type KeGroup = opaque_ke::Ristretto255;
    type KeyExchange = opaque_ke::key_exchange::tripledh::TripleDh;
    /// Argon2id with this version's own parameters (`Argon2::default()`): the initiator
    /// never takes parameters from the other side.
    type Ksf = argon2::Argon2<'static>;
}

/// The server identity both sides name in the key exchange.
const SERVER_ID: &[u8] = b"mcu-hot-backup-peer-link";

fn identifiers(user_key: &[u8]) -> Identifiers<'_> {
    Identifiers { client: Some(user_key), server: Some(SERVER_ID) }
}

/// How a user name enters OPAQUE: names compare without case.
pub fn user_key(user: &str) -> Vec<u8> {
    user.to_ascii_lowercase().into_bytes()
}

fn failed(what: &str) -> DomainError {
    DomainError::Conflict(format!("pairing: {what}"))
}

/// This MCU's OPAQUE server keys: made once, kept in its secrets file.
pub struct ServerKeys(ServerSetup<Suite>);

impl std::fmt::Debug for ServerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKeys(..)")
    }
}

impl ServerKeys {
    pub fn generate() -> ServerKeys {
        ServerKeys(ServerSetup::<Suite>::new(&mut OsRng))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0.serialize())
    }

    pub fn from_hex(s: &str) -> Result<ServerKeys, DomainError> {
        let bytes = hex::decode(s).map_err(|_| failed("the stored server keys are not hex"))?;
        ServerSetup::<Suite>::deserialize(&bytes).map(ServerKeys).map_err(|_| failed("the stored server keys are damaged"))
    }
}

/// The registration record of `user` with `password` on the MCU holding `keys` (both
/// OPAQUE roles run here, where the password was typed). Runs Argon2: call it on the
/// password workers.
pub fn register(keys: &ServerKeys, user: &str, password: &str) -> Result<Vec<u8>, DomainError> {
    let id = user_key(user);
    let start = ClientRegistration::<Suite>::start(&mut OsRng, password.as_bytes()).map_err(|_| failed("registration start"))?;
    let response = ServerRegistration::<Suite>::start(&keys.0, start.message, &id).map_err(|_| failed("registration"))?;
    let finish = start
        .state
        .finish(&mut OsRng, password.as_bytes(), response.message, ClientRegistrationFinishParameters::new(identifiers(&id), None))
        .map_err(|_| failed("registration finish"))?;
    Ok(ServerRegistration::<Suite>::finish(finish.message).serialize().to_vec())
}

/// What both sides bind the key exchange to: the initiator's and the responder's peer-link
/// certificate fingerprints, as each side sees them on its own TLS connection.
pub fn context(initiator_fingerprint: &str, responder_fingerprint: &str) -> Vec<u8> {
    let mut c = b"mcu hot backup pairing v2".to_vec();
    for part in [initiator_fingerprint, responder_fingerprint] {
        c.push(0);
        c.extend_from_slice(part.as_bytes());
    }
    c
}

/// The initiator between its two messages.
pub struct ClientStart {
    state: ClientLogin<Suite>,
    /// The first message (hex), to send in `pair/start`.
    pub request: String,
}

impl std::fmt::Debug for ClientStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientStart(..)")
    }
}

impl ClientStart {
    pub fn new(password: &str) -> Result<ClientStart, DomainError> {
        let start = ClientLogin::<Suite>::start(&mut OsRng, password.as_bytes()).map_err(|_| failed("login start"))?;
        Ok(ClientStart { request: hex::encode(start.message.serialize()), state: start.state })
    }
}

/// The initiator's second step: opens the responder's answer with the password and checks
/// the responder (it holds this user's record, and saw the same two certificates). On
/// success, the last message (hex) for `pair/finish`; on failure nothing is sent, so a
/// responder that is not the paired MCU learns nothing. Runs Argon2: password workers.
pub fn client_finish(start: ClientStart, user: &str, password: &str, response_hex: &str, context: &[u8]) -> Result<String, DomainError> {
    let bytes = hex::decode(response_hex).map_err(|_| failed("the answer is not hex"))?;
    let response = CredentialResponse::<Suite>::deserialize(&bytes).map_err(|_| failed("the answer is malformed"))?;
    let id = user_key(user);
    let finished = start
        .state
        .finish(password.as_bytes(), response, ClientLoginFinishParameters::new(Some(context), identifiers(&id), None))
        .map_err(|_| failed("the other MCU could not prove that it holds this user's password"))?;
    Ok(hex::encode(finished.message.serialize()))
}

/// The responder between its two messages.
pub struct ServerStart {
    state: ServerLogin<Suite>,
}

impl std::fmt::Debug for ServerStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerStart(..)")
    }
}

/// The responder's answer to `pair/start` (hex) and its state. Without a record (unknown
/// user, or none made yet) the answer is one that no password opens, indistinguishable
/// from a real one. No Argon2 here: a flood costs the caller, not the MCU.
pub fn server_start(
    keys: &ServerKeys,
    record: Option<&[u8]>,
    user: &str,
    request_hex: &str,
    context: &[u8],
) -> Result<(ServerStart, String), DomainError> {
    let bytes = hex::decode(request_hex).map_err(|_| DomainError::Invalid { field: "request", message: "not hex".into() })?;
    let request = CredentialRequest::<Suite>::deserialize(&bytes)
        .map_err(|_| DomainError::Invalid { field: "request", message: "malformed pairing request".into() })?;
    let record = record.and_then(|r| ServerRegistration::<Suite>::deserialize(r).ok());
    let id = user_key(user);
    let params = ServerLoginStartParameters { context: Some(context), identifiers: identifiers(&id) };
    let started = ServerLogin::start(&mut OsRng, &keys.0, record, request, &id, params).map_err(|_| failed("login start"))?;
    Ok((ServerStart { state: started.state }, hex::encode(started.message.serialize())))
}

/// Whether the initiator's last message proves the password (and the same certificates).
pub fn server_finish(start: ServerStart, finalization_hex: &str) -> bool {
    let Ok(bytes) = hex::decode(finalization_hex) else { return false };
    let Ok(message) = CredentialFinalization::<Suite>::deserialize(&bytes) else { return false };
    start.state.finish(message).is_ok()
}

/// A fresh random value (nonce, credential, salt): 32 bytes, hex.
pub fn random_hex() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// Whether `v` has the form [`random_hex`] gives (what a peer sends as a nonce or salt).
pub fn is_random_hex(v: &str) -> bool {
    v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit())
}

fn mac(key: &[u8]) -> HmacSha256 {
    <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes a key of any length")
}

/// A G2 verifier as it crosses the link: keyed by the request's random salt, so the same
/// user and password give a different value in every exchange. Empty stays empty (a user
/// without a verifier never matches).
pub fn salted_verifier(salt: &str, verifier: &str) -> String {
    if verifier.is_empty() {
        return String::new();
    }
    let mut m = mac(salt.as_bytes());
    m.update(verifier.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// The users' G2 verifiers keyed by `salt`, as they cross the link.
pub fn salted_fingerprints(salt: &str, users: Vec<crate::hotbackup::UserFingerprint>) -> Vec<crate::hotbackup::UserFingerprint> {
    users.into_iter().map(|u| crate::hotbackup::UserFingerprint { verifier: salted_verifier(salt, &u.verifier), ..u }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PW: &str = "right-pass-1";
    const FA: &str = "AA:AA";
    const FB: &str = "BB:BB";

    /// One pairing attempt: the initiator types `typed`, the responder holds `keys` and
    /// `record`; each side sees the fingerprints it is given. The initiator's result.
    fn attempt(keys: &ServerKeys, record: Option<&[u8]>, typed: &str, seen_by_initiator: (&str, &str), seen_by_responder: (&str, &str)) -> Result<bool, DomainError> {
        let start = ClientStart::new(typed)?;
        let (server, answer) = server_start(keys, record, "Admin", &start.request, &context(seen_by_responder.0, seen_by_responder.1))?;
        let last = client_finish(start, "admin", typed, &answer, &context(seen_by_initiator.0, seen_by_initiator.1))?;
        Ok(server_finish(server, &last))
    }

    #[test]
    fn the_right_password_pairs_and_a_wrong_one_is_stopped_at_the_initiator() {
        let keys = ServerKeys::generate();
        let record = register(&keys, "admin", PW).expect("record");
        assert!(attempt(&keys, Some(&record), PW, (FA, FB), (FA, FB)).expect("paired"));
        // A wrong password fails before the initiator sends its last message.
        assert!(attempt(&keys, Some(&record), "wrong-pass-1", (FA, FB), (FA, FB)).is_err());
    }

    #[test]
    fn an_impostor_without_the_record_cannot_answer_and_gets_nothing_to_test() {
        // The impostor has its own keys and a record for a password of its choosing, or none.
        let impostor = ServerKeys::generate();
        let guess = register(&impostor, "admin", "guess-pass-1").expect("record");
        assert!(attempt(&impostor, Some(&guess), PW, (FA, FB), (FA, FB)).is_err());
        assert!(attempt(&impostor, None, PW, (FA, FB), (FA, FB)).is_err());
    }

    #[test]
    fn a_stolen_record_and_keys_do_not_pair_without_the_password() {
        let keys = ServerKeys::generate();
        let record = register(&keys, "admin", PW).expect("record");
        // Whoever copied both still has to type a password; the record itself is not one.
        let as_text = hex::encode(&record);
        assert!(attempt(&keys, Some(&record), &as_text, (FA, FB), (FA, FB)).is_err());
        assert!(attempt(&keys, Some(&record), "", (FA, FB), (FA, FB)).is_err());
    }

    #[test]
    fn a_relay_with_its_own_certificate_makes_the_exchange_fail() {
        let keys = ServerKeys::generate();
        let record = register(&keys, "admin", PW).expect("record");
        // The initiator saw the relay's certificate; the responder saw the relay as client.
        assert!(attempt(&keys, Some(&record), PW, (FA, "RELAY"), ("RELAY", FB)).is_err());
        assert!(attempt(&keys, Some(&record), PW, (FA, "RELAY"), (FA, FB)).is_err());
    }

    #[test]
    fn server_keys_survive_a_round_trip_and_garbage_is_refused() {
        let keys = ServerKeys::generate();
        let record = register(&keys, "admin", PW).expect("record");
        let again = ServerKeys::from_hex(&keys.to_hex()).expect("keys");
        assert!(attempt(&again, Some(&record), PW, (FA, FB), (FA, FB)).expect("paired"));
        assert!(ServerKeys::from_hex("zz").is_err());
        assert!(ServerKeys::from_hex("00").is_err());
        assert!(server_start(&keys, Some(&record), "admin", "not hex", b"c").is_err());
        assert!(server_start(&keys, Some(&record), "admin", "0011", b"c").is_err());
        let start = ClientStart::new(PW).expect("start");
        let (server, _) = server_start(&keys, Some(&record), "admin", &start.request, b"c").expect("start");
        assert!(!server_finish(server, "00"));
    }

    #[test]
    fn salted_verifiers_differ_per_salt_and_match_per_value() {
        assert_eq!(salted_verifier("s1", "v"), salted_verifier("s1", "v"));
        assert_ne!(salted_verifier("s1", "v"), salted_verifier("s2", "v"));
        assert_ne!(salted_verifier("s1", "v"), salted_verifier("s1", "w"));
        assert_eq!(salted_verifier("s1", ""), "");
    }
}
