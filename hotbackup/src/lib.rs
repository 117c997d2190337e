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
//!
//! Where things are:
//! - `lib.rs`: the handle, start-up, the supervised background task (`run` dispatches by role);
//! - [`state`]: the live role's state, the event log, the status;
//! - [`transitions`]: `enter(role)`, the one place a role is entered; becoming Master or Slave;
//! - [`commit`]: the one write path (group commit, waiting for the Slave's acknowledgement);
//! - [`master`]: the Master's side (watching the peer, the endpoints the Slave calls);
//! - [`slave`]: the Slave's side (following, catching up, taking over);
//! - [`checks`]: the guideline checks against the peer;
//! - [`admin`]: enable, disable, trigger failover, the link triggers;
//! - [`pairing`]: pairing without sending the password, the pairing credential;
//!   [`identity`]: this MCU's peer-link certificate and the pinning check;
//! - [`transport`]: the peer link as a trait; [`client`]: its TLS implementation;
//!   [`error`]: what the endpoints refuse with. The engine's own tests run two engines on an
//!   in-memory wire (`wire_tests`).

#![forbid(unsafe_code)]

pub mod client;
mod admin;
mod alarms;
mod cdr;
mod checks;
mod commit;
mod error;
mod master;
mod pairing;
pub mod peer;
pub mod identity;
mod slave;
mod state;
mod transitions;
pub mod transport;
#[cfg(test)]
mod wire_tests;

pub use commit::{Committed, CommittedAll};
pub use error::PeerError;
pub use pairing::Guess;
pub(crate) use pairing::PeerLink;
pub(crate) use state::State;
pub(crate) use commit::Queued;

use client::PeerClient;
use domain::hotbackup::*;
use domain::store::{keys, Store};
use domain::{DomainError, HotBackupRole, HotBackupSettings};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, watch, Notify};

/// The peer link's credential this MCU holds: in the secrets file (never in the database,
/// never synced, never shown). Earlier versions kept it as a local setting of that name.
const PEER_LINK: &str = "hot_backup_peer_link";
/// Local setting holding the digest of the pairing credential this MCU issued.
const PEER_ISSUED: &str = "hot_backup_peer_issued";
const MAX_EVENTS: usize = 200;
const BATCH: usize = 1000;

/// This MCU as the peer sees it.
#[derive(Debug, Clone)]
pub struct Identity {
    pub name: String,
    pub version: String,
    pub has_port_configuration: bool,
    /// Own listen address: reachable means this MCU's own network is up.
    pub listen: SocketAddr,
    /// The fingerprint of this MCU's peer-link certificate (`identity`).
    pub fingerprint: String,
}

struct Inner {
    store: Store,
    me: Identity,
    data_dir: PathBuf,
    /// The peer link (HTTP in production; an in-memory wire in the engine's tests).
    client: Arc<dyn transport::Transport>,
    state: Mutex<State>,
    /// Newest seq committed here (wakes long-polls).
    committed: watch::Sender<u64>,
    /// Newest seq the Slave has acknowledged (wakes commits waiting for it).
    acked: watch::Sender<u64>,
    /// Counts this MCU's takeovers (failover or switch-over): what runs the conferences
    /// after one (the redial) waits on it.
    takeovers: watch::Sender<u64>,
    /// Settings or role changed: the background task re-reads them.
    wake: Notify,
    /// Something the pages show changed (a change committed or replicated here, a role
    /// change): the newest seq. Feeds the browsers' live updates.
    changes: broadcast::Sender<u64>,
    /// How many messages `changes` has carried: a page made at one count and connected at
    /// another has missed some (see [`HotBackup::changes_announced`]).
    announced: std::sync::atomic::AtomicU64,
    /// Counts the events of the event log (and role changes): the pages' Hot Backup state
    /// (header badge, panel, read-only mode) is fetched again at each.
    status_events: watch::Sender<u64>,
    /// Group commit: changes waiting for the committer task, and whether it runs.
    queue: std::sync::Mutex<(Vec<Queued>, bool)>,
    /// Pairings started here (as responder) and not yet finished.
    pending: Mutex<VecDeque<pairing::Pending>>,
    /// When the last refusal on the peer link went to the audit trail (ms): at most one a
    /// second, so a flood of refused calls cannot push other entries out.
    refused_audit_ms: std::sync::atomic::AtomicU64,
    /// This MCU's Active Alarms (`alarms`), and a counter the writer task follows.
    alarms: Mutex<domain::alarms::AlarmBook>,
    alarms_version: watch::Sender<u64>,
    /// Tests plant a panic in the background task with this.
    #[cfg(test)]
    panic_next: std::sync::atomic::AtomicBool,
    /// Tests hold a takeover between its decision and the promotion with this (write-locked).
    #[cfg(test)]
    promotion_gate: tokio::sync::RwLock<()>,
    #[cfg(test)]
    promotion_waiting: std::sync::atomic::AtomicBool,
}

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

async fn blocking<T: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&Store) -> Result<T, DomainError> + Send + 'static,
) -> Result<T, DomainError> {
    let s = store.clone();
    tokio::task::spawn_blocking(move || f(&s))
        .await
        .unwrap_or_else(|e| Err(DomainError::Storage(format!("store task failed: {e}"))))
}

impl HotBackup {
    /// Reads the settings, decides the starting role and starts the background task.
    /// A configured Master first asks its peer (bounded by the detection time) whether a
    /// newer Master exists; if so it starts as Slave (G4: it must not come back as a second Master).
    pub async fn start(store: Store, me: Identity, data_dir: PathBuf, tls: identity::PeerIdentity) -> Result<HotBackup, DomainError> {
        Self::start_with(store, me, data_dir, Arc::new(PeerClient::new(tls))).await
    }

    /// [`HotBackup::start`] with another peer link (the engine's tests use an in-memory one).
    pub async fn start_with(store: Store, me: Identity, data_dir: PathBuf, client: Arc<dyn transport::Transport>) -> Result<HotBackup, DomainError> {
        let (settings, link, issued, last_seq, book) = blocking(&store, |s| {
            // A link saved by an earlier version (a session token, no pinned certificate)
            // reads as none: enabling again pairs anew.
            let mut link = s.secret::<PeerLink>(PEER_LINK);
            let old = s.local::<PeerLink>(PEER_LINK).unwrap_or_default();
            if link.credential.is_empty() && !old.credential.is_empty() {
                // Moved out of the database (and so out of every later backup).
                s.set_secret(PEER_LINK, &old)?;
                link = old;
            }
            if !s.local::<PeerLink>(PEER_LINK).unwrap_or_default().credential.is_empty() {
                s.set_local(PEER_LINK, &PeerLink::default())?;
            }
            let issued = s.local::<pairing::Issued>(PEER_ISSUED).unwrap_or_default();
            // A damaged alarm book is started afresh: the conditions raise their alarms again.
            let book = s.local::<domain::alarms::AlarmBook>(keys::ALARMS).unwrap_or_default();
            Ok((s.local::<HotBackupSettings>(keys::HOT_BACKUP)?, link, issued, s.last_seq()?, book))
        })
        .await?;
        let issued = (!issued.digest.is_empty()).then_some(issued);
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
                client,
                state: Mutex::new(State {
                    settings,
                    link,
                    issued,
                    live: state::Live::new(role),
                    peer_state: PeerState::Unknown,
                    peer_name: None,
                    events: VecDeque::new(),
                    failovers: 0,
                    signalling_down: None,
                    media_down: None,
                }),
                committed: watch::channel(last_seq).0,
                acked: watch::channel(0).0,
                takeovers: watch::channel(0).0,
                wake: Notify::new(),
                changes: broadcast::channel(256).0,
                announced: std::sync::atomic::AtomicU64::new(0),
                status_events: watch::channel(0).0,
                queue: std::sync::Mutex::new((Vec::new(), false)),
                pending: Mutex::new(VecDeque::new()),
                alarms: Mutex::new(book),
                alarms_version: watch::channel(0).0,
                refused_audit_ms: std::sync::atomic::AtomicU64::new(0),
                #[cfg(test)]
                panic_next: std::sync::atomic::AtomicBool::new(false),
                #[cfg(test)]
                promotion_gate: tokio::sync::RwLock::new(()),
                #[cfg(test)]
                promotion_waiting: std::sync::atomic::AtomicBool::new(false),
            }),
        };
        hb.apply_write_mode();
        hb.start_alarm_writer();
        if role == LiveRole::Master {
            hb.event("Started as Master; checking the paired MCU first.");
            hb.master_probe().await;
        } else if role == LiveRole::Slave {
            hb.event("Started as Slave.");
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
                        hb.raise(domain::alarms::AlarmCode::TaskRestarted, &format!("the task failed ({what}); restarted it (restart {restarts})."));
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    Err(_) => return, // cancelled: the runtime is stopping
                }
            }
        });
    }

    /// Live updates for the pages: one message per change here (its seq), and on role changes.
    pub fn subscribe_changes(&self) -> broadcast::Receiver<u64> {
        self.inner.changes.subscribe()
    }

    fn changed(&self, seq: u64) {
        // Counted before it is sent: a stream subscribed before the send receives it, and
        // one subscribed after it sees the count moved.
        self.inner.announced.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let _ = self.inner.changes.send(seq);
    }

    /// How many change messages have been announced so far (see
    /// [`Self::subscribe_changes`]). A page says the count it was made at; its event stream
    /// starts with a `change` when the count has moved since, so nothing announced while
    /// the page loaded and hydrated is missed.
    pub fn changes_announced(&self) -> u64 {
        self.inner.announced.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Bumped at each event-log entry and role change: what the pages' live Hot Backup
    /// state follows (besides its once-a-second refresh of lag and peer state).
    pub fn subscribe_status(&self) -> watch::Receiver<u64> {
        self.inner.status_events.subscribe()
    }

    /// Where the live state a page shows stands: event-log entries and role changes, and
    /// the alarm book. Lag and the peer's position move without it.
    pub fn live_version(&self) -> (u64, u64) {
        (*self.inner.status_events.borrow(), *self.inner.alarms_version.borrow())
    }

    pub(crate) fn status_changed(&self) {
        self.inner.status_events.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The current live role.
    pub fn role(&self) -> LiveRole {
        self.st().live.role()
    }

    /// Changes at every takeover by this MCU (it became Master after a failover or a
    /// planned switch-over): the conferences are this MCU's to run now.
    pub fn subscribe_takeovers(&self) -> watch::Receiver<u64> {
        self.inner.takeovers.subscribe()
    }

    /// An entry in the Hot Backup event log from outside the engine (the redial). Alarms
    /// go through [`Self::raise_alarm`].
    pub fn log_event(&self, text: impl Into<String>) {
        self.event(text);
    }

    pub fn settings(&self) -> HotBackupSettings {
        self.st().settings.clone()
    }

    // ------------------------------------------------------------------ the one write path

    // ------------------------------------------------------------------ administrator actions


    // ------------------------------------------------------------------ peer endpoints

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

}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::change::{Change, Record};

    async fn engine(dir: &std::path::Path) -> HotBackup {
        let store = Store::open(dir).expect("store");
        let me = Identity {
            name: "MCU-T".into(),
            version: "1.0.0".into(),
            has_port_configuration: true,
            listen: "127.0.0.1:9".parse().expect("addr"),
            fingerprint: "FP-T".into(),
        };
        HotBackup::start(store, me, dir.to_path_buf(), identity::PeerIdentity::generate().expect("tls")).await.expect("engine")
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
        hb.enter(LiveRole::Master, settings.clone(), state::Entry::default());
        let profile = domain::Profile {
            id: domain::store::new_id(),
            name: "P".into(),
            line_rate_kbps: 1920,
            resolution: domain::Resolution::Hd720,
            encryption: false,
            layout: "auto".into(),
            auto_terminate: false,
        };
        let entry = hb.apply_grouped(vec![Change::Put { record: Record::Profile(profile) }], None).await.expect("commit").remove(0);
        // Someone polling with a made-up position far ahead.
        hb.serve_log(entry.seq + 1000, Duration::ZERO).await.expect("log");
        assert_eq!(*hb.inner.acked.borrow(), entry.seq, "acknowledged no further than the Master's own last change");
        assert!(hb.st().live.master().is_some_and(|m| !m.slave_in_sync), "a poll from beyond the Master's log is not in sync");
        hb.serve_log(entry.seq, Duration::ZERO).await.expect("log");
        assert!(hb.st().live.master().is_some_and(|m| m.slave_in_sync && m.slave_acked == entry.seq));
        // Any role change forgets what was acknowledged.
        hb.enter(LiveRole::Slave, HotBackupSettings { role: HotBackupRole::Slave, ..settings }, state::Entry::default());
        assert_eq!(*hb.inner.acked.borrow(), 0);
        assert!(hb.st().live.master().is_none(), "nothing of the Master's side is left");
        hb.enter(LiveRole::Master, HotBackupSettings { role: HotBackupRole::Master, ..hb.settings() }, state::Entry::default());
        let st = hb.st();
        let m = st.live.master().expect("Master again");
        assert!(!m.slave_in_sync && m.slave_acked == 0 && m.slave_seen.is_none(), "a new Master starts afresh");
    }
}
