//! The configuration backups an Administrator writes from the System page
//! ([`crate::store::Store::write_backup`]): what each is called, and which are kept.

use crate::timefmt::{format_utc, Millis};

/// Backups kept in the folder; older ones are removed after each new one.
pub const KEPT: usize = 10;

/// `mcu-2026-12-05-03-40-12.sqlite3` for a backup written at `now` (UTC): names sort as
/// their times do.
pub fn file_name(now: Millis) -> String {
    let minute = format_utc(now).trim_end_matches(" UTC").replace([' ', ':'], "-");
    format!("mcu-{minute}-{:02}.sqlite3", now.rem_euclid(60_000) / 1000)
}

/// Whether `name` is one of these backups (anything else in the folder is left alone).
pub fn is_backup(name: &str) -> bool {
    name.starts_with("mcu-") && name.ends_with(".sqlite3")
}

/// Of the files in the backups folder, the backups to remove: all but the newest [`KEPT`].
pub fn to_remove(names: &[String]) -> Vec<String> {
    let mut ours: Vec<&String> = names.iter().filter(|n| is_backup(n)).collect();
    ours.sort();
    let extra = ours.len().saturating_sub(KEPT);
    ours.into_iter().take(extra).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_as_their_times_and_only_the_newest_backups_are_kept() {
        let t0: Millis = 1_796_442_012_000; // 2026-12-05 03:40:12 UTC
        assert_eq!(file_name(t0), "mcu-2026-12-05-03-40-12.sqlite3");
        let names: Vec<String> = (0..KEPT as i64 + 3).map(|i| file_name(t0 + i * 61_000)).rev().chain(["notes.txt".to_string()]).collect();
        let gone = to_remove(&names);
        assert_eq!(gone, (0..3).map(|i| file_name(t0 + i * 61_000)).collect::<Vec<_>>(), "the three oldest");
        assert!(!gone.contains(&"notes.txt".to_string()), "other files are left alone");
        assert!(to_remove(&names[..KEPT]).is_empty());
    }
}
