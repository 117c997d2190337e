//! What a call record is built from: the conference's participants' entries in the change
//! log (found through the index of migration 7) and the takeovers that happened meanwhile.

use super::{Result, Store};
use crate::cdr::ConferenceHistory;
use crate::change::LogEntry;
use crate::model::Millis;

/// Where a page of the call history ends: the last record's end time and id.
pub type HistoryCursor = (Millis, String);
use rusqlite::{params, Connection};

fn entries(conn: &Connection, sql: &str, p: impl rusqlite::Params, out: &mut Vec<LogEntry>) -> Result<()> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(p, |r| {
        Ok((r.get::<_, u64>(0)?, r.get::<_, u64>(1)?, r.get::<_, Millis>(2)?, r.get::<_, String>(3)?))
    })?;
    for row in rows {
        let (seq, epoch, at_ms, json) = row?;
        // An entry this version cannot read is left out of the record, not fatal to it.
        if let Ok(change) = serde_json::from_str(&json) {
            out.push(LogEntry { seq, epoch, at_ms, change, actor: None });
        }
    }
    Ok(())
}

impl Store {
    /// The change-log entries of conference `id`'s participants, and the deletes of those
    /// that were deleted while still in the call, oldest first; and the epochs begun by
    /// another MCU than the one before (a takeover), with the time of their first change (or
    /// `now` when none yet).
    pub fn conference_history(&self, id: &str, now: Millis) -> Result<ConferenceHistory> {
        let conn = self.lock();
        let mut out = Vec::new();
        entries(
            &conn,
            "SELECT seq, epoch, at_ms, change FROM change_log INDEXED BY change_log_by_conference
             WHERE json_extract(change, '$.record.kind') = 'participant' AND json_extract(change, '$.record.value.conference_id') = ?1",
            params![id],
            &mut out,
        )?;
        out.sort_by_key(|e| e.seq);
        // A participant whose last entry leaves it in the call and that is gone now was
        // deleted: its delete is the first entry naming it after that (soon after, as a rule).
        let mut last: std::collections::HashMap<String, (u64, bool)> = Default::default();
        for e in &out {
            if let crate::Change::Put { record: crate::Record::Participant(p) } = &e.change {
                last.insert(p.id.clone(), (e.seq, p.state == crate::ParticipantState::Connected));
            }
        }
        let mut deleted = Vec::new();
        let in_call = last.into_iter().filter(|(_, (_, in_call))| *in_call).take(crate::cdr::MAX_PARTICIPANTS);
        for (pid, (seq, _)) in in_call {
            let gone: bool = conn
                .prepare_cached("SELECT NOT EXISTS(SELECT 1 FROM participants WHERE id = ?1)")?
                .query_row([&pid], |r| r.get(0))?;
            if gone {
                entries(
                    &conn,
                    "SELECT seq, epoch, at_ms, change FROM change_log
                     WHERE seq > ?1 AND json_extract(change, '$.op') = 'delete' AND json_extract(change, '$.id') = ?2
                     ORDER BY seq LIMIT 1",
                    params![seq, pid],
                    &mut deleted,
                )?;
            }
        }
        out.extend(deleted);
        out.sort_by_key(|e| e.seq);
        let mut stmt = conn.prepare_cached("SELECT epoch, start_seq, origin FROM epoch_history ORDER BY epoch")?;
        let epochs: Vec<(u64, u64, String)> =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<_>>()?;
        let mut takeovers = Vec::new();
        for pair in epochs.windows(2) {
            let ((_, _, before), (epoch, start, origin)) = (&pair[0], &pair[1]);
            if origin != before {
                let at: Option<Millis> = conn
                    .prepare_cached("SELECT at_ms FROM change_log WHERE seq = ?1")?
                    .query_row([start], |r| r.get(0))
                    .ok();
                takeovers.push((*epoch, at.unwrap_or(now)));
            }
        }
        Ok(ConferenceHistory { entries: out, takeovers })
    }

    /// Every call record's id and end time (for retention).
    pub fn call_record_ends(&self) -> Result<Vec<(String, Millis)>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached("SELECT id, json_extract(data, '$.end_ms') FROM call_records")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<Millis>>(1)?.unwrap_or(0))))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Call records that ended in `[from, to]`, newest first, at most `limit`.
    pub fn call_records(&self, from: Option<Millis>, to: Option<Millis>, limit: usize) -> Result<Vec<crate::cdr::CallRecord>> {
        self.call_records_page(from, to, None, limit)
    }

    /// One page of the call history `f` selects: `limit` records read after `after`, newest
    /// first, those of them that match, and where the next page starts (`None`: this was the
    /// last). The page and the exports read the history this way.
    pub fn call_history_page(
        &self,
        f: &crate::cdr::HistoryFilter,
        after: Option<HistoryCursor>,
        limit: usize,
    ) -> Result<(Vec<crate::cdr::CallRecord>, Option<HistoryCursor>)> {
        let page = self.call_records_page(f.from_ms, f.to_ms, after, limit)?;
        let next = (page.len() == limit).then(|| page.last().map(|r| (r.end_ms, r.id.clone()))).flatten();
        Ok((page.into_iter().filter(|r| f.matches(r)).collect(), next))
    }

    /// One page of [`Store::call_records`]: `limit` records after `after` (the last record
    /// of the previous page: its end time and id), newest first. An export reads the whole
    /// history this way with bounded memory.
    pub fn call_records_page(
        &self,
        from: Option<Millis>,
        to: Option<Millis>,
        after: Option<(Millis, String)>,
        limit: usize,
    ) -> Result<Vec<crate::cdr::CallRecord>> {
        let (after_ms, after_id) = match after {
            Some((ms, id)) => (Some(ms), Some(id)),
            None => (None, None),
        };
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT data FROM call_records
                 WHERE (?1 IS NULL OR json_extract(data, '$.end_ms') >= ?1) AND (?2 IS NULL OR json_extract(data, '$.end_ms') <= ?2)
                   AND (?4 IS NULL OR (json_extract(data, '$.end_ms'), id) < (?4, ?5))
                 ORDER BY json_extract(data, '$.end_ms') DESC, id DESC LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![from, to, limit as i64, after_ms, after_id], |r| r.get::<_, String>(0))?;
            let mut out = Vec::new();
            for row in rows {
                out.push(serde_json::from_str(&row?)?);
            }
            Ok(out)
        })
    }
}
