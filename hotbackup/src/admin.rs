//! What the administrator does: enable, disable, trigger a failover (planned switch-over),
//! and the failover triggers on the signalling and media links.

use crate::state::Entry;
use crate::engine::HotBackup;
use crate::store_task::blocking;
use crate::link::PEER_LINK;
use domain::change::{Change, EntityKind};
use domain::hotbackup::*;
use domain::store::keys;
use domain::{Conference, DomainError, HotBackupRole, HotBackupSettings, Reservation};
use std::time::Duration;
use tokio::time::Instant;

impl HotBackup {
    /// Enables Hot Backup after checking the guidelines against the peer: logs in to it as
    /// `user` (G2 makes the same Administrator exist there), compares versions (G1), users
    /// (G2), reachability (G3), emptiness when becoming Slave (G8) and port configuration
    /// (G10, a warning). Returns the checks; refuses with all failed ones named.
    pub async fn enable(&self, settings: HotBackupSettings, user: &str, password: &str) -> Result<Vec<Check>, DomainError> {
        let mut settings = validate_settings(HotBackupSettings { enabled: true, ..settings })?;
        settings.enabled = true;
        let peer = settings.peer_address.clone();
        let timeout = Duration::from_millis(settings.detection_ms.max(2000).into());
        // Pairing issues a new credential on the peer (the one it issued before stops
        // working) and pins the peer's certificate; nothing is kept here unless all passes.
        let link = self.pair_with(&peer, user, password, timeout).await?;
        let salt = domain::pairing::random_hex();
        let facts = self
            .facts_of(&peer, &link.auth(), &salt, timeout)
            .await
            .map_err(|e| DomainError::Conflict(format!("G3: {e}")))?;
        let checks = self.checks_against(&facts, &salt, settings.role).await?;
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
        let (saved, saved_link) = (settings.clone(), link.clone());
        let last = blocking(&self.inner.store, move |s| {
            s.set_local(keys::HOT_BACKUP, &saved)?;
            s.set_secret(PEER_LINK, &saved_link)?;
            s.last_seq()
        })
        .await?;
        // Whatever this MCU holds counts as its own (a Slave polls up to it).
        self.inner.committed.send_replace(last);
        let role = match settings.role {
            HotBackupRole::Master => LiveRole::Master,
            HotBackupRole::Slave => LiveRole::Slave,
        };
        let entry = Entry { link: Some(link), checks: checks.clone(), peer: Some((PeerState::Up, Some(facts.heartbeat.name.clone()))), failover: false };
        self.enter(role, settings.clone(), entry);
        self.event(format!("Hot Backup enabled as {:?} with {} ({peer}).", settings.role, facts.heartbeat.name));
        self.alarm_checks(&checks, &[]);
        self.inner.wake.notify_one();
        Ok(checks)
    }

    /// Changes the settings while paired (each MCU its own): timings, triggers, the
    /// isolation check address, the paired address and the redial. The role stays as it
    /// is: it changes only by a failover or a switch-over.
    pub async fn update_settings(&self, new: HotBackupSettings) -> Result<HotBackupSettings, DomainError> {
        let current = self.settings();
        if !current.enabled {
            return Err(DomainError::Conflict("Hot Backup is not enabled on this MCU; enable it first.".into()));
        }
        let settings = validate_settings(HotBackupSettings { enabled: true, role: current.role, ..new })?;
        let saved = settings.clone();
        blocking(&self.inner.store, move |s| s.set_local(keys::HOT_BACKUP, &saved)).await?;
        let changed_peer = settings.peer_address != current.peer_address;
        {
            let mut st = self.st();
            st.settings = settings.clone();
            if changed_peer {
                st.peer_state = PeerState::Unknown;
                st.peer_name = None;
            }
        }
        self.event(format!(
            "Settings changed: heartbeat {} ms, detection {} ms, paired MCU {}{}.",
            settings.heartbeat_ms,
            settings.detection_ms,
            settings.peer_address,
            if settings.isolation_address.is_empty() { String::new() } else { format!(", isolation check {}", settings.isolation_address) }
        ));
        self.inner.wake.notify_one();
        Ok(settings)
    }

    /// Disables Hot Backup. On a Slave this deletes the backed-up ongoing conferences and
    /// reservations (G6).
    pub async fn disable(&self) -> Result<(), DomainError> {
        let was = self.role();
        let mut settings = self.settings();
        settings.enabled = false;
        let saved = settings.clone();
        blocking(&self.inner.store, move |s| s.set_local(keys::HOT_BACKUP, &saved)).await?;
        // The pairing ends both ways: the paired MCU's credential stops working here, and
        // this MCU forgets the one it held.
        self.revoke_pairing().await?;
        // From now on this MCU writes on its own: a new epoch of its own makes any later
        // re-pairing see exactly where the two histories parted.
        blocking(&self.inner.store, |s| s.promote()).await?;
        self.enter(LiveRole::Standalone, settings, Entry { peer: Some((PeerState::Unknown, None)), ..Entry::default() });
        // The pairing's conditions end with it.
        let pairing: Vec<AlarmCode> = AlarmCode::ALL.into_iter().filter(|c| c.of_the_pairing()).collect();
        self.alarms().clear(&pairing);
        if was == LiveRole::Slave {
            let (confs, res) = blocking(&self.inner.store, |s| Ok((s.list::<Conference>()?, s.list::<Reservation>()?))).await?;
            let n = (confs.len(), res.len());
            for c in confs {
                self.commit(Change::Delete { kind: EntityKind::Conference, id: c.id }).await?;
            }
            for r in res {
                self.commit(Change::Delete { kind: EntityKind::Reservation, id: r.id }).await?;
            }
            self.event(format!("Hot Backup disabled on the Slave: deleted {} backed-up conference(s) and {} reservation(s) (G6).", n.0, n.1));
        } else {
            self.event("Hot Backup disabled.");
        }
        self.inner.wake.notify_one();
        Ok(())
    }

    /// Planned switch-over, on the Master: stop taking changes, make sure the Slave has
    /// everything, hand over, become Slave. Nothing acknowledged is lost.
    pub async fn trigger_failover(&self) -> Result<(), DomainError> {
        let (peer, token, detection) = {
            let st = self.st();
            if st.live.role() != LiveRole::Master {
                return Err(DomainError::Conflict("Only the Master can trigger a failover.".into()));
            }
            (st.settings.peer_address.clone(), st.link.auth(), Duration::from_millis(st.settings.detection_ms.into()))
        };
        if let Some(m) = self.st().live.master_mut() {
            m.handing_over = true;
        }
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
            self.takeover_of(&peer, &token, last, wait)
                .await
                .map_err(|e| DomainError::Conflict(format!("The Slave did not take over: {e}. This MCU stays Master.")))
        }
        .await;
        let done = match result {
            Ok(hb) => {
                self.become_slave(
                    format!(
                        "Planned switch-over: {} is now the Master (epoch {}); this MCU is its Slave.",
                        hb.name,
                        hb.epochs.iter().map(|e| e.epoch).max().unwrap_or(hb.position.epoch)
                    ),
                    None,
                )
                .await
            }
            Err(e) => Err(e),
        };
        // On success this MCU is Slave now, and the Master's side is gone with the flag.
        if let Some(m) = self.st().live.master_mut() {
            m.handing_over = false;
        }
        done
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
        if up {
            self.event(format!("{link:?} link is up again."));
            let all_up = {
                let st = self.st();
                st.signalling_down.is_none() && st.media_down.is_none()
            };
            if all_up {
                self.alarms().clear(&[AlarmCode::NetworkIssue]);
            }
        } else {
            self.alarms().raise(AlarmCode::NetworkIssue, &format!("this MCU's {link:?} link is down."));
        }
    }

    pub(crate) async fn check_link_triggers(&self) {
        let (settings, sig, media) = {
            let st = self.st();
            (st.settings.clone(), st.signalling_down.map(|t| t.elapsed()), st.media_down.map(|t| t.elapsed()))
        };
        if let Some(link) = link_trigger(&settings, sig, media) {
            self.alarms().raise(AlarmCode::NetworkIssue, &format!(
                "{link:?} link inactive for {} s or more: failing over to the Slave.",
                settings.inactivity_s
            ));
            if let Err(e) = self.trigger_failover().await {
                self.alarms().raise_once(AlarmCode::NetworkIssue, &format!("failover on {link:?} link loss did not happen: {e}"));
            }
        }
    }
}
