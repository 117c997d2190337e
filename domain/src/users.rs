//! Rules about the MCU's users that are not a single field's: how many there may be, and
//! who may not be deleted (the user name and password rules are in `validate`).

use crate::DomainError;

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
    fn a_hundred_users_at_most_and_nobody_deletes_themselves() {
        assert!(room_for_one_more(MAX_USERS - 1).is_ok());
        assert!(room_for_one_more(MAX_USERS).expect_err("full").to_string().contains("at most 100"));
        assert!(may_delete("admin", "ops").is_ok());
        assert!(may_delete("admin", "ADMIN").is_err(), "names compare without case");
    }
}
