//! Validation of what people type. Each function returns the cleaned value or a
//! [`DomainError::Invalid`] that names the form field and says what is expected.

use crate::DomainError;

pub const USER_NAME_MAX: usize = 32;
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;
pub const MCU_NAME_MAX: usize = 40;
/// What a login form accepts before any work is done (user names are shorter; this leaves
/// room for a mistyped one without letting a flood of huge names in).
pub const MAX_LOGIN_NAME: usize = 64;

/// A login attempt's name and password, bounded before anything else looks at them:
/// the name trimmed, 1–64 characters without control characters; the password 1–128.
pub fn login_credentials(name: &str, password: &str) -> Result<(String, String), DomainError> {
    let name = login_name(name)?;
    if password.is_empty() {
        return Err(DomainError::invalid("password", "Enter your password."));
    }
    if password.chars().count() > PASSWORD_MAX {
        return Err(DomainError::invalid("password", format!("A password has at most {PASSWORD_MAX} characters.")));
    }
    Ok((name, password.to_string()))
}

/// The name of a login attempt (also the peer link's pairing), bounded the same way:
/// trimmed, 1–64 characters without control characters.
pub fn login_name(name: &str) -> Result<String, DomainError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(DomainError::invalid("username", "Enter your user name."));
    }
    if name.chars().count() > MAX_LOGIN_NAME || name.chars().any(char::is_control) {
        return Err(DomainError::invalid("username", format!("A user name has at most {MAX_LOGIN_NAME} printable characters.")));
    }
    Ok(name.to_string())
}

/// Where to go after logging in: a path on this site, or "/" for anything else. Only
/// printable ASCII without spaces or backslashes, starting with one '/' (browsers drop
/// tabs and line breaks from a URL, so "/\t/host" would become "//host"), and not the
/// login page itself. At most 512 characters.
pub fn local_path(next: &str) -> String {
    let ok = next.len() <= 512
        && next.starts_with('/')
        && !next.starts_with("//")
        && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
        && !next.starts_with("/login");
    if ok { next.to_string() } else { "/".to_string() }
}

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

/// A destructive action (failover, disable, reset) is confirmed by typing this MCU's name:
/// `typed` must be `mcu`, exactly (around spaces aside).
pub fn typed_mcu_name(typed: Option<&str>, mcu: &str) -> Result<(), DomainError> {
    match typed.map(str::trim) {
        Some(t) if t == mcu => Ok(()),
        _ => Err(DomainError::invalid("confirm", format!("Type this MCU's name, {mcu}, to confirm."))),
    }
}

/// The HTML `pattern` that accepts exactly `name` (the browser checks a typed confirmation
/// before the form is sent): the pattern's syntax characters escaped — and only those, as
/// any other escape makes the pattern invalid, and the browser then checks nothing.
pub fn exact_pattern(name: &str) -> String {
    let mut out = String::with_capacity(name.len() * 2);
    for c in name.chars() {
        if "\\^$.*+?()[]{}|/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// An IPv4 or IPv6 address (no port), or empty when `optional`.
pub fn ip_address(field: &'static str, raw: &str, optional: bool) -> Result<String, DomainError> {
    let v = raw.trim();
    if v.is_empty() {
        return if optional { Ok(String::new()) } else { Err(DomainError::invalid(field, "Enter an IP address.")) };
    }
    v.parse::<std::net::IpAddr>()
        .map(|ip| ip.to_string())
        .map_err(|_| DomainError::invalid(field, format!("'{v}' is not an IPv4 or IPv6 address (e.g. 10.0.0.5 or fd00::5).")))
}

/// A host name: labels of letters, digits and '-', not starting or ending with '-',
/// at most 63 characters each and 253 in all.
pub fn host_name(field: &'static str, raw: &str) -> Result<String, DomainError> {
    let v = raw.trim().trim_end_matches('.');
    if v.is_empty() {
        return Err(DomainError::invalid(field, "Enter a host name."));
    }
    let ok = v.len() <= 253
        && v.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if ok {
        Ok(v.to_ascii_lowercase())
    } else {
        Err(DomainError::invalid(
            field,
            format!("'{v}' is not a valid host name: use letters, digits and '-' in dot-separated parts of up to 63 characters."),
        ))
    }
}

/// A whole number within `lo..=hi`.
pub fn number_in(field: &'static str, raw: &str, what: &str, lo: u32, hi: u32) -> Result<u32, DomainError> {
    match raw.trim().parse::<u32>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n),
        _ => Err(DomainError::invalid(field, format!("{what} must be a whole number from {lo} to {hi}."))),
    }
}

/// A role key from a form.
pub fn role(raw: &str) -> Result<crate::Role, DomainError> {
    crate::Role::from_key(raw.trim()).ok_or_else(|| DomainError::invalid("role", "Choose one of the five roles."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_destructive_action_needs_the_mcus_name_typed_exactly() {
        assert!(typed_mcu_name(Some(" MCU-A "), "MCU-A").is_ok());
        for wrong in [None, Some(""), Some("mcu-a"), Some("MCU-B"), Some("MCU-A2")] {
            assert!(matches!(typed_mcu_name(wrong, "MCU-A"), Err(DomainError::Invalid { field: "confirm", .. })), "{wrong:?}");
        }
        assert_eq!(exact_pattern("MCU-A (east) 1.2"), "MCU-A \\(east\\) 1\\.2");
    }

    fn field(e: DomainError) -> &'static str {
        match e {
            DomainError::Invalid { field, .. } => field,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn login_credentials_are_bounded_before_anything_else() {
        assert_eq!(login_credentials(" admin ", "pw").expect("ok"), ("admin".to_string(), "pw".to_string()));
        assert_eq!(field(login_credentials("", "pw").expect_err("empty")), "username");
        assert_eq!(field(login_credentials(&"a".repeat(65), "pw").expect_err("long")), "username");
        assert!(login_credentials(&"a".repeat(64), "pw").is_ok());
        assert_eq!(field(login_credentials("a\nb", "pw").expect_err("control")), "username");
        assert_eq!(field(login_credentials("admin", "").expect_err("empty pw")), "password");
        assert_eq!(field(login_credentials("admin", &"p".repeat(129)).expect_err("long pw")), "password");
    }

    #[test]
    fn next_is_a_local_path_only() {
        for good in ["/", "/users", "/conferences/abc?x=1#y"] {
            assert_eq!(local_path(good), good);
        }
        for bad in ["//evil.example", "/\\evil.example", "/\t/evil.example", "/\n/evil.example", "https://evil.example",
                    "evil.example", "", "/login?next=//x", "/ /x", "/\u{0}x", "/caf\u{e9}"] {
            assert_eq!(local_path(bad), "/", "{bad:?}");
        }
        assert_eq!(local_path(&format!("/{}", "a".repeat(600))), "/");
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
    fn addresses_host_names_numbers() {
        assert_eq!(ip_address("a", " 10.0.0.5 ", false).ok().as_deref(), Some("10.0.0.5"));
        assert_eq!(ip_address("a", "FD00::5", false).ok().as_deref(), Some("fd00::5"));
        assert_eq!(ip_address("a", "", true).ok().as_deref(), Some(""));
        assert!(ip_address("a", "", false).is_err());
        assert!(ip_address("a", "10.0.0.300", true).is_err());
        assert!(ip_address("a", "10.0.0.5:80", true).is_err());
        assert_eq!(host_name("h", "MCU-A.example.").ok().as_deref(), Some("mcu-a.example"));
        for bad in ["", "-mcu", "mcu-", "mc u", "a..b", &"x".repeat(64)] {
            assert!(host_name("h", bad).is_err(), "{bad}");
        }
        assert_eq!(number_in("n", " 40 ", "Ports", 0, 100).ok(), Some(40));
        assert!(number_in("n", "101", "Ports", 0, 100).is_err());
        assert!(number_in("n", "-1", "Ports", 0, 100).is_err());
        assert!(number_in("n", "ten", "Ports", 0, 100).is_err());
    }

    #[test]
    fn port_configuration_fits_the_model() {
        use crate::{McuModel, PortConfiguration, Resolution};
        let p = |v, r, voice| PortConfiguration { video_ports: v, video_resolution: r, voice_ports: voice };
        assert!(p(60, Resolution::Hd720, 0).check(McuModel::Cs2000).is_ok());
        assert!(p(61, Resolution::Hd720, 0).check(McuModel::Cs2000).is_err());
        assert!(p(30, Resolution::Hd1080, 0).check(McuModel::Cs2000).is_ok());
        assert!(p(50, Resolution::Hd720, 120).check(McuModel::Cs2000).is_ok());
        assert!(p(50, Resolution::Hd720, 121).check(McuModel::Cs2000).is_err());
        assert!(p(120, Resolution::Hd720, 0).check(McuModel::Cs4000).is_ok());
        assert!(p(1, Resolution::Cif, 0).check(McuModel::Cs1800).is_err(), "fixed capacity");
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
