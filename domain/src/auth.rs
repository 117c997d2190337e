//! Password hashing (Argon2id, PHC strings) and session tokens.

use crate::DomainError;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Mutex, OnceLock};

/// Threads that compute password hashes (each Argon2 run holds about 19 MiB).
pub const HASH_WORKERS: usize = 2;
/// Hashes that may wait for a worker; one more is refused at once as busy.
pub const HASH_QUEUE: usize = 8;
/// Seconds a caller refused as busy is told to wait (`Retry-After`).
pub const BUSY_RETRY_S: u64 = 1;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Password work: a few dedicated threads behind a short queue. However many logins arrive
/// at once, at most `workers + queue` hashes are running or waiting, and only these
/// threads ever hold Argon2's memory. The process has one ([`with_password_work`]).
pub struct PasswordWork {
    queue: SyncSender<Job>,
}

impl PasswordWork {
    pub fn new(workers: usize, queue: usize) -> PasswordWork {
        let (tx, jobs) = mpsc::sync_channel::<Job>(queue);
        let jobs = std::sync::Arc::new(Mutex::new(jobs));
        for i in 0..workers {
            let jobs = jobs.clone();
            let spawned = std::thread::Builder::new().name(format!("password-{i}")).spawn(move || loop {
                let job = match jobs.lock() {
                    Ok(rx) => rx.recv(),
                    Err(p) => p.into_inner().recv(),
                };
                match job {
                    // A panicking job must not take the worker with it.
                    Ok(job) => {
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                    Err(_) => return,
                }
            });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password worker");
            }
        }
        PasswordWork { queue: tx }
    }

    /// Queues `f`; its result arrives on the receiver. Refused at once with
    /// [`DomainError::Busy`] when the queue is full, before any work is done.
    pub fn submit<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<Receiver<T>, DomainError> {
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        match self.queue.try_send(job) {
            Ok(()) => Ok(rx),
            Err(TrySendError::Full(_)) => Err(DomainError::Busy(format!(
                "The MCU is busy checking other logins. Try again in {BUSY_RETRY_S} s."
            ))),
            Err(TrySendError::Disconnected(_)) => Err(DomainError::Storage("no password worker is running".into())),
        }
    }

    /// Queues `f` and waits for its result.
    pub fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, DomainError> {
        self.submit(f)?.recv().map_err(|_| DomainError::Storage("a password worker stopped".into()))
    }
}

/// Runs `f` (password hashing or verification) on the process's password workers
/// ([`HASH_WORKERS`] threads, [`HASH_QUEUE`] waiting) and waits for it; busy when full.
pub fn with_password_work<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, DomainError> {
    static WORK: OnceLock<PasswordWork> = OnceLock::new();
    WORK.get_or_init(|| PasswordWork::new(HASH_WORKERS, HASH_QUEUE)).run(f)
}

pub fn hash_password(password: &str) -> Result<String, DomainError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| DomainError::Storage(format!("password hashing failed: {e}")))
}

/// Whether Argon2id parameters are within what this version uses itself (memory at most
/// 64 MiB, at most 10 passes and 4 lanes, a 16–64 byte output): anything else is refused
/// before any work, so a peer cannot ask for an expensive hash.
pub fn password_params_ok(m_kib: u32, t: u32, p: u32, len: u32) -> bool {
    (1..=4).contains(&p) && (8 * p..=64 * 1024).contains(&m_kib) && (1..=10).contains(&t) && (16..=64).contains(&len)
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
/// and different users with the same password get different verifiers. The two MCUs
/// compute it apart, before they know each other, so its salt can only come from what both
/// have (the user name); it is therefore kept in the secrets file, never in the database
/// or a backup, and crosses the link only keyed by a fresh random salt per request.
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
    fn password_work_is_bounded_and_refuses_when_full() {
        let work = PasswordWork::new(2, 3);
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let release_rx = std::sync::Arc::new(Mutex::new(release_rx));
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let mut pending = Vec::new();
        // Two jobs hold both workers until released...
        for _ in 0..2 {
            let (rx, started) = (release_rx.clone(), started_tx.clone());
            pending.push(
                work.submit(move || {
                    let _ = started.send(());
                    let _ = rx.lock().map(|r| r.recv());
                    1
                })
                .expect("admitted"),
            );
        }
        for _ in 0..2 {
            started_rx.recv_timeout(std::time::Duration::from_secs(10)).expect("a worker started");
        }
        // ...three more wait in the queue, and the next one is refused at once.
        for _ in 0..3 {
            pending.push(work.submit(|| 1).expect("queued"));
        }
        assert!(matches!(work.submit(|| 1), Err(DomainError::Busy(_))));
        for _ in 0..2 {
            let _ = release_tx.send(());
        }
        let done: i32 = pending.into_iter().map(|rx| rx.recv().expect("result")).sum();
        assert_eq!(done, 5);
        assert_eq!(work.run(|| 7).expect("free again"), 7);
        // A panicking job answers nothing but leaves the worker running.
        assert!(work.run(|| -> i32 { panic!("boom") }).is_err());
        assert_eq!(work.run(|| 8).expect("still running"), 8);
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
