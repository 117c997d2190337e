//! The MCU's embedded database: one SQLite file per MCU in its data folder, WAL mode,
//! `synchronous = FULL` so a write is on disk when the call returns.
//!
//! Synced state (spec §1, "Synced? yes") is written only by [`Store::apply`], which
//! applies a typed [`Change`] and appends it to the `change_log` in one transaction.
//! Users, sessions and each MCU's own settings have their own methods and never enter
//! the change log.

mod audit;
pub use audit::{AuditCursor, Pruned};
mod cdr;
pub use cdr::HistoryCursor;
mod replica;
mod restore;
pub use restore::{Restored, PENDING_RESTORE};
mod local;
pub mod secrets;
mod sessions;
mod users;
pub use replica::{Position, ReplError, ReplicaOutcome, Snapshot};
pub use crate::hotbackup::EpochStart;

use crate::auth;
use crate::audit::Actor;
use crate::change::{Change, EntityKind, LogEntry, Record, NETWORK_SERVICE_ID};
use crate::model::*;
use crate::{DomainError, Role};
use rusqlite::{params, Connection, OptionalExtension};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

type Result<T> = std::result::Result<T, DomainError>;

/// File name of the database inside the data folder.
pub const DB_FILE: &str = "mcu.sqlite3";
/// How long a login lasts.
pub const SESSION_TTL_MS: Millis = 12 * 3600 * 1000;
/// A session's last use is written at most this often.
pub const SESSION_TOUCH_MS: Millis = 10_000;

pub fn now_ms() -> Millis {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as Millis).unwrap_or(0)
}

/// A fresh id for a synced record.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Schema migrations, applied in order; `PRAGMA user_version` counts those applied.
/// Append new steps; never edit one that has shipped.
const MIGRATIONS: &[&str] = &[
    // 1: users, sessions, metadata, own settings, change log, one table per synced kind.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE users (
         name TEXT PRIMARY KEY COLLATE NOCASE,
         role TEXT NOT NULL,
         password_hash TEXT NOT NULL,
         created_ms INTEGER NOT NULL);
     CREATE TABLE sessions (
         token_digest TEXT PRIMARY KEY,
         user_name TEXT NOT NULL COLLATE NOCASE,
         expires_ms INTEGER NOT NULL);
     CREATE TABLE local_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE change_log (
         seq INTEGER PRIMARY KEY,
         epoch INTEGER NOT NULL,
         at_ms INTEGER NOT NULL,
         change TEXT NOT NULL);
     CREATE TABLE profiles (id TEXT PRIMARY KEY, name TEXT NOT NULL, parent_id TEXT, data TEXT NOT NULL);
     CREATE TABLE meeting_rooms (id TEXT PRIMARY KEY, name TEXT NOT NULL, parent_id TEXT, data TEXT NOT NULL);
     CREATE TABLE entry_queues (id TEXT PRIMARY KEY, name TEXT NOT NULL, parent_id TEXT, data TEXT NOT NULL);
     CREATE TABLE ivr_services (id TEXT PRIMARY KEY, name TEXT NOT NULL, parent_id TEXT, data TEXT NOT NULL);
     CREATE TABLE recording_links (id TEXT PRIMARY KEY, name TEXT NOT NULL, parent_id TEXT, data TEXT NOT NULL);
     CREATE TABLE conferences (id TEXT PRIMARY KEY, name TEXT NOT NULL, parent_id TEXT, data TEXT NOT NULL);
     CREATE TABLE participants (id TEXT PRIMARY KEY, name TEXT NOT NULL, parent_id TEXT, data TEXT NOT NULL);
     CREATE INDEX participants_by_conference ON participants(parent_id);
     CREATE TABLE reservations (id TEXT PRIMARY KEY, name TEXT NOT NULL, parent_id TEXT, data TEXT NOT NULL);
     CREATE TABLE network_service (id TEXT PRIMARY KEY, name TEXT NOT NULL, parent_id TEXT, data TEXT NOT NULL);",
    // 2: Hot Backup. A password verifier comparable between the two MCUs (G2), the history
    // of epochs (which seq each began at), used to find where a rejoining MCU diverged.
    "ALTER TABLE users ADD COLUMN verifier TEXT NOT NULL DEFAULT '';
     CREATE TABLE epoch_history (epoch INTEGER PRIMARY KEY, start_seq INTEGER NOT NULL, origin TEXT NOT NULL);",
    // 3: indexes for the checks made on every change: unique names, the shared pool of
    // numeric IDs, connected participants (the capacity check).
    "CREATE INDEX profiles_by_name ON profiles(name COLLATE NOCASE);
     CREATE INDEX meeting_rooms_by_name ON meeting_rooms(name COLLATE NOCASE);
     CREATE INDEX entry_queues_by_name ON entry_queues(name COLLATE NOCASE);
     CREATE INDEX ivr_services_by_name ON ivr_services(name COLLATE NOCASE);
     CREATE INDEX recording_links_by_name ON recording_links(name COLLATE NOCASE);
     CREATE INDEX conferences_by_name ON conferences(name COLLATE NOCASE);
     CREATE INDEX reservations_by_name ON reservations(name COLLATE NOCASE);
     CREATE INDEX meeting_rooms_by_number ON meeting_rooms(json_extract(data, '$.numeric_id'));
     CREATE INDEX entry_queues_by_number ON entry_queues(json_extract(data, '$.numeric_id'));
     CREATE INDEX conferences_by_number ON conferences(json_extract(data, '$.numeric_id'));
     CREATE INDEX reservations_by_number ON reservations(json_extract(data, '$.numeric_id'));
     CREATE INDEX participants_by_state ON participants(json_extract(data, '$.state'));",
    // 4: sessions end after an idle time (NULL: no idle limit, the peer link's session).
    "ALTER TABLE sessions ADD COLUMN idle_ms INTEGER;
     ALTER TABLE sessions ADD COLUMN last_seen_ms INTEGER NOT NULL DEFAULT 0;",
    // 5: the peer link has its own pairing credential now: the long sessions earlier
    // versions made for it (no idle limit) would still open the pages, so they go. The
    // conferences the scheduler acts on (an end time, or started by a reservation) get an
    // index of their own: it reads them on every change, among any number of others.
    "DELETE FROM sessions WHERE idle_ms IS NULL;
     CREATE INDEX conferences_scheduled ON conferences(id)
       WHERE json_extract(data, '$.end_ms') IS NOT NULL OR json_extract(data, '$.source_id') IS NOT NULL;",
    // 6: the audit trail. A change made by a user carries its actor in the change log (and
    // so to the Slave); the trail is each MCU's own table, with the changes it made or
    // mirrored and its own security events.
    "ALTER TABLE change_log ADD COLUMN actor TEXT;
     CREATE TABLE audit (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         at_ms INTEGER NOT NULL,
         mcu TEXT NOT NULL,
         user TEXT NOT NULL,
         role TEXT,
         client TEXT NOT NULL,
         kind TEXT NOT NULL,
         summary TEXT NOT NULL,
         ok INTEGER NOT NULL,
         seq INTEGER);
     CREATE INDEX audit_by_time ON audit(at_ms);",
    // 7: call history (CDR): ended conferences, a synced kind. Building a record reads the
    // conference's participants' entries of the change log, by their conference (an index
    // of participant entries only: other changes do not pay for it).
    "CREATE TABLE call_records (id TEXT PRIMARY KEY, name TEXT NOT NULL, parent_id TEXT, data TEXT NOT NULL);
     CREATE INDEX call_records_by_end ON call_records(json_extract(data, '$.end_ms'));
     CREATE INDEX change_log_by_conference ON change_log(json_extract(change, '$.record.value.conference_id'))
       WHERE json_extract(change, '$.record.kind') = 'participant';",
    // 8: conference templates, a synced kind.
    "CREATE TABLE templates (id TEXT PRIMARY KEY, name TEXT NOT NULL, parent_id TEXT, data TEXT NOT NULL);
     CREATE INDEX templates_by_name ON templates(name COLLATE NOCASE);",
    // 9: a user an Administrator disabled cannot log in.
    "ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;",
    // 10: when each password was set (the policy's expiry; 0: when the user was made).
    "ALTER TABLE users ADD COLUMN password_changed_ms INTEGER NOT NULL DEFAULT 0;",
    // 11: the address book, a synced kind.
    "CREATE TABLE address_book (id TEXT PRIMARY KEY, name TEXT NOT NULL, parent_id TEXT, data TEXT NOT NULL);
     CREATE INDEX address_book_by_name ON address_book(name COLLATE NOCASE);",
];

/// Statements of the write path, prepared once per connection and kept (a change runs a
/// dozen of them; preparing each anew was a tenth of a busy Master's CPU).
pub(crate) trait CachedSql {
    fn row<T, P: rusqlite::Params, F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>>(&self, sql: &str, p: P, f: F) -> rusqlite::Result<T>;
    fn exec<P: rusqlite::Params>(&self, sql: &str, p: P) -> rusqlite::Result<usize>;
}

impl CachedSql for Connection {
    fn row<T, P: rusqlite::Params, F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>>(&self, sql: &str, p: P, f: F) -> rusqlite::Result<T> {
        self.prepare_cached(sql)?.query_row(p, f)
    }

    fn exec<P: rusqlite::Params>(&self, sql: &str, p: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(p)
    }
}

/// Keys of this MCU's own settings in [`Store::local`]. None of them is ever replicated.
pub mod keys {
    pub const HOT_BACKUP: &str = "hot_backup";
    pub const MANAGEMENT_NETWORK: &str = "management_network";
    pub const NETWORK_ADDRESSES: &str = "network_addresses";
    pub const SECURITY: &str = "security";
    pub const PORT_CONFIGURATION: &str = "port_configuration";
    /// The port alarm's threshold in percent (`domain::alarms::DEFAULT_PORT_THRESHOLD` until set).
    pub const PORT_THRESHOLD: &str = "port_threshold";
    pub const PENDING_RESET: &str = "pending_reset";
    /// The password policy (`users::PasswordPolicy`; the default until set).
    pub const PASSWORD_POLICY: &str = "password_policy";
    /// This MCU's Active Alarms and their history (`alarms::AlarmBook`; never mirrored).
    pub const ALARMS: &str = "alarms";
}

/// A synced entity type: which kind it is and how to wrap it as a [`Record`].
pub trait Synced: Serialize + DeserializeOwned {
    const KIND: EntityKind;
}

macro_rules! synced {
    ($($t:ty => $k:ident),* $(,)?) => { $(impl Synced for $t { const KIND: EntityKind = EntityKind::$k; })* };
}
synced!(Profile => Profile, MeetingRoom => MeetingRoom, EntryQueue => EntryQueue, IvrService => IvrService,
        RecordingLink => RecordingLink, Conference => Conference, Participant => Participant,
        Reservation => Reservation, NetworkService => NetworkService, crate::cdr::CallRecord => CallRecord,
        Template => Template, AddressEntry => AddressEntry);

fn record_json(record: &Record) -> serde_json::Result<String> {
    match record {
        Record::Profile(r) => serde_json::to_string(r),
        Record::MeetingRoom(r) => serde_json::to_string(r),
        Record::EntryQueue(r) => serde_json::to_string(r),
        Record::IvrService(r) => serde_json::to_string(r),
        Record::RecordingLink(r) => serde_json::to_string(r),
        Record::Conference(r) => serde_json::to_string(r),
        Record::Participant(r) => serde_json::to_string(r),
        Record::Reservation(r) => serde_json::to_string(r),
        Record::NetworkService(r) => serde_json::to_string(r),
        Record::CallRecord(r) => serde_json::to_string(r),
        Record::Template(r) => serde_json::to_string(r),
        Record::AddressEntry(r) => serde_json::to_string(r),
    }
}

/// What the responder of a pairing holds for one user name (see [`Store::pairing_record`]).
pub struct PairingRecord {
    pub keys: Arc<crate::pairing::ServerKeys>,
    /// The user's OPAQUE registration record; `None` for an unknown user.
    pub record: Option<Vec<u8>>,
    pub role: Option<Role>,
}

/// Handle to one MCU's database. Cheap to clone; calls are serialised on one connection,
/// which is what SQLite does with writers anyway. Calls block: async callers run them on
/// a blocking thread.
#[derive(Clone)]
pub struct Store {
    /// Read-only connections for the reads pages and exports make ([`Store::read`]).
    /// First, so they close before the writer: the last connection to close checkpoints
    /// the write-ahead log into the database file, and only the writer can.
    readers: Arc<Readers>,
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
    mode: Arc<RwLock<WriteMode>>,
    /// `secrets.json`: OPAQUE keys and records, the pairing credential held (never in the
    /// database, so never in a backup).
    secrets: Arc<secrets::Secrets>,
    /// Where this copy stands and how busy the MCU is, as last read ([`Store::standing`],
    /// [`Store::load`]).
    cache: Arc<replica::ReadCache>,
}

/// The writer's connection, held: whatever it wrote is committed (or rolled back) by the
/// time it is let go, and letting it go tells [`Store::standing`] and [`Store::load`] to
/// read again.
pub(crate) struct Writer<'a> {
    conn: MutexGuard<'a, Connection>,
    cache: &'a replica::ReadCache,
}

impl std::ops::Deref for Writer<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl std::ops::DerefMut for Writer<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

impl Drop for Writer<'_> {
    fn drop(&mut self) {
        self.cache.moved();
    }
}

/// Read-only connections beside the writer's: WAL lets them read while it writes, so the
/// long reads of pages and exports (the audit trail, the call history, the lists) never
/// hold the connection that the write path and the peer link's answers use, and never wait
/// for it. At most [`READERS`] are open; a reader waits for a free one.
struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    open: std::sync::atomic::AtomicUsize,
    freed: std::sync::Condvar,
}

/// Read-only connections open at most.
pub const READERS: usize = 3;

impl Readers {
    fn take(&self) -> Result<Connection> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(c) = idle.pop() {
                return Ok(c);
            }
            if self.open.load(Ordering::Acquire) < READERS {
                self.open.fetch_add(1, Ordering::AcqRel);
                drop(idle);
                let opened = Connection::open_with_flags(
                    &self.path,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .and_then(|c| {
                    c.busy_timeout(std::time::Duration::from_secs(5))?;
                    c.pragma_update(None, "cache_size", -4096)?;
                    Ok(c)
                });
                if opened.is_err() {
                    self.open.fetch_sub(1, Ordering::AcqRel);
                    self.freed.notify_one();
                }
                return Ok(opened?);
            }
            idle = self.freed.wait(idle).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn give_back(&self, c: Connection) {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).push(c);
        self.freed.notify_one();
    }
}

/// Who may change synced state. A Hot Backup Slave takes changes only from its Master's
/// stream; everything typed by hand is refused (G5), here, below every page and API.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum WriteMode {
    /// Standalone or Master: changes by hand through [`Store::apply`].
    #[default]
    Primary,
    /// Hot Backup Slave of the Master at `master`: only [`Store::apply_replicated`].
    Replica { master: String },
}

impl Store {
    /// Opens (creating if needed) the database in `data_dir` and brings its schema up to date.
    /// The folder is made private (0700) and the database files 0600, whatever the umask:
    /// they hold password hashes and credentials. A damaged database is refused with a
    /// message that says what to do.
    pub fn open(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| DomainError::Storage(format!("cannot create data folder {}: {e}", data_dir.display())))?;
        let path = data_dir.join(DB_FILE);
        files::make_private(data_dir, &path)?;
        let mut conn = Connection::open(&path)?;
        check_integrity(&conn, &path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        // 16 MiB of page cache (the default is 2): lists and lookups of a busy MCU stay in
        // memory instead of reading pages from the OS again.
        conn.pragma_update(None, "cache_size", -16384)?;
        conn.set_prepared_statement_cache_capacity(128);
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        replica::init_identity(&conn)?;
        files::make_private(data_dir, &path)?;
        let secrets = Arc::new(secrets::Secrets::open(data_dir)?);
        seal_local_secrets(&conn, &secrets)?;
        let readers = Arc::new(Readers { path: path.clone(), idle: Mutex::new(Vec::new()), open: Default::default(), freed: Default::default() });
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
            readers,
            path,
            mode: Arc::new(RwLock::new(WriteMode::Primary)),
            secrets,
            cache: Arc::default(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs a read on one of the read-only connections (see [`Readers`]): it sees every
    /// change committed before it began, and holds no lock the writer needs.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.readers.take()?;
        let result = f(&conn);
        self.readers.give_back(conn);
        result
    }

    fn lock(&self) -> Writer<'_> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions
        // roll back on drop), so a poisoned lock is safe to keep using.
        Writer { conn: self.conn.lock().unwrap_or_else(|p| p.into_inner()), cache: &self.cache }
    }

    pub fn write_mode(&self) -> WriteMode {
        self.mode.read().map(|m| m.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Switches what this store takes. Taken under the writer's lock, and a batch checks
    /// the mode under that lock too: once this returns, no change made by hand is still
    /// being written under the old mode, so whatever reads the log next (a step-down's
    /// export of what the new Master lacks) sees every change this MCU acknowledged.
    pub fn set_write_mode(&self, mode: WriteMode) {
        let _writer = self.lock();
        match self.mode.write() {
            Ok(mut m) => *m = mode,
            Err(p) => *p.into_inner() = mode,
        }
    }

    // ------------------------------------------------------------ synced state

    /// Applies a change made by hand and appends it to the change log, in one transaction.
    /// Returns the log entry (with its epoch and sequence number) once it is durable.
    /// Refused on a Hot Backup Slave (G5).
    pub fn apply(&self, change: Change) -> Result<LogEntry> {
        self.apply_as(change, None)
    }

    /// [`Store::apply`] for a change a user made: the actor goes into the change log (and so
    /// to the Slave) and the audit trail, in the same transaction.
    pub fn apply_as(&self, change: Change, actor: Option<Actor>) -> Result<LogEntry> {
        let mut conn = self.lock();
        if let WriteMode::Replica { master } = self.write_mode() {
            return Err(crate::hotbackup::refused_on_slave(&master));
        }
        let tx = conn.transaction()?;
        let entry = apply_logged_in(&tx, change, actor)?;
        tx.commit()?;
        Ok(entry)
    }

    /// [`Store::apply`] for several units of changes in one transaction (one disk sync:
    /// group commit for concurrent writers). A unit is the changes of one request (an
    /// operator's selection, a conference and its call record): all of them or none. Each
    /// unit gets its own result, in order; a refused one does not affect the others.
    pub fn apply_batch(&self, units: Vec<(Vec<Change>, Option<Actor>)>) -> Vec<Result<Vec<LogEntry>>> {
        let n = units.len();
        let mut conn = self.lock();
        // Under the writer's lock: a step-down (`set_write_mode`) cannot slip in between.
        if let WriteMode::Replica { master } = self.write_mode() {
            return (0..n).map(|_| Err(crate::hotbackup::refused_on_slave(&master))).collect();
        }
        let run = |conn: &mut Connection| -> Result<Vec<Result<Vec<LogEntry>>>> {
            let mut tx = conn.transaction()?;
            let mut out = Vec::with_capacity(n);
            for (changes, actor) in units {
                let sp = tx.savepoint()?;
                let applied: Result<Vec<LogEntry>> = changes.into_iter().map(|change| apply_logged_in(&sp, change, actor.clone())).collect();
                match applied {
                    Ok(entries) => {
                        sp.commit()?;
                        out.push(Ok(entries));
                    }
                    Err(e) => out.push(Err(e)), // dropping the savepoint rolls the whole unit back
                }
            }
            tx.commit()?;
            Ok(out)
        };
        match run(&mut conn) {
            Ok(out) => out,
            Err(e) => (0..n).map(|_| Err(e.clone())).collect(),
        }
    }

    /// All records of one kind, by name.
    pub fn list<T: Synced>(&self) -> Result<Vec<T>> {
        self.read(|conn| {
            let sql = format!("SELECT data FROM {} ORDER BY name COLLATE NOCASE, id", T::KIND.table());
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            let mut out = Vec::new();
            for row in rows {
                out.push(serde_json::from_str(&row?)?);
            }
            Ok(out)
        })
    }

    /// The conferences the scheduler acts on: those with an end time or started by a
    /// reservation (`schedule::due` needs no others). Read through their own index.
    pub fn scheduled_conferences(&self) -> Result<Vec<Conference>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT data FROM conferences INDEXED BY conferences_scheduled
                 WHERE json_extract(data, '$.end_ms') IS NOT NULL OR json_extract(data, '$.source_id') IS NOT NULL",
            )?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            let mut out = Vec::new();
            for row in rows {
                out.push(serde_json::from_str(&row?)?);
            }
            Ok(out)
        })
    }

    pub fn get<T: Synced>(&self, id: &str) -> Result<Option<T>> {
        self.read(|conn| get_in(conn, T::KIND, id))
    }

    /// How many records of `kind` exist.
    pub fn count(&self, kind: EntityKind) -> Result<u64> {
        self.read(|conn| Ok(conn.query_row(&format!("SELECT COUNT(*) FROM {}", kind.table()), [], |r| r.get(0))?))
    }

    /// How many entry queues have callers waiting for an operator (holding places open).
    pub fn count_entry_queue_lobbies(&self) -> Result<u64> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached("SELECT COUNT(*) FROM conferences WHERE json_extract(data, '$.entry_queue') = 1")?
                .query_row([], |r| r.get(0))?)
        })
    }

    /// What is going on now (a destructive action's dialog says what it would stop).
    pub fn ongoing(&self) -> Result<crate::danger::Ongoing> {
        Ok(crate::danger::Ongoing {
            conferences: self.count(EntityKind::Conference)?.saturating_sub(self.count_entry_queue_lobbies()?),
            participants: self.load()?.ports_in_use,
            reservations: self.count(EntityKind::Reservation)?,
        })
    }

    /// (connected, total) participants per conference id, in one query.
    pub fn participant_counts(&self) -> Result<std::collections::HashMap<String, (usize, usize)>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT parent_id, SUM(json_extract(data, '$.state') IN ({})), COUNT(*) FROM participants GROUP BY parent_id",
                holding_a_port()
            ))?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))?;
            let mut out = std::collections::HashMap::new();
            for row in rows {
                let (id, connected, total) = row?;
                out.insert(id, (usize::try_from(connected).unwrap_or(0), usize::try_from(total).unwrap_or(0)));
            }
            Ok(out)
        })
    }

    /// Who holds `numeric_id` in the shared pool (meeting rooms, entry queues, reservations,
    /// ongoing conferences): an indexed lookup, not a scan.
    pub fn numeric_id_uses(&self, numeric_id: &str) -> Result<Vec<crate::resources::IdUse>> {
        self.read(|conn| numeric_id_uses_in(conn, numeric_id))
    }

    /// The participants of one conference, by name.
    pub fn participants_of(&self, conference_id: &str) -> Result<Vec<Participant>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached("SELECT data FROM participants WHERE parent_id = ?1 ORDER BY name COLLATE NOCASE, id")?;
            let rows = stmt.query_map([conference_id], |r| r.get::<_, String>(0))?;
            let mut out = Vec::new();
            for row in rows {
                out.push(serde_json::from_str(&row?)?);
            }
            Ok(out)
        })
    }

    /// The IP Network Service's synced part (defaults until first saved).
    pub fn network_service(&self) -> Result<NetworkService> {
        Ok(self.get::<NetworkService>(NETWORK_SERVICE_ID)?.unwrap_or_default())
    }

    /// Log entries after `seq`, oldest first, at most `limit`.
    pub fn changes_since(&self, seq: u64, limit: usize) -> Result<Vec<LogEntry>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached("SELECT seq, epoch, at_ms, change, actor FROM change_log WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
        let rows = stmt.query_map(params![seq, limit as i64], |r| {
            Ok((r.get::<_, u64>(0)?, r.get::<_, u64>(1)?, r.get::<_, Millis>(2)?, r.get::<_, String>(3)?, r.get::<_, Option<String>>(4)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, epoch, at_ms, json, actor) = row?;
            // An actor this version cannot read is dropped: the change itself still counts.
            let actor = actor.and_then(|a| serde_json::from_str(&a).ok());
            out.push(LogEntry { seq, epoch, at_ms, change: serde_json::from_str(&json)?, actor });
        }
        Ok(out)
    }

    /// Sequence number of the newest change (0 when none).
    pub fn last_seq(&self) -> Result<u64> {
        let conn = self.lock();
        last_seq_in(&conn)
    }

    /// The epoch this MCU writes changes in (starts at 1; raised at every failover).
    pub fn epoch(&self) -> Result<u64> {
        let conn = self.lock();
        epoch_in(&conn)
    }

    /// A configuration backup in `dir` (made if missing) named for `now`, then all but the
    /// newest [`crate::backup::KEPT`] there removed. Returns the new file's path.
    pub fn write_backup(&self, dir: &Path, now: crate::timefmt::Millis) -> Result<PathBuf> {
        std::fs::create_dir_all(dir).map_err(|e| DomainError::Storage(format!("cannot create {}: {e}", dir.display())))?;
        let path = dir.join(crate::backup::file_name(now));
        self.backup_to(&path)?;
        let names: Vec<String> = std::fs::read_dir(dir)
            .map(|d| d.filter_map(|e| e.ok()).filter_map(|e| e.file_name().into_string().ok()).collect())
            .unwrap_or_default();
        for old in crate::backup::to_remove(&names) {
            let _ = std::fs::remove_file(dir.join(old));
        }
        Ok(path)
    }

    /// A consistent copy of the whole database in `to` (SQLite's online backup, so changes
    /// may go on meanwhile), written to a temporary file first and private (0600).
    pub fn backup_to(&self, to: &Path) -> Result<()> {
        let tmp = to.with_extension("partial");
        let _ = std::fs::remove_file(&tmp);
        files::create_private(&tmp)?;
        let result = (|| -> Result<()> {
            let mut dst = Connection::open(&tmp)?;
            {
                let conn = self.lock();
                let b = rusqlite::backup::Backup::new(&conn, &mut dst)?;
                b.run_to_completion(256, std::time::Duration::from_millis(0), None)?;
            }
            dst.pragma_update(None, "journal_mode", "DELETE")?;
            check_integrity(&dst, &tmp)?;
            drop(dst);
            std::fs::rename(&tmp, to).map_err(|e| DomainError::Storage(format!("cannot write {}: {e}", to.display())))
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

}

/// Own settings that are secrets (the SIP and H.323 credentials): [`Store::local`] keeps
/// them in the secrets file, so no copy of the database or backup holds them.
pub const SEALED_KEYS: [&str; 1] = [keys::SECURITY];

/// Moves sealed settings and the users' G2 verifiers an earlier version kept in the
/// database to the secrets file.
fn seal_local_secrets(conn: &Connection, secrets: &secrets::Secrets) -> Result<()> {
    let verifiers: Vec<(String, String)> = {
        let mut stmt = conn.prepare("SELECT name, verifier FROM users WHERE verifier <> ''")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        rows.collect::<std::result::Result<_, _>>()?
    };
    if !verifiers.is_empty() {
        secrets.adopt_verifiers(verifiers)?;
        conn.execute("UPDATE users SET verifier = ''", [])?;
        conn.execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")?;
    }
    for key in SEALED_KEYS {
        let value: Option<String> = conn.query_row("SELECT value FROM local_settings WHERE key = ?1", [key], |r| r.get(0)).optional()?;
        let Some(json) = value else { continue };
        if secrets.value::<serde_json::Value>(key).is_null() {
            let v: serde_json::Value = serde_json::from_str(&json)?;
            secrets.set_value(key, &v)?;
        }
        conn.execute("DELETE FROM local_settings WHERE key = ?1", [key])?;
        // The old value's pages may still hold it until they are reused: rewrite them.
        conn.execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")?;
    }
    Ok(())
}

/// Refuses a damaged database file (`PRAGMA quick_check`) with what to do about it.
fn check_integrity(conn: &Connection, path: &Path) -> Result<()> {
    let damaged = |detail: String| {
        DomainError::Storage(format!(
            "the database {} is damaged ({detail}); restore it from a backup (see README, \"Backup and restore\") \
             or move it away to start with an empty one",
            path.display()
        ))
    };
    let verdict: String = match conn.query_row("PRAGMA quick_check", [], |r| r.get(0)) {
        Ok(v) => v,
        Err(e) => return Err(damaged(e.to_string())),
    };
    if verdict != "ok" {
        return Err(damaged(verdict.chars().take(200).collect()));
    }
    Ok(())
}

/// Files at rest: private folder and files, whatever the process's umask.
pub mod files {
    use super::{DomainError, Result};
    use std::path::Path;

    #[cfg(unix)]
    fn chmod(path: &Path, mode: u32) -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(DomainError::Storage(format!("cannot restrict access to {}: {e}", path.display()))),
        }
    }

    #[cfg(not(unix))]
    fn chmod(_path: &Path, _mode: u32) -> Result<()> {
        Ok(())
    }

    /// The data folder 0700; the database and its WAL/SHM files 0600 where they exist.
    pub fn make_private(dir: &Path, db: &Path) -> Result<()> {
        chmod(dir, 0o700)?;
        let name = db.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        for suffix in ["", "-wal", "-shm", "-journal"] {
            chmod(&db.with_file_name(format!("{name}{suffix}")), 0o600)?;
        }
        Ok(())
    }

    /// Creates (or truncates) `path` readable and writable by its owner only.
    pub fn create_private(path: &Path) -> Result<std::fs::File> {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let f = opts.open(path).map_err(|e| DomainError::Storage(format!("cannot create {}: {e}", path.display())))?;
        chmod(path, 0o600)?;
        Ok(f)
    }

    /// Writes `bytes` to a new private file.
    pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
        use std::io::Write;
        let mut f = create_private(path)?;
        f.write_all(bytes).and_then(|_| f.sync_all()).map_err(|e| DomainError::Storage(format!("cannot write {}: {e}", path.display())))
    }
}

/// A real Argon2id hash of a random string, verified for unknown users so that an
/// unknown name takes as long as a wrong password.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| auth::hash_password(&auth::new_session_token()).unwrap_or_default())
}

fn no_such_user(name: &str) -> DomainError {
    DomainError::NotFound(format!("There is no user named '{name}'."))
}

fn stored_role(key: &str) -> Result<Role> {
    Role::from_key(key).ok_or_else(|| DomainError::Storage(format!("unknown role '{key}' in the users table")))
}

fn user_role_in(conn: &Connection, name: &str) -> Result<Role> {
    let role: Option<String> = conn.query_row("SELECT role FROM users WHERE name = ?1", [name], |r| r.get(0)).optional()?;
    stored_role(&role.ok_or_else(|| no_such_user(name))?)
}

fn admin_count_in(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT COUNT(*) FROM users WHERE role = ?1", [Role::Administrator.key()], |r| r.get(0))?)
}

/// Administrators who can log in (not disabled).
fn enabled_admin_count_in(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT COUNT(*) FROM users WHERE role = ?1 AND disabled = 0", [Role::Administrator.key()], |r| r.get(0))?)
}

/// The epoch changes are written in: the newest of the epoch history.
pub(crate) fn epoch_in(conn: &Connection) -> Result<u64> {
    Ok(conn.row("SELECT COALESCE(MAX(epoch), 1) FROM epoch_history", [], |r| r.get(0))?)
}

fn meta_u64(conn: &Connection, key: &str) -> Result<u64> {
    let v: Option<String> = conn.row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?;
    match v {
        Some(s) => s.parse().map_err(|_| DomainError::Storage(format!("bad {key} '{s}' in meta"))),
        None => Ok(0),
    }
}

fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.exec(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

/// The newest seq: the log's newest entry, or the position of the last installed snapshot.
fn last_seq_in(conn: &Connection) -> Result<u64> {
    let logged: u64 = conn.row("SELECT COALESCE(MAX(seq), 0) FROM change_log", [], |r| r.get(0))?;
    Ok(logged.max(meta_u64(conn, "base_seq")?))
}

fn get_in<T: DeserializeOwned>(conn: &Connection, kind: EntityKind, id: &str) -> Result<Option<T>> {
    let sql = format!("SELECT data FROM {} WHERE id = ?1", kind.table());
    let json: Option<String> = conn.row(&sql, [id], |r| r.get(0)).optional()?;
    match json {
        Some(j) => Ok(Some(serde_json::from_str(&j)?)),
        None => Ok(None),
    }
}

fn exists_in(tx: &Connection, kind: EntityKind, id: &str) -> Result<bool> {
    let sql = format!("SELECT EXISTS(SELECT 1 FROM {} WHERE id = ?1)", kind.table());
    Ok(tx.row(&sql, [id], |r| r.get(0))?)
}

/// One change by hand and its change-log entry (and, made by a user, its audit entry),
/// inside the caller's transaction.
fn apply_logged_in(tx: &Connection, change: Change, actor: Option<Actor>) -> Result<LogEntry> {
    let at_ms = now_ms();
    // A participant as stored now: read once, for its stamps and the audit's summary.
    let before = participant_before_in(tx, &change)?;
    let change = stamped(change, before.as_ref(), at_ms, actor.as_ref());
    one_transit_eq_in(tx, &change)?;
    let summary = audit_summary_in(tx, &change, before.as_ref(), actor.is_some())?;
    apply_in(tx, &change)?;
    let epoch = epoch_in(tx)?;
    let seq = last_seq_in(tx)? + 1;
    let actor_json = actor.as_ref().map(serde_json::to_string).transpose()?;
    tx.exec(
        "INSERT INTO change_log (seq, epoch, at_ms, change, actor) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![seq, epoch, at_ms, serde_json::to_string(&change)?, actor_json],
    )?;
    let entry = LogEntry { epoch, seq, at_ms, change, actor };
    audit_change_in(tx, &entry, summary)?;
    Ok(entry)
}

/// A participant as the store notes it ([`Participant::stamped`]: connect and disconnect
/// times, who muted), from what is stored now; every other change as it is. Only changes
/// made here are stamped: the Slave applies the Master's stamped record as it came.
fn stamped(change: Change, before: Option<&Participant>, at_ms: Millis, actor: Option<&Actor>) -> Change {
    match change {
        Change::Put { record: Record::Participant(p) } => {
            let by = actor.map_or(crate::model::BY_MCU, |a| a.user.as_str());
            Change::Put { record: Record::Participant(p.stamped(before, at_ms, by)) }
        }
        other => other,
    }
}

/// The participant a change puts, as stored before it (none for any other change).
pub(crate) fn participant_before_in(tx: &Connection, change: &Change) -> Result<Option<Participant>> {
    match change {
        Change::Put { record: Record::Participant(p) } => get_in(tx, EntityKind::Participant, &p.id),
        _ => Ok(None),
    }
}

/// One Transit EQ at most: a unit that makes another one first takes it from the one that
/// has it (`resources::transit_moves`), so a save that read the queues before another one
/// took it is refused. Checked on the MCU where the change is made (a Slave applies what
/// its Master decided).
fn one_transit_eq_in(tx: &Connection, change: &Change) -> Result<()> {
    let Change::Put { record: Record::EntryQueue(q) } = change else { return Ok(()) };
    if !q.transit {
        return Ok(());
    }
    let sql = format!("SELECT name FROM {} WHERE id <> ?1 AND json_extract(data, '$.transit') = 1 LIMIT 1", EntityKind::EntryQueue.table());
    match tx.row(&sql, [q.id.as_str()], |r| r.get::<_, String>(0)).optional()? {
        Some(holder) => Err(DomainError::invalid(
            "transit",
            format!("'{holder}' has just become the Transit EQ: save again to make this one the Transit EQ instead."),
        )),
        None => Ok(()),
    }
}

/// The audit trail's summary of a change a user made (`audited`), from what is stored
/// before it is applied: a deleted record's name; for a participant, what changed (audio
/// muted, status Connected → Disconnected, moved) and where. None for the MCU's own changes.
pub(crate) fn audit_summary_in(tx: &Connection, change: &Change, before: Option<&Participant>, audited: bool) -> Result<Option<String>> {
    if !audited {
        return Ok(None);
    }
    Ok(Some(match change {
        Change::Delete { kind, id } => {
            let sql = format!("SELECT name FROM {} WHERE id = ?1", kind.table());
            let name: Option<String> = tx.row(&sql, [id], |r| r.get(0)).optional()?;
            crate::audit::summary(change, name.as_deref())
        }
        Change::Put { record: Record::Participant(p) } => {
            let sql = format!("SELECT name FROM {} WHERE id = ?1", EntityKind::Conference.table());
            let conference: Option<String> = tx.row(&sql, [p.conference_id.as_str()], |r| r.get(0)).optional()?;
            crate::audit::participant_summary(before, p, conference.as_deref())
        }
        _ => crate::audit::summary(change, None),
    }))
}

/// The audit entry of a change made by a user (none for the MCU's own changes).
pub(crate) fn audit_change_in(tx: &Connection, entry: &LogEntry, summary: Option<String>) -> Result<()> {
    let (Some(a), Some(summary)) = (&entry.actor, summary) else { return Ok(()) };
    // A call record is the MCU's own bookkeeping of a conference that ended (the trail has
    // the end itself), even when it goes with a user's change.
    if matches!(&entry.change, Change::Put { record: Record::CallRecord(_) }) {
        return Ok(());
    }
    let by = crate::audit::By { mcu: &a.mcu, user: &a.user, role: Some(a.role), client: &a.client };
    let mut e = crate::audit::entry(entry.at_ms, by, crate::audit::AuditKind::Change, &summary, true);
    e.seq = Some(entry.seq);
    audit::insert_in(tx, &e)
}

/// (participants holding a port, participant alerts, those on audio only), read through `conn`.
fn participant_load_in(conn: &Connection) -> Result<(u32, u32, u32)> {
    let alerts = ["AwaitingAssistance", "FaultyConnection"];
    debug_assert!(alerts.iter().all(|a| ParticipantState::HOLDING_A_PORT.contains(a)));
    let sql = format!(
        "SELECT COALESCE(SUM(json_extract(data, '$.state') IN ({})), 0), COALESCE(SUM(json_extract(data, '$.state') IN ('{}')), 0),
                COALESCE(SUM(json_extract(data, '$.state') = 'PartiallyConnected'), 0) FROM participants",
        holding_a_port(),
        alerts.join("', '")
    );
    Ok(conn.prepare_cached(&sql)?.query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?)
}

/// The serialized states that hold a port, as an SQL list (`'Connected', ...`): constants
/// of the domain, never input.
fn holding_a_port() -> String {
    ParticipantState::HOLDING_A_PORT.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ")
}

/// Who holds `numeric_id` in the shared pool, read through `conn` (an indexed lookup).
fn numeric_id_uses_in(conn: &Connection, numeric_id: &str) -> Result<Vec<crate::resources::IdUse>> {
    fn of<T: Synced>(conn: &Connection, numeric_id: &str) -> Result<Vec<T>> {
        let sql = format!("SELECT data FROM {} WHERE json_extract(data, '$.numeric_id') = ?1", T::KIND.table());
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([numeric_id], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(serde_json::from_str(&row?)?);
        }
        Ok(out)
    }
    Ok(crate::resources::id_uses(
        &of::<MeetingRoom>(conn, numeric_id)?,
        &of::<EntryQueue>(conn, numeric_id)?,
        &of::<Reservation>(conn, numeric_id)?,
        &of::<Conference>(conn, numeric_id)?,
    ))
}

/// The integrity rules every change obeys, then the write.
fn apply_in(tx: &Connection, change: &Change) -> Result<()> {
    match change {
        Change::Put { record } => {
            let kind = record.kind();
            let table = kind.table();
            let name = record.name().unwrap_or("").trim();
            // The shared pool of numeric IDs, checked inside the transaction too, so two
            // concurrent changes can never both take one number (the rule: `resources`).
            // First: a meeting room started twice is "already running", whatever its name.
            if let Some(numeric) = record.numeric_id() {
                let uses = numeric_id_uses_in(tx, numeric)?;
                // A field error (`numeric_id`): the page shows it next to the ID.
                let conference = matches!(record, Record::Conference(_)).then(|| record.id());
                crate::resources::check_numeric_id_free_for(numeric, record.id(), record.source_id(), conference, &uses)?;
            }
            if kind.unique_names() {
                let sql = format!("SELECT EXISTS(SELECT 1 FROM {table} WHERE name = ?1 COLLATE NOCASE AND id <> ?2)");
                let taken: bool = tx.row(&sql, params![name, record.id()], |r| r.get(0))?;
                if taken {
                    return Err(DomainError::Conflict(format!("A {} named '{name}' already exists.", kind.label())));
                }
            }
            if let Some(conference) = record.parent_id() {
                if !exists_in(tx, EntityKind::Conference, conference)? {
                    return Err(DomainError::NotFound("That conference has ended or does not exist.".into()));
                }
            }
            let data = record_json(record)?;
            let old: Option<String> = tx
                .row(&format!("SELECT data FROM {table} WHERE id = ?1"), [record.id()], |r| r.get(0))
                .optional()?;
            let mut digest = replica::digest_in(tx)?;
            if let Some(old) = old {
                digest ^= replica::row_hash(kind, record.id(), &old);
            }
            digest ^= replica::row_hash(kind, record.id(), &data);
            tx.exec(
                &format!(
                    "INSERT INTO {table} (id, name, parent_id, data) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(id) DO UPDATE SET name = excluded.name, parent_id = excluded.parent_id, data = excluded.data"
                ),
                params![record.id(), name, record.parent_id(), data],
            )?;
            replica::set_digest_in(tx, digest)?;
        }
        Change::Delete { kind, id } => {
            let old: Option<String> = tx
                .row(&format!("SELECT data FROM {} WHERE id = ?1", kind.table()), [id], |r| r.get(0))
                .optional()?;
            let Some(old) = old else {
                return Err(DomainError::NotFound(format!("That {} does not exist (any more).", kind.label())));
            };
            let mut digest = replica::digest_in(tx)? ^ replica::row_hash(*kind, id, &old);
            tx.exec(&format!("DELETE FROM {} WHERE id = ?1", kind.table()), [id])?;
            if *kind == EntityKind::Conference {
                let mut stmt = tx.prepare("SELECT id, data FROM participants WHERE parent_id = ?1")?;
                let rows = stmt.query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
                for row in rows {
                    let (pid, pdata) = row?;
                    digest ^= replica::row_hash(EntityKind::Participant, &pid, &pdata);
                }
                tx.exec("DELETE FROM participants WHERE parent_id = ?1", [id])?;
            }
            replica::set_digest_in(tx, digest)?;
        }
    }
    Ok(())
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let applied: usize = conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
    if applied > MIGRATIONS.len() {
        return Err(DomainError::Storage(format!(
            "the database has schema version {applied}, newer than this software knows ({}); use a newer version",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "database schema migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(name: &str) -> Profile {
        Profile {
            id: new_id(),
            name: name.into(),
            line_rate_kbps: 1920,
            resolution: Resolution::Hd720,
            encryption: false,
            layout: "auto".into(),
            auto_terminate: true,
            recording_link_id: String::new(),
        }
    }

    fn conference(name: &str, profile_id: &str) -> Conference {
        Conference { id: new_id(), name: name.into(), numeric_id: "1001".into(), profile_id: profile_id.into(), start_ms: now_ms(), end_ms: None, source_id: None, locked: false, auto_extended: 0, owner: String::new(), chairperson_password: String::new(), conference_password: String::new(), entry_queue: false, recording: Default::default() }
    }

    fn participant(conference_id: &str, name: &str) -> Participant {
        Participant {
            id: new_id(),
            conference_id: conference_id.into(),
            name: name.into(),
            address: "192.0.2.10".into(),
            protocol: Protocol::H323,
            direction: Direction::DialOut,
            state: ParticipantState::Connecting,
            audio_muted: false,
            video_muted: false,
            chairperson: false,
            disconnect_cause: None,
            ivr_path: Vec::new(),
            home_conference_id: None,
            stamps: Default::default(),
        }
    }

    fn put(r: Record) -> Change {
        Change::Put { record: r }
    }

    #[test]
    fn every_change_is_logged_in_order_and_survives_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = profile("HD 1920");
        let c = conference("Weekly", &p.id);
        let part = participant(&c.id, "Lisbon room");
        {
            let s = Store::open(dir.path()).expect("open");
            assert_eq!(s.apply(put(Record::Profile(p.clone()))).expect("put").seq, 1);
            assert_eq!(s.apply(put(Record::Conference(c.clone()))).expect("put").seq, 2);
            let e = s.apply(put(Record::Participant(part.clone()))).expect("put");
            assert_eq!((e.epoch, e.seq), (1, 3));
        }
        let s = Store::open(dir.path()).expect("reopen");
        assert_eq!(s.list::<Profile>().expect("list"), vec![p]);
        assert_eq!(s.get::<Conference>(&c.id).expect("get"), Some(c.clone()));
        assert_eq!(s.participants_of(&c.id).expect("parts"), vec![part.clone()]);
        let log = s.changes_since(1, 10).expect("log");
        assert_eq!(log.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(log[1].change, put(Record::Participant(part)));
        assert_eq!(s.last_seq().expect("seq"), 3);
    }

    #[test]
    fn alarms_survive_a_restart_and_are_not_mirrored() {
        use crate::alarms::{AlarmBook, AlarmCode};
        let dir = tempfile::tempdir().expect("tempdir");
        let id = {
            let s = Store::open(dir.path()).expect("open");
            let mut book = AlarmBook::default();
            let id = book.raise(AlarmCode::PeerUnreachable, "mcu-b", 5);
            book.acknowledge(id, "op", crate::Role::Operator, 6).expect("ack");
            s.set_local(keys::ALARMS, &book).expect("save");
            id
        };
        let s = Store::open(dir.path()).expect("reopen");
        let book: AlarmBook = s.local(keys::ALARMS).expect("read");
        assert_eq!((book.active.len(), book.active[0].id, book.active[0].acked.clone()), (1, id, Some(("op".into(), 6))));
        assert_eq!(s.last_seq().expect("seq"), 0, "an alarm is no change of the mirrored state");
    }

    #[test]
    fn refused_changes_write_nothing_and_log_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store::open(dir.path()).expect("open");
        s.apply(put(Record::Profile(profile("Standard")))).expect("first");
        let dup = s.apply(put(Record::Profile(profile("standard")))).expect_err("duplicate name");
        assert!(matches!(dup, DomainError::Conflict(ref m) if m.contains("Conference Profile named 'standard'")), "{dup:?}");
        let orphan = s.apply(put(Record::Participant(participant("no-such-conference", "x")))).expect_err("orphan");
        assert!(matches!(orphan, DomainError::NotFound(_)));
        let missing = s.apply(Change::Delete { kind: EntityKind::Profile, id: "nope".into() }).expect_err("missing");
        assert!(matches!(missing, DomainError::NotFound(_)));
        assert_eq!(s.last_seq().expect("seq"), 1);
        assert_eq!(s.count(EntityKind::Participant).expect("count"), 0);
    }

    #[test]
    fn renaming_keeps_the_id_and_deleting_a_conference_removes_its_participants() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store::open(dir.path()).expect("open");
        let mut p = profile("A");
        s.apply(put(Record::Profile(p.clone()))).expect("put");
        p.name = "B".into();
        s.apply(put(Record::Profile(p.clone()))).expect("rename onto itself is fine");
        assert_eq!(s.list::<Profile>().expect("list"), vec![p.clone()]);
        let c = conference("C", &p.id);
        s.apply(put(Record::Conference(c.clone()))).expect("conf");
        s.apply(put(Record::Participant(participant(&c.id, "one")))).expect("p1");
        let mut connected = participant(&c.id, "two");
        connected.state = ParticipantState::Connected;
        s.apply(put(Record::Participant(connected))).expect("p2");
        assert_eq!(s.load().expect("load").ports_in_use, 1);
        s.apply(put(Record::Participant(participant(&c.id, "one")))).expect("participant names may repeat");
        s.apply(Change::Delete { kind: EntityKind::Conference, id: c.id.clone() }).expect("delete");
        assert_eq!(s.count(EntityKind::Participant).expect("count"), 0);
    }

    #[test]
    fn the_store_notes_when_a_call_came_up_and_went_down_and_who_muted_whatever_the_caller_sent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store::open(dir.path()).expect("open");
        let p = profile("P");
        s.apply(put(Record::Profile(p.clone()))).expect("profile");
        let c = conference("C", &p.id);
        s.apply(put(Record::Conference(c.clone()))).expect("conf");
        let mut ann = participant(&c.id, "Ann");
        // A caller cannot set its own stamps.
        ann.stamps.connected_ms = Some(1);
        ann.stamps.audio_muted_by = Some("forged".into());
        s.apply(put(Record::Participant(ann.clone()))).expect("connecting");
        let stored = |s: &Store| s.get::<Participant>(&ann.id).expect("get").expect("there");
        assert_eq!(stored(&s).stamps, Stamps::default(), "not up yet: nothing noted");
        ann.state = ParticipantState::Connected;
        let up = s.apply(put(Record::Participant(ann.clone()))).expect("up");
        let after_up = stored(&s).stamps;
        assert_eq!((after_up.connected_ms, after_up.disconnected_ms), (Some(up.at_ms), None));
        // The logged change is the stamped one: the Slave gets the same record.
        assert!(matches!(&up.change, Change::Put { record: Record::Participant(q) } if q.stamps == after_up));
        let op = Actor { user: "opal".into(), role: Role::Operator, client: "10.0.0.9".into(), mcu: "MCU-A".into() };
        ann.audio_muted = true;
        ann.stamps = Stamps::default();
        s.apply_as(put(Record::Participant(ann.clone())), Some(op)).expect("muted");
        let muted = stored(&s).stamps;
        assert_eq!((muted.audio_muted_by.as_deref(), muted.connected_ms), (Some("opal"), Some(up.at_ms)), "the connect time is kept");
        ann.video_muted = true;
        s.apply(put(Record::Participant(ann.clone()))).expect("video");
        let both = stored(&s).stamps;
        assert_eq!((both.audio_muted_by.as_deref(), both.video_muted_by.as_deref()), (Some("opal"), Some(BY_MCU)));
        ann.state = ParticipantState::Disconnected;
        ann.audio_muted = false;
        let down = s.apply(put(Record::Participant(ann.clone()))).expect("down");
        let gone = stored(&s).stamps;
        assert_eq!((gone.connected_ms, gone.disconnected_ms, gone.audio_muted_by), (Some(up.at_ms), Some(down.at_ms), None));
    }

    #[test]
    fn there_is_one_transit_eq_at_most_even_for_two_saves_at_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store::open(dir.path()).expect("open");
        let p = profile("P");
        s.apply(put(Record::Profile(p.clone()))).expect("profile");
        let eq = |id: &str, n: &str, transit: bool| EntryQueue {
            id: id.into(), name: format!("EQ {n}"), numeric_id: n.into(), profile_id: p.id.clone(), ivr_service_id: None,
            conference_password: String::new(), chairperson_password: String::new(), transit,
        };
        s.apply(put(Record::EntryQueue(eq("a", "5001", true)))).expect("the first transit EQ");
        // A save that read the queues before 'a' took it does not take it from 'a': refused.
        let second = s.apply(put(Record::EntryQueue(eq("b", "5002", true)))).expect_err("a second one");
        assert!(matches!(&second, DomainError::Invalid { field, message } if *field == "transit" && message.contains("'EQ 5001'")), "{second:?}");
        // Taken from 'a' in the same unit: fine.
        let unit = vec![put(Record::EntryQueue(eq("a", "5001", false))), put(Record::EntryQueue(eq("b", "5002", true)))];
        assert!(s.apply_batch(vec![(unit, None)]).into_iter().all(|r| r.is_ok()));
        let transit: Vec<String> = s.list::<EntryQueue>().expect("list").into_iter().filter(|q| q.transit).map(|q| q.id).collect();
        assert_eq!(transit, vec!["b".to_string()]);
        s.apply(put(Record::EntryQueue(eq("b", "5002", true)))).expect("saving the transit EQ again is fine");
    }

    #[test]
    fn the_sip_and_h323_credentials_are_kept_out_of_the_database_and_moved_out_of_an_old_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store::open(dir.path()).expect("open");
        let sec = SecurityCredentials { sip_user: "mcu".into(), sip_password: "sip-s3cret-1".into(), ..Default::default() };
        s.set_local(keys::SECURITY, &sec).expect("saved");
        assert_eq!(s.local::<SecurityCredentials>(keys::SECURITY).expect("read"), sec);
        let copy = dir.path().join("backup.sqlite3");
        s.backup_to(&copy).expect("backup");
        let text = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
        assert!(!text(&copy).contains("sip-s3cret-1"), "a backup holds the SIP password");
        drop(s);
        // An earlier version kept them in the database: moved at the next start.
        let conn = Connection::open(dir.path().join(DB_FILE)).expect("db");
        let old = SecurityCredentials { h323_password: "h323-s3cret-2".into(), ..Default::default() };
        std::fs::remove_file(dir.path().join(secrets::SECRETS_FILE)).expect("no secrets file yet, as before");
        conn.execute("INSERT INTO local_settings (key, value) VALUES (?1, ?2)", params![keys::SECURITY, serde_json::to_string(&old).expect("json")])
            .expect("old row");
        drop(conn);
        let s = Store::open(dir.path()).expect("reopen");
        assert_eq!(s.local::<SecurityCredentials>(keys::SECURITY).expect("read"), old);
        drop(s);
        for file in [DB_FILE.to_string(), format!("{DB_FILE}-wal")] {
            assert!(!text(&dir.path().join(&file)).contains("h323-s3cret-2"), "{file} still holds the old password");
        }
    }

    #[test]
    fn the_g2_verifiers_are_kept_out_of_the_database_and_its_backups_and_moved_out_of_an_old_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store::open(dir.path()).expect("open");
        s.create_user("ops", "ops-pass-1", Role::Operator).expect("user");
        let v = auth::password_verifier("ops", "ops-pass-1").expect("verifier");
        let fp = s.user_fingerprints().expect("fingerprints");
        assert_eq!(fp.iter().find(|u| u.name == "ops").map(|u| u.verifier.clone()), Some(v.clone()), "G2 still compares it");
        let copy = dir.path().join("backup.sqlite3");
        s.backup_to(&copy).expect("backup");
        let text = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
        assert!(!text(&copy).contains(&v), "a backup holds a G2 verifier");
        // An earlier version kept it in the users table: moved at the next start.
        s.set_password("ops", "ops-pass-2", None).expect("new password");
        let v2 = auth::password_verifier("ops", "ops-pass-2").expect("verifier");
        drop(s);
        std::fs::remove_file(dir.path().join(secrets::SECRETS_FILE)).expect("as before the secrets file");
        let conn = Connection::open(dir.path().join(DB_FILE)).expect("db");
        conn.execute("UPDATE users SET verifier = ?1 WHERE name = 'ops'", [&v2]).expect("old column");
        drop(conn);
        let s = Store::open(dir.path()).expect("reopen");
        assert_eq!(s.user_fingerprints().expect("fp").iter().find(|u| u.name == "ops").map(|u| u.verifier.clone()), Some(v2.clone()));
        drop(s);
        for file in [DB_FILE.to_string(), format!("{DB_FILE}-wal")] {
            assert!(!text(&dir.path().join(&file)).contains(&v2), "{file} still holds the verifier");
        }
    }

    #[test]
    fn an_export_reads_the_whole_trail_and_history_page_by_page_each_entry_once() {
        use crate::audit::{AuditFilter, AuditKind, By};
        use crate::cdr::{CallRecord, Ended};
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store::open(dir.path()).expect("open");
        // 23 entries, several at the same millisecond (the cursor must tell them apart).
        for i in 0..23i64 {
            let by = By { mcu: "MCU-A", user: "ops", role: None, client: "10.0.0.1" };
            s.audit(&crate::audit::entry(1_000 + i / 4, by, AuditKind::Login, &format!("login {i}"), true)).expect("audit");
        }
        for i in 0..11i64 {
            let r = CallRecord {
                id: format!("c{i:02}"),
                name: format!("Conf {i}"),
                numeric_id: format!("{}", 100 + i),
                profile: String::new(),
                start_ms: 0,
                end_ms: 5_000 + i / 3,
                ended: Ended::EndTime,
                events: Vec::new(),
                participants: Vec::new(),
                recorded_to: None,
                recordings: Vec::new(),
            };
            s.apply(put(Record::CallRecord(r))).expect("record");
        }
        let filter = AuditFilter::default();
        let (mut seen, mut after) = (Vec::new(), None);
        for _ in 0..20 {
            let page = s.audit_page(&filter, after, 5).expect("page");
            after = page.last().map(|e| (e.at_ms, e.id));
            seen.extend(page.iter().map(|e| e.summary.clone()));
            if page.len() < 5 {
                break;
            }
        }
        assert_eq!(seen.len(), 23, "{seen:?}");
        assert_eq!(seen.iter().collect::<std::collections::BTreeSet<_>>().len(), 23, "an entry twice");
        assert_eq!(seen, s.audit_query(&filter).expect("all").into_iter().map(|e| e.summary).collect::<Vec<_>>(), "same order as the page");
        let (mut ids, mut after) = (Vec::new(), None);
        for _ in 0..20 {
            let page = s.call_records_page(None, None, after, 4).expect("page");
            after = page.last().map(|r| (r.end_ms, r.id.clone()));
            ids.extend(page.iter().map(|r| r.id.clone()));
            if page.len() < 4 {
                break;
            }
        }
        let all: Vec<String> = s.call_records(None, None, 100).expect("all").into_iter().map(|r| r.id).collect();
        assert_eq!(ids, all);
        assert_eq!(ids.len(), 11);
    }

    #[test]
    fn network_service_and_local_settings_have_defaults_and_persist() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store::open(dir.path()).expect("open");
        assert_eq!(s.network_service().expect("ns"), NetworkService::default());
        let mut ns = NetworkService::default();
        ns.qos.audio = 3;
        s.apply(put(Record::NetworkService(ns.clone()))).expect("put");
        let sec = SecurityCredentials { sip_user: "mcu".into(), sip_password: "s3cret".into(), ..Default::default() };
        s.set_local(keys::SECURITY, &sec).expect("local");
        drop(s);
        let s = Store::open(dir.path()).expect("reopen");
        assert_eq!(s.network_service().expect("ns"), ns);
        assert_eq!(s.local::<SecurityCredentials>(keys::SECURITY).expect("sec"), sec);
        assert_eq!(s.local::<HotBackupSettings>(keys::HOT_BACKUP).expect("hb"), HotBackupSettings::default());
        // Own settings never enter the change log.
        assert_eq!(s.last_seq().expect("seq"), 1);
    }

    #[test]
    fn users_logins_and_the_last_administrator() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store::open(dir.path()).expect("open");
        s.create_user("admin", "admin-pass-1", Role::Administrator).expect("admin");
        assert!(matches!(s.create_user("ADMIN", "whatever-1", Role::Operator), Err(DomainError::Conflict(_))));
        s.create_user("ops", "operator-pass", Role::Operator).expect("ops");
        assert_eq!(s.check_login("admin", "admin-pass-1").expect("login").map(|u| u.role), Some(Role::Administrator));
        assert_eq!(s.check_login("admin", "wrong-pass").expect("login"), None);
        assert_eq!(s.check_login("ghost", "admin-pass-1").expect("login"), None);

        assert!(matches!(s.delete_user("admin"), Err(DomainError::Conflict(_))));
        assert!(matches!(s.set_role("admin", Role::Operator), Err(DomainError::Conflict(_))));
        s.set_role("ops", Role::Administrator).expect("promote");
        s.set_role("admin", Role::Auditor).expect("now allowed");
        assert!(matches!(s.delete_user("ghost"), Err(DomainError::NotFound(_))));
        let names: Vec<_> = s.users().expect("users").into_iter().map(|u| (u.name, u.role)).collect();
        assert_eq!(names, vec![("admin".to_string(), Role::Auditor), ("ops".to_string(), Role::Administrator)]);
        // Users are not synced state: nothing in the change log.
        assert_eq!(s.last_seq().expect("seq"), 0);
    }

    #[test]
    fn a_disabled_user_cannot_log_in_and_the_last_administrator_stays_enabled() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store::open(dir.path()).expect("open");
        s.create_user("admin", "admin-pass-1", Role::Administrator).expect("admin");
        s.create_user("ops", "operator-pass", Role::Operator).expect("ops");
        let token = s.create_session("ops", 60_000).expect("session");
        assert!(matches!(s.set_disabled("admin", true), Err(DomainError::Conflict(_))), "the last Administrator");
        s.set_disabled("ops", true).expect("disabled");
        assert_eq!(s.disabled_users().expect("list"), ["ops"]);
        assert_eq!(s.session_user(&token).expect("who"), None, "its sessions ended");
        let e = s.check_login("ops", "operator-pass").expect_err("disabled");
        assert!(e.to_string().contains("is disabled"), "{e}");
        assert_eq!(s.check_login("ops", "wrong-pass").expect("checked"), None, "a wrong password says nothing more");
        assert!(matches!(s.set_disabled("ghost", true), Err(DomainError::NotFound(_))));
        s.set_disabled("ops", false).expect("enabled");
        assert!(s.check_login("ops", "operator-pass").expect("login").is_some());
    }

    #[test]
    fn sessions_follow_the_user() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store::open(dir.path()).expect("open");
        s.create_user("admin", "admin-pass-1", Role::Administrator).expect("admin");
        s.create_user("ops", "operator-pass", Role::Operator).expect("ops");
        let t1 = s.create_session("ops", 60_000).expect("session");
        let t2 = s.create_session("ops", 60_000).expect("session");
        assert_eq!(s.session_user(&t1).expect("who").map(|u| u.name), Some("ops".into()));
        assert_eq!(s.session_user("forged").expect("who"), None);
        s.set_role("ops", Role::Chairperson).expect("role");
        assert_eq!(s.session_user(&t1).expect("who").map(|u| u.role), Some(Role::Chairperson), "role change applies at once");
        s.set_password("ops", "new-password", Some(&t1)).expect("pw");
        assert!(s.session_user(&t1).expect("who").is_some(), "own session kept");
        assert!(s.session_user(&t2).expect("who").is_none(), "other sessions ended");
        assert!(s.check_login("ops", "new-password").expect("login").is_some());
        s.end_session(&t1).expect("logout");
        assert!(s.session_user(&t1).expect("who").is_none());
        let t3 = s.create_session("ops", 60_000).expect("session");
        s.delete_user("ops").expect("delete");
        assert!(s.session_user(&t3).expect("who").is_none());
    }

    #[test]
    fn the_scheduler_reads_only_the_conferences_it_acts_on() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store::open(dir.path()).expect("open");
        let conf = |name: &str, n: &str, end: Option<i64>, source: Option<&str>| Conference {
            id: new_id(),
            name: name.into(),
            numeric_id: n.into(),
            profile_id: String::new(),
            start_ms: 0,
            end_ms: end,
            source_id: source.map(str::to_string),
            locked: false,
            auto_extended: 0,
            owner: String::new(),
            chairperson_password: String::new(),
            conference_password: String::new(),
            entry_queue: false, recording: Default::default(),
        };
        for c in [conf("Ad hoc", "1001", None, None), conf("Ends", "1002", Some(5), None), conf("Booked", "1003", Some(9), Some("r1"))] {
            s.apply(Change::Put { record: Record::Conference(c) }).expect("put");
        }
        let mut names: Vec<String> = s.scheduled_conferences().expect("scheduled").into_iter().map(|c| c.name).collect();
        names.sort();
        assert_eq!(names, vec!["Booked".to_string(), "Ends".to_string()]);
        assert_eq!(s.list::<Conference>().expect("all").len(), 3);
    }

    #[test]
    fn idle_sessions_end() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store::open(dir.path()).expect("open");
        s.create_user("ops", "operator-pass", Role::Operator).expect("ops");
        let browser = s.create_session("ops", 60_000).expect("session");
        let t0 = now_ms();
        assert!(s.session_user_at(&browser, t0 + 59_000, true).expect("who").is_some(), "used within the idle time");
        assert!(s.session_user_at(&browser, t0 + 59_000 + 59_000, false).expect("who").is_some(), "the use counted");
        assert!(s.session_user_at(&browser, t0 + 59_000 + 61_000, false).expect("who").is_none(), "idle too long");
    }

    #[test]
    fn files_are_private_whatever_the_umask() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("dir");
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let s = Store::open(&data).expect("open");
        s.create_user("ops", "operator-pass", Role::Operator).expect("ops");
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        for f in std::fs::read_dir(&data).expect("list") {
            let p = f.expect("entry").path();
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
        let copy = dir.path().join("copy.sqlite3");
        s.backup_to(&copy).expect("backup");
        assert_eq!(mode(&copy), 0o600);
    }

    #[test]
    fn a_backup_is_a_consistent_copy_that_opens_as_a_store() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store::open(&dir.path().join("a")).expect("open");
        s.create_user("ops", "operator-pass", Role::Operator).expect("ops");
        s.apply(Change::Put { record: Record::Profile(profile("Standard")) }).expect("profile");
        let copy = dir.path().join("backup.sqlite3");
        s.backup_to(&copy).expect("backup");
        s.apply(Change::Put { record: Record::Profile(profile("After")) }).expect("later change");
        let restored = dir.path().join("b");
        std::fs::create_dir(&restored).expect("dir");
        std::fs::copy(&copy, restored.join(DB_FILE)).expect("restore");
        let r = Store::open(&restored).expect("restored opens");
        let names: Vec<String> = r.list::<Profile>().expect("list").into_iter().map(|p| p.name).collect();
        assert_eq!(names, vec!["Standard".to_string()]);
        assert!(r.check_login("ops", "operator-pass").expect("login").is_some());
    }

    #[test]
    fn a_full_disk_refuses_the_change_with_a_clear_message_and_writes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store::open(dir.path()).expect("open");
        s.apply(Change::Put { record: Record::Profile(profile("Before")) }).expect("room left");
        let seq = s.last_seq().expect("seq");
        // SQLite's own limit on the file's pages stands for a full disk: the same error.
        {
            let conn = s.lock();
            let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0)).expect("pages");
            let _: i64 = conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| r.get(0)).expect("limit");
        }
        let mut filled = None;
        for i in 0..200 {
            let mut p = profile(&format!("Filler {i:03} {}", "y".repeat(30)));
            p.id = format!("{}{}", p.id, "z".repeat(2000));
            if let Err(e) = s.apply(Change::Put { record: Record::Profile(p) }) {
                filled = Some(e);
                break;
            }
        }
        match filled {
            Some(DomainError::DiskFull(m)) => assert!(m.contains("disk is full") && m.contains("not saved"), "{m}"),
            other => panic!("expected DiskFull, got {other:?}"),
        }
        // What was refused left nothing behind: the log and the records agree.
        let logged = s.last_seq().expect("seq") - seq;
        let kept = s.list::<Profile>().expect("list").len() as u64 - 1;
        assert_eq!(logged, kept, "every kept record is logged and nothing half-written");
        assert!(s.list::<Profile>().expect("list").iter().any(|p| p.name == "Before"));
    }

    #[test]
    fn a_damaged_database_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(DB_FILE), b"this is not a database, it was overwritten by accident......").expect("write");
        match Store::open(dir.path()) {
            Err(DomainError::Storage(m)) => assert!(m.contains("damaged") && m.contains("backup"), "{m}"),
            other => panic!("expected a refusal, got {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        drop(Store::open(dir.path()).expect("open"));
        let conn = Connection::open(dir.path().join(DB_FILE)).expect("raw");
        conn.pragma_update(None, "user_version", 99).expect("bump");
        drop(conn);
        assert!(matches!(Store::open(dir.path()), Err(DomainError::Storage(m)) if m.contains("newer")));
    }

    #[test]
    fn numeric_ids_and_participant_counts_come_from_indexed_queries() {
        let dir = tempfile::tempdir().expect("dir");
        let s = Store::open(dir.path()).expect("open");
        let c = conference("Ops", "");
        let cid = c.id.clone();
        s.apply(Change::Put { record: Record::Conference(c) }).expect("conference");
        let uses = s.numeric_id_uses("1001").expect("uses");
        assert_eq!(uses.len(), 1);
        assert!(uses[0].what.contains("'Ops'"));
        assert!(s.numeric_id_uses("1002").expect("uses").is_empty());
        // Every state a call is up in holds a port; the others do not.
        use ParticipantState::*;
        let states = [Connected, Disconnected, AwaitingAssistance, PartiallyConnected, FaultyConnection, Connecting, WaitingForDialIn, Redialing { attempt: 2, of: 11 }];
        for (i, state) in states.into_iter().enumerate() {
            let p = Participant { state, ..participant(&cid, &format!("P{i}")) };
            s.apply(Change::Put { record: Record::Participant(p) }).expect("participant");
        }
        let up = states.iter().filter(|s| s.holds_port()).count();
        assert_eq!(up, 4);
        assert_eq!(s.participant_counts().expect("counts").get(&cid), Some(&(up, states.len())));
        // The header's load: the same ports, the callers awaiting an operator and the faulty.
        let load = s.load().expect("load");
        assert_eq!((load.ports_in_use, load.participant_alerts, load.audio_only), (4, 2, 1));
        let p = Participant { state: AwaitingAssistance, ..participant(&cid, "Late") };
        s.apply(Change::Put { record: Record::Participant(p) }).expect("one more waits");
        assert_eq!(s.load().expect("load").participant_alerts, 3, "a write forgets the kept load");
    }

    #[test]
    fn a_batch_gives_each_change_its_own_result_and_seq() {
        let dir = tempfile::tempdir().expect("dir");
        let s = Store::open(dir.path()).expect("open");
        let (a, b) = (profile("A"), profile("B"));
        let dup = Profile { id: new_id(), ..a.clone() };
        let (c, d) = (profile("C"), profile("D"));
        let dup_d = Profile { id: new_id(), ..d.clone() };
        let one = |p: Profile| (vec![Change::Put { record: Record::Profile(p) }], None);
        let results = s.apply_batch(vec![
            one(a),
            one(dup),
            one(b),
            // A unit with a refused change leaves none of its changes...
            (vec![Change::Put { record: Record::Profile(c.clone()) }, Change::Put { record: Record::Profile(dup_d) }, Change::Put { record: Record::Profile(d.clone()) }], None),
        ]);
        assert_eq!(results.len(), 4);
        assert_eq!(results[0].as_ref().map(|e| e[0].seq).ok(), Some(1));
        assert!(matches!(results[1], Err(DomainError::Conflict(_))), "the duplicate name is refused alone");
        assert_eq!(results[2].as_ref().map(|e| e[0].seq).ok(), Some(2));
        assert!(matches!(results[3], Err(DomainError::Conflict(_))), "{:?}", results[3]);
        assert_eq!(s.list::<Profile>().expect("list").len(), 2, "nothing of the refused unit");
        assert_eq!(s.last_seq().expect("seq"), 2);
        // ...and a unit that passes is all there, in order.
        let results = s.apply_batch(vec![(vec![Change::Put { record: Record::Profile(c) }, Change::Put { record: Record::Profile(d) }], None)]);
        assert_eq!(results[0].as_ref().map(|e| e.iter().map(|e| e.seq).collect::<Vec<_>>()).ok(), Some(vec![3, 4]));
        assert_eq!(s.list::<Profile>().expect("list").len(), 4);
        assert_eq!(s.recompute_digest().expect("digest"), s.digest().expect("digest"));
    }

    #[test]
    fn the_store_keeps_numeric_ids_unique_but_a_room_shares_its_number_with_its_conferences() {
        let dir = tempfile::tempdir().expect("dir");
        let s = Store::open(dir.path()).expect("open");
        let room = MeetingRoom {
            id: new_id(),
            name: "Board".into(),
            numeric_id: "1001".into(),
            profile_id: String::new(),
            conference_password: String::new(),
            chairperson_password: String::new(),
        };
        s.apply(Change::Put { record: Record::MeetingRoom(room.clone()) }).expect("room");
        // Two changes racing for one number in one batch: the second is refused.
        let results = s.apply_batch(vec![
            (vec![Change::Put { record: Record::Conference(Conference { numeric_id: "2002".into(), ..conference("A", "") }) }], None),
            (vec![Change::Put { record: Record::Conference(Conference { numeric_id: "2002".into(), ..conference("B", "") }) }], None),
        ]);
        assert!(results[0].is_ok());
        assert!(
            matches!(&results[1], Err(DomainError::Invalid { field: "numeric_id", message }) if message.contains("ID 2002 is used by the ongoing conference 'A'")),
            "{results:?}"
        );
        let stray = Conference { numeric_id: "1001".into(), ..conference("Stray", "") };
        assert!(s.apply(Change::Put { record: Record::Conference(stray) }).is_err(), "the room's number");
        let own = Conference { numeric_id: "1001".into(), source_id: Some(room.id.clone()), ..conference("Board", "") };
        s.apply(Change::Put { record: Record::Conference(own.clone()) }).expect("the room's own conference");
        s.apply(Change::Put { record: Record::Conference(Conference { locked: true, ..own }) }).expect("the room's conference changed");
        // A room runs once at a time: a second start (two operators at once) is refused.
        let again = Conference { numeric_id: "1001".into(), source_id: Some(room.id.clone()), ..conference("Board again", "") };
        assert!(
            matches!(s.apply(Change::Put { record: Record::Conference(again) }), Err(DomainError::Invalid { field: "numeric_id", .. })),
            "a second conference of the room"
        );
        s.apply(Change::Put { record: Record::MeetingRoom(MeetingRoom { conference_password: "12".into(), ..room }) }).expect("the room edited while running");
    }
}
