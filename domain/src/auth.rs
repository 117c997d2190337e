//! Password hashing (Argon2id, PHC strings) and session tokens.

use crate::DomainError;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub fn hash_password(password: &str) -> Result<String, DomainError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| DomainError::Storage(format!("password hashing failed: {e}")))
}

/// Whether `password` matches the stored PHC string. A malformed stored hash never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A value that is equal on two MCUs exactly when the same user has the same password on
/// both, so Hot Backup can check G2 without either side revealing a password or its
/// (randomly salted) hash. Argon2id with a salt derived from the user name: slow to guess,
/// and different users with the same password get different verifiers.
pub fn password_verifier(user: &str, password: &str) -> Result<String, DomainError> {
    let digest = Sha256::digest(format!("mcu-hot-backup-g2\0{}", user.to_ascii_lowercase()).as_bytes());
    let salt = SaltString::encode_b64(&digest[..16])
        .map_err(|e| DomainError::Storage(format!("verifier salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.hash.map(|o| hex::encode(o.as_bytes())).unwrap_or_default())
        .map_err(|e| DomainError::Storage(format!("password verifier failed: {e}")))
}

/// A new random session token (256 bits, hex) for the cookie.
pub fn new_session_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the database keeps of a token: its SHA-256, so a copy of the database holds no
/// usable session.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_only_the_same_password() {
        let h = hash_password("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct horsE", &h));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn verifiers_match_only_for_same_user_and_password() {
        let a = password_verifier("Ops", "pass-word-1").expect("v");
        assert_eq!(a, password_verifier("ops", "pass-word-1").expect("v"), "names compare without case");
        assert_ne!(a, password_verifier("ops", "pass-word-2").expect("v"));
        assert_ne!(a, password_verifier("ops2", "pass-word-1").expect("v"));
        assert!(!a.contains("pass-word-1") && a.len() == 64);
    }

    #[test]
    fn tokens_are_random_and_digested() {
        let a = new_session_token();
        let b = new_session_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_ne!(token_digest(&a), a);
        assert_eq!(token_digest(&a), token_digest(&a));
    }
}
