//! Failed-login rate limiting, per login name. After [`MAX_FAILURES`] failures within
//! [`WINDOW`], further attempts for that name are refused for [`LOCKOUT`], even with the
//! right password. Time is passed in, so tests need no sleeping.

use std::collections::HashMap;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: u32 = 5;
pub const WINDOW: Duration = Duration::from_secs(300);
pub const LOCKOUT: Duration = Duration::from_secs(30);
/// Bound on remembered names, so a flood of made-up names cannot grow memory without limit.
const MAX_TRACKED: usize = 10_000;

#[derive(Debug, Default)]
pub struct LoginThrottle {
    entries: HashMap<String, Entry>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    first: Instant,
    locked_until: Option<Instant>,
}

impl LoginThrottle {
    fn key(name: &str) -> String {
        name.trim().to_ascii_lowercase()
    }

    /// `Err(seconds)` while `name` is locked out.
    pub fn check(&self, name: &str, now: Instant) -> Result<(), u64> {
        match self.entries.get(&Self::key(name)).and_then(|e| e.locked_until) {
            Some(until) if until > now => Err((until - now).as_secs().max(1)),
            _ => Ok(()),
        }
    }

    pub fn record_failure(&mut self, name: &str, now: Instant) {
        if self.entries.len() >= MAX_TRACKED {
            self.entries.retain(|_, e| now.duration_since(e.first) < WINDOW || e.locked_until.is_some_and(|u| u > now));
        }
        let e = self.entries.entry(Self::key(name)).or_insert(Entry { failures: 0, first: now, locked_until: None });
        let lock_over = e.locked_until.is_some_and(|u| u <= now);
        if lock_over || now.duration_since(e.first) >= WINDOW {
            *e = Entry { failures: 0, first: now, locked_until: None };
        }
        e.failures += 1;
        if e.failures >= MAX_FAILURES {
            e.locked_until = Some(now + LOCKOUT);
        }
    }

    pub fn record_success(&mut self, name: &str) {
        self.entries.remove(&Self::key(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_repeated_failures_then_releases() {
        let mut t = LoginThrottle::default();
        let t0 = Instant::now();
        for i in 0..MAX_FAILURES - 1 {
            t.record_failure("Admin", t0 + Duration::from_secs(i.into()));
            assert!(t.check("admin", t0).is_ok());
        }
        t.record_failure("ADMIN", t0 + Duration::from_secs(10));
        let wait = t.check("admin", t0 + Duration::from_secs(11)).expect_err("locked");
        assert!(wait >= 1 && wait <= LOCKOUT.as_secs());
        assert!(t.check("other", t0 + Duration::from_secs(11)).is_ok(), "other names unaffected");
        assert!(t.check("admin", t0 + Duration::from_secs(10) + LOCKOUT).is_ok());
        // After the lockout the count starts again: one failure does not lock.
        t.record_failure("admin", t0 + Duration::from_secs(50));
        assert!(t.check("admin", t0 + Duration::from_secs(51)).is_ok());
    }

    #[test]
    fn failures_outside_the_window_do_not_add_up() {
        let mut t = LoginThrottle::default();
        let t0 = Instant::now();
        for i in 0..MAX_FAILURES - 1 {
            t.record_failure("op", t0 + Duration::from_secs(i.into()));
        }
        t.record_failure("op", t0 + WINDOW + Duration::from_secs(1));
        assert!(t.check("op", t0 + WINDOW + Duration::from_secs(2)).is_ok());
    }

    #[test]
    fn success_clears_the_count() {
        let mut t = LoginThrottle::default();
        let t0 = Instant::now();
        for _ in 0..MAX_FAILURES - 1 {
            t.record_failure("op", t0);
        }
        t.record_success("op");
        t.record_failure("op", t0);
        assert!(t.check("op", t0).is_ok());
    }
}
