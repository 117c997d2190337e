//! Rules of the conference resources: Conference Profiles and Meeting Rooms (names,
//! ranges, numeric IDs, what may be deleted). Plain functions; the server functions call
//! them before committing.

use crate::conference::{display_name, numeric_id};
use crate::model::*;
use crate::DomainError;

/// Builds a profile from form values (id kept when editing).
#[allow(clippy::too_many_arguments)]
pub fn profile(
    id: String,
    name: &str,
    line_rate: &str,
    resolution: &str,
    layout: &str,
    encryption: bool,
    auto_terminate: bool,
) -> Result<Profile, DomainError> {
    let name = display_name("name", name)?;
    let line_rate_kbps: u32 = line_rate
        .trim()
        .parse()
        .ok()
        .filter(|r| LINE_RATES_KBPS.contains(r))
        .ok_or_else(|| DomainError::invalid("line_rate_kbps", "Choose one of the line rates (64–8192 kbps)."))?;
    let resolution = match resolution {
        "cif" => Resolution::Cif,
        "sd" => Resolution::Sd,
        "hd720" => Resolution::Hd720,
        "hd1080" => Resolution::Hd1080,
        _ => return Err(DomainError::invalid("resolution", "Choose CIF, SD, HD 720p or HD 1080p.")),
    };
    let layout = match layout.trim() {
        l @ ("auto" | "1x1" | "1+5" | "2x2" | "3x3") => l.to_string(),
        _ => return Err(DomainError::invalid("layout", "Choose a layout: auto, 1x1, 1+5, 2x2 or 3x3.")),
    };
    Ok(Profile { id, name, line_rate_kbps, resolution, encryption, layout, auto_terminate })
}

/// A conference or chairperson password: empty, or 1–16 digits (dialled on a keypad).
pub fn numeric_password(field: &'static str, raw: &str) -> Result<String, DomainError> {
    let v = raw.trim();
    if v.is_empty() || (v.len() <= 16 && v.chars().all(|c| c.is_ascii_digit())) {
        Ok(v.to_string())
    } else {
        Err(DomainError::invalid(field, "A password is up to 16 digits (callers key it in), or empty."))
    }
}

/// Builds a meeting room from form values; `profiles` are the existing ones.
pub fn meeting_room(
    id: String,
    name: &str,
    numeric: &str,
    profile_id: &str,
    conference_password: &str,
    chairperson_password: &str,
    profiles: &[Profile],
) -> Result<MeetingRoom, DomainError> {
    let name = display_name("name", name)?;
    let numeric_id = numeric_id(numeric)?;
    if !profiles.iter().any(|p| p.id == profile_id) {
        return Err(DomainError::invalid("profile_id", "Choose a conference profile (create one first)."));
    }
    let conference_password = numeric_password("conference_password", conference_password)?;
    let chairperson_password = numeric_password("chairperson_password", chairperson_password)?;
    if !chairperson_password.is_empty() && chairperson_password == conference_password {
        return Err(DomainError::invalid("chairperson_password", "The chairperson password must differ from the conference password."));
    }
    Ok(MeetingRoom { id, name, numeric_id, profile_id: profile_id.to_string(), conference_password, chairperson_password })
}

/// Meeting rooms and ongoing conferences share the pool of numeric IDs.
pub fn check_numeric_id_free(id: &str, own: &str, rooms: &[MeetingRoom], conferences: &[Conference]) -> Result<(), DomainError> {
    if let Some(r) = rooms.iter().find(|r| r.numeric_id == id && r.id != own) {
        return Err(DomainError::invalid("numeric_id", format!("ID {id} is used by the meeting room '{}'.", r.name)));
    }
    if let Some(c) = conferences.iter().find(|c| c.numeric_id == id && c.id != own) {
        return Err(DomainError::invalid("numeric_id", format!("ID {id} is used by the ongoing conference '{}'.", c.name)));
    }
    Ok(())
}

/// A profile in use cannot be deleted: says by what.
pub fn check_profile_unused(profile: &Profile, rooms: &[MeetingRoom], conferences: &[Conference], reservations: &[Reservation]) -> Result<(), DomainError> {
    let users: Vec<String> = rooms
        .iter()
        .filter(|r| r.profile_id == profile.id)
        .map(|r| format!("meeting room '{}'", r.name))
        .chain(conferences.iter().filter(|c| c.profile_id == profile.id).map(|c| format!("conference '{}'", c.name)))
        .chain(reservations.iter().filter(|r| r.profile_id == profile.id).map(|r| format!("reservation '{}'", r.name)))
        .collect();
    if users.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Conflict(format!("The profile '{}' is in use by {}; change or delete those first.", profile.name, users.join(", "))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> Profile {
        profile("p1".into(), "HD", "1920", "hd720", "auto", false, true).expect("profile")
    }

    #[test]
    fn profiles_take_only_known_values() {
        assert_eq!(p().line_rate_kbps, 1920);
        let field = |r: Result<Profile, DomainError>| match r {
            Err(DomainError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(profile("x".into(), "A", "1000", "hd720", "auto", false, false)), "line_rate_kbps");
        assert_eq!(field(profile("x".into(), "A", "1920", "4k", "auto", false, false)), "resolution");
        assert_eq!(field(profile("x".into(), "A", "1920", "sd", "9x9", false, false)), "layout");
        assert_eq!(field(profile("x".into(), "", "1920", "sd", "auto", false, false)), "name");
    }

    #[test]
    fn meeting_rooms_need_a_profile_and_keypad_passwords() {
        let profiles = [p()];
        assert!(meeting_room("m".into(), "Board", "1001", "p1", "1234", "9876", &profiles).is_ok());
        assert!(meeting_room("m".into(), "Board", "1001", "nope", "", "", &profiles).is_err());
        assert!(meeting_room("m".into(), "Board", "1001", "p1", "abc", "", &profiles).is_err());
        assert!(meeting_room("m".into(), "Board", "1001", "p1", "12", "12", &profiles).is_err());
        assert!(meeting_room("m".into(), "Board", "10a", "p1", "", "", &profiles).is_err());
    }

    #[test]
    fn ids_are_shared_and_profiles_in_use_are_kept() {
        let profiles = [p()];
        let room = meeting_room("m1".into(), "Board", "1001", "p1", "", "", &profiles).expect("room");
        let conf = Conference { id: "c1".into(), name: "Ops".into(), numeric_id: "2002".into(), profile_id: "p1".into(), start_ms: 0, end_ms: None };
        assert!(check_numeric_id_free("1001", "m1", std::slice::from_ref(&room), &[]).is_ok(), "its own ID");
        assert!(check_numeric_id_free("1001", "m2", std::slice::from_ref(&room), &[]).is_err());
        assert!(check_numeric_id_free("2002", "m2", &[], std::slice::from_ref(&conf)).is_err());
        let e = check_profile_unused(&p(), &[room], &[conf], &[]).expect_err("in use");
        assert!(e.to_string().contains("meeting room 'Board'") && e.to_string().contains("conference 'Ops'"));
        assert!(check_profile_unused(&p(), &[], &[], &[]).is_ok());
    }
}
