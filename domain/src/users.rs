//! Rules about the MCU's users that are not a single field's: how many there may be, who
//! may not be deleted or disabled, and the password policy an Administrator sets in System
//! (the user name and the basic password rules are in `validate`).

use crate::timefmt::Millis;
use crate::DomainError;
use serde::{Deserialize, Serialize};

/// The password policy (System page), enforced on every password set: a minimum length,
/// the common passwords refused, and how long a password lasts (0: for ever).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    pub min_length: u32,
    pub reject_common: bool,
    pub expiry_days: u32,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy { min_length: crate::validate::PASSWORD_MIN as u32, reject_common: true, expiry_days: 0 }
    }
}

/// The longest minimum length a policy may ask for.
pub const POLICY_MAX_LENGTH: u32 = 64;
/// The longest a password may last.
pub const POLICY_MAX_DAYS: u32 = 3650;

/// Passwords everyone tries first (lower case; those shorter than 8 characters are refused
/// by length already).
const COMMON: &[&str] = &[
    "password", "password1", "password12", "password123", "password!", "passw0rd", "p@ssw0rd", "p@ssword",
    "12345678", "123456789", "1234567890", "0123456789", "87654321", "11111111", "00000000", "12341234",
    "qwertyui", "qwertyuiop", "qwerty123", "qwerty12", "1q2w3e4r", "1q2w3e4r5t", "zaq12wsx", "qazwsxedc",
    "asdfghjk", "asdfghjkl", "abcdefgh", "abcd1234", "abc12345", "a1b2c3d4", "iloveyou", "sunshine",
    "princess", "football", "baseball", "superman", "starwars", "trustno1", "welcome1", "welcome123",
    "letmein1", "letmein!", "changeme", "changeme1", "administrator", "admin123", "admin1234", "adminadmin",
    "master12", "dragon12", "monkey12", "computer", "internet", "whatever", "polycom1", "polycom123",
    "conference", "welcome!", "secret12", "default1", "mcuadmin", "rmxadmin",
];

impl PasswordPolicy {
    /// A policy from the System form: every wrong field at once.
    pub fn parse(min_length: &str, reject_common: bool, expiry_days: &str) -> Result<PasswordPolicy, DomainError> {
        let mut e = crate::FieldErrors::default();
        let lo = crate::validate::PASSWORD_MIN as u32;
        let min_length = e.check(
            min_length
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (lo..=POLICY_MAX_LENGTH).contains(n))
                .ok_or_else(|| DomainError::invalid("min_length", format!("The minimum length is a whole number from {lo} to {POLICY_MAX_LENGTH}."))),
        );
        let expiry_days = e.check(
            expiry_days
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= POLICY_MAX_DAYS)
                .ok_or_else(|| DomainError::invalid("expiry_days", format!("Days a password lasts: 0 (never expires) to {POLICY_MAX_DAYS}."))),
        );
        let (Some(min_length), Some(expiry_days)) = (min_length, expiry_days) else { return Err(e.into_error()) };
        Ok(PasswordPolicy { min_length, reject_common, expiry_days })
    }

    /// `raw` as `user`'s new password, or why not (on the `password` field).
    pub fn check(&self, user: &str, raw: &str) -> Result<String, DomainError> {
        let password = crate::validate::new_password(raw)?;
        let refuse = |m: String| Err(DomainError::invalid("password", m));
        if password.chars().count() < self.min_length as usize {
            return refuse(format!("The password policy asks for at least {} characters.", self.min_length));
        }
        let lower = password.trim().to_lowercase();
        if self.reject_common && (COMMON.contains(&lower.as_str()) || lower == user.trim().to_lowercase()) {
            return refuse("That password is one of the first anyone tries (or the user's name): choose another.".into());
        }
        Ok(password)
    }

    /// Whether a password set at `changed_ms` has expired at `now`.
    pub fn expired(&self, changed_ms: Millis, now: Millis) -> bool {
        self.expiry_days > 0 && now >= self.expires_at(changed_ms)
    }

    /// When a password set at `changed_ms` expires (with an expiry).
    pub fn expires_at(&self, changed_ms: Millis) -> Millis {
        changed_ms.saturating_add(i64::from(self.expiry_days) * crate::recurrence::DAY_MS)
    }

    /// "At least 12 characters · common passwords refused · expire after 90 days".
    pub fn describe(&self) -> String {
        let common = if self.reject_common { "common passwords refused" } else { "common passwords allowed" };
        let expiry = if self.expiry_days == 0 { "never expire".to_string() } else { format!("expire after {} days", self.expiry_days) };
        format!("At least {} characters · {common} · passwords {expiry}", self.min_length)
    }
}

/// The most users one MCU holds.
pub const MAX_USERS: usize = 100;

/// One more user fits beside the `count` there are.
pub fn room_for_one_more(count: usize) -> Result<(), DomainError> {
    if count >= MAX_USERS {
        return Err(DomainError::Conflict(format!("The MCU holds at most {MAX_USERS} users; delete one first.")));
    }
    Ok(())
}

/// `me` may delete `name`: anyone but themselves (the last Administrator is the store's
/// check, in its transaction).
pub fn may_delete(me: &str, name: &str) -> Result<(), DomainError> {
    if me.eq_ignore_ascii_case(name.trim()) {
        return Err(DomainError::Conflict("You cannot delete the user you are logged in as.".into()));
    }
    Ok(())
}

/// `me` may disable `name`: anyone but themselves (the last Administrator is the store's
/// check).
pub fn may_disable(me: &str, name: &str) -> Result<(), DomainError> {
    if me.eq_ignore_ascii_case(name.trim()) {
        return Err(DomainError::Conflict("You cannot disable the user you are logged in as.".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_policy_is_checked_on_every_new_password() {
        let p = PasswordPolicy::default();
        assert!(p.check("ops", "a long enough one").is_ok());
        assert!(p.check("ops", "short").is_err(), "the basic rule stays");
        for common in ["Password123", "12345678", "qwertyuiop", " letmein1 "] {
            let e = p.check("ops", common).expect_err(common);
            assert!(e.to_string().contains("first anyone tries"), "{e}");
        }
        assert!(p.check("operator1", "OPERATOR1").is_err(), "the user's own name");
        let strict = PasswordPolicy::parse("12", true, "90").expect("valid");
        assert!(strict.check("ops", "eleven-char").expect_err("11").to_string().contains("at least 12"));
        assert!(strict.check("ops", "twelve-chars").is_ok());
        let lax = PasswordPolicy::parse("8", false, "0").expect("valid");
        assert!(lax.check("ops", "password").is_ok(), "common allowed when the policy says so");
        match PasswordPolicy::parse("4", true, "-1") {
            Err(DomainError::Fields(all)) => assert_eq!(all.iter().map(|(f, _)| *f).collect::<Vec<_>>(), ["min_length", "expiry_days"]),
            other => panic!("{other:?}"),
        }
        // Expiry.
        let day = crate::recurrence::DAY_MS;
        assert!(!lax.expired(0, 10_000 * day), "0: never");
        assert!(!strict.expired(0, 89 * day) && strict.expired(0, 90 * day));
        assert_eq!(strict.describe(), "At least 12 characters · common passwords refused · passwords expire after 90 days");
    }

    #[test]
    fn a_hundred_users_at_most_and_nobody_deletes_themselves() {
        assert!(room_for_one_more(MAX_USERS - 1).is_ok());
        assert!(room_for_one_more(MAX_USERS).expect_err("full").to_string().contains("at most 100"));
        assert!(may_delete("admin", "ops").is_ok());
        assert!(may_delete("admin", "ADMIN").is_err(), "names compare without case");
    }
}
