//! The engine's handle: start-up (the starting role, asking the peer first), the
//! supervised background task (`run` dispatches by role), and what the other modules share.

use crate::client::PeerClient;
use crate::mcu::{Alarms, EventLog, Services, Updates};
use crate::link::{Issued, PeerLink, Pending, PEER_ISSUED, PEER_LINK};
use crate::state::{self, Queued, State};
use crate::{identity, transport};
use crate::store_task::blocking;
use domain::hotbackup::*;
use domain::store::{keys, Store};
use domain::{DomainError, HotBackupRole, HotBackupSettings};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// This MCU as the peer sees it.
#[derive(Debug, Clone)]
pub struct Identity {
    pub name: String,
    pub version: String,
    /// Its model: its ports and whether it has a Video/Voice Port Configuration.
    pub model: domain::McuModel,
    /// Own listen address: reachable means this MCU's own network is up.
    pub listen: SocketAddr,
    /// The fingerprint of this MCU's peer-link certificate (`identity`).
    pub fingerprint: String,
}

pub(crate) struct Inner {
    pub(crate) store: Store,
    pub(crate) me: Identity,
    pub(crate) data_dir: PathBuf,
    /// The peer link (HTTP in production; an in-memory wire in the engine's tests).
    pub(crate) client: Arc<dyn transport::Transport>,
    pub(crate) state: Mutex<State>,
    /// Newest seq committed here (wakes long-polls).
    pub(crate) committed: watch::Sender<u64>,
    /// Newest seq the Slave has acknowledged (wakes commits waiting for it).
    pub(crate) acked: watch::Sender<u64>,
    /// Counts this MCU's takeovers (failover or switch-over): what runs the conferences
    /// after one (the redial) waits on it.
    pub(crate) takeovers: watch::Sender<u64>,
    /// Settings or role changed: the background task re-reads them.
    pub(crate) wake: Notify,
    /// What the pages hear: each change committed or replicated here, role changes.
    pub(crate) updates: Updates,
    /// The Hot Backup event log and the Active Alarms (`mcu`).
    pub(crate) events: EventLog,
    pub(crate) alarms: Alarms,
    /// Group commit: changes waiting for the committer task, and whether it runs.
    pub(crate) queue: std::sync::Mutex<(Vec<Queued>, bool)>,
    /// Pairings started here (as responder) and not yet finished.
    pub(crate) pending: Mutex<VecDeque<Pending>>,
    /// When the last refusal on the peer link went to the audit trail (ms): at most one a
    /// second, so a flood of refused calls cannot push other entries out.
    pub(crate) refused_audit_ms: std::sync::atomic::AtomicU64,
    /// Tests plant a panic in the background task with this.
    #[cfg(test)]
    pub(crate) panic_next: std::sync::atomic::AtomicBool,
    /// Tests hold a takeover between its decision and the promotion with this (write-locked).
    #[cfg(test)]
    pub(crate) promotion_gate: tokio::sync::RwLock<()>,
    #[cfg(test)]
    pub(crate) promotion_waiting: std::sync::atomic::AtomicBool,
}

/// Handle to the engine; cheap to clone.
#[derive(Clone)]
pub struct HotBackup {
    pub(crate) inner: Arc<Inner>,
}

/// What a panic said, for the alarm.
fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    match p.downcast::<String>() {
        Ok(s) => *s,
        Err(p) => p.downcast_ref::<&str>().map(|s| s.to_string()).unwrap_or_else(|| "panic".into()),
    }
}


impl HotBackup {
    /// Reads the settings, decides the starting role and starts the background task.
    /// A configured Master first asks its peer (bounded by the detection time) whether a
    /// newer Master exists; if so it starts as Slave (G4: it must not come back as a second Master).
    pub async fn start(store: Store, me: Identity, data_dir: PathBuf, tls: identity::PeerIdentity, services: &Services) -> Result<HotBackup, DomainError> {
        Self::start_with(store, me, data_dir, Arc::new(PeerClient::new(tls)), services).await
    }

    /// [`HotBackup::start`] with another peer link (the engine's tests use an in-memory one).
    pub async fn start_with(
        store: Store,
        me: Identity,
        data_dir: PathBuf,
        client: Arc<dyn transport::Transport>,
        services: &Services,
    ) -> Result<HotBackup, DomainError> {
        let (settings, link, issued, last_seq) = blocking(&store, |s| {
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
            let issued = s.local::<Issued>(PEER_ISSUED).unwrap_or_default();
            Ok((s.local::<HotBackupSettings>(keys::HOT_BACKUP)?, link, issued, s.last_seq()?))
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
                    failovers: 0,
                    signalling_down: None,
                    media_down: None,
                }),
                committed: watch::channel(last_seq).0,
                acked: watch::channel(0).0,
                takeovers: watch::channel(0).0,
                wake: Notify::new(),
                updates: services.updates.clone(),
                events: services.events.clone(),
                alarms: services.alarms.clone(),
                queue: std::sync::Mutex::new((Vec::new(), false)),
                pending: Mutex::new(VecDeque::new()),
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
                        hb.alarms().raise(domain::alarms::AlarmCode::TaskRestarted, &format!("the task failed ({what}); restarted it (restart {restarts})."));
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    Err(_) => return, // cancelled: the runtime is stopping
                }
            }
        });
    }

    /// The engine's state, locked (a panic elsewhere does not lock it for good).
    pub(crate) fn st(&self) -> std::sync::MutexGuard<'_, State> {
        state::lock(&self.inner.state)
    }

    /// Something the pages show changed here, as of `seq`.
    pub(crate) fn changed(&self, seq: u64) {
        self.inner.updates.changed(seq);
    }

    /// The Hot Backup state the pages show moved (a role change).
    pub(crate) fn status_changed(&self) {
        self.inner.updates.status_changed();
    }

    /// The Hot Backup event log and the Active Alarms the engine writes to.
    pub(crate) fn events(&self) -> &EventLog {
        &self.inner.events
    }

    pub(crate) fn alarms(&self) -> &Alarms {
        &self.inner.alarms
    }

    /// An entry of the event log that needs no administrator (alarms: [`Alarms::raise`]).
    pub(crate) fn event(&self, text: impl Into<String>) {
        self.inner.events.note(text);
    }

    /// Reads the store on the blocking pool.
    pub(crate) async fn read<T: Send + 'static>(&self, f: impl FnOnce(&Store) -> Result<T, DomainError> + Send + 'static) -> Result<T, DomainError> {
        blocking(&self.inner.store, f).await
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

    pub fn settings(&self) -> HotBackupSettings {
        self.st().settings.clone()
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
            model: domain::McuModel::Cs2000,
            listen: "127.0.0.1:9".parse().expect("addr"),
            fingerprint: "FP-T".into(),
        };
        let services = crate::mcu::Services::load(&store).await;
        HotBackup::start(store, me, dir.to_path_buf(), identity::PeerIdentity::generate().expect("tls"), &services).await.expect("engine")
    }

    async fn wait_for_event(hb: &HotBackup, needle: &str, count: usize) -> bool {
        for _ in 0..300 {
            if hb.events().entries().iter().filter(|e| e.alarm && e.text.contains(needle)).count() >= count {
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
        assert!(hb.events().entries().iter().any(|e| e.text.contains("planted by a test")));
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
            recording_link_id: String::new(),
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
