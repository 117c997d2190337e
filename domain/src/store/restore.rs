//! Backups downloaded and uploaded in the browser (System page). A downloaded backup is a
//! consistent copy of the database with only the configuration left in it — no user, no
//! password hash, no session, no conference, call record, audit entry or change log, and
//! none of this MCU's own settings (Hot Backup pairing, security credentials, alarms) — and
//! a `backup_info` row saying what it is ([`BackupInfo`]). An uploaded one is checked
//! ([`crate::backup::check_upload`], integrity, every record readable) and kept in the data
//! folder; the next start (a System Reset) applies it through the change log as one unit,
//! all or nothing, unless Hot Backup was turned on meanwhile.

use super::{check_integrity, files, replica, Result, Store, MIGRATIONS};
use crate::backup::{check_upload, BackupInfo, RESTORED};
use crate::change::{Actor, Change, EntityKind, Record};
use crate::model::McuModel;
use crate::DomainError;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The uploaded backup kept for the next System Reset, in the data folder.
pub const PENDING_RESTORE: &str = "restore-pending.sqlite3";
const INFO_KEY: &str = "backup_info";
/// Who uploaded the kept backup (the restore's actor in the change log and audit trail).
const BY_KEY: &str = "restore_by";

/// Tables a downloaded backup is emptied of: what happened, who may log in, and this MCU's
/// own state. (Fixed names, never input.)
const NOT_CONFIGURATION: [&str; 8] = ["users", "sessions", "change_log", "epoch_history", "audit", "call_records", "conferences", "participants"];
/// This MCU's own settings, never in a downloaded backup (pairing, sealed credentials,
/// alarms, settings waiting for a reset).
const OWN_SETTINGS: [&str; 4] = [super::keys::HOT_BACKUP, super::keys::SECURITY, super::keys::ALARMS, super::keys::PENDING_RESET];

/// What a restore applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub info: BackupInfo,
    /// Records written from the backup, and records of the restored kinds removed (not in it).
    pub written: usize,
    pub removed: usize,
}

fn refused(message: impl Into<String>) -> DomainError {
    DomainError::invalid("backup", message)
}

/// An uploaded file opened read-only, checked as a database before anything in it is read.
fn open_upload(path: &Path) -> Result<Connection> {
    let not_a_backup = |_| refused("This file is not an MCU backup (it is not a database): choose a file downloaded with \"Download backup\".");
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(not_a_backup)?;
    // Its schema is not trusted: no function of it runs while it is read.
    conn.pragma_update(None, "trusted_schema", "OFF").map_err(not_a_backup)?;
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)).map_err(not_a_backup)?;
    check_integrity(&conn, path).map_err(|_| refused("This backup is damaged (its integrity check fails): download a new one."))?;
    Ok(conn)
}

/// What a file says about itself, and its schema version.
fn info_of(conn: &Connection) -> Result<(Option<BackupInfo>, u32)> {
    let schema: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let has_meta: bool = conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'", [], |r| r.get::<_, i64>(0))? == 1;
    if !has_meta {
        return Ok((None, schema));
    }
    let raw: Option<String> = conn.query_row("SELECT value FROM meta WHERE key = ?1", [INFO_KEY], |r| r.get(0)).optional()?;
    Ok((raw.and_then(|r| serde_json::from_str(&r).ok()), schema))
}

/// Every record of the restored kinds in a backup; refused when one cannot be read.
fn records_of(conn: &Connection) -> Result<Vec<Record>> {
    let mut out = Vec::new();
    for kind in RESTORED {
        let is_table: i64 = conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", [kind.table()], |r| r.get(0))?;
        if is_table != 1 {
            return Err(refused(format!("This backup is damaged: it has no {} table.", kind.table())));
        }
        let mut stmt = conn.prepare(&format!("SELECT data FROM {} ORDER BY id", kind.table()))?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        for row in rows {
            let record = replica::decode(kind, &row?).map_err(|_| refused(format!("This backup is damaged: a record of {} cannot be read.", kind.table())))?;
            out.push(record);
        }
    }
    Ok(out)
}

impl Store {
    fn data_dir(&self) -> PathBuf {
        self.path.parent().map(Path::to_path_buf).unwrap_or_default()
    }

    /// Writes a backup to download to `to` (private): the configuration only, and what it
    /// is. Consistent while the MCU runs (SQLite's online backup).
    pub fn export_backup(&self, to: &Path, software_version: &str, model: McuModel, mcu: &str, now: crate::Millis) -> Result<BackupInfo> {
        self.backup_to(to)?;
        let conn = Connection::open(to)?;
        let schema: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for table in NOT_CONFIGURATION {
            conn.execute(&format!("DELETE FROM {table}"), [])?;
        }
        for key in OWN_SETTINGS {
            conn.execute("DELETE FROM local_settings WHERE key = ?1", [key])?;
        }
        let info = BackupInfo { format: crate::backup::FORMAT, schema, software_version: software_version.into(), model, mcu: mcu.into(), taken_ms: now };
        super::set_meta(&conn, INFO_KEY, &serde_json::to_string(&info)?)?;
        // Nothing of what was removed stays in free pages.
        conn.execute_batch("VACUUM")?;
        Ok(info)
    }

    /// Checks an uploaded file (`upload`, in the data folder) and keeps it for the next
    /// System Reset, replacing one kept before. Refused with a message saying why: not a
    /// database, damaged, not a backup, a newer version, another model, Hot Backup on.
    pub fn stage_restore(&self, upload: &Path, model: McuModel, hot_backup_on: bool, by: &Actor) -> Result<BackupInfo> {
        let conn = open_upload(upload)?;
        let (info, schema) = info_of(&conn)?;
        check_upload(info.as_ref(), schema, MIGRATIONS.len() as u32, model, hot_backup_on)?;
        let info = info.ok_or_else(|| refused("This file is not an MCU backup."))?;
        records_of(&conn)?;
        drop(conn);
        let conn = Connection::open(upload)?;
        super::set_meta(&conn, BY_KEY, &serde_json::to_string(by)?)?;
        drop(conn);
        let kept = self.data_dir().join(PENDING_RESTORE);
        std::fs::rename(upload, &kept).map_err(|e| DomainError::Storage(format!("cannot keep the backup in {}: {e}", kept.display())))?;
        Ok(info)
    }

    /// The backup kept for the next System Reset, if any.
    pub fn pending_restore(&self) -> Option<BackupInfo> {
        let path = self.data_dir().join(PENDING_RESTORE);
        if !path.is_file() {
            return None;
        }
        open_upload(&path).ok().and_then(|c| info_of(&c).ok()).and_then(|(info, _)| info)
    }

    /// Forgets the kept backup; whether there was one.
    pub fn discard_restore(&self) -> Result<bool> {
        match std::fs::remove_file(self.data_dir().join(PENDING_RESTORE)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(DomainError::Storage(format!("cannot remove the kept backup: {e}"))),
        }
    }

    /// At start (a System Reset): applies the kept backup, if any, and removes it. The
    /// configuration becomes the backup's — its records written, records of those kinds
    /// that it does not have removed — in one unit through the change log (a later pairing
    /// mirrors it), all or nothing. Not applied (and forgotten, the reason returned as the
    /// error) when Hot Backup is on or the file no longer passes its checks.
    pub fn apply_pending_restore(&self, model: McuModel, hot_backup_on: bool) -> Result<Option<Restored>> {
        let path = self.data_dir().join(PENDING_RESTORE);
        if !path.is_file() {
            return Ok(None);
        }
        let outcome = self.restore_from(&path, model, hot_backup_on);
        let _ = std::fs::remove_file(&path);
        outcome.map(Some)
    }

    fn restore_from(&self, path: &Path, model: McuModel, hot_backup_on: bool) -> Result<Restored> {
        let conn = open_upload(path)?;
        let (info, schema) = info_of(&conn)?;
        check_upload(info.as_ref(), schema, MIGRATIONS.len() as u32, model, hot_backup_on)?;
        let info = info.ok_or_else(|| refused("This file is not an MCU backup."))?;
        let records = records_of(&conn)?;
        let by: Option<Actor> = conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [BY_KEY], |r| r.get::<_, String>(0))
            .optional()?
            .and_then(|v| serde_json::from_str(&v).ok());
        drop(conn);
        let keep: HashSet<(EntityKind, &str)> = records.iter().map(|r| (r.kind(), r.id())).collect();
        let mut removals = Vec::new();
        let current = self.lock();
        for kind in RESTORED {
            let mut stmt = current.prepare(&format!("SELECT id FROM {}", kind.table()))?;
            let ids = stmt.query_map([], |r| r.get::<_, String>(0))?;
            for id in ids {
                let id = id?;
                if !keep.contains(&(kind, id.as_str())) {
                    removals.push(Change::Delete { kind, id });
                }
            }
        }
        drop(current);
        let (written, removed) = (records.len(), removals.len());
        // Removed first (a name or number freed for a record of the backup), the backup's
        // records after, in the order they refer to each other.
        let changes: Vec<Change> = removals.into_iter().rev().chain(records.into_iter().map(|record| Change::Put { record })).collect();
        let mut results = self.apply_batch(vec![(changes, by)]);
        results.pop().unwrap_or_else(|| Err(DomainError::Storage("the restore was not applied".into())))?;
        files::make_private(&self.data_dir(), &self.path)?;
        Ok(Restored { info, written, removed })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;
    use crate::roles::Role;

    fn actor() -> Actor {
        Actor { user: "admin".into(), role: Role::Administrator, client: "127.0.0.1".into(), mcu: "MCU-A".into() }
    }

    fn profile(id: &str, name: &str) -> Record {
        Record::Profile(Profile { id: id.into(), name: name.into(), line_rate_kbps: 1920, resolution: Resolution::Hd720, encryption: false, layout: "auto".into(), auto_terminate: true, recording_link_id: String::new() })
    }

    #[test]
    fn a_downloaded_backup_restores_the_configuration_at_the_next_start_and_nothing_else() {
        let dir = tempfile::tempdir().expect("tmp");
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        let src = Store::open(&a).expect("a");
        src.create_user("operator1", "a long password 1", Role::Operator).expect("user");
        src.apply(Change::Put { record: profile("p1", "HD") }).expect("put");
        let file = a.join("download.sqlite3");
        let info = src.export_backup(&file, "0.1.0", McuModel::Cs2000, "MCU-A", 1_796_442_012_000).expect("export");
        assert_eq!(info.mcu, "MCU-A");
        // Nothing but configuration in the file: no user, hash, session or change log.
        let c = Connection::open(&file).expect("open");
        for t in ["users", "sessions", "change_log"] {
            assert_eq!(c.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get::<_, i64>(0)).expect("count"), 0, "{t}");
        }
        drop(c);

        // Another MCU with a configuration of its own.
        let dst = Store::open(&b).expect("b");
        dst.apply(Change::Put { record: profile("p9", "Old") }).expect("put");
        let upload = b.join("upload.partial");
        std::fs::copy(&file, &upload).expect("copy");
        // Refused while Hot Backup is on, and for another model, with the reason.
        let e = dst.stage_restore(&upload, McuModel::Cs2000, true, &actor()).expect_err("G9");
        assert!(e.to_string().contains("Hot Backup is on"), "{e}");
        let e = dst.stage_restore(&upload, McuModel::Cs4000, false, &actor()).expect_err("model");
        assert!(e.to_string().contains("same model"), "{e}");
        assert!(dst.pending_restore().is_none());
        dst.stage_restore(&upload, McuModel::Cs2000, false, &actor()).expect("kept");
        assert_eq!(dst.pending_restore().map(|i| i.mcu), Some("MCU-A".into()));
        // Nothing changes until the next start.
        assert_eq!(dst.list::<Profile>().expect("list").len(), 1);
        let users_before = dst.users().expect("users");
        let done = dst.apply_pending_restore(McuModel::Cs2000, false).expect("applied").expect("there was one");
        assert_eq!(done.removed, 1, "the old profile removed");
        assert!(done.written >= 1, "the backup's profile written");
        let names: Vec<String> = dst.list::<Profile>().expect("list").into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["HD"]);
        assert_eq!(dst.users().expect("users"), users_before, "users stay this MCU's own");
        assert!(dst.pending_restore().is_none(), "applied once");
        assert_eq!(dst.apply_pending_restore(McuModel::Cs2000, false).expect("none"), None);
    }

    #[test]
    fn an_upload_that_is_not_a_backup_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(dir.path()).expect("open");
        let upload = dir.path().join("upload.partial");
        let refused = |bytes: &[u8]| {
            std::fs::write(&upload, bytes).expect("write");
            store.stage_restore(&upload, McuModel::Cs2000, false, &actor()).expect_err("refused").to_string()
        };
        assert!(refused(b"hello, not a database").contains("not an MCU backup"));
        // A database, but not a downloaded backup (the MCU's own file, as the shell copies it).
        std::fs::copy(dir.path().join(super::super::DB_FILE), &upload).expect("copy");
        let e = store.stage_restore(&upload, McuModel::Cs2000, false, &actor()).expect_err("refused").to_string();
        assert!(e.contains("not a backup downloaded"), "{e}");
        // A downloaded backup cut short.
        let file = dir.path().join("download.sqlite3");
        store.export_backup(&file, "0.1.0", McuModel::Cs2000, "MCU-A", 0).expect("export");
        let bytes = std::fs::read(&file).expect("read");
        let e = refused(&bytes[..bytes.len() / 2]);
        assert!(e.contains("damaged") || e.contains("not an MCU backup"), "{e}");
        assert!(store.pending_restore().is_none());
    }
}
