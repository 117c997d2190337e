//! The address book, as the original keeps it: up to 4,000 entries (name, protocol,
//! address, an optional numeric alias, a group, notes), synced to the Slave; entries are
//! picked when adding a participant, and a group is dialled in one action. Imported and
//! exported as CSV (`name,protocol,address,alias,group,notes`, a header line first).

use crate::conference::{display_name, participant_address};
use crate::error::DomainError;
use crate::model::{AddressEntry, Protocol};

/// Entries one MCU keeps at most (as the original).
pub const MAX_ENTRIES: usize = 4000;
const MAX_ALIAS: usize = 20;
const MAX_GROUP: usize = 40;
const MAX_NOTES: usize = 200;
/// The CSV's header line.
pub const CSV_HEADER: &str = "name,protocol,address,alias,group,notes";

/// An entry from form values; every wrong field at once.
pub fn entry(id: String, name: &str, protocol: &str, address: &str, alias: &str, group: &str, notes: &str) -> Result<AddressEntry, DomainError> {
    let mut e = crate::FieldErrors::default();
    let name = e.check(display_name("name", name));
    let protocol = e.check(Protocol::parse(protocol));
    let address = protocol.and_then(|p| e.check(participant_address(p, address)));
    let alias = alias.trim();
    if alias.len() > MAX_ALIAS || !alias.bytes().all(|b| b.is_ascii_digit()) {
        e.add(DomainError::invalid("alias", format!("The alias is digits only, at most {MAX_ALIAS} (or empty).")));
    }
    let group = group.trim();
    if group.chars().count() > MAX_GROUP || group.chars().any(char::is_control) {
        e.add(DomainError::invalid("group", format!("A group name has at most {MAX_GROUP} characters.")));
    }
    let notes = notes.trim();
    if notes.chars().count() > MAX_NOTES || notes.chars().any(|c| c.is_control() && c != '\n') {
        e.add(DomainError::invalid("notes", format!("Notes have at most {MAX_NOTES} characters.")));
    }
    let (Some(name), Some(protocol), Some(address), true) = (name, protocol, address, e.is_empty()) else {
        return Err(e.into_error());
    };
    Ok(AddressEntry { id, name, protocol, address, alias: alias.into(), group: group.into(), notes: notes.into() })
}

/// One more entry fits beside the `count` there are.
pub fn room_for(count: usize) -> Result<(), DomainError> {
    if count > MAX_ENTRIES {
        return Err(DomainError::Conflict(format!("The address book holds at most {MAX_ENTRIES} entries; delete some first.")));
    }
    Ok(())
}

fn protocol_key(p: Protocol) -> &'static str {
    match p {
        Protocol::H323 => "h323",
        Protocol::Sip => "sip",
    }
}

/// A CSV field, quoted when it must be; a leading `=`, `+`, `-` or `@` is escaped so a
/// spreadsheet does not run it as a formula.
fn field(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@']) { format!("'{v}") } else { v.to_string() };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

/// The address book as CSV, header first, by name.
pub fn to_csv(entries: &[AddressEntry]) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    for e in entries {
        let row = [e.name.as_str(), protocol_key(e.protocol), e.address.as_str(), e.alias.as_str(), e.group.as_str(), e.notes.as_str()];
        out.push_str(&row.iter().map(|v| field(v)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}

/// The records of a CSV text (quotes, doubled quotes, commas and newlines inside quotes).
fn records(text: &str) -> Result<Vec<Vec<String>>, String> {
    let (mut rows, mut row, mut cur) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cur.push(c),
            (false, '"') if cur.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cur)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cur));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cur.push(c),
        }
    }
    if quoted {
        return Err("a quoted field is not closed".into());
    }
    if !cur.is_empty() || !row.is_empty() {
        row.push(cur);
        rows.push(row);
    }
    Ok(rows)
}

/// The entries of an imported CSV (its header line first), merged by name with `existing`
/// (an entry of the same name keeps its id: it is replaced). All or nothing: every wrong
/// line is named (at most ten), and the book must stay within [`MAX_ENTRIES`].
pub fn import_csv(text: &str, existing: &[AddressEntry], mut new_id: impl FnMut() -> String) -> Result<Vec<AddressEntry>, DomainError> {
    let bad = |m: String| DomainError::invalid("csv", m);
    let rows = records(text).map_err(|m| bad(format!("The file is not CSV: {m}.")))?;
    let mut rows = rows.into_iter().enumerate().filter(|(_, r)| !(r.len() == 1 && r[0].trim().is_empty()));
    match rows.next() {
        Some((_, h)) if h.iter().map(|c| c.trim().to_lowercase()).collect::<Vec<_>>().join(",") == CSV_HEADER => {}
        _ => return Err(bad(format!("The first line must be the header: {CSV_HEADER}"))),
    }
    let (mut out, mut errors): (Vec<AddressEntry>, Vec<String>) = (Vec::new(), Vec::new());
    for (i, r) in rows {
        if r.len() != 6 {
            errors.push(format!("line {}: {} fields, 6 expected", i + 1, r.len()));
            continue;
        }
        let unescape = |v: &str| v.strip_prefix('\'').filter(|s| s.starts_with(['=', '+', '-', '@'])).unwrap_or(v).to_string();
        let name = unescape(r[0].trim());
        let name = name.as_str();
        let id = existing
            .iter()
            .chain(out.iter())
            .find(|e| e.name.eq_ignore_ascii_case(name))
            .map(|e| e.id.clone())
            .unwrap_or_else(&mut new_id);
        match entry(id, name, &r[1].trim().to_lowercase().replace('.', ""), &r[2], &r[3], &unescape(&r[4]), &unescape(&r[5])) {
            Ok(e) => {
                out.retain(|o| o.id != e.id);
                out.push(e);
            }
            Err(e) => errors.push(format!("line {}: {e}", i + 1)),
        }
        if errors.len() >= 10 {
            break;
        }
    }
    if !errors.is_empty() {
        return Err(bad(format!("Nothing was imported. {}", errors.join("; "))));
    }
    let kept = existing.iter().filter(|e| !out.iter().any(|o| o.id == e.id)).count();
    if kept + out.len() > MAX_ENTRIES {
        return Err(bad(format!("That makes {} entries; the address book holds at most {MAX_ENTRIES}.", kept + out.len())));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> AddressEntry {
        entry("a1".into(), "Alice", "h323", "10.0.0.5", "1001", "Board", "Room 4, \"east\"").expect("valid")
    }

    #[test]
    fn entries_are_checked_field_by_field() {
        assert_eq!(alice().address, "10.0.0.5");
        match entry("x".into(), "", "fax", "x", "12a", "", "") {
            Err(DomainError::Fields(all)) => assert_eq!(all.iter().map(|(f, _)| *f).collect::<Vec<_>>(), ["name", "protocol", "alias"]),
            other => panic!("{other:?}"),
        }
        assert!(entry("x".into(), "Bob", "sip", "bob@example.com", "", "", "").is_ok());
        assert!(room_for(MAX_ENTRIES).is_ok() && room_for(MAX_ENTRIES + 1).is_err());
    }

    #[test]
    fn csv_round_trips_and_an_import_is_all_or_nothing_with_lines_named() {
        let mut formula = alice();
        (formula.id, formula.name, formula.notes) = ("a2".into(), "Formula".into(), "=HYPERLINK(1)".into());
        let csv = to_csv(&[alice(), formula.clone()]);
        assert!(csv.starts_with("name,protocol,address,alias,group,notes\nAlice,h323,10.0.0.5,1001,Board,\"Room 4, \"\"east\"\"\"\n"), "{csv}");
        assert!(csv.contains(",'=HYPERLINK(1)"), "no formula runs in a spreadsheet: {csv}");
        let mut n = 0;
        let back = import_csv(&csv, &[], || {
            n += 1;
            format!("new{n}")
        })
        .expect("imported");
        assert_eq!(back.len(), 2);
        assert_eq!((back[0].notes.as_str(), back[1].notes.as_str()), ("Room 4, \"east\"", "=HYPERLINK(1)"));
        // The same name replaces (its id kept).
        let again = import_csv("name,protocol,address,alias,group,notes\nalice,SIP,alice@example.com,,,\n", &[alice()], || "n".into()).expect("ok");
        assert_eq!((again[0].id.as_str(), again[0].protocol), ("a1", Protocol::Sip));
        // Wrong lines are named, and nothing is imported.
        let e = import_csv("name,protocol,address,alias,group,notes\nBob,h323,10.0.0.6,,,\n,h323,10.0.0.7,,,\nCarl,fax,1,,,\nDan,h323\n", &[], || "n".into())
            .expect_err("refused")
            .to_string();
        assert!(e.starts_with("Nothing was imported.") && e.contains("line 3:") && e.contains("line 4:") && e.contains("line 5: 2 fields"), "{e}");
        assert!(!e.contains("line 2"), "{e}");
        assert!(import_csv("who,what\n", &[], || "n".into()).expect_err("header").to_string().contains("header"));
        assert!(import_csv("name,protocol,address,alias,group,notes\n\"open", &[], || "n".into()).is_err());
    }
}
