//! Pairing two MCUs without the administrator's password crossing the network.
//!
//! The MCU being paired with (the responder) keeps each user's Argon2id hash. It tells the
//! initiator that hash's salt and parameters; the initiator, knowing the password, computes
//! the same hash. Both derive a key from it and prove knowledge of that key with an HMAC
//! over a transcript that names the two certificate fingerprints each side sees on the
//! TLS connection — so a relay in the middle (which shows each side its own certificate)
//! makes the proofs disagree, and the pairing fails instead of pinning the wrong
//! certificate. The responder does no Argon2 work at all: a flood of pairing attempts costs
//! the attacker, not the MCU.
//!
//! The same module salts the G2 verifiers with a random value per request, so what the
//! Hot Backup checks exchange cannot be compared across pairs or over time.

use crate::auth::password_params_ok;
use crate::DomainError;
use argon2::password_hash::{PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Params, Version};
use hmac::{Hmac, Mac};
use rand::RngCore;
pub use crate::hotbackup::Challenge;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The key both sides derive from the user's password hash.
#[derive(Clone)]
pub struct PairingKey([u8; 32]);

impl std::fmt::Debug for PairingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PairingKey(..)")
    }
}

fn mac(key: &[u8]) -> HmacSha256 {
    <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes a key of any length")
}

fn derive(hash_output: &[u8]) -> PairingKey {
    let mut m = mac(hash_output);
    m.update(b"mcu hot backup pairing key v1");
    PairingKey(m.finalize().into_bytes().into())
}

/// The responder's side: the challenge and key for a stored PHC string (`None` when the
/// string is not an Argon2id hash this version can use).
pub fn from_stored(phc: &str) -> Option<(Challenge, PairingKey)> {
    let parsed = PasswordHash::new(phc).ok()?;
    if parsed.algorithm.as_str() != "argon2id" {
        return None;
    }
    let num = |k: &str| parsed.params.get_decimal(k);
    let (m_kib, t, p) = (num("m")?, num("t")?, num("p")?);
    let output = parsed.hash?;
    let salt = parsed.salt?.as_str().to_string();
    let challenge = Challenge { salt, m_kib, t, p, len: output.len() as u32 };
    if !password_params_ok(challenge.m_kib, challenge.t, challenge.p, challenge.len) {
        return None;
    }
    Some((challenge, derive(output.as_bytes())))
}

/// A challenge for a user that does not exist, looking like a real one and the same each
/// time for the same name (so asking twice does not tell the two cases apart).
pub fn decoy(secret: &[u8; 32], user: &str) -> Challenge {
    let mut m = mac(secret);
    m.update(b"decoy salt\0");
    m.update(user.to_ascii_lowercase().as_bytes());
    let bytes = m.finalize().into_bytes();
    let encoded = argon2::password_hash::SaltString::encode_b64(&bytes[..Salt::RECOMMENDED_LENGTH])
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    let d = Params::default();
    Challenge { salt: encoded, m_kib: d.m_cost(), t: d.t_cost(), p: d.p_cost(), len: Params::DEFAULT_OUTPUT_LEN as u32 }
}

/// The initiator's side: the key from the password and the responder's challenge. Runs
/// Argon2 (call it on the password workers). Refuses parameters outside what this version
/// would itself use, so a responder cannot make the initiator spend gigabytes.
pub fn from_password(password: &str, c: &Challenge) -> Result<PairingKey, DomainError> {
    if !password_params_ok(c.m_kib, c.t, c.p, c.len) {
        return Err(DomainError::Conflict("the paired MCU asked for password hash parameters out of range".into()));
    }
    let salt = Salt::from_b64(&c.salt).map_err(|_| DomainError::Conflict("the paired MCU sent a malformed salt".into()))?;
    let mut buf = [0u8; 64];
    let salt = salt.decode_b64(&mut buf).map_err(|_| DomainError::Conflict("the paired MCU sent a malformed salt".into()))?;
    let params = Params::new(c.m_kib, c.t, c.p, Some(c.len as usize))
        .map_err(|e| DomainError::Conflict(format!("password hash parameters: {e}")))?;
    let mut out = vec![0u8; c.len as usize];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(password.as_bytes(), salt, &mut out)
        .map_err(|e| DomainError::Storage(format!("password hashing failed: {e}")))?;
    Ok(derive(&out))
}

/// Everything both proofs cover: who pairs, both nonces, and the certificate fingerprint
/// each side presents (as the initiator saw the responder's on its connection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript<'a> {
    pub user: &'a str,
    pub initiator_nonce: &'a str,
    pub responder_nonce: &'a str,
    pub initiator_fingerprint: &'a str,
    pub responder_fingerprint: &'a str,
}

/// Which side a proof is from (the two proofs differ, so one cannot be echoed as the other).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Initiator,
    Responder,
}

fn mac_over(key: &PairingKey, side: Side, t: &Transcript<'_>) -> HmacSha256 {
    let mut m = mac(&key.0);
    m.update(match side {
        Side::Initiator => b"initiator" as &[u8],
        Side::Responder => b"responder",
    });
    for part in [t.user.to_ascii_lowercase().as_str(), t.initiator_nonce, t.responder_nonce, t.initiator_fingerprint, t.responder_fingerprint] {
        m.update(&[0]);
        m.update(part.as_bytes());
    }
    m
}

/// The proof `side` sends (hex).
pub fn proof(key: &PairingKey, side: Side, t: &Transcript<'_>) -> String {
    hex::encode(mac_over(key, side, t).finalize().into_bytes())
}

/// Whether `claimed` is `side`'s proof for this transcript (compared in constant time).
pub fn check(key: &PairingKey, side: Side, t: &Transcript<'_>, claimed: &str) -> bool {
    match hex::decode(claimed) {
        Ok(bytes) => mac_over(key, side, t).verify_slice(&bytes).is_ok(),
        Err(_) => false,
    }
}

/// A fresh random value (nonce, credential, salt): 32 bytes, hex.
pub fn random_hex() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// Whether `v` has the form [`random_hex`] gives (what a peer sends as a nonce or salt).
pub fn is_random_hex(v: &str) -> bool {
    v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn transcript<'a>(fa: &'a str, fb: &'a str) -> Transcript<'a> {
        Transcript { user: "Admin", initiator_nonce: "n1", responder_nonce: "n2", initiator_fingerprint: fa, responder_fingerprint: fb }
    }

    #[test]
    fn the_password_gives_the_key_the_stored_hash_gives() {
        let phc = crate::auth::hash_password("right-pass-1").expect("hash");
        let (challenge, stored) = from_stored(&phc).expect("an argon2id hash");
        let right = from_password("right-pass-1", &challenge).expect("key");
        let wrong = from_password("wrong-pass-1", &challenge).expect("key");
        let t = transcript("AA", "BB");
        let p = proof(&right, Side::Initiator, &t);
        assert!(check(&stored, Side::Initiator, &t, &p), "the right password proves itself");
        assert!(!check(&stored, Side::Initiator, &t, &proof(&wrong, Side::Initiator, &t)), "a wrong one does not");
        assert!(!check(&stored, Side::Responder, &t, &p), "an initiator's proof is not a responder's");
    }

    #[test]
    fn a_relay_in_the_middle_makes_the_proofs_disagree() {
        let phc = crate::auth::hash_password("right-pass-1").expect("hash");
        let (challenge, stored) = from_stored(&phc).expect("hash");
        let key = from_password("right-pass-1", &challenge).expect("key");
        // The initiator saw the relay's certificate, the responder knows its own.
        let seen = proof(&key, Side::Initiator, &transcript("AA", "RELAY"));
        assert!(!check(&stored, Side::Initiator, &transcript("AA", "BB"), &seen));
        assert!(!check(&stored, Side::Initiator, &transcript("AA", "BB"), "not hex"));
    }

    #[test]
    fn decoys_look_like_challenges_and_do_not_vary() {
        let secret = [7u8; 32];
        let a = decoy(&secret, "nobody");
        assert_eq!(a, decoy(&secret, "NOBODY"));
        assert_ne!(a.salt, decoy(&secret, "someone").salt);
        let real = from_stored(&crate::auth::hash_password("x-pass-123").expect("hash")).expect("hash").0;
        assert_eq!((a.m_kib, a.t, a.p, a.len, a.salt.len()), (real.m_kib, real.t, real.p, real.len, real.salt.len()));
        from_password("anything", &a).expect("a decoy is usable");
    }

    #[test]
    fn parameters_out_of_range_are_refused_before_any_work() {
        let c = Challenge { salt: "c2FsdHNhbHRzYWx0".into(), m_kib: 4 * 1024 * 1024, t: 2, p: 1, len: 32 };
        assert!(from_password("pw", &c).is_err());
        assert!(from_password("pw", &Challenge { salt: "%%%".into(), m_kib: 19456, t: 2, p: 1, len: 32 }).is_err());
    }

    #[test]
    fn salted_verifiers_differ_per_salt_and_match_per_value() {
        assert_eq!(salted_verifier("s1", "v"), salted_verifier("s1", "v"));
        assert_ne!(salted_verifier("s1", "v"), salted_verifier("s2", "v"));
        assert_ne!(salted_verifier("s1", "v"), salted_verifier("s1", "w"));
        assert_eq!(salted_verifier("s1", ""), "");
    }
}
