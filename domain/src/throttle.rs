//! Failed-login limiting, per (login name, client address) and per client address.
//!
//! An attempt is admitted and counted in one step ([`LoginThrottle::begin`]): it counts as
//! pending until [`LoginThrottle::finish`] says how it ended, so parallel guesses cannot get
//! past the limit while the first ones are still being checked. Throttling one address
//! never locks the same user out from another: the right password from elsewhere still
//! logs in. Memory is fixed: at most [`CAPACITY`] keys of at most [`crate::validate::MAX_LOGIN_NAME`]
//! characters; when full, the entry touched longest ago goes. Time is passed in, so tests
//! need no sleeping.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Failures of one name from one address before that pair is locked.
pub const MAX_FAILURES: u32 = 5;
/// Failures from one address (any names) before the address is locked.
pub const MAX_FAILURES_PER_ADDRESS: u32 = 20;
/// Failures older than this are forgotten.
pub const WINDOW: Duration = Duration::from_secs(300);
/// How long a (name, address) pair stays locked.
pub const LOCKOUT: Duration = Duration::from_secs(30);
/// How long an address stays locked.
pub const ADDRESS_LOCKOUT: Duration = Duration::from_secs(60);
/// Entries remembered at most (each key is bounded too), so a flood of names and addresses
/// cannot grow memory.
pub const CAPACITY: usize = 4096;

/// The part of a client address that limits count against: the address itself for IPv4, its
/// /64 network for IPv6 (one host usually holds a whole /64).
pub fn client_key(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String, IpAddr),
    Address(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    pending: u32,
    first: Instant,
    touched: Instant,
    locked_until: Option<Instant>,
    /// The refusal of the current lock has been reported (logged) once already.
    reported: bool,
}

impl Entry {
    fn new(now: Instant) -> Entry {
        Entry { failures: 0, pending: 0, first: now, touched: now, locked_until: None, reported: false }
    }

    /// Forgets failures that are out of the window or whose lock is over.
    fn refresh(&mut self, now: Instant) {
        let lock_over = self.locked_until.is_some_and(|u| u <= now);
        if lock_over || (self.locked_until.is_none() && now.duration_since(self.first) >= WINDOW) {
            *self = Entry { pending: self.pending, ..Entry::new(now) };
        }
    }

    fn wait(&self, now: Instant) -> Option<u64> {
        self.locked_until.filter(|u| *u > now).map(|u| (u - now).as_secs().max(1))
    }
}

/// An admitted attempt; hand it back to [`LoginThrottle::finish`].
#[derive(Debug)]
#[must_use = "an attempt must be finished, or it keeps counting as pending"]
pub struct Attempt {
    user: Key,
    address: Key,
}

/// Why an attempt was not admitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// Seconds until an attempt may be admitted again.
    pub wait_s: u64,
    /// The first refusal of this lock: log it; later ones of the same burst are not logged.
    pub first: bool,
    /// Whether the whole address is locked (rather than one name from it).
    pub address: bool,
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Wrong name or password: counts.
    Failure,
    /// Not checked (the MCU was too busy, or a store error): does not count.
    NotChecked,
}

#[derive(Debug, Default)]
pub struct LoginThrottle {
    entries: HashMap<Key, Entry>,
}

impl LoginThrottle {
    fn name_key(name: &str) -> String {
        name.trim().to_lowercase()
    }

    /// Admits an attempt for `name` from `addr` and counts it as pending, or refuses it.
    pub fn begin(&mut self, name: &str, addr: IpAddr, now: Instant) -> Result<Attempt, Refused> {
        let addr = client_key(addr);
        let user = Key::User(Self::name_key(name), addr);
        let address = Key::Address(addr);
        for (key, max, is_address) in [(&address, MAX_FAILURES_PER_ADDRESS, true), (&user, MAX_FAILURES, false)] {
            if let Some(e) = self.entries.get_mut(key) {
                e.refresh(now);
                let wait = e.wait(now).or_else(|| {
                    // Not locked, but pending attempts already fill the allowance.
                    (e.failures + e.pending >= max).then_some(1)
                });
                if let Some(wait_s) = wait {
                    let first = !e.reported;
                    e.reported = true;
                    return Err(Refused { wait_s, first, address: is_address });
                }
            }
        }
        for key in [&address, &user] {
            self.make_room(key, now);
            let e = self.entries.entry(key.clone()).or_insert_with(|| Entry::new(now));
            e.pending += 1;
            e.touched = now;
        }
        Ok(Attempt { user, address })
    }

    /// Records how an admitted attempt ended.
    pub fn finish(&mut self, attempt: Attempt, outcome: Outcome, now: Instant) {
        for (key, max, lockout) in [(&attempt.address, MAX_FAILURES_PER_ADDRESS, ADDRESS_LOCKOUT), (&attempt.user, MAX_FAILURES, LOCKOUT)] {
            // The entry may have been evicted meanwhile; then a failure starts a new one.
            let e = match self.entries.get_mut(key) {
                Some(e) => e,
                None if outcome == Outcome::Failure => {
                    self.make_room(key, now);
                    let mut fresh = Entry::new(now);
                    fresh.pending = 1;
                    self.entries.entry(key.clone()).or_insert(fresh)
                }
                None => continue,
            };
            e.pending = e.pending.saturating_sub(1);
            e.touched = now;
            if outcome == Outcome::Failure {
                e.refresh(now);
                e.failures += 1;
                if e.failures >= max && e.locked_until.is_none() {
                    e.locked_until = Some(now + lockout);
                    e.reported = false;
                }
            }
        }
        if outcome == Outcome::Success {
            // The name's count from that address starts again; the address's does not (one
            // known account must not buy guesses at another).
            if self.entries.get(&attempt.user).is_some_and(|e| e.pending == 0) {
                self.entries.remove(&attempt.user);
            }
        }
    }

    /// Keeps the map within [`CAPACITY`]: first drops what is over, then the unlocked entry
    /// touched longest ago (a lock only when nothing else is left; never one with attempts
    /// pending).
    fn make_room(&mut self, incoming: &Key, now: Instant) {
        if self.entries.len() < CAPACITY || self.entries.contains_key(incoming) {
            return;
        }
        self.entries.retain(|_, e| {
            e.pending > 0 || e.locked_until.is_some_and(|u| u > now) || (e.failures > 0 && now.duration_since(e.first) < WINDOW)
        });
        if self.entries.len() >= CAPACITY {
            // Unlocked entries go before locks, older before newer.
            let oldest = self
                .entries
                .iter()
                .filter(|(_, e)| e.pending == 0)
                .min_by_key(|(_, e)| (e.locked_until.is_some_and(|u| u > now), e.touched))
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                self.entries.remove(&k);
            }
        }
    }

    /// How long `name` stays locked after failed logins (from the address locked longest),
    /// if it is.
    pub fn locked_name(&self, name: &str, now: Instant) -> Option<u64> {
        let key = Self::name_key(name);
        self.entries
            .iter()
            .filter(|(k, _)| matches!(k, Key::User(n, _) if *n == key))
            .filter_map(|(_, e)| e.wait(now))
            .max()
    }

    /// An Administrator unlocks `name`: its failures from every address are forgotten, and
    /// no longer count against those addresses either (an address locked as a whole stays
    /// so until its lock ends). Whether it was locked.
    pub fn unlock_name(&mut self, name: &str, now: Instant) -> bool {
        let was = self.locked_name(name, now).is_some();
        let key = Self::name_key(name);
        let theirs: Vec<(IpAddr, u32)> = self
            .entries
            .iter()
            .filter_map(|(k, e)| match k {
                Key::User(n, addr) if *n == key => Some((*addr, e.failures)),
                _ => None,
            })
            .collect();
        for (addr, failures) in theirs {
            self.entries.remove(&Key::User(key.clone(), addr));
            if let Some(a) = self.entries.get_mut(&Key::Address(addr)) {
                a.failures = a.failures.saturating_sub(failures);
            }
        }
        was
    }

    /// Entries held (for tests and metrics).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The throttle shared by the login page and the peer link's login. An admitted attempt is
/// a [`Ticket`]: dropped without [`Ticket::finish`] (a request abandoned half-way) it counts
/// as not checked, so nothing stays pending forever.
#[derive(Debug, Clone, Default)]
pub struct SharedThrottle(std::sync::Arc<std::sync::Mutex<LoginThrottle>>);

impl SharedThrottle {
    fn with<T>(&self, f: impl FnOnce(&mut LoginThrottle) -> T) -> T {
        match self.0.lock() {
            Ok(mut t) => f(&mut t),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    pub fn begin(&self, name: &str, addr: IpAddr) -> Result<Ticket, Refused> {
        let attempt = self.with(|t| t.begin(name, addr, Instant::now()))?;
        Ok(Ticket { throttle: self.clone(), attempt: Some(attempt) })
    }

    pub fn len(&self) -> usize {
        self.with(|t| t.len())
    }

    /// See [`LoginThrottle::locked_name`].
    pub fn locked_name(&self, name: &str) -> Option<u64> {
        self.with(|t| t.locked_name(name, Instant::now()))
    }

    /// See [`LoginThrottle::unlock_name`].
    pub fn unlock_name(&self, name: &str) -> bool {
        self.with(|t| t.unlock_name(name, Instant::now()))
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug)]
pub struct Ticket {
    throttle: SharedThrottle,
    attempt: Option<Attempt>,
}

impl Ticket {
    pub fn finish(mut self, outcome: Outcome) {
        if let Some(a) = self.attempt.take() {
            self.throttle.with(|t| t.finish(a, outcome, Instant::now()));
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Some(a) = self.attempt.take() {
            self.throttle.with(|t| t.finish(a, Outcome::NotChecked, Instant::now()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn fail(t: &mut LoginThrottle, name: &str, addr: &str, now: Instant) -> Result<(), Refused> {
        let a = t.begin(name, ip(addr), now)?;
        t.finish(a, Outcome::Failure, now);
        Ok(())
    }

    #[test]
    fn locks_a_name_from_one_address_but_not_from_another() {
        let mut t = LoginThrottle::default();
        let t0 = Instant::now();
        for i in 0..MAX_FAILURES {
            fail(&mut t, "Admin", "10.0.0.9", t0 + Duration::from_secs(i.into())).expect("admitted");
        }
        let r = t.begin("ADMIN", ip("10.0.0.9"), t0 + Duration::from_secs(6)).expect_err("locked");
        assert!(r.first && !r.address && r.wait_s >= 1 && r.wait_s <= LOCKOUT.as_secs());
        let again = t.begin("admin", ip("10.0.0.9"), t0 + Duration::from_secs(7)).expect_err("still locked");
        assert!(!again.first, "a burst is reported once");
        // The real administrator elsewhere is not affected.
        let a = t.begin("admin", ip("10.0.0.1"), t0 + Duration::from_secs(7)).expect("other address admitted");
        t.finish(a, Outcome::Success, t0 + Duration::from_secs(7));
        // After the lockout the count starts again.
        let later = t0 + Duration::from_secs(4) + LOCKOUT + Duration::from_secs(1);
        fail(&mut t, "admin", "10.0.0.9", later).expect("admitted after the lock");
        assert!(t.begin("admin", ip("10.0.0.9"), later).is_ok());
    }

    #[test]
    fn a_locked_name_shows_how_long_and_an_administrator_unlocks_it() {
        let mut t = LoginThrottle::default();
        let t0 = Instant::now();
        assert_eq!(t.locked_name("ops", t0), None);
        for i in 0..MAX_FAILURES {
            fail(&mut t, "ops", "10.0.0.9", t0 + Duration::from_secs(i.into())).expect("admitted");
        }
        let now = t0 + Duration::from_secs(6);
        assert!(t.locked_name("OPS", now).is_some_and(|s| s <= LOCKOUT.as_secs()));
        assert_eq!(t.locked_name("other", now), None);
        assert!(t.unlock_name("Ops", now), "it was locked");
        assert_eq!(t.locked_name("ops", now), None);
        // Its failures no longer count against the address: the address's whole allowance
        // is left (without the subtraction the 16th would be refused).
        for i in 0..MAX_FAILURES_PER_ADDRESS - 1 {
            fail(&mut t, &format!("guess{i}"), "10.0.0.9", now).expect("the address is not near its limit");
        }
        assert!(t.begin("ops", ip("10.0.0.9"), now).is_ok(), "admitted at once");
        assert!(!t.unlock_name("ops", now), "nothing to unlock");
    }

    #[test]
    fn pending_attempts_count_so_parallel_guesses_stop_at_the_limit() {
        let mut t = LoginThrottle::default();
        let now = Instant::now();
        let admitted: Vec<Attempt> = (0..40).filter_map(|_| t.begin("op", ip("10.0.0.9"), now).ok()).collect();
        assert_eq!(admitted.len() as u32, MAX_FAILURES, "only the allowance is checked against the password");
        for a in admitted {
            t.finish(a, Outcome::Failure, now);
        }
        assert!(t.begin("op", ip("10.0.0.9"), now).is_err());
    }

    #[test]
    fn an_address_trying_many_names_is_locked_as_a_whole() {
        let mut t = LoginThrottle::default();
        let now = Instant::now();
        for i in 0..MAX_FAILURES_PER_ADDRESS {
            fail(&mut t, &format!("user{i}"), "10.0.0.9", now).expect("admitted");
        }
        let r = t.begin("someone-new", ip("10.0.0.9"), now).expect_err("address locked");
        assert!(r.address && r.wait_s <= ADDRESS_LOCKOUT.as_secs());
        assert!(t.begin("someone-new", ip("10.0.0.10"), now).is_ok(), "other addresses unaffected");
    }

    #[test]
    fn ipv6_hosts_count_by_their_64_network() {
        let mut t = LoginThrottle::default();
        let now = Instant::now();
        for i in 0..MAX_FAILURES {
            fail(&mut t, "admin", &format!("2001:db8::{:x}", i + 1), now).expect("admitted");
        }
        assert!(t.begin("admin", ip("2001:db8::ffff"), now).is_err(), "same /64");
        assert!(t.begin("admin", ip("2001:db8:0:1::1"), now).is_ok(), "another /64");
        assert_eq!(client_key(ip("::ffff:10.1.2.3")), ip("10.1.2.3"));
    }

    #[test]
    fn failures_outside_the_window_do_not_add_up_and_success_clears_the_name() {
        let mut t = LoginThrottle::default();
        let t0 = Instant::now();
        for _ in 0..MAX_FAILURES - 1 {
            fail(&mut t, "op", "10.0.0.9", t0).expect("admitted");
        }
        fail(&mut t, "op", "10.0.0.9", t0 + WINDOW + Duration::from_secs(1)).expect("admitted");
        assert!(t.begin("op", ip("10.0.0.9"), t0 + WINDOW + Duration::from_secs(2)).is_ok());

        let mut t = LoginThrottle::default();
        for _ in 0..MAX_FAILURES - 1 {
            fail(&mut t, "op", "10.0.0.9", t0).expect("admitted");
        }
        let a = t.begin("op", ip("10.0.0.9"), t0).expect("admitted");
        t.finish(a, Outcome::Success, t0);
        fail(&mut t, "op", "10.0.0.9", t0).expect("count started again");
        assert!(t.begin("op", ip("10.0.0.9"), t0).is_ok());
    }

    #[test]
    fn an_abandoned_ticket_does_not_stay_pending() {
        let t = SharedThrottle::default();
        for _ in 0..3 * MAX_FAILURES {
            drop(t.begin("op", ip("10.0.0.9")).expect("admitted"));
        }
        let last = t.begin("op", ip("10.0.0.9")).expect("admitted");
        last.finish(Outcome::Failure);
        assert!(t.begin("op", ip("10.0.0.9")).is_ok());
    }

    #[test]
    fn unchecked_attempts_do_not_count() {
        let mut t = LoginThrottle::default();
        let now = Instant::now();
        for _ in 0..3 * MAX_FAILURES {
            let a = t.begin("op", ip("10.0.0.9"), now).expect("admitted");
            t.finish(a, Outcome::NotChecked, now);
        }
        assert!(t.begin("op", ip("10.0.0.9"), now).is_ok());
    }

    #[test]
    fn memory_stays_bounded_under_a_flood_of_names_and_addresses() {
        let mut t = LoginThrottle::default();
        let now = Instant::now();
        for i in 0..3 * CAPACITY as u32 {
            let addr = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            let _ = fail(&mut t, &format!("name-{i}"), &addr.to_string(), now);
            assert!(t.len() <= CAPACITY, "{} entries", t.len());
        }
        // A lock made a moment ago survives the flood: only older, idle entries go first.
        let mut t = LoginThrottle::default();
        for _ in 0..MAX_FAILURES {
            fail(&mut t, "admin", "10.9.9.9", now).expect("admitted");
        }
        for i in 0..CAPACITY as u32 {
            let addr = IpAddr::V4(std::net::Ipv4Addr::from(0x0b00_0000 + i));
            let _ = fail(&mut t, "x", &addr.to_string(), now + Duration::from_millis(1));
        }
        assert!(t.begin("admin", ip("10.9.9.9"), now + Duration::from_secs(1)).is_err());
    }
}
