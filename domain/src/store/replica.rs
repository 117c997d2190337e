//! The store's Hot Backup side: where this MCU's copy of the synced state stands
//! ([`Position`], epoch history), applying the Master's changes in order
//! ([`Store::apply_replicated`]), full snapshots, the state digest, and promotion.
//!
//! The digest is an order-independent hash of every synced row (XOR of per-row SHA-256),
//! kept up to date in the same transaction as each change, so heartbeats can carry it
//! at no cost and two MCUs with equal digests hold the same synced state.

use super::*;
pub use crate::hotbackup::{Position, Snapshot};
use crate::hotbackup::EpochStart;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaOutcome {
    Applied,
    /// The entry was here already (a resend): nothing changed.
    AlreadyHad,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplError {
    #[error("changes are missing: this MCU has up to seq {have}, the next one sent is {got}")]
    Gap { have: u64, got: u64 },
    #[error("this MCU's copy differs from the Master's at seq {seq}")]
    Diverged { seq: u64 },
    #[error("a change from epoch {theirs} is older than this MCU's epoch {ours}")]
    Fenced { ours: u64, theirs: u64 },
    #[error("this MCU is not a Hot Backup Slave")]
    NotReplica,
    #[error("the snapshot does not match its digest")]
    BadSnapshot,
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<rusqlite::Error> for ReplError {
    fn from(e: rusqlite::Error) -> Self {
        ReplError::Domain(e.into())
    }
}

impl From<serde_json::Error> for ReplError {
    fn from(e: serde_json::Error) -> Self {
        ReplError::Domain(e.into())
    }
}

pub(super) fn row_hash(kind: EntityKind, id: &str, data: &str) -> u128 {
    let mut h = Sha256::new();
    h.update(kind.table().as_bytes());
    h.update([0]);
    h.update(id.as_bytes());
    h.update([0]);
    h.update(data.as_bytes());
    let d = h.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&d[..16]);
    u128::from_be_bytes(first)
}

pub(super) fn digest_in(conn: &Connection) -> Result<u128> {
    let v: Option<String> = conn.row("SELECT value FROM meta WHERE key = 'digest'", [], |r| r.get(0)).optional()?;
    match v {
        Some(s) => u128::from_str_radix(&s, 16).map_err(|_| DomainError::Storage(format!("bad digest '{s}' in meta"))),
        None => Ok(0),
    }
}

pub(super) fn set_digest_in(conn: &Connection, digest: u128) -> Result<()> {
    set_meta(conn, "digest", &format!("{digest:032x}"))
}

fn recompute_digest_in(conn: &Connection) -> Result<u128> {
    let mut digest = 0u128;
    for kind in EntityKind::ALL {
        let mut stmt = conn.prepare(&format!("SELECT id, data FROM {}", kind.table()))?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (id, data) = row?;
            digest ^= row_hash(kind, &id, &data);
        }
    }
    Ok(digest)
}

/// Gives a new database its instance id and its first epoch (which this MCU began).
pub(super) fn init_identity(conn: &Connection) -> Result<()> {
    let id: Option<String> = conn.query_row("SELECT value FROM meta WHERE key = 'instance_id'", [], |r| r.get(0)).optional()?;
    let id = match id {
        Some(id) => id,
        None => {
            let id = new_id();
            set_meta(conn, "instance_id", &id)?;
            id
        }
    };
    let epochs: i64 = conn.query_row("SELECT COUNT(*) FROM epoch_history", [], |r| r.get(0))?;
    if epochs == 0 {
        conn.execute("INSERT INTO epoch_history (epoch, start_seq, origin) VALUES (1, 1, ?1)", [id])?;
    }
    Ok(())
}

fn epochs_in(conn: &Connection) -> Result<Vec<EpochStart>> {
    let mut stmt = conn.prepare("SELECT epoch, start_seq, origin FROM epoch_history ORDER BY epoch")?;
    let rows = stmt.query_map([], |r| Ok(EpochStart { epoch: r.get(0)?, start_seq: r.get(1)?, origin: r.get(2)? }))?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row?);
    }
    Ok(out)
}

fn position_in(conn: &Connection) -> Result<Position> {
    let last: Option<(u64, u64)> = conn
        .row("SELECT seq, epoch FROM change_log ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let base = Position { epoch: meta_u64(conn, "base_epoch")?.max(1), seq: meta_u64(conn, "base_seq")? };
    Ok(match last {
        Some((seq, epoch)) if seq > base.seq => Position { epoch, seq },
        _ => base,
    })
}

/// Where a copy stands: (epoch, last seq, digest).
pub type Standing = (u64, u64, String);

/// Reads kept until the writer next lets go of its connection: the last
/// [`Store::standing`] and [`Store::load`], each with the writer's count of releases it was
/// read at. A read is kept only if the writer let go of nothing while it ran, and used only
/// while the count stands: a change is acknowledged after its writer let go, so a read
/// asked for after that never comes from before it.
#[derive(Default)]
pub(crate) struct ReadCache {
    version: std::sync::atomic::AtomicU64,
    standing: std::sync::Mutex<Option<(u64, Standing)>>,
    load: std::sync::Mutex<Option<(u64, crate::model::Load)>>,
}

impl ReadCache {
    fn version(&self) -> u64 {
        self.version.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The writer let go of its connection: whatever was kept may be out of date.
    pub(crate) fn moved(&self) {
        self.version.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    fn get<T: Clone>(&self, slot: &std::sync::Mutex<Option<(u64, T)>>) -> Option<T> {
        let kept = slot.lock().unwrap_or_else(|p| p.into_inner());
        match &*kept {
            Some((at, value)) if *at == self.version() => Some(value.clone()),
            _ => None,
        }
    }

    fn keep<T: Clone>(&self, slot: &std::sync::Mutex<Option<(u64, T)>>, read_at: u64, value: &T) {
        if read_at == self.version() {
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some((read_at, value.clone()));
        }
    }
}

impl Store {
    /// This database's permanent identity (a UUID made when it was created).
    pub fn instance_id(&self) -> Result<String> {
        let conn = self.lock();
        Ok(conn.query_row("SELECT value FROM meta WHERE key = 'instance_id'", [], |r| r.get(0))?)
    }

    /// Where this MCU's copy of the synced state stands.
    pub fn position(&self) -> Result<Position> {
        let conn = self.lock();
        position_in(&conn)
    }

    /// Which seq each epoch began at, oldest first.
    pub fn epoch_history(&self) -> Result<Vec<EpochStart>> {
        let conn = self.lock();
        epochs_in(&conn)
    }

    /// The oldest seq still in the change log (older changes exist only in snapshots).
    pub fn oldest_logged_seq(&self) -> Result<u64> {
        let conn = self.lock();
        Ok(meta_u64(&conn, "base_seq")? + 1)
    }

    /// Position and digest read together (no change can fall between them), for comparing
    /// two MCUs' copies.
    pub fn position_and_digest(&self) -> Result<(Position, String)> {
        let conn = self.lock();
        Ok((position_in(&conn)?, format!("{:032x}", digest_in(&conn)?)))
    }

    /// Where this copy stands, for the status the pages and `/healthz` show: epoch, last
    /// seq and digest, read together (one read transaction) on a reader connection, so a
    /// page never waits for the writer. Kept until the writer next lets go of its
    /// connection ([`StandingCache`]): most pages and health checks read nothing.
    pub fn standing(&self) -> Result<Standing> {
        let cache = &self.cache;
        if let Some(known) = cache.get(&cache.standing) {
            return Ok(known);
        }
        let read_at = cache.version();
        let now = self.read(|conn| {
            let tx = conn.unchecked_transaction()?;
            let out = (super::epoch_in(&tx)?, position_in(&tx)?.seq, format!("{:032x}", digest_in(&tx)?));
            tx.finish()?;
            Ok(out)
        })?;
        cache.keep(&cache.standing, read_at, &now);
        Ok(now)
    }

    /// [`Self::standing`] when it is known without reading.
    pub fn standing_known(&self) -> Option<Standing> {
        self.cache.get(&self.cache.standing)
    }

    /// [`Self::load`] when it is known without reading.
    pub fn load_known(&self) -> Option<crate::model::Load> {
        self.cache.get(&self.cache.load)
    }

    /// How busy this MCU is (ports held, participant alerts, its port configuration),
    /// for the header of every page: read on a reader connection, and kept like
    /// [`Self::standing`] until the writer next lets go.
    pub fn load(&self) -> Result<crate::model::Load> {
        let cache = &self.cache;
        if let Some(known) = cache.get(&cache.load) {
            return Ok(known);
        }
        let read_at = cache.version();
        let now = self.read(|conn| {
            let tx = conn.unchecked_transaction()?;
            let (holding, alerts, audio_only) = super::participant_load_in(&tx)?;
            let ports = super::local::local_in(&tx, super::keys::PORT_CONFIGURATION)?;
            tx.finish()?;
            Ok(crate::model::Load { ports_in_use: holding, participant_alerts: alerts, audio_only, ports })
        })?;
        cache.keep(&cache.load, read_at, &now);
        Ok(now)
    }

    /// Digest of the whole synced state (32 hex digits).
    pub fn digest(&self) -> Result<String> {
        let conn = self.lock();
        Ok(format!("{:032x}", digest_in(&conn)?))
    }

    /// The digest computed from scratch, to check the maintained one.
    pub fn recompute_digest(&self) -> Result<String> {
        let conn = self.lock();
        Ok(format!("{:032x}", recompute_digest_in(&conn)?))
    }

    /// Applies one change streamed from the Master, keeping the Master's (epoch, seq).
    /// In order only; a resend of an entry already here is accepted and ignored.
    /// `master_epochs` is the Master's epoch history (from the handshake), from which a
    /// new epoch's start is recorded here exactly as the Master has it.
    pub fn apply_replicated(
        &self,
        entry: &LogEntry,
        master_epochs: &[EpochStart],
    ) -> std::result::Result<ReplicaOutcome, ReplError> {
        let mut conn = self.lock();
        if self.write_mode() == WriteMode::Primary {
            return Err(ReplError::NotReplica);
        }
        let tx = conn.transaction()?;
        let outcome = apply_replicated_in(&tx, entry, master_epochs)?;
        tx.commit()?;
        Ok(outcome)
    }

    /// Applies a batch streamed from the Master in one transaction (one disk sync for the
    /// whole batch: a Slave keeps up with a busy Master). Each entry is all-or-nothing; on
    /// the first one refused, those before it are kept and the error is returned with
    /// their count.
    pub fn apply_replicated_batch(
        &self,
        entries: &[LogEntry],
        master_epochs: &[EpochStart],
    ) -> std::result::Result<usize, (usize, ReplError)> {
        let mut conn = self.lock();
        if self.write_mode() == WriteMode::Primary {
            return Err((0, ReplError::NotReplica));
        }
        let mut tx = conn.transaction().map_err(|e| (0, e.into()))?;
        let mut done = 0;
        let mut refused = None;
        for entry in entries {
            let sp = tx.savepoint().map_err(|e| (0, e.into()))?;
            match apply_replicated_in(&sp, entry, master_epochs) {
                Ok(_) => {
                    sp.commit().map_err(|e| (0, e.into()))?;
                    done += 1;
                }
                Err(e) => {
                    drop(sp); // rolls this entry back
                    refused = Some(e);
                    break;
                }
            }
        }
        tx.commit().map_err(|e| (0, e.into()))?;
        match refused {
            None => Ok(done),
            Some(e) => Err((done, e)),
        }
    }

    /// Records the Master's newer epochs that begin at this MCU's next change, once the
    /// caller has checked that this MCU's history is a prefix of `master_epochs`
    /// (`plan_catch_up` said Resume): the replica then follows, and is fenced by, the epoch
    /// its next change belongs to. Later epochs are learnt as their first change arrives.
    pub fn adopt_epochs(&self, master_epochs: &[EpochStart]) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let ours = epoch_in(&tx)?;
        let next = last_seq_in(&tx)? + 1;
        for e in master_epochs.iter().filter(|e| e.epoch > ours && e.start_seq <= next) {
            tx.execute(
                "INSERT INTO epoch_history (epoch, start_seq, origin) VALUES (?1, ?2, ?3)",
                params![e.epoch, e.start_seq, e.origin],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// A consistent copy of all synced state.
    pub fn snapshot(&self) -> Result<Snapshot> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let mut records = Vec::new();
        for kind in EntityKind::ALL {
            let mut stmt = tx.prepare(&format!("SELECT data FROM {} ORDER BY id", kind.table()))?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            for row in rows {
                records.push(decode(kind, &row?)?);
            }
        }
        let snap = Snapshot {
            position: position_in(&tx)?,
            epochs: epochs_in(&tx)?,
            records,
            digest: format!("{:032x}", digest_in(&tx)?),
            audit: super::audit::changes_in(&tx, crate::hotbackup::SNAPSHOT_AUDIT)?,
        };
        tx.commit()?;
        Ok(snap)
    }

    /// Replaces all synced state, the change log and the epoch history with `snap`.
    /// All or nothing: a snapshot whose rows do not give its digest is refused.
    pub fn install_snapshot(&self, snap: &Snapshot) -> std::result::Result<(), ReplError> {
        let mut conn = self.lock();
        if self.write_mode() == WriteMode::Primary {
            return Err(ReplError::NotReplica);
        }
        let tx = conn.transaction()?;
        for kind in EntityKind::ALL {
            tx.execute(&format!("DELETE FROM {}", kind.table()), [])?;
        }
        for record in &snap.records {
            tx.execute(
                &format!("INSERT INTO {} (id, name, parent_id, data) VALUES (?1, ?2, ?3, ?4)", record.kind().table()),
                params![record.id(), record.name().unwrap_or("").trim(), record.parent_id(), record_json(record)?],
            )?;
        }
        let digest = recompute_digest_in(&tx)?;
        if format!("{digest:032x}") != snap.digest {
            return Err(ReplError::BadSnapshot);
        }
        set_digest_in(&tx, digest)?;
        tx.execute("DELETE FROM change_log", [])?;
        tx.execute("DELETE FROM epoch_history", [])?;
        for e in &snap.epochs {
            tx.execute(
                "INSERT INTO epoch_history (epoch, start_seq, origin) VALUES (?1, ?2, ?3)",
                params![e.epoch, e.start_seq, e.origin],
            )?;
        }
        set_meta(&tx, "base_seq", &snap.position.seq.to_string())?;
        set_meta(&tx, "base_epoch", &snap.position.epoch.to_string())?;
        // The Master's change history joins this MCU's own trail (what it already has once).
        for e in snap.audit.iter().rev() {
            super::audit::insert_once_in(&tx, e)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The changes after `seq` that this MCU made or kept and its new Master does not have:
    /// to be exported before they are replaced (never silently dropped).
    pub fn changes_after(&self, seq: u64) -> Result<Vec<LogEntry>> {
        self.changes_since(seq, usize::MAX >> 1)
    }

    /// Starts a new epoch with this MCU as its origin (failover or taking over): changes
    /// from now on carry it. Returns the new epoch.
    pub fn promote(&self) -> Result<u64> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let epoch = epoch_in(&tx)? + 1;
        let start = last_seq_in(&tx)? + 1;
        let origin: String = tx.query_row("SELECT value FROM meta WHERE key = 'instance_id'", [], |r| r.get(0))?;
        tx.execute(
            "INSERT INTO epoch_history (epoch, start_seq, origin) VALUES (?1, ?2, ?3)",
            params![epoch, start, origin],
        )?;
        tx.commit()?;
        Ok(epoch)
    }
}

pub(super) fn decode(kind: EntityKind, data: &str) -> Result<Record> {
    Ok(match kind {
        EntityKind::Profile => Record::Profile(serde_json::from_str(data)?),
        EntityKind::MeetingRoom => Record::MeetingRoom(serde_json::from_str(data)?),
        EntityKind::EntryQueue => Record::EntryQueue(serde_json::from_str(data)?),
        EntityKind::IvrService => Record::IvrService(serde_json::from_str(data)?),
        EntityKind::RecordingLink => Record::RecordingLink(serde_json::from_str(data)?),
        EntityKind::Conference => Record::Conference(serde_json::from_str(data)?),
        EntityKind::Participant => Record::Participant(serde_json::from_str(data)?),
        EntityKind::Reservation => Record::Reservation(serde_json::from_str(data)?),
        EntityKind::NetworkService => Record::NetworkService(serde_json::from_str(data)?),
        EntityKind::CallRecord => Record::CallRecord(serde_json::from_str(data)?),
        EntityKind::Template => Record::Template(serde_json::from_str(data)?),
        EntityKind::AddressEntry => Record::AddressEntry(serde_json::from_str(data)?),
    })
}

/// One replicated entry inside the caller's transaction (see [`Store::apply_replicated`]).
fn apply_replicated_in(tx: &Connection, entry: &LogEntry, master_epochs: &[EpochStart]) -> std::result::Result<ReplicaOutcome, ReplError> {
    let have = last_seq_in(tx)?;
    let json = serde_json::to_string(&entry.change)?;
    if entry.seq <= have {
        let stored: Option<(u64, String)> = tx
            .row("SELECT epoch, change FROM change_log WHERE seq = ?1", [entry.seq], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        return match stored {
            Some((epoch, change)) if epoch == entry.epoch && change == json => Ok(ReplicaOutcome::AlreadyHad),
            // Covered by the installed snapshot, which came from the same history.
            None if entry.seq <= meta_u64(tx, "base_seq")? => Ok(ReplicaOutcome::AlreadyHad),
            _ => Err(ReplError::Diverged { seq: entry.seq }),
        };
    }
    if entry.seq != have + 1 {
        return Err(ReplError::Gap { have, got: entry.seq });
    }
    let ours = epoch_in(tx)?;
    if entry.epoch < ours {
        return Err(ReplError::Fenced { ours, theirs: entry.epoch });
    }
    let audited = entry.actor.is_some();
    let before = if audited { super::participant_before_in(tx, &entry.change)? } else { None };
    let summary = super::audit_summary_in(tx, &entry.change, before.as_ref(), audited)?;
    apply_in(tx, &entry.change).map_err(|e| match e {
        DomainError::Storage(_) => ReplError::Domain(e),
        // The Master accepted this change, so refusing it means the copies differ.
        _ => ReplError::Diverged { seq: entry.seq },
    })?;
    if entry.epoch > ours {
        let Some(start) = master_epochs.iter().find(|e| e.epoch == entry.epoch) else {
            return Err(ReplError::Diverged { seq: entry.seq });
        };
        tx.exec(
            "INSERT INTO epoch_history (epoch, start_seq, origin) VALUES (?1, ?2, ?3)",
            params![start.epoch, start.start_seq, start.origin],
        )?;
    }
    let actor_json = entry.actor.as_ref().map(serde_json::to_string).transpose()?;
    tx.exec(
        "INSERT INTO change_log (seq, epoch, at_ms, change, actor) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![entry.seq, entry.epoch, entry.at_ms, json, actor_json],
    )?;
    super::audit_change_in(tx, entry, summary)?;
    Ok(ReplicaOutcome::Applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hotbackup::{plan_catch_up, CatchUp};

    struct Pair {
        _dirs: (tempfile::TempDir, tempfile::TempDir),
        master: Store,
        slave: Store,
    }

    fn pair() -> Pair {
        let (a, b) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
        let master = Store::open(a.path()).expect("master");
        let slave = Store::open(b.path()).expect("slave");
        slave.set_write_mode(WriteMode::Replica { master: "127.0.0.1:3000".into() });
        Pair { _dirs: (a, b), master, slave }
    }

    fn profile(name: &str) -> Record {
        Record::Profile(Profile {
            id: new_id(),
            name: name.into(),
            line_rate_kbps: 1024,
            resolution: Resolution::Sd,
            encryption: false,
            layout: "2x2".into(),
            auto_terminate: false,
            recording_link_id: String::new(),
        })
    }

    fn put(r: Record) -> Change {
        Change::Put { record: r }
    }

    #[test]
    fn the_standing_shown_is_never_older_than_a_change_written_before_it_was_asked() {
        let p = pair();
        let (epoch, seq, digest) = p.master.standing().expect("standing");
        assert_eq!(p.master.standing_known(), Some((epoch, seq, digest.clone())), "kept after a read");
        let entry = p.master.apply(put(profile("Kept"))).expect("change");
        assert_eq!(p.master.standing_known(), None, "a write forgets it");
        let (_, seq2, digest2) = p.master.standing().expect("standing");
        assert_eq!(seq2, entry.seq);
        assert_ne!(digest2, digest);
        assert_eq!(digest2, p.master.digest().expect("digest"));
        // The same on a Slave: each replicated change is seen at once.
        sync(&p);
        assert_eq!(p.slave.standing().expect("slave").1, entry.seq);
        let more = p.master.apply(put(profile("More"))).expect("change");
        sync(&p);
        assert_eq!(p.slave.standing().expect("slave"), p.master.standing().expect("master"));
        assert_eq!(p.slave.standing().expect("slave").1, more.seq);
    }

    /// Streams what the slave lacks, as the replication engine does.
    fn sync(p: &Pair) {
        let epochs = p.master.epoch_history().expect("epochs");
        let plan = plan_catch_up(&epochs, p.master.oldest_logged_seq().expect("oldest"), p.master.last_seq().expect("last"),
            &p.slave.epoch_history().expect("epochs"), p.slave.position().expect("pos").seq);
        match plan {
            CatchUp::Resume { after_seq } => {
                for entry in p.master.changes_since(after_seq, 10_000).expect("log") {
                    p.slave.apply_replicated(&entry, &epochs).expect("apply");
                }
            }
            CatchUp::Snapshot { .. } => p.slave.install_snapshot(&p.master.snapshot().expect("snap")).expect("install"),
        }
    }

    #[test]
    fn a_users_change_is_in_both_trails_with_its_actor_and_the_trail_is_filtered_and_pruned() {
        use crate::audit::{Actor, AuditFilter, AuditKind, Retention};
        let p = pair();
        let actor = Actor { user: "ops".into(), role: crate::Role::Operator, client: "10.1.2.3".into(), mcu: "MCU-A".into() };
        let rec = profile("HD");
        let id = rec.id().to_string();
        p.master.apply_as(put(rec), Some(actor.clone())).expect("by a user");
        p.master.apply(put(profile("By the scheduler"))).expect("by the MCU");
        p.master.apply_as(Change::Delete { kind: EntityKind::Profile, id }, Some(actor.clone())).expect("delete");
        sync(&p);
        for (who, s) in [("master", &p.master), ("slave", &p.slave)] {
            let trail = s.audit_query(&AuditFilter::default()).expect("trail");
            let what: Vec<(&str, &str, Option<u64>)> = trail.iter().map(|e| (e.user.as_str(), e.summary.as_str(), e.seq)).collect();
            assert_eq!(what, vec![("ops", "Conference Profile 'HD' deleted", Some(3)), ("ops", "Conference Profile 'HD' saved", Some(1))], "{who}");
            assert!(trail.iter().all(|e| e.mcu == "MCU-A" && e.client == "10.1.2.3" && e.role == Some(crate::Role::Operator)), "{who}");
        }
        // Streamed (not by snapshot): the actor is in the Slave's change log too (a later
        // Master serves it on) and in its trail.
        p.master.apply_as(put(profile("SD")), Some(actor.clone())).expect("by a user");
        sync(&p);
        let log = p.slave.changes_since(0, 10).expect("log");
        assert_eq!(log.last().and_then(|e| e.actor.clone()), Some(actor));
        assert_eq!(p.slave.audit_query(&AuditFilter::default()).expect("trail")[0].summary, "Conference Profile 'SD' saved");
        sync(&p);
        assert_eq!(p.slave.audit_query(&AuditFilter::default()).expect("trail").len(), 3, "nothing twice");
        // Security events are the MCU's own; the filter reads user, kind and time.
        let e = crate::audit::entry(5_000, crate::audit::By { mcu: "MCU-B", user: "eve", role: None, client: "10.9.9.9" }, AuditKind::LoginFailed, "Wrong user name or password.", false);
        p.slave.audit(&e).expect("login failed");
        let only = |f: AuditFilter| p.slave.audit_query(&f).expect("query").into_iter().map(|e| e.user).collect::<Vec<_>>();
        assert_eq!(only(AuditFilter { kind: Some(AuditKind::LoginFailed), ..Default::default() }), vec!["eve"]);
        assert_eq!(only(AuditFilter { user: Some("OP".into()), ..Default::default() }).len(), 3, "a part of the name, any case");
        assert_eq!(only(AuditFilter { user: Some("%".into()), ..Default::default() }).len(), 0, "wildcards are literal");
        assert_eq!(only(AuditFilter { to_ms: Some(6_000), ..Default::default() }), vec!["eve"]);
        // Retention: the old login goes by age, then the oldest beyond the count.
        use crate::store::Pruned;
        assert_eq!(p.slave.audit_prune(Retention { max_entries: 10, max_days: 1 }, 2 * 86_400_000).expect("prune"), Pruned { by_age: 1, by_count: 0 });
        assert_eq!(p.slave.audit_prune(Retention { max_entries: 1, max_days: 3650 }, crate::store::now_ms()).expect("prune"), Pruned { by_age: 0, by_count: 2 });
        assert_eq!(only(AuditFilter::default()), vec!["ops"]);
        assert_eq!(p.slave.audit_query(&AuditFilter::default()).expect("q")[0].summary, "Conference Profile 'SD' saved", "the newest stays");
        // Logins are left out when asked (a failed one always shows); pages follow a cursor.
        let now = crate::store::now_ms();
        p.slave.audit(&crate::audit::entry(now, crate::audit::By { mcu: "MCU-B", user: "eve", role: None, client: "10.9.9.9" }, AuditKind::LoginFailed, "Wrong user name or password.", false)).expect("failed");
        for (at, kind) in [(now + 1, AuditKind::Login), (now + 2, AuditKind::Logout)] {
            let by = crate::audit::By { mcu: "MCU-B", user: "lou", role: Some(crate::Role::Operator), client: "10.9.9.8" };
            p.slave.audit(&crate::audit::entry(at, by, kind, "in or out", true)).expect("login");
        }
        let all = only(AuditFilter::default());
        assert!(all.contains(&"lou".to_string()));
        let quiet = only(AuditFilter::default().showing_logins(false));
        assert_eq!(quiet.len(), all.len() - 2, "{quiet:?}");
        assert!(quiet.contains(&"eve".to_string()), "a failed login is never hidden");
        assert_eq!(only(AuditFilter { kind: Some(AuditKind::Login), ..Default::default() }.showing_logins(false)), vec!["lou"], "asked for by kind");
        let first = p.slave.audit_page(&AuditFilter::default(), None, 2).expect("page 1");
        let cursor = crate::audit::parse_cursor(&crate::audit::cursor_after(&first[1])).expect("cursor");
        let second = p.slave.audit_page(&AuditFilter::default(), cursor, 100).expect("page 2");
        assert_eq!(first.len() + second.len(), all.len());
        assert!(second.iter().all(|e| first.iter().all(|f| f.id != e.id)), "no entry twice");
        assert!(crate::audit::parse_cursor("x.y").is_err() && crate::audit::parse_cursor("").expect("none").is_none());
    }

    #[test]
    fn a_flood_of_changes_pushes_out_no_security_event_only_age_does() {
        use crate::audit::{AuditFilter, AuditKind, By, Retention};
        let p = pair();
        let by = By { mcu: "MCU-A", user: "admin", role: Some(crate::Role::Administrator), client: "10.0.0.1" };
        let now = crate::store::now_ms();
        p.master.audit(&crate::audit::entry(now - 3 * 86_400_000, by, AuditKind::Login, "Logged in.", true)).expect("old login");
        p.master.audit(&crate::audit::entry(now - 1_000, by, AuditKind::Security, "SIP/H.323 security credentials changed.", true)).expect("security");
        for i in 0..20 {
            p.master.apply(put(profile(&format!("P{i}")))).expect("change");
            p.master.audit(&crate::audit::entry(now, by, AuditKind::Alarm, "Alarm acknowledged.", true)).expect("alarm");
        }
        // A count of 5: every change and alarm entry beyond it goes, both security events stay.
        let pruned = p.master.audit_prune(Retention { max_entries: 5, max_days: 30 }, now).expect("prune");
        assert!(pruned.by_count > 0, "{pruned:?}");
        let kinds: Vec<AuditKind> = p.master.audit_query(&AuditFilter::default()).expect("trail").into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds.len(), 5, "{kinds:?}");
        assert!(kinds.contains(&AuditKind::Login) && kinds.contains(&AuditKind::Security), "{kinds:?}");
        // Only age removes a security event.
        assert_eq!(p.master.audit_prune(Retention { max_entries: 5, max_days: 2 }, now).expect("prune").by_age, 1);
        assert!(!p.master.audit_query(&AuditFilter::default()).expect("trail").iter().any(|e| e.kind == AuditKind::Login));
    }

    #[test]
    fn a_slave_refuses_changes_by_hand_and_a_master_refuses_replicated_ones() {
        let p = pair();
        let err = p.slave.apply(put(profile("x"))).expect_err("G5");
        assert!(matches!(err, DomainError::Forbidden(ref m) if m.contains("Master MCU (127.0.0.1:3000)")), "{err:?}");
        let entry = p.master.apply(put(profile("y"))).expect("master");
        assert_eq!(p.master.apply_replicated(&entry, &[]), Err(ReplError::NotReplica));
    }

    #[test]
    fn changes_apply_in_order_idempotently_and_digests_converge() {
        let p = pair();
        let first = p.master.apply(put(profile("A"))).expect("a");
        let Record::Profile(mut b) = profile("B") else { unreachable!() };
        p.master.apply(put(Record::Profile(b.clone()))).expect("b");
        b.line_rate_kbps = 4096;
        p.master.apply(put(Record::Profile(b.clone()))).expect("b2");
        let epochs = p.master.epoch_history().expect("epochs");
        let log = p.master.changes_since(0, 100).expect("log");

        // Out of order: refused, nothing written.
        assert_eq!(p.slave.apply_replicated(&log[1], &epochs), Err(ReplError::Gap { have: 0, got: 2 }));
        for e in &log {
            assert_eq!(p.slave.apply_replicated(e, &epochs), Ok(ReplicaOutcome::Applied));
        }
        // A resend changes nothing.
        assert_eq!(p.slave.apply_replicated(&first, &epochs), Ok(ReplicaOutcome::AlreadyHad));
        assert_eq!(p.slave.position().expect("pos"), p.master.position().expect("pos"));
        assert_eq!(p.slave.digest().expect("d"), p.master.digest().expect("d"));
        assert_eq!(p.slave.digest().expect("d"), p.slave.recompute_digest().expect("d"));
        assert_eq!(p.slave.list::<Profile>().expect("list"), p.master.list::<Profile>().expect("list"));
        // A different entry under a seq already held means the copies diverged.
        let mut forged = log[0].clone();
        forged.change = put(profile("Z"));
        assert_eq!(p.slave.apply_replicated(&forged, &epochs), Err(ReplError::Diverged { seq: 1 }));
    }

    #[test]
    fn a_reconnecting_slave_resumes_from_its_position() {
        let p = pair();
        p.master.apply(put(profile("A"))).expect("a");
        sync(&p);
        for i in 0..5 {
            p.master.apply(put(profile(&format!("P{i}")))).expect("p");
        }
        assert_eq!(p.slave.position().expect("pos").seq, 1);
        sync(&p);
        assert_eq!(p.slave.position().expect("pos").seq, 6);
        assert_eq!(p.slave.digest().expect("d"), p.master.digest().expect("d"));
    }

    #[test]
    fn a_snapshot_replaces_everything_and_streaming_continues_after_it() {
        let p = pair();
        // The slave had a life of its own before; the snapshot replaces it.
        p.slave.set_write_mode(WriteMode::Primary);
        p.slave.apply(put(profile("Old"))).expect("old");
        p.slave.set_write_mode(WriteMode::Replica { master: "m".into() });
        let conf = Conference { id: new_id(), name: "Board".into(), numeric_id: "77".into(), profile_id: String::new(), start_ms: 0, end_ms: None, source_id: None, locked: false, auto_extended: 0, owner: String::new(), chairperson_password: String::new(), conference_password: String::new(), entry_queue: false, recording: Default::default() };
        p.master.apply(put(Record::Conference(conf.clone()))).expect("conf");
        p.master.apply(put(profile("New"))).expect("new");
        sync(&p);
        assert_eq!(p.slave.list::<Profile>().expect("l").iter().map(|x| x.name.as_str()).collect::<Vec<_>>(), vec!["New"]);
        assert_eq!(p.slave.list::<Conference>().expect("c"), vec![conf]);
        assert_eq!(p.slave.digest().expect("d"), p.master.digest().expect("d"));
        assert_eq!(p.slave.position().expect("p"), p.master.position().expect("p"));
        p.master.apply(put(profile("After"))).expect("after");
        sync(&p);
        assert_eq!(p.slave.digest().expect("d"), p.master.digest().expect("d"));
        assert_eq!(p.slave.position().expect("p").seq, 3);

        let mut bad = p.master.snapshot().expect("snap");
        bad.records.pop();
        assert_eq!(p.slave.install_snapshot(&bad), Err(ReplError::BadSnapshot));
        assert_eq!(p.slave.digest().expect("d"), p.master.digest().expect("d"), "a refused snapshot changes nothing");
    }

    #[test]
    fn after_failover_the_new_epoch_fences_the_old_master() {
        let p = pair();
        p.master.apply(put(profile("A"))).expect("a");
        sync(&p);
        // The old Master writes one more change that never reaches the Slave, then dies.
        let lost = p.master.apply(put(profile("Unacked"))).expect("b");
        // The Slave takes over.
        p.slave.set_write_mode(WriteMode::Primary);
        assert_eq!(p.slave.promote().expect("promote"), 2);
        let e2 = p.slave.apply(put(profile("OnNewMaster"))).expect("c");
        assert_eq!((e2.epoch, e2.seq), (2, 2));

        // The old Master comes back as Slave: it must export seq 2 and take a snapshot.
        let (new_master, old_master) = (&p.slave, &p.master);
        old_master.set_write_mode(WriteMode::Replica { master: "new".into() });
        let plan = plan_catch_up(&new_master.epoch_history().expect("h"), new_master.oldest_logged_seq().expect("o"),
            new_master.last_seq().expect("l"), &old_master.epoch_history().expect("h"), old_master.position().expect("p").seq);
        assert_eq!(plan, CatchUp::Snapshot { export_after: Some(1) });
        assert_eq!(old_master.changes_after(1).expect("export"), vec![lost]);
        old_master.install_snapshot(&new_master.snapshot().expect("s")).expect("install");
        assert_eq!(old_master.digest().expect("d"), new_master.digest().expect("d"));
        assert_eq!(old_master.epoch().expect("e"), 2);

        // An entry from the dead epoch is fenced off from now on.
        let stale = LogEntry { epoch: 1, seq: 3, at_ms: 0, change: put(profile("Stale")), actor: None };
        assert_eq!(old_master.apply_replicated(&stale, &[]), Err(ReplError::Fenced { ours: 2, theirs: 1 }));
        // And streaming from the new Master goes on.
        let e3 = new_master.apply(put(profile("Later"))).expect("later");
        assert_eq!(old_master.apply_replicated(&e3, &new_master.epoch_history().expect("h")), Ok(ReplicaOutcome::Applied));
    }

    fn logged(store: &Store) -> usize {
        store.read(|c| Ok(c.query_row("SELECT COUNT(*) FROM change_log", [], |r| r.get::<_, i64>(0))?)).expect("count") as usize
    }

    /// Fault seed 423536621: an old Master acknowledged a change that was being written as
    /// it stepped down, and its export of what the new Master lacked had been read just
    /// before. Once the write mode is switched, nothing more is written under the old one.
    #[test]
    fn a_change_written_as_the_mcu_steps_down_is_in_what_it_exports() {
        let p = pair();
        let old_master = &p.master;
        let (seq_at_switch, written) = std::thread::scope(|scope| {
            // A write transaction is under way (the writer's lock is held) ...
            let busy = old_master.lock();
            // ... while a change made by hand waits for the writer ...
            let change = scope.spawn(|| old_master.apply(put(profile("Racing"))));
            std::thread::sleep(std::time::Duration::from_millis(50));
            // ... and the MCU steps down: what it holds at that moment is what it exports.
            // (Counted on a reader connection, which never waits for the writer.)
            let step_down = scope.spawn(|| {
                old_master.set_write_mode(WriteMode::Replica { master: "new".into() });
                logged(old_master)
            });
            std::thread::sleep(std::time::Duration::from_millis(50));
            drop(busy);
            let at_switch = step_down.join().expect("step-down thread");
            (at_switch, change.join().expect("change thread"))
        });
        let now = logged(old_master);
        assert_eq!(now, old_master.changes_after(0).expect("export").len());
        assert_eq!(now, seq_at_switch, "a change was written after the step-down's export was read: {written:?}");
        match written {
            Ok(_) => assert_eq!(now, 1, "written before the switch, so exported"),
            Err(e) => assert!(matches!(e, DomainError::Forbidden(_)), "refused as on a Slave: {e}"),
        }
    }

    #[test]
    fn own_settings_users_and_credentials_never_travel() {
        // G2, G7, G10: users, Security credentials, port configuration, own addresses and
        // Hot Backup settings are not Records, so neither the log nor a snapshot carries them.
        let p = pair();
        p.master.set_local(keys::SECURITY, &SecurityCredentials { sip_user: "sip".into(), sip_password: "s3cret".into(), ..Default::default() }).expect("sec");
        p.master.set_local(keys::PORT_CONFIGURATION, &PortConfiguration { video_ports: 99, ..Default::default() }).expect("ports");
        p.master.set_local(keys::NETWORK_ADDRESSES, &NetworkAddresses { signalling: "10.0.0.1".into(), media: "10.0.0.2".into() }).expect("addr");
        p.master.create_user("only-on-master", "password-1", crate::Role::Operator).expect("user");
        let mut ns = NetworkService::default();
        ns.gatekeeper.aliases = vec!["mcu1".into()];
        p.master.apply(put(Record::NetworkService(ns.clone()))).expect("ns");
        sync(&p);
        assert_eq!(p.slave.network_service().expect("ns"), ns, "the synced part arrives");
        assert_eq!(p.slave.local::<SecurityCredentials>(keys::SECURITY).expect("sec"), SecurityCredentials::default());
        assert_eq!(p.slave.local::<PortConfiguration>(keys::PORT_CONFIGURATION).expect("p"), PortConfiguration::default());
        assert_eq!(p.slave.local::<NetworkAddresses>(keys::NETWORK_ADDRESSES).expect("a"), NetworkAddresses::default());
        assert!(p.slave.users().expect("users").is_empty());
        let snap = serde_json::to_string(&p.master.snapshot().expect("snap")).expect("json");
        assert!(!snap.contains("s3cret") && !snap.contains("10.0.0.1") && !snap.contains("only-on-master"));
    }

    #[test]
    fn a_resuming_slave_adopts_the_masters_newer_epoch_before_any_change_in_it() {
        let p = pair();
        p.master.apply(put(profile("A"))).expect("a");
        sync(&p);
        p.master.promote().expect("promote");
        p.slave.adopt_epochs(&p.master.epoch_history().expect("h")).expect("adopt");
        assert_eq!(p.slave.epoch_history().expect("h"), p.master.epoch_history().expect("h"));
        let stale = LogEntry { epoch: 1, seq: 2, at_ms: 0, change: put(profile("Stale")), actor: None };
        assert_eq!(p.slave.apply_replicated(&stale, &[]), Err(ReplError::Fenced { ours: 2, theirs: 1 }));
    }

    #[test]
    fn a_slave_behind_does_not_adopt_an_epoch_that_begins_later() {
        let p = pair();
        p.master.apply(put(profile("A"))).expect("a");
        sync(&p);
        p.master.apply(put(profile("B"))).expect("b, still epoch 1");
        p.master.promote().expect("epoch 2 begins at seq 3");
        let epochs = p.master.epoch_history().expect("h");
        p.slave.adopt_epochs(&epochs).expect("adopt");
        assert_eq!(p.slave.epoch().expect("e"), 1, "seq 2 is still epoch 1");
        sync(&p);
        assert_eq!(p.slave.last_seq().expect("seq"), 2, "the epoch-1 change still applies");
        p.slave.adopt_epochs(&epochs).expect("adopt");
        assert_eq!(p.slave.epoch().expect("e"), 2);
    }

    #[test]
    fn a_slave_learns_a_new_epoch_exactly_as_the_master_has_it() {
        let p = pair();
        p.master.apply(put(profile("A"))).expect("a");
        sync(&p);
        p.master.promote().expect("promote");
        p.master.apply(put(profile("B"))).expect("b");
        sync(&p);
        assert_eq!(p.slave.epoch_history().expect("h"), p.master.epoch_history().expect("h"));
        assert_eq!(p.slave.epoch().expect("e"), 2);
    }

    #[test]
    fn a_batch_applies_in_one_go_and_keeps_what_came_before_a_refused_entry() {
        let p = pair();
        for i in 0..5 {
            p.master.apply(Change::Put { record: profile(&format!("P{i}")) }).expect("apply");
        }
        let (log, epochs) = (p.master.changes_after(0).expect("log"), p.master.epoch_history().expect("epochs"));
        assert_eq!(p.slave.apply_replicated_batch(&log[..3], &epochs), Ok(3));
        // A gap: entry 5 without 4. Nothing of it is applied, and the error says how many were.
        assert_eq!(p.slave.apply_replicated_batch(&log[4..], &epochs), Err((0, ReplError::Gap { have: 3, got: 5 })));
        assert_eq!(p.slave.apply_replicated_batch(&log[2..], &epochs), Ok(3), "a resend of 3 is ignored, 4 and 5 applied");
        assert_eq!(p.slave.digest().expect("digest"), p.master.digest().expect("digest"));
        assert_eq!(p.slave.recompute_digest().expect("digest"), p.slave.digest().expect("digest"));
    }
}
