//! Configuration backups: those an Administrator writes into the data folder from the
//! System page ([`crate::store::Store::write_backup`]: what each is called, which are
//! kept), and those downloaded and uploaded in the browser: what one says about itself
//! ([`BackupInfo`]), what an upload must be to be restored ([`check_upload`]), and what a
//! restore brings back ([`RESTORED`]).

use crate::change::EntityKind;
use crate::error::DomainError;
use crate::model::McuModel;
use crate::timefmt::{format_utc, Millis};
use serde::{Deserialize, Serialize};

/// The version of the downloaded backup's layout (an SQLite database with a
/// `backup_info` row in its `meta` table).
pub const FORMAT: u32 = 1;

/// The largest upload a restore reads (a configuration is far smaller: a backup holds no
/// conference, call record, audit trail or change log).
pub const MAX_UPLOAD: usize = 16 * 1024 * 1024;

/// What a downloaded backup says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupInfo {
    pub format: u32,
    /// The database schema it was taken with (`PRAGMA user_version`).
    pub schema: u32,
    pub software_version: String,
    pub model: McuModel,
    /// The MCU it was taken on.
    pub mcu: String,
    pub taken_ms: Millis,
}

impl BackupInfo {
    /// "MCU-A (CS 2000, version 0.1.0), taken 2026-12-06 09:30 UTC".
    pub fn describe(&self) -> String {
        format!("{} ({}, version {}), taken {}", self.mcu, self.model.label(), self.software_version, format_utc(self.taken_ms))
    }
}

/// The synced kinds a restore brings back: the configuration. Conferences, participants
/// and call records are what happened, not what was set up; users, their passwords, the
/// pairing and this MCU's own settings stay as they are here.
pub const RESTORED: [EntityKind; 9] = [
    EntityKind::Profile,
    EntityKind::RecordingLink,
    EntityKind::IvrService,
    EntityKind::EntryQueue,
    EntityKind::MeetingRoom,
    EntityKind::Reservation,
    EntityKind::Template,
    EntityKind::AddressEntry,
    EntityKind::NetworkService,
];

/// Whether an uploaded file may be restored here: a backup of this layout (`info` is what
/// it says about itself, `None` when it says nothing), from this software or an earlier
/// one (`schema` ≤ ours), of this model; and never while Hot Backup is on (G9: the
/// configuration of a pair changes on the Master, through the mirror).
pub fn check_upload(info: Option<&BackupInfo>, schema: u32, our_schema: u32, our_model: McuModel, hot_backup_on: bool) -> Result<(), DomainError> {
    let refuse = |m: String| Err(DomainError::invalid("backup", m));
    if hot_backup_on {
        return refuse("A backup cannot be restored while Hot Backup is on: disable Hot Backup on both MCUs first (G9), then restore on the one that will be Master.".into());
    }
    let Some(info) = info else {
        return refuse("This file is a database, but not a backup downloaded from an MCU's System page.".into());
    };
    if info.format > FORMAT || schema > our_schema {
        return refuse(format!("This backup was made by a newer version ({}): update this MCU first.", info.software_version));
    }
    if info.model != our_model {
        return refuse(format!("This backup is of a {} and this MCU is a {}: a configuration is restored on the same model only.", info.model.label(), our_model.label()));
    }
    Ok(())
}

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

    fn info() -> BackupInfo {
        BackupInfo { format: FORMAT, schema: 7, software_version: "0.1.0".into(), model: McuModel::Cs2000, mcu: "MCU-A".into(), taken_ms: 1_796_442_012_000 }
    }

    #[test]
    fn an_upload_is_restored_only_when_it_is_a_backup_of_this_model_and_version_with_hot_backup_off() {
        let ok = check_upload(Some(&info()), 7, 7, McuModel::Cs2000, false);
        assert!(ok.is_ok());
        assert!(check_upload(Some(&info()), 6, 7, McuModel::Cs2000, false).is_ok(), "an earlier version's backup");
        let said = |r: Result<(), DomainError>| r.expect_err("refused").to_string();
        assert!(said(check_upload(Some(&info()), 7, 7, McuModel::Cs2000, true)).contains("while Hot Backup is on"));
        assert!(said(check_upload(None, 7, 7, McuModel::Cs2000, false)).contains("not a backup"));
        assert!(said(check_upload(Some(&info()), 8, 7, McuModel::Cs2000, false)).contains("newer version"));
        assert!(said(check_upload(Some(&BackupInfo { format: FORMAT + 1, ..info() }), 7, 7, McuModel::Cs2000, false)).contains("newer version"));
        assert!(said(check_upload(Some(&info()), 7, 7, McuModel::Cs4000, false)).contains("is a CS 4000"));
        assert_eq!(info().describe(), "MCU-A (CS 2000, version 0.1.0), taken 2026-12-05 03:40 UTC");
    }

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
