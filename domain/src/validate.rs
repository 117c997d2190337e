//! Validation of what people type. Each function returns the cleaned value or a
//! [`DomainError::Invalid`] that names the form field and says what is expected.

use crate::DomainError;

pub const USER_NAME_MAX: usize = 32;
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;
pub const MCU_NAME_MAX: usize = 40;

/// A login name: 1–32 letters, digits, '.', '_', '-' or '@'. Surrounding spaces are dropped.
pub fn user_name(raw: &str) -> Result<String, DomainError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(DomainError::invalid("name", "Enter a user name."));
    }
    if name.chars().count() > USER_NAME_MAX {
        return Err(DomainError::invalid("name", format!("A user name has at most {USER_NAME_MAX} characters.")));
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))) {
        return Err(DomainError::invalid(
            "name",
            format!("A user name may contain letters, digits, '.', '_', '-' and '@' only, not '{bad}'."),
        ));
    }
    Ok(name.to_string())
}

/// A new password: 8–128 characters, not only spaces. Kept exactly as typed.
pub fn new_password(raw: &str) -> Result<String, DomainError> {
    let n = raw.chars().count();
    if n < PASSWORD_MIN {
        return Err(DomainError::invalid("password", format!("A password needs at least {PASSWORD_MIN} characters.")));
    }
    if n > PASSWORD_MAX {
        return Err(DomainError::invalid("password", format!("A password has at most {PASSWORD_MAX} characters.")));
    }
    if raw.trim().is_empty() {
        return Err(DomainError::invalid("password", "A password cannot be only spaces."));
    }
    Ok(raw.to_string())
}

/// The MCU's display name: 1–40 printable characters.
pub fn mcu_name(raw: &str) -> Result<String, DomainError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(DomainError::invalid("name", "Enter the MCU name."));
    }
    if name.chars().count() > MCU_NAME_MAX {
        return Err(DomainError::invalid("name", format!("The MCU name has at most {MCU_NAME_MAX} characters.")));
    }
    if name.chars().any(char::is_control) {
        return Err(DomainError::invalid("name", "The MCU name cannot contain control characters."));
    }
    Ok(name.to_string())
}

/// A role key from a form.
pub fn role(raw: &str) -> Result<crate::Role, DomainError> {
    crate::Role::from_key(raw.trim()).ok_or_else(|| DomainError::invalid("role", "Choose one of the five roles."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(e: DomainError) -> &'static str {
        match e {
            DomainError::Invalid { field, .. } => field,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn user_names() {
        assert_eq!(user_name("  ops.1 ").ok().as_deref(), Some("ops.1"));
        assert_eq!(field(user_name("").expect_err("empty refused")), "name");
        assert!(user_name("a b").is_err());
        assert!(user_name("x<script>").is_err());
        assert!(user_name(&"a".repeat(33)).is_err());
        assert!(user_name(&"a".repeat(32)).is_ok());
    }

    #[test]
    fn passwords() {
        assert!(new_password("short").is_err());
        assert!(new_password("        ").is_err());
        assert!(new_password(&"p".repeat(129)).is_err());
        assert_eq!(new_password(" spaced pass ").ok().as_deref(), Some(" spaced pass "));
        assert_eq!(field(new_password("").expect_err("empty refused")), "password");
    }

    #[test]
    fn mcu_names_and_roles() {
        assert_eq!(mcu_name(" MCU-A ").ok().as_deref(), Some("MCU-A"));
        assert!(mcu_name("").is_err());
        assert!(mcu_name("a\u{7}b").is_err());
        assert_eq!(role("operator").ok(), Some(crate::Role::Operator));
        assert_eq!(field(role("god").expect_err("unknown role refused")), "role");
    }
}
