//! Role changes. [`HotBackup::enter`] is the one place a live role is entered; becoming
//! Master (a new epoch; the conferences' redial, outside the engine, follows the takeover
//! count) and becoming Slave go through it.

use crate::state::{Entry, Live};
use crate::engine::HotBackup;
use crate::store_task::blocking;
use domain::hotbackup::*;
use domain::store::{keys, WriteMode};
use domain::{DomainError, HotBackupRole, HotBackupSettings};

impl HotBackup {
    /// The one place a live role is entered: the role and its own state afresh ([`Live`]:
    /// what the Slave had acknowledged, whether it was in sync, whether this MCU had caught
    /// up, what the link had seen), its settings and what `entry` brings (a new pairing,
    /// the checks just run, the peer as just heard, a failover), all under one lock; then
    /// the store's write mode.
    pub(crate) fn enter(&self, role: LiveRole, settings: HotBackupSettings, entry: Entry) {
        {
            let mut st = self.st();
            st.live = Live::new(role);
            st.settings = settings;
            let Entry { link, checks, peer, failover } = entry;
            if let Some(link) = link {
                st.link = link;
            }
            if let Some(seen) = st.live.seen_mut() {
                seen.checks_at = (!checks.is_empty()).then(tokio::time::Instant::now);
                seen.checks = checks;
            }
            if let Some((state, name)) = peer {
                st.peer_state = state;
                st.peer_name = name;
            }
            if failover {
                st.failovers += 1;
            }
            // Acknowledgements belong to one role and one Slave: none carry over.
            self.inner.acked.send_replace(0);
        }
        self.apply_write_mode();
        self.status_changed();
    }

    pub(crate) fn apply_write_mode(&self) {
        let (role, peer) = {
            let st = self.st();
            (st.live.role(), st.settings.peer_address.clone())
        };
        self.inner.store.set_write_mode(match role {
            LiveRole::Slave => WriteMode::Replica { master: peer },
            _ => WriteMode::Primary,
        });
    }

    pub(crate) async fn become_slave(&self, why: String, alarm: Option<AlarmCode>) -> Result<(), DomainError> {
        let mut settings = self.settings();
        settings.role = HotBackupRole::Slave;
        let saved = settings.clone();
        blocking(&self.inner.store, move |s| s.set_local(keys::HOT_BACKUP, &saved)).await?;
        self.enter(LiveRole::Slave, settings, Entry::default());
        self.log_why(alarm, &why);
        self.inner.wake.notify_one();
        Ok(())
    }

    pub(crate) async fn become_master(&self, why: String, alarm: Option<AlarmCode>) -> Result<u64, DomainError> {
        #[cfg(test)]
        let _held = {
            self.inner.promotion_waiting.store(true, std::sync::atomic::Ordering::SeqCst);
            self.inner.promotion_gate.read().await
        };
        let mut settings = self.settings();
        settings.role = HotBackupRole::Master;
        let saved = settings.clone();
        let (epoch, last) = blocking(&self.inner.store, move |s| {
            s.set_local(keys::HOT_BACKUP, &saved)?;
            Ok((s.promote()?, s.last_seq()?))
        })
        .await?;
        // As Slave, the changes came by replication, not through the committer: the
        // Master's own last change is what the store holds now.
        self.inner.committed.send_replace(last);
        self.enter(LiveRole::Master, settings, Entry { failover: true, ..Entry::default() });
        self.log_why(alarm, &format!("{why} This MCU is now the Master (epoch {epoch})."));
        self.inner.wake.notify_one();
        self.inner.takeovers.send_modify(|n| *n += 1);
        Ok(epoch)
    }

    /// A role change's entry: an alarm with its code, or a plain event; and the audit
    /// trail's entry (the MCU did it by itself).
    fn log_why(&self, alarm: Option<AlarmCode>, why: &str) {
        match alarm {
            Some(code) => self.alarms().raise(code, why),
            None => self.event(why),
        }
        let by = domain::audit::By::system(&self.inner.me.name);
        let e = domain::audit::entry(domain::store::now_ms(), by, domain::audit::AuditKind::Failover, why, true);
        let store = self.inner.store.clone();
        tokio::spawn(async move {
            if let Err(err) = blocking(&store, move |s| s.audit(&e)).await {
                tracing::error!(error = %err, "the audit trail could not be written");
            }
        });
    }
}
