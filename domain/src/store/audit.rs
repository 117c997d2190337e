//! The audit trail's table: entries written with the change they record (same
//! transaction, on the Master and, from the change's actor, on the Slave) or on their own
//! (security events); read newest first through a filter; pruned by retention.

use super::{Result, Store};
use crate::audit::{AuditEntry, AuditFilter, AuditKind, Retention, MAX_ROWS};
use crate::model::Millis;
use crate::Role;
use rusqlite::{params, Connection};

/// Writes one entry with the caller's connection (inside its transaction, if any).
pub(crate) fn insert_in(conn: &Connection, e: &AuditEntry) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit (at_ms, mcu, user, role, client, kind, summary, ok, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![e.at_ms, e.mcu, e.user, e.role.map(|r| r.key()), e.client, e.kind.key(), e.summary, e.ok, e.seq])?;
    Ok(())
}

/// Writes an entry unless the trail has it already (the same change of the same MCU).
pub(crate) fn insert_once_in(conn: &Connection, e: &AuditEntry) -> Result<()> {
    let have: bool = conn
        .prepare_cached("SELECT EXISTS(SELECT 1 FROM audit WHERE at_ms = ?1 AND mcu = ?2 AND kind = ?3 AND seq IS ?4 AND summary = ?5)")?
        .query_row(params![e.at_ms, e.mcu, e.kind.key(), e.seq, e.summary], |r| r.get(0))?;
    if !have {
        // From the peer: bounded like any entry made here.
        let by = crate::audit::By { mcu: &e.mcu, user: &e.user, role: e.role, client: &e.client };
        let mut clean = crate::audit::entry(e.at_ms, by, e.kind, &e.summary, e.ok);
        clean.seq = e.seq;
        insert_in(conn, &clean)?;
    }
    Ok(())
}

/// The newest `limit` entries of changes (for a snapshot).
pub(crate) fn changes_in(conn: &Connection, limit: usize) -> Result<Vec<AuditEntry>> {
    query_in(conn, &AuditFilter { kind: Some(AuditKind::Change), ..Default::default() }, None, limit)
}

/// Where a page of the trail ends (newest first): the last entry's time and id. The next
/// page starts after it.
pub type AuditCursor = (Millis, i64);

fn query_in(conn: &Connection, f: &AuditFilter, after: Option<AuditCursor>, limit: usize) -> Result<Vec<AuditEntry>> {
    let user = f.user.as_ref().map(|u| format!("%{}%", u.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
    let mut stmt = conn.prepare_cached(
        "SELECT id, at_ms, mcu, user, role, client, kind, summary, ok, seq FROM audit
         WHERE (?1 IS NULL OR user LIKE ?1 ESCAPE '\\')
           AND (?2 IS NULL OR kind = ?2)
           AND (?3 IS NULL OR at_ms >= ?3)
           AND (?4 IS NULL OR at_ms <= ?4)
           AND (?6 IS NULL OR (at_ms, id) < (?6, ?7))
           AND (?8 = 0 OR kind NOT IN (?9, ?10))
         ORDER BY at_ms DESC, id DESC LIMIT ?5",
    )?;
    let (after_ms, after_id) = (after.map(|a| a.0), after.map(|a| a.1));
    let hidden = (f.hide_logins, AuditKind::Login.key(), AuditKind::Logout.key());
    let rows = stmt.query_map(params![user, f.kind.map(|k| k.key()), f.from_ms, f.to_ms, limit as i64, after_ms, after_id, hidden.0, hidden.1, hidden.2], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, Millis>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, String>(7)?,
            r.get::<_, bool>(8)?,
            r.get::<_, Option<u64>>(9)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, at_ms, mcu, user, role, client, kind, summary, ok, seq) = row?;
        // An entry this version cannot read is skipped, not fatal to the whole trail.
        let Some(kind) = AuditKind::from_key(&kind) else { continue };
        out.push(AuditEntry { id, at_ms, mcu, user, role: role.as_deref().and_then(Role::from_key), client, kind, summary, ok, seq });
    }
    Ok(out)
}

impl Store {
    /// Adds an entry (a security event, or a refused change).
    pub fn audit(&self, e: &AuditEntry) -> Result<()> {
        insert_in(&self.lock(), e)
    }

    /// The entries `f` asks for, newest first, at most [`MAX_ROWS`].
    pub fn audit_query(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
        self.read(|conn| query_in(conn, f, None, MAX_ROWS))
    }

    /// One page of what `f` asks for, newest first: `limit` entries after `after` (from the
    /// newest when `None`), on a reader connection. An export reads the whole trail this way
    /// with bounded memory; the page's last entry gives the next cursor.
    pub fn audit_page(&self, f: &AuditFilter, after: Option<AuditCursor>, limit: usize) -> Result<Vec<AuditEntry>> {
        self.read(|conn| query_in(conn, f, after, limit))
    }

    /// Drops what `r` no longer keeps: everything older than its days; then, while there
    /// are more entries than its count, the oldest that are not security events (those
    /// are never pushed out by the count, only by age).
    pub fn audit_prune(&self, r: Retention, now: Millis) -> Result<Pruned> {
        let conn = self.lock();
        let cutoff = now.saturating_sub(i64::from(r.max_days) * 86_400_000);
        let by_age = conn.execute("DELETE FROM audit WHERE at_ms < ?1", [cutoff])?;
        let total: i64 = conn.query_row("SELECT COUNT(*) FROM audit", [], |row| row.get(0))?;
        let excess = total.saturating_sub(i64::try_from(r.max_entries).unwrap_or(i64::MAX));
        let by_count = if excess > 0 {
            let security = AuditKind::SECURITY.iter().map(|k| format!("'{}'", k.key())).collect::<Vec<_>>().join(",");
            conn.execute(
                &format!("DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE kind NOT IN ({security}) ORDER BY id LIMIT ?1)"),
                [excess],
            )?
        } else {
            0
        };
        Ok(Pruned { by_age, by_count })
    }

    /// Whether `name` is a user of this MCU (names compare without case).
    pub fn user_exists(&self, name: &str) -> Result<bool> {
        let conn = self.lock();
        Ok(conn.query_row("SELECT COUNT(*) FROM users WHERE name = ?1", [name], |row| row.get::<_, i64>(0))? > 0)
    }
}

/// What one pruning of the audit trail removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Entries past the retention time.
    pub by_age: usize,
    /// Entries (never security events) past the retention count: the trail was full.
    pub by_count: usize,
}
