//! The Hot Backup engine of one MCU (spec §2–§5).
//!
//! [`HotBackup`] owns this MCU's live role and runs one background task:
//! - as **Slave** it pulls the Master's change log (`/peer/v1/log`, long-poll; the `after`
//!   of each poll is its acknowledgement), applies it in order, catches up by snapshot when it
//!   cannot resume, and takes over when the Master has been silent for the detection time
//!   (and its own network is up);
//! - as **Master** it answers those polls, makes every change wait for the Slave's
//!   acknowledgement while the Slave is in sync ([`HotBackup::commit`]), and watches its peer
//!   so that two Masters after a partition resolve to one (the lower epoch steps down).
//!
//! The rules themselves (catch-up plan, who stays Master, guideline checks, failure verdict)
//! are plain functions in `domain::hotbackup`; this crate does the I/O around them.

pub mod client;

use client::{CallError, PeerClient};
use domain::change::{Change, EntityKind, LogEntry, Record};
use domain::hotbackup::*;
use domain::store::{keys, now_ms, ReplError, Store, WriteMode};
use domain::{Conference, DomainError, HotBackupRole, HotBackupSettings, Millis, Participant, PortConfiguration, Reservation};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, watch, Notify};

/// Local setting holding the peer link's credentials (never synced, never shown).
const PEER_LINK: &str = "hot_backup_peer_link";
/// How long a peer-link token lasts: as long as the pairing, in practice.
const PEER_TOKEN_TTL_MS: Millis = 10 * 365 * 24 * 3600 * 1000;
const MAX_EVENTS: usize = 200;
const BATCH: usize = 1000;

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct PeerLink {
    user: String,
    token: String,
}

/// This MCU as the peer sees it.
#[derive(Debug, Clone)]
pub struct Identity {
    pub name: String,
    pub version: String,
    pub has_port_configuration: bool,
    /// Own listen address: reachable means this MCU's own network is up.
    pub listen: SocketAddr,
}

/// Errors of the peer endpoints, with the HTTP status they map to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Internal(String),
    /// Too many logins being checked at once; try again shortly.
    #[error("{0}")]
    Busy(String),
}

impl PeerError {
    pub fn status(&self) -> u16 {
        match self {
            PeerError::BadRequest(_) => 400,
            PeerError::Unauthorized(_) => 401,
            PeerError::Conflict(_) => 409,
            PeerError::Busy(_) => 429,
            PeerError::Internal(_) => 500,
        }
    }
}

impl From<DomainError> for PeerError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Storage(m) => {
                tracing::error!(error = %m, "storage failure on the peer link");
                PeerError::Internal("storage failure on the paired MCU".into())
            }
            DomainError::Busy(m) => PeerError::Busy(m),
            other => PeerError::Conflict(other.to_string()),
        }
    }
}

struct State {
    settings: HotBackupSettings,
    link: PeerLink,
    role: LiveRole,
    peer_state: PeerState,
    peer_name: Option<String>,
    peer_seq: Option<u64>,
    peer_digest: Option<String>,
    /// Master: when the Slave last polled, what it had, whether it was caught up.
    slave_seen: Option<Instant>,
    /// Last answer to this Master's own probe of the peer, and the last probe tried.
    peer_heard: Option<Instant>,
    probe_tried: Option<Instant>,
    slave_acked: u64,
    slave_in_sync: bool,
    /// Slave: whether its copy equals the Master's as of the last poll.
    caught_up: bool,
    last_sync_ms: Option<Millis>,
    lag_ms: u64,
    checks: Vec<Check>,
    events: VecDeque<HbEvent>,
    replicated: u64,
    failovers: u64,
    snapshot_progress: Option<(u64, u64)>,
    handing_over: bool,
    /// When the guideline checks were last run against the peer.
    checks_at: Option<Instant>,
    /// Since when the (simulated) signalling and media links have been down.
    signalling_down: Option<Instant>,
    media_down: Option<Instant>,
}

struct Inner {
    store: Store,
    me: Identity,
    data_dir: PathBuf,
    client: PeerClient,
    state: Mutex<State>,
    /// Newest seq committed here (wakes long-polls).
    committed: watch::Sender<u64>,
    /// Newest seq the Slave has acknowledged (wakes commits waiting for it).
    acked: watch::Sender<u64>,
    /// Settings or role changed: the background task re-reads them.
    wake: Notify,
    /// Something the pages show changed (a change committed or replicated here, a role
    /// change): the newest seq. Feeds the browsers' live updates.
    changes: broadcast::Sender<u64>,
    /// Group commit: changes waiting for the committer task, and whether it runs.
    queue: std::sync::Mutex<(Vec<Queued>, bool)>,
    /// Tests plant a panic in the background task with this.
    #[cfg(test)]
    panic_next: std::sync::atomic::AtomicBool,
}

/// A change waiting to be committed, and where its result goes.
type Queued = (Change, tokio::sync::oneshot::Sender<Result<LogEntry, DomainError>>);

/// Handle to the engine; cheap to clone.
#[derive(Clone)]
pub struct HotBackup {
    inner: Arc<Inner>,
}

/// What a panic said, for the alarm.
fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    match p.downcast::<String>() {
        Ok(s) => *s,
        Err(p) => p.downcast_ref::<&str>().map(|s| s.to_string()).unwrap_or_else(|| "panic".into()),
    }
}

/// Held by the committer task: if it panics, the queue is not left without one (the next
/// committer starts at once for whatever is waiting).
struct CommitterGuard<'a>(&'a HotBackup);

impl Drop for CommitterGuard<'_> {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let restart = {
            let mut q = self.0.inner.queue.lock().unwrap_or_else(|p| p.into_inner());
            q.1 = !q.0.is_empty();
            q.1
        };
        if restart {
            let hb = self.0.clone();
            tokio::spawn(async move { hb.committer().await });
        }
    }
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

async fn blocking<T: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&Store) -> Result<T, DomainError> + Send + 'static,
) -> Result<T, DomainError> {
    let s = store.clone();
    tokio::task::spawn_blocking(move || f(&s))
        .await
        .unwrap_or_else(|e| Err(DomainError::Storage(format!("store task failed: {e}"))))
}

/// A change made by hand, as [`HotBackup::commit_report`] acknowledges it.
#[derive(Debug, Clone)]
pub struct Committed {
    pub entry: LogEntry,
    /// The Slave acknowledged it (it is on the Slave's disk); `false`: the MCU is
    /// standalone, or the Master carried on alone.
    pub mirrored: bool,
    /// How long the Master waited from its own commit until the Slave's acknowledgement
    /// (the Slave had persisted it): the replication lag of this change.
    pub replication_us: Option<u64>,
}

impl HotBackup {
    /// Reads the settings, decides the starting role and starts the background task.
    /// A configured Master first asks its peer (bounded by the detection time) whether a
    /// newer Master exists; if so it starts as Slave (G4: it must not come back as a second Master).
    pub async fn start(store: Store, me: Identity, data_dir: PathBuf) -> Result<HotBackup, DomainError> {
        let (settings, link, last_seq) = blocking(&store, |s| {
            Ok((s.local::<HotBackupSettings>(keys::HOT_BACKUP)?, s.local::<PeerLink>(PEER_LINK)?, s.last_seq()?))
        })
        .await?;
        let role = match (settings.enabled, settings.role) {
            (false, _) => LiveRole::Standalone,
            (true, HotBackupRole::Master) => LiveRole::Master,
            (true, HotBackupRole::Slave) => LiveRole::Slave,
        };
        let hb = HotBackup {
            inner: Arc::new(Inner {
                store,
                me,
                data_dir,
                client: PeerClient::new(),
                state: Mutex::new(State {
                    settings,
                    link,
                    role,
                    peer_state: PeerState::Unknown,
                    peer_name: None,
                    peer_seq: None,
                    peer_digest: None,
                    slave_seen: None,
                    peer_heard: None,
                    probe_tried: None,
                    slave_acked: 0,
                    slave_in_sync: false,
                    caught_up: false,
                    last_sync_ms: None,
                    lag_ms: 0,
                    checks: Vec::new(),
                    events: VecDeque::new(),
                    replicated: 0,
                    failovers: 0,
                    snapshot_progress: None,
                    handing_over: false,
                    checks_at: None,
                    signalling_down: None,
                    media_down: None,
                }),
                committed: watch::channel(last_seq).0,
                acked: watch::channel(0).0,
                wake: Notify::new(),
                changes: broadcast::channel(256).0,
                queue: std::sync::Mutex::new((Vec::new(), false)),
                #[cfg(test)]
                panic_next: std::sync::atomic::AtomicBool::new(false),
            }),
        };
        hb.apply_write_mode();
        if role == LiveRole::Master {
            hb.event(false, "Started as Master; checking the paired MCU first.");
            hb.master_probe().await;
        } else if role == LiveRole::Slave {
            hb.event(false, "Started as Slave.");
        }
        hb.supervise();
        Ok(hb)
    }

    /// Runs the background task (replication, failure detection) under supervision: a
    /// panic in it is caught, raised as an alarm, and the task starts again a second later
    /// (so one that keeps failing does not spin). It ends only with the runtime.
    fn supervise(&self) {
        let hb = self.clone();
        tokio::spawn(async move {
            let mut restarts = 0u64;
            loop {
                let task = hb.clone();
                match tokio::spawn(async move { task.run().await }).await {
                    Ok(()) => return,
                    Err(e) if e.is_panic() => {
                        restarts += 1;
                        let what = panic_text(e.into_panic());
                        hb.event(true, format!("Hot Backup's background task failed ({what}); restarted it (restart {restarts})."));
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    Err(_) => return, // cancelled: the runtime is stopping
                }
            }
        });
    }

    fn st(&self) -> MutexGuard<'_, State> {
        lock(&self.inner.state)
    }

    fn event(&self, alarm: bool, text: impl Into<String>) {
        self.changed(*self.inner.committed.borrow());
        let text = text.into();
        if alarm {
            tracing::warn!(target: "hotbackup", "{text}");
        } else {
            tracing::info!(target: "hotbackup", "{text}");
        }
        let mut st = self.st();
        st.events.push_front(HbEvent { at_ms: now_ms(), alarm, text });
        st.events.truncate(MAX_EVENTS);
    }

    /// The one place a live role is entered: the role, its settings, and every field that
    /// belongs to a role set afresh (what the Slave had acknowledged, whether it was in
    /// sync, whether this MCU had caught up as Slave), then the store's write mode. `more`
    /// sets what the caller adds (under the same lock).
    fn enter(&self, role: LiveRole, settings: HotBackupSettings, more: impl FnOnce(&mut State)) {
        {
            let mut st = self.st();
            st.role = role;
            st.settings = settings;
            st.slave_seen = None;
            st.slave_acked = 0;
            st.slave_in_sync = false;
            st.caught_up = false;
            st.peer_seq = None;
            st.lag_ms = 0;
            more(&mut st);
        }
        // Acknowledgements belong to one role and one Slave: none carry over.
        self.inner.acked.send_replace(0);
        self.apply_write_mode();
    }

    fn apply_write_mode(&self) {
        let (role, peer) = {
            let st = self.st();
            (st.role, st.settings.peer_address.clone())
        };
        self.inner.store.set_write_mode(match role {
            LiveRole::Slave => WriteMode::Replica { master: peer },
            _ => WriteMode::Primary,
        });
    }

    /// Live updates for the pages: one message per change here (its seq), and on role changes.
    pub fn subscribe_changes(&self) -> broadcast::Receiver<u64> {
        self.inner.changes.subscribe()
    }

    fn changed(&self, seq: u64) {
        let _ = self.inner.changes.send(seq);
    }

    /// The current live role.
    pub fn role(&self) -> LiveRole {
        self.st().role
    }

    /// Everything the page and `/healthz` show.
    pub async fn status(&self) -> HbStatus {
        let (epoch, pos, digest) = blocking(&self.inner.store, |s| Ok((s.epoch()?, s.position()?.seq, s.digest()?)))
            .await
            .unwrap_or_default();
        let st = self.st();
        let detection = Duration::from_millis(st.settings.detection_ms.into());
        let sync_status = match st.role {
            LiveRole::Standalone => SyncStatus::None,
            LiveRole::Master => match st.slave_seen {
                Some(t) if t.elapsed() < detection && st.slave_in_sync && st.slave_acked >= pos => SyncStatus::Ok,
                Some(t) if t.elapsed() < detection => SyncStatus::Attempting,
                None if st.peer_state != PeerState::Down => SyncStatus::Attempting,
                _ => SyncStatus::Fail,
            },
            LiveRole::Slave => match st.peer_state {
                PeerState::Up if st.caught_up => SyncStatus::Ok,
                PeerState::Down => SyncStatus::Fail,
                _ => SyncStatus::Attempting,
            },
        };
        HbStatus {
            enabled: st.settings.enabled,
            configured_role: st.settings.role,
            role: st.role,
            peer_address: st.settings.peer_address.clone(),
            peer_state: st.peer_state,
            peer_name: st.peer_name.clone(),
            sync_status,
            lag_ms: st.lag_ms,
            last_sync_ms: st.last_sync_ms,
            epoch,
            seq: pos,
            peer_seq: st.peer_seq,
            digest,
            peer_digest: st.peer_digest.clone(),
            checks: st.checks.clone(),
            events: st.events.iter().cloned().collect(),
            replicated: st.replicated,
            failovers: st.failovers,
            snapshot_progress: st.snapshot_progress,
        }
    }

    pub fn settings(&self) -> HotBackupSettings {
        self.st().settings.clone()
    }

    // ------------------------------------------------------------------ the one write path

    /// Applies a change made by hand (refused on a Slave, G5) and, while the Slave is in
    /// sync, returns only once the Slave has it on disk, so a failover loses no change that
    /// was acknowledged. If the Slave does not answer within the detection time, the Master
    /// carries on alone and says so.
    pub async fn commit(&self, change: Change) -> Result<LogEntry, DomainError> {
        self.commit_report(change).await.map(|c| c.entry)
    }

    /// [`Self::commit`], also telling whether the Slave had the change on disk when it
    /// was acknowledged (the fault suite holds the pair to that promise).
    pub async fn commit_report(&self, change: Change) -> Result<Committed, DomainError> {
        if self.st().handing_over {
            return Err(DomainError::Conflict(
                "A planned switch-over is in progress; try again in a moment on the new Master.".into(),
            ));
        }
        // A Master that has heard nothing from its peer for the detection time (its Slave is
        // down, or this MCU was frozen and the Slave may have taken over) asks the peer
        // before taking a change: two Masters must never both acknowledge while linked.
        let must_ask = {
            let st = self.st();
            let detection = Duration::from_millis(st.settings.detection_ms.into());
            let heartbeat = Duration::from_millis(st.settings.heartbeat_ms.into());
            let heard = [st.slave_seen, st.peer_heard].into_iter().flatten().any(|t| t.elapsed() < detection);
            let asked = st.probe_tried.is_some_and(|t| t.elapsed() < heartbeat);
            st.role == LiveRole::Master && st.settings.enabled && !heard && !asked
        };
        if must_ask {
            self.master_probe().await; // steps down (the store then refuses, G5) under a newer Master
        }
        let entry = self.apply_grouped(change).await?;
        self.changed(entry.seq);
        let (wait, detection) = {
            let st = self.st();
            let detection = Duration::from_millis(st.settings.detection_ms.into());
            let seen = st.slave_seen.is_some_and(|t| t.elapsed() < detection);
            (st.role == LiveRole::Master && seen && st.slave_in_sync, detection)
        };
        if wait {
            let started = Instant::now();
            let mut rx = self.inner.acked.subscribe();
            let acked = tokio::time::timeout(detection, rx.wait_for(|a| *a >= entry.seq)).await.is_ok_and(|r| r.is_ok());
            drop(rx);
            if acked {
                let waited = started.elapsed();
                self.st().lag_ms = waited.as_millis() as u64;
                return Ok(Committed { entry, mirrored: true, replication_us: Some(waited.as_micros() as u64) });
            } else {
                let was_in_sync = std::mem::replace(&mut self.st().slave_in_sync, false);
                // Silence from the Slave may mean it has taken over (this MCU was paused or
                // cut off). Ask before acknowledging: under a newer Master this change must
                // not count as made; it is exported when this MCU steps down.
                self.master_probe().await;
                if self.role() != LiveRole::Master {
                    return Err(DomainError::Conflict(format!(
                        "This MCU is no longer the Master: the paired MCU took over. The change was not kept here \
                         (it is saved in the data folder); make it again on the Master ({}).",
                        self.settings().peer_address
                    )));
                }
                if was_in_sync {
                    self.event(true, format!(
                        "The Slave did not acknowledge change {} within {} ms; the Master carries on alone until it catches up.",
                        entry.seq, detection.as_millis()
                    ));
                }
            }
        }
        Ok(Committed { entry, mirrored: false, replication_us: None })
    }

    /// Applies a change together with whatever other changes are waiting (one transaction,
    /// one disk sync for all of them: concurrent writers do not queue behind each other's
    /// syncs). The committer runs as its own task, so a caller that goes away (a closed
    /// browser) never leaves the queue without one.
    async fn apply_grouped(&self, change: Change) -> Result<LogEntry, DomainError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let lead = {
            let mut q = self.inner.queue.lock().unwrap_or_else(|p| p.into_inner());
            q.0.push((change, tx));
            !std::mem::replace(&mut q.1, true)
        };
        if lead {
            let hb = self.clone();
            tokio::spawn(async move { hb.committer().await });
        }
        rx.await.unwrap_or_else(|_| Err(DomainError::Storage("the committer stopped".into())))
    }

    async fn committer(&self) {
        let _guard = CommitterGuard(self);
        loop {
            let batch = {
                let mut q = self.inner.queue.lock().unwrap_or_else(|p| p.into_inner());
                if q.0.is_empty() {
                    q.1 = false;
                    return;
                }
                std::mem::take(&mut q.0)
            };
            let (changes, waiters): (Vec<Change>, Vec<_>) = batch.into_iter().unzip();
            let n = changes.len();
            let results = blocking(&self.inner.store, move |s| Ok(s.apply_batch(changes)))
                .await
                .unwrap_or_else(|e| (0..n).map(|_| Err(e.clone())).collect());
            if let Some(newest) = results.iter().filter_map(|r| r.as_ref().ok().map(|e| e.seq)).max() {
                self.inner.committed.send_replace(newest); // one committer at a time: the newest seq
            }
            for (waiter, result) in waiters.into_iter().zip(results) {
                let _ = waiter.send(result);
            }
        }
    }

    // ------------------------------------------------------------------ administrator actions

    /// Enables Hot Backup after checking the guidelines against the peer: logs in to it as
    /// `user` (G2 makes the same Administrator exist there), compares versions (G1), users
    /// (G2), reachability (G3), emptiness when becoming Slave (G8) and port configuration
    /// (G10, a warning). Returns the checks; refuses with all failed ones named.
    pub async fn enable(&self, settings: HotBackupSettings, user: &str, password: &str) -> Result<Vec<Check>, DomainError> {
        let mut settings = validate_settings(HotBackupSettings { enabled: true, ..settings })?;
        settings.enabled = true;
        let peer = settings.peer_address.clone();
        let timeout = Duration::from_millis(settings.detection_ms.max(2000).into());
        let login = PeerLogin { user: user.to_string(), password: password.to_string(), version: self.inner.me.version.clone() };
        let token = match self.inner.client.login(&peer, &login, timeout).await {
            Ok(t) => t.token,
            Err(CallError::Unreachable(_)) => {
                return Err(DomainError::Conflict(format!(
                    "G3: the paired MCU at {peer} cannot be reached. Check the address and that both MCUs can reach each other."
                )))
            }
            Err(CallError::Refused { status: 401, message }) => {
                return Err(DomainError::Conflict(format!(
                    "G2: the paired MCU refused the login of '{user}' with this password ({message}). The users and passwords must be the same on both MCUs."
                )))
            }
            Err(e) => return Err(DomainError::Conflict(e.to_string())),
        };
        let facts = self
            .inner
            .client
            .facts(&peer, &token, timeout)
            .await
            .map_err(|e| DomainError::Conflict(format!("G3: {e}")))?;
        let checks = self.checks_against(&facts, settings.role).await?;
        let failed: Vec<String> = checks
            .iter()
            .filter(|c| !c.passed && c.guideline != "G10")
            .map(|c| format!("{}: {}", c.guideline, c.reason))
            .collect();
        if !failed.is_empty() {
            return Err(DomainError::Conflict(format!("Hot Backup was not enabled: {}", failed.join(" "))));
        }
        if facts.enabled && facts.configured_role == settings.role {
            return Err(DomainError::Conflict(format!(
                "The paired MCU is already the {:?}; make this MCU the other role.",
                settings.role
            )));
        }
        let link = PeerLink { user: user.to_string(), token };
        let (saved, saved_link) = (settings.clone(), link.clone());
        blocking(&self.inner.store, move |s| {
            s.set_local(keys::HOT_BACKUP, &saved)?;
            s.set_local(PEER_LINK, &saved_link)
        })
        .await?;
        let role = match settings.role {
            HotBackupRole::Master => LiveRole::Master,
            HotBackupRole::Slave => LiveRole::Slave,
        };
        self.enter(role, settings.clone(), |st| {
            st.link = link;
            st.checks = checks.clone();
            st.checks_at = Some(Instant::now());
            st.peer_state = PeerState::Up;
            st.peer_name = Some(facts.heartbeat.name.clone());
        });
        self.event(false, format!("Hot Backup enabled as {:?} with {} ({peer}).", settings.role, facts.heartbeat.name));
        self.inner.wake.notify_one();
        Ok(checks)
    }

    async fn checks_against(&self, facts: &PeerFacts, role: HotBackupRole) -> Result<Vec<Check>, DomainError> {
        let (users, ports, conferences, reservations) = blocking(&self.inner.store, |s| {
            Ok((
                s.user_fingerprints()?,
                s.local::<PortConfiguration>(keys::PORT_CONFIGURATION)?,
                s.count(EntityKind::Conference)?,
                s.count(EntityKind::Reservation)?,
            ))
        })
        .await?;
        let mut checks = vec![
            check_versions(&self.inner.me.version, &facts.heartbeat.version),
            check_users(&users, &facts.users),
            Check { guideline: "G3".into(), passed: true, reason: format!("{} answers on the peer link.", facts.heartbeat.name) },
        ];
        if role == HotBackupRole::Slave && self.role() != LiveRole::Slave {
            checks.push(check_can_become_slave(conferences, reservations));
        }
        checks.push(check_port_configuration(
            &ports,
            &facts.ports,
            self.inner.me.has_port_configuration && facts.has_port_configuration,
        ));
        Ok(checks)
    }

    /// Disables Hot Backup. On a Slave this deletes the backed-up ongoing conferences and
    /// reservations (G6).
    pub async fn disable(&self) -> Result<(), DomainError> {
        let was = self.role();
        let mut settings = self.settings();
        settings.enabled = false;
        let saved = settings.clone();
        blocking(&self.inner.store, move |s| s.set_local(keys::HOT_BACKUP, &saved)).await?;
        // From now on this MCU writes on its own: a new epoch of its own makes any later
        // re-pairing see exactly where the two histories parted.
        blocking(&self.inner.store, |s| s.promote()).await?;
        self.enter(LiveRole::Standalone, settings, |st| st.peer_state = PeerState::Unknown);
        if was == LiveRole::Slave {
            let (confs, res) = blocking(&self.inner.store, |s| Ok((s.list::<Conference>()?, s.list::<Reservation>()?))).await?;
            let n = (confs.len(), res.len());
            for c in confs {
                self.commit(Change::Delete { kind: EntityKind::Conference, id: c.id }).await?;
            }
            for r in res {
                self.commit(Change::Delete { kind: EntityKind::Reservation, id: r.id }).await?;
            }
            self.event(false, format!("Hot Backup disabled on the Slave: deleted {} backed-up conference(s) and {} reservation(s) (G6).", n.0, n.1));
        } else {
            self.event(false, "Hot Backup disabled.");
        }
        self.inner.wake.notify_one();
        Ok(())
    }

    /// Planned switch-over, on the Master: stop taking changes, make sure the Slave has
    /// everything, hand over, become Slave. Nothing acknowledged is lost.
    pub async fn trigger_failover(&self) -> Result<(), DomainError> {
        let (peer, token, detection) = {
            let st = self.st();
            if st.role != LiveRole::Master {
                return Err(DomainError::Conflict("Only the Master can trigger a failover.".into()));
            }
            (st.settings.peer_address.clone(), st.link.token.clone(), Duration::from_millis(st.settings.detection_ms.into()))
        };
        self.st().handing_over = true;
        let result = async {
            let last = blocking(&self.inner.store, |s| s.last_seq()).await?;
            let mut rx = self.inner.acked.subscribe();
            let wait = detection.max(Duration::from_secs(3));
            if tokio::time::timeout(wait, rx.wait_for(|a| *a >= last)).await.is_err() {
                return Err(DomainError::Conflict(format!(
                    "The Slave has not confirmed every change (it has {} of {last}); the switch-over was cancelled and this MCU stays Master.",
                    *self.inner.acked.borrow()
                )));
            }
            self.inner
                .client
                .takeover(&peer, &token, &Takeover { seq: last }, wait)
                .await
                .map_err(|e| DomainError::Conflict(format!("The Slave did not take over: {e}. This MCU stays Master.")))
        }
        .await;
        let done = match result {
            Ok(hb) => {
                self.become_slave(
                    format!("Planned switch-over: {} is now the Master (epoch {}); this MCU is its Slave.", hb.name, hb.position.epoch),
                    false,
                )
                .await
            }
            Err(e) => Err(e),
        };
        self.st().handing_over = false;
        done
    }

    async fn become_slave(&self, why: String, alarm: bool) -> Result<(), DomainError> {
        let mut settings = self.settings();
        settings.role = HotBackupRole::Slave;
        let saved = settings.clone();
        blocking(&self.inner.store, move |s| s.set_local(keys::HOT_BACKUP, &saved)).await?;
        self.enter(LiveRole::Slave, settings, |_| {});
        self.event(alarm, why);
        self.inner.wake.notify_one();
        Ok(())
    }

    async fn become_master(&self, why: String, alarm: bool) -> Result<u64, DomainError> {
        let mut settings = self.settings();
        settings.role = HotBackupRole::Master;
        let saved = settings.clone();
        let epoch = blocking(&self.inner.store, move |s| {
            s.set_local(keys::HOT_BACKUP, &saved)?;
            s.promote()
        })
        .await?;
        self.enter(LiveRole::Master, settings, |st| st.failovers += 1);
        self.event(alarm, format!("{why} This MCU is now the Master (epoch {epoch})."));
        self.inner.wake.notify_one();
        let me = self.clone();
        tokio::spawn(async move { me.redial().await });
        Ok(epoch)
    }

    /// After taking over: the mirrored conferences run here now; participants are called
    /// again, dial-in ones as dial-out (they cannot call a box that is gone).
    async fn redial(&self) {
        let Ok(confs) = blocking(&self.inner.store, |s| s.list::<Conference>()).await else { return };
        let mut n = 0;
        for c in &confs {
            let id = c.id.clone();
            let Ok(parts) = blocking(&self.inner.store, move |s| s.participants_of(&id)).await else { continue };
            for p in parts {
                let p = Participant {
                    direction: domain::Direction::DialOut,
                    state: domain::ParticipantState::Connected,
                    ..p
                };
                let mut tries = 0;
                while tries < 3 {
                    tries += 1;
                    if self.commit(Change::Put { record: Record::Participant(p.clone()) }).await.is_ok() {
                        n += 1;
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        if !confs.is_empty() {
            self.event(false, format!("Restarted {} conference(s) and redialled {n} participant(s).", confs.len()));
        }
    }

    /// Simulation: this MCU's signalling or media link goes down or comes back. On the
    /// Master, with that trigger enabled, a link down for the inactivity time hands over to
    /// the Slave (spec §2).
    pub fn set_link(&self, link: Link, up: bool) {
        {
            let mut st = self.st();
            let slot = match link {
                Link::Signalling => &mut st.signalling_down,
                Link::Media => &mut st.media_down,
            };
            *slot = match (up, *slot) {
                (true, _) => None,
                (false, Some(since)) => Some(since),
                (false, None) => Some(Instant::now()),
            };
        }
        self.event(!up, format!("{link:?} link {}.", if up { "is up again" } else { "is down" }));
    }

    async fn check_link_triggers(&self) {
        let (settings, sig, media) = {
            let st = self.st();
            (st.settings.clone(), st.signalling_down.map(|t| t.elapsed()), st.media_down.map(|t| t.elapsed()))
        };
        if let Some(link) = link_trigger(&settings, sig, media) {
            self.event(true, format!(
                "{link:?} link inactive for {} s or more: failing over to the Slave.",
                settings.inactivity_s
            ));
            if let Err(e) = self.trigger_failover().await {
                self.note_once(true, &format!("Failover on {link:?} link loss did not happen: {e}"));
            }
        }
    }

    // ------------------------------------------------------------------ peer endpoints

    /// `POST /peer/v1/login`.
    pub async fn peer_login(&self, login: PeerLogin) -> Result<PeerToken, PeerError> {
        if login.version != self.inner.me.version {
            return Err(PeerError::Conflict(format!(
                "G1: the MCUs run different software versions: the paired MCU {}, this MCU {}.",
                login.version, self.inner.me.version
            )));
        }
        let (user, pw) = (login.user.clone(), login.password);
        let found = blocking(&self.inner.store, move |s| s.check_login(&user, &pw)).await?;
        match found {
            Some(u) if u.role == domain::Role::Administrator => {
                let name = u.name.clone();
                let token = blocking(&self.inner.store, move |s| s.create_session_for(&name, PEER_TOKEN_TTL_MS)).await?;
                Ok(PeerToken { token })
            }
            Some(_) => Err(PeerError::Unauthorized(format!("'{}' is not an Administrator here.", login.user))),
            None => Err(PeerError::Unauthorized("wrong user name or password".into())),
        }
    }

    /// Checks a peer link's bearer token: an Administrator's session.
    pub async fn authorize(&self, token: Option<&str>) -> Result<(), PeerError> {
        let Some(token) = token.map(str::to_string) else {
            return Err(PeerError::Unauthorized("the peer link needs a login".into()));
        };
        match blocking(&self.inner.store, move |s| s.session_user(&token)).await? {
            Some(u) if u.role == domain::Role::Administrator => Ok(()),
            _ => Err(PeerError::Unauthorized("the peer link's login is not valid here (any more)".into())),
        }
    }

    /// `GET /peer/v1/heartbeat`.
    pub async fn heartbeat(&self) -> Result<Heartbeat, PeerError> {
        let role = self.role();
        let (name, version) = (self.inner.me.name.clone(), self.inner.me.version.clone());
        Ok(blocking(&self.inner.store, move |s| {
            Ok(Heartbeat {
                instance_id: s.instance_id()?,
                name,
                version,
                role,
                position: s.position()?,
                epochs: s.epoch_history()?,
                oldest_logged: s.oldest_logged_seq()?,
                digest: s.digest()?,
            })
        })
        .await?)
    }

    /// `GET /peer/v1/facts`.
    pub async fn facts(&self) -> Result<PeerFacts, PeerError> {
        let heartbeat = self.heartbeat().await?;
        let settings = self.settings();
        let has = self.inner.me.has_port_configuration;
        Ok(blocking(&self.inner.store, move |s| {
            Ok(PeerFacts {
                heartbeat,
                users: s.user_fingerprints()?,
                ports: s.local(keys::PORT_CONFIGURATION)?,
                has_port_configuration: has,
                conferences: s.count(EntityKind::Conference)?,
                reservations: s.count(EntityKind::Reservation)?,
                enabled: settings.enabled,
                configured_role: settings.role,
            })
        })
        .await?)
    }

    /// `GET /peer/v1/log`: the Slave's poll. `after` is what it holds on disk: its
    /// acknowledgement. Waits up to `wait` for something new.
    pub async fn serve_log(&self, after: u64, wait: Duration) -> Result<LogBatch, PeerError> {
        if self.role() != LiveRole::Master {
            return Err(PeerError::Conflict("this MCU is not the Master".into()));
        }
        let last = *self.inner.committed.borrow();
        // A poll acknowledges what it says it has, but never beyond what this Master has
        // committed: a Slave (or anyone) claiming more cannot make a change count as mirrored.
        let acked = after.min(last);
        {
            let mut st = self.st();
            st.slave_seen = Some(Instant::now());
            st.slave_acked = st.slave_acked.max(acked);
            if after == last {
                st.slave_in_sync = true;
            }
            st.peer_seq = Some(after);
            st.peer_state = PeerState::Up;
            st.last_sync_ms = Some(now_ms());
        }
        self.inner.acked.send_if_modified(|a| {
            let newer = acked > *a;
            *a = (*a).max(acked);
            newer
        });
        if last <= after {
            let mut rx = self.inner.committed.subscribe();
            let _ = tokio::time::timeout(wait.min(Duration::from_secs(5)), rx.wait_for(|c| *c > after)).await;
        }
        Ok(blocking(&self.inner.store, move |s| {
            let entries = s.changes_since(after, BATCH)?;
            let (master, digest) = s.position_and_digest()?;
            Ok(LogBatch { entries, epochs: s.epoch_history()?, master, digest })
        })
        .await?)
    }

    /// `GET /peer/v1/snapshot`.
    pub async fn serve_snapshot(&self) -> Result<Snapshot, PeerError> {
        if self.role() != LiveRole::Master {
            return Err(PeerError::Conflict("this MCU is not the Master".into()));
        }
        Ok(blocking(&self.inner.store, |s| s.snapshot()).await?)
    }

    /// `POST /peer/v1/takeover`: the Master hands over (planned switch-over).
    pub async fn serve_takeover(&self, t: Takeover) -> Result<Heartbeat, PeerError> {
        if self.role() != LiveRole::Slave {
            return Err(PeerError::Conflict("this MCU is not the Slave".into()));
        }
        let have = blocking(&self.inner.store, |s| s.last_seq()).await?;
        if have != t.seq {
            return Err(PeerError::Conflict(format!("this Slave has changes up to {have}, not {}", t.seq)));
        }
        self.become_master("Planned switch-over: the Master handed over.".into(), false).await?;
        self.heartbeat().await
    }

    // ------------------------------------------------------------------ background task

    async fn run(&self) {
        loop {
            #[cfg(test)]
            if self.inner.panic_next.swap(false, std::sync::atomic::Ordering::SeqCst) {
                panic!("planted by a test");
            }
            match self.role() {
                LiveRole::Standalone => self.inner.wake.notified().await,
                LiveRole::Master => {
                    let hb = Duration::from_millis(self.settings().heartbeat_ms.into());
                    self.master_probe().await;
                    self.check_link_triggers().await;
                    tokio::select! {
                        _ = tokio::time::sleep(hb) => {}
                        _ = self.inner.wake.notified() => {}
                    }
                }
                LiveRole::Slave => self.slave_session().await,
            }
        }
    }

    /// Master: look at the peer. A peer that is Master too (a healed partition, or this MCU
    /// restarting after a failover) means one of us must step down: the lower epoch.
    async fn master_probe(&self) {
        let (peer, token, settings) = {
            let st = self.st();
            (st.settings.peer_address.clone(), st.link.token.clone(), st.settings.clone())
        };
        if !settings.enabled || peer.is_empty() || self.st().handing_over {
            return;
        }
        let timeout = Duration::from_millis(settings.detection_ms.into());
        self.st().probe_tried = Some(Instant::now());
        match self.inner.client.heartbeat(&peer, &token, timeout).await {
            Ok(hb) => {
                {
                    let mut st = self.st();
                    st.peer_heard = Some(Instant::now());
                    st.peer_state = PeerState::Up;
                    st.peer_name = Some(hb.name.clone());
                    st.peer_digest = Some(hb.digest.clone());
                    if st.slave_seen.is_none_or(|t| t.elapsed() > timeout) {
                        st.peer_seq = Some(hb.position.seq);
                    }
                }
                self.maybe_refresh_checks();
                if hb.role == LiveRole::Master && self.role() == LiveRole::Master && !self.st().handing_over {
                    let mine = blocking(&self.inner.store, |s| Ok((s.position()?, s.instance_id()?))).await;
                    let Ok((pos, id)) = mine else { return };
                    let peer_epoch = hb.epochs.last().map(|e| e.epoch).unwrap_or(1);
                    let my_epoch = self.inner.store.epoch().unwrap_or(1);
                    if !stays_master((my_epoch, pos.seq, &id), (peer_epoch, hb.position.seq, &hb.instance_id)) {
                        let _ = self
                            .become_slave(
                                format!(
                                    "8201 Hot Backup: Master-Slave configuration conflict: {} is Master with epoch {peer_epoch} (this MCU: epoch {my_epoch}). This MCU steps down to Slave.",
                                    hb.name
                                ),
                                true,
                            )
                            .await;
                    }
                }
            }
            Err(CallError::Refused { status: 401, .. }) => {
                self.st().peer_state = PeerState::Up;
                self.alarm_once("The paired MCU refused the peer link's login: disable and enable Hot Backup again with an Administrator's password (G2).");
            }
            Err(_) => {
                let was = std::mem::replace(&mut self.st().peer_state, PeerState::Down);
                if was != PeerState::Down {
                    self.event(true, format!("8200 Hot Backup: Paired MCU is unreachable ({peer})."));
                }
            }
        }
    }

    /// Runs the guideline checks against the peer again every few seconds while paired
    /// (G2 continuously, G10 as a warning on both MCUs); a newly failing check raises an alarm.
    fn maybe_refresh_checks(&self) {
        const EVERY: Duration = Duration::from_secs(5);
        {
            let mut st = self.st();
            if st.checks_at.is_some_and(|t| t.elapsed() < EVERY) {
                return;
            }
            st.checks_at = Some(Instant::now());
        }
        let me = self.clone();
        tokio::spawn(async move {
            let (peer, token, role, detection) = {
                let st = me.st();
                (st.settings.peer_address.clone(), st.link.token.clone(), st.settings.role, st.settings.detection_ms)
            };
            let Ok(facts) = me.inner.client.facts(&peer, &token, Duration::from_millis(detection.into())).await else { return };
            let Ok(checks) = me.checks_against(&facts, role).await else { return };
            let newly_failed: Vec<Check> = {
                let st = me.st();
                checks.iter().filter(|c| !c.passed && st.checks.iter().any(|o| o.guideline == c.guideline && o.passed)).cloned().collect()
            };
            me.st().checks = checks;
            for c in newly_failed {
                me.event(true, format!("{}: {}", c.guideline, c.reason));
            }
        });
    }

    fn alarm_once(&self, text: &str) {
        self.note_once(true, text);
    }

    /// Logs `text` unless it is already the newest event (loops retry every heartbeat).
    fn note_once(&self, alarm: bool, text: &str) {
        let fresh = self.st().events.front().is_none_or(|e| e.text != text);
        if fresh {
            self.event(alarm, text);
        }
    }

    /// Slave: follow the Master until this MCU is no longer Slave.
    async fn slave_session(&self) {
        let settings = self.settings();
        let hb_every = Duration::from_millis(settings.heartbeat_ms.into());
        let detection = Duration::from_millis(settings.detection_ms.into());
        let mut detector = FailureDetector::new(detection, Instant::now());
        while self.role() == LiveRole::Slave {
            let (peer, token) = {
                let st = self.st();
                (st.settings.peer_address.clone(), st.link.token.clone())
            };
            match self.follow(&peer, &token, hb_every, detection, &mut detector).await {
                Ok(()) => {}
                Err(e) => {
                    let now = Instant::now();
                    match detector.verdict(now, self.own_network_up().await) {
                        Verdict::Failed => {
                            self.st().peer_state = PeerState::Down;
                            let why = format!(
                                "8202 Hot Backup: the Master ({peer}) has not answered for {} ms ({e}).",
                                detector.silent_for(now).as_millis()
                            );
                            if let Err(err) = self.become_master(why, true).await {
                                self.event(true, format!("Taking over failed: {err}"));
                            }
                            return;
                        }
                        Verdict::OwnNetworkDown => {
                            self.alarm_once("8202 Hot Backup: Network issue: this MCU's own network is down, so it does not take over.");
                        }
                        Verdict::Alive | Verdict::Suspect => {}
                    }
                    let was = std::mem::replace(&mut self.st().peer_state, PeerState::Down);
                    if was == PeerState::Up {
                        self.event(true, format!("8200 Hot Backup: Paired MCU is unreachable ({peer}): {e}"));
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(hb_every) => {}
                        _ = self.inner.wake.notified() => {}
                    }
                }
            }
        }
    }

    async fn own_network_up(&self) -> bool {
        let addr = self.inner.me.listen;
        let probe = if addr.ip().is_unspecified() {
            SocketAddr::new(if addr.is_ipv4() { [127, 0, 0, 1].into() } else { std::net::Ipv6Addr::LOCALHOST.into() }, addr.port())
        } else {
            addr
        };
        matches!(
            tokio::time::timeout(Duration::from_millis(300), tokio::net::TcpStream::connect(probe)).await,
            Ok(Ok(_))
        )
    }

    /// One connection to the Master: catch up, then stream until something breaks.
    /// Returns `Err` with what broke (the caller judges the Master's health).
    async fn follow(
        &self,
        peer: &str,
        token: &str,
        hb_every: Duration,
        detection: Duration,
        detector: &mut FailureDetector,
    ) -> Result<(), String> {
        detector.trying(Instant::now());
        let hb = match self.inner.client.heartbeat(peer, token, detection).await {
            Ok(hb) => hb,
            Err(CallError::Refused { status: 401, .. }) => {
                detector.heard(Instant::now());
                self.st().peer_state = PeerState::Up;
                self.alarm_once("The Master refused the peer link's login: disable and enable Hot Backup again with an Administrator's password (G2).");
                tokio::time::sleep(hb_every * 5).await;
                return Ok(());
            }
            Err(e) => return Err(e.to_string()),
        };
        detector.heard(Instant::now());
        {
            let mut st = self.st();
            st.peer_state = PeerState::Up;
            st.peer_name = Some(hb.name.clone());
        }
        if hb.version != self.inner.me.version {
            self.alarm_once(&format!(
                "8201 Hot Backup: Master-Slave configuration conflict: G1: the MCUs run different software versions \
                 (this MCU {}, {} {}). Replication is stopped until both run the same version.",
                self.inner.me.version, hb.name, hb.version
            ));
            tokio::time::sleep(hb_every * 5).await;
            return Ok(());
        }
        if hb.role == LiveRole::Standalone {
            self.note_once(false, &format!("Waiting for {}: Hot Backup is off there; enable it as the Master.", hb.name));
            tokio::time::sleep(hb_every).await;
            return Ok(());
        }
        if hb.role != LiveRole::Master {
            self.alarm_once(&format!(
                "8201 Hot Backup: Master-Slave configuration conflict: {} is not acting as Master ({:?}).",
                hb.name, hb.role
            ));
            tokio::time::sleep(hb_every).await;
            return Ok(());
        }
        let (my_epochs, my_seq) = blocking(&self.inner.store, |s| Ok((s.epoch_history()?, s.position()?.seq)))
            .await
            .map_err(|e| e.to_string())?;
        match plan_catch_up(&hb.epochs, hb.oldest_logged, hb.position.seq, &my_epochs, my_seq) {
            CatchUp::Snapshot { export_after } => {
                if let Some(after) = export_after {
                    self.export_divergent(after).await.map_err(|e| e.to_string())?;
                }
                self.take_snapshot(peer, token, detection).await?;
                detector.heard(Instant::now());
            }
            CatchUp::Resume { .. } => {
                let epochs = hb.epochs.clone();
                blocking(&self.inner.store, move |s| s.adopt_epochs(&epochs)).await.map_err(|e| e.to_string())?;
            }
        }
        // Stream.
        loop {
            if self.role() != LiveRole::Slave {
                return Ok(());
            }
            let after = self.inner.store.last_seq().map_err(|e| e.to_string())?;
            detector.trying(Instant::now());
            let batch = self.inner.client.log(peer, token, after, hb_every, detection).await.map_err(|e| e.to_string())?;
            detector.heard(Instant::now());
            self.maybe_refresh_checks();
            let n = batch.entries.len() as u64;
            let newest_at = batch.entries.last().map(|e| e.at_ms);
            let epochs = batch.epochs.clone();
            let entries = batch.entries;
            // The whole batch in one transaction: one disk sync however busy the Master is.
            let applied = blocking(&self.inner.store, move |s| match s.apply_replicated_batch(&entries, &epochs) {
                Ok(_) => Ok(Ok(())),
                Err((_, ReplError::Domain(d))) => Err(d),
                Err((_, other)) => Ok(Err(other)),
            })
            .await
            .map_err(|e| e.to_string())?;
            if let Err(e) = applied {
                self.event(true, format!("Replication stopped: {e}. Resynchronising."));
                return Ok(());
            }
            let (mine, my_digest) = self.inner.store.position_and_digest().map_err(|e| e.to_string())?;
            if mine.seq > batch.master.seq {
                self.event(true, format!(
                    "This MCU holds changes up to {} but the Master only up to {}: resynchronising.",
                    mine.seq, batch.master.seq
                ));
                return Ok(());
            }
            if mine.seq == batch.master.seq && my_digest != batch.digest {
                // Same position, different content: the copies drifted apart silently.
                self.event(true, format!(
                    "The mirrored state differs from the Master's at change {} (digest {my_digest} here, {} there): taking a full snapshot.",
                    mine.seq, batch.digest
                ));
                self.take_snapshot(peer, token, detection).await?;
                continue;
            }
            if n > 0 {
                self.changed(mine.seq);
            }
            let mut st = self.st();
            st.replicated += n;
            st.peer_seq = Some(batch.master.seq);
            st.peer_digest = Some(batch.digest.clone());
            st.caught_up = mine.seq >= batch.master.seq;
            st.last_sync_ms = Some(now_ms());
            st.lag_ms = match newest_at {
                Some(at) => now_ms().saturating_sub(at).max(0) as u64,
                None => 0,
            };
            if st.caught_up && st.events.front().is_some_and(|e| e.text.starts_with("Catching up")) {
                drop(st);
                self.event(false, "In sync with the Master.");
            }
        }
    }

    async fn take_snapshot(&self, peer: &str, token: &str, detection: Duration) -> Result<(), String> {
        self.event(false, "Catching up with the Master: taking a full snapshot.");
        let snap = self
            .inner
            .client
            .snapshot(peer, token, detection.max(Duration::from_secs(30)))
            .await
            .map_err(|e| e.to_string())?;
        let total = snap.records.len() as u64;
        self.st().snapshot_progress = Some((0, total));
        let installed = blocking(&self.inner.store, move |s| Ok(s.install_snapshot(&snap))).await;
        self.st().snapshot_progress = None;
        match installed {
            Ok(Ok(())) => {
                self.event(false, format!("Catching up: snapshot of {total} records installed."));
                Ok(())
            }
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Keeps the changes after `after` that the Master does not have in a file in the data
    /// folder, and raises an alarm: never silently dropped.
    async fn export_divergent(&self, after: u64) -> Result<(), DomainError> {
        let entries = blocking(&self.inner.store, move |s| s.changes_after(after)).await?;
        if entries.is_empty() {
            return Ok(());
        }
        let path = self.inner.data_dir.join(format!("hot-backup-diverged-{}-after-{after}.json", now_ms()));
        let json = serde_json::to_string_pretty(&entries).map_err(|e| DomainError::Storage(e.to_string()))?;
        let p = path.clone();
        tokio::task::spawn_blocking(move || domain::store::files::write_private(&p, json.as_bytes()))
            .await
            .map_err(|e| DomainError::Storage(e.to_string()))??;
        self.event(
            true,
            format!(
                "{} change(s) made on this MCU after seq {after} are not on the Master; they were replaced by the Master's state and kept in {}.",
                entries.len(),
                path.display()
            ),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn engine(dir: &std::path::Path) -> HotBackup {
        let store = Store::open(dir).expect("store");
        let me = Identity {
            name: "MCU-T".into(),
            version: "1.0.0".into(),
            has_port_configuration: true,
            listen: "127.0.0.1:9".parse().expect("addr"),
        };
        HotBackup::start(store, me, dir.to_path_buf()).await.expect("engine")
    }

    async fn wait_for_event(hb: &HotBackup, needle: &str, count: usize) -> bool {
        for _ in 0..300 {
            if hb.st().events.iter().filter(|e| e.alarm && e.text.contains(needle)).count() >= count {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }

    #[tokio::test]
    async fn a_panic_in_the_background_task_is_an_alarm_and_the_task_runs_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let hb = engine(dir.path()).await;
        hb.inner.panic_next.store(true, std::sync::atomic::Ordering::SeqCst);
        hb.inner.wake.notify_one();
        assert!(wait_for_event(&hb, "restart 1", 1).await, "the first panic was raised as an alarm");
        // It runs again: a second planted panic is caught too (after the one-second pause).
        tokio::time::sleep(Duration::from_millis(1100)).await;
        hb.inner.panic_next.store(true, std::sync::atomic::Ordering::SeqCst);
        hb.inner.wake.notify_one();
        assert!(wait_for_event(&hb, "restart 2", 1).await, "the restarted task was running");
        assert!(hb.st().events.iter().any(|e| e.text.contains("planted by a test")));
    }

    #[tokio::test]
    async fn a_poll_never_acknowledges_beyond_the_masters_own_changes_and_role_changes_forget_acks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let hb = engine(dir.path()).await;
        let settings = HotBackupSettings { enabled: true, role: HotBackupRole::Master, peer_address: "127.0.0.1:9".into(), ..Default::default() };
        hb.enter(LiveRole::Master, settings.clone(), |_| {});
        let profile = domain::Profile {
            id: domain::store::new_id(),
            name: "P".into(),
            line_rate_kbps: 1920,
            resolution: domain::Resolution::Hd720,
            encryption: false,
            layout: "auto".into(),
            auto_terminate: false,
        };
        let entry = hb.apply_grouped(Change::Put { record: Record::Profile(profile) }).await.expect("commit");
        // Someone polling with a made-up position far ahead.
        hb.serve_log(entry.seq + 1000, Duration::ZERO).await.expect("log");
        assert_eq!(*hb.inner.acked.borrow(), entry.seq, "acknowledged no further than the Master's own last change");
        assert!(!hb.st().slave_in_sync, "a poll from beyond the Master's log is not in sync");
        hb.serve_log(entry.seq, Duration::ZERO).await.expect("log");
        assert!(hb.st().slave_in_sync);
        // Any role change forgets what was acknowledged.
        hb.enter(LiveRole::Slave, HotBackupSettings { role: HotBackupRole::Slave, ..settings }, |_| {});
        assert_eq!(*hb.inner.acked.borrow(), 0);
        let st = hb.st();
        assert!(!st.slave_in_sync && st.slave_acked == 0 && st.slave_seen.is_none());
    }
}
