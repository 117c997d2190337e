//! The guideline checks against the peer (G1, G2, G3, G8, G10), at enable and every few
//! seconds while paired.

use crate::engine::HotBackup;
use crate::store_task::blocking;
use domain::change::EntityKind;
use domain::hotbackup::*;
use domain::store::keys;
use domain::{DomainError, HotBackupRole, PortConfiguration};
use std::time::Duration;
use tokio::time::Instant;

impl HotBackup {
    /// The checks against `facts`, whose users' verifiers were keyed by `salt`.
    pub(crate) async fn checks_against(&self, facts: &PeerFacts, salt: &str, role: HotBackupRole) -> Result<Vec<Check>, DomainError> {
        let salt = salt.to_string();
        let model = self.inner.me.model;
        let (users, ports, conferences, reservations, (in_use, capacity)) = blocking(&self.inner.store, move |s| {
            Ok((
                domain::pairing::salted_fingerprints(&salt, s.user_fingerprints()?),
                s.local::<PortConfiguration>(keys::PORT_CONFIGURATION)?,
                s.count(EntityKind::Conference)?,
                s.count(EntityKind::Reservation)?,
                domain::ports::of_load(model, &s.load()?),
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
            model.has_port_configuration() && facts.has_port_configuration,
        ));
        // A takeover now: the Slave's ports against the Master's calls (either side asks).
        let peer = &facts.heartbeat.name;
        let capacity_check = match (self.role(), facts.capacity, facts.in_use) {
            (LiveRole::Master, Some(slave), _) => Some(check_takeover_capacity(in_use, slave, peer)),
            (LiveRole::Slave, _, Some(master)) => Some(check_takeover_capacity(master, capacity, &self.inner.me.name)),
            _ => None,
        };
        checks.extend(capacity_check);
        Ok(checks)
    }

    /// Runs the guideline checks against the peer again every few seconds while paired
    /// (G2 continuously, G10 as a warning on both MCUs); a newly failing check raises an alarm.
    pub(crate) fn maybe_refresh_checks(&self) {
        const EVERY: Duration = Duration::from_secs(5);
        {
            let mut st = self.st();
            let Some(seen) = st.live.seen_mut() else { return };
            if seen.checks_at.is_some_and(|t| t.elapsed() < EVERY) {
                return;
            }
            seen.checks_at = Some(Instant::now());
        }
        let me = self.clone();
        tokio::spawn(async move {
            let (peer, token, role, detection) = {
                let st = me.st();
                (st.settings.peer_address.clone(), st.link.auth(), st.settings.role, st.settings.detection_ms)
            };
            let salt = domain::pairing::random_hex();
            let Ok(facts) = me.facts_of(&peer, &token, &salt, Duration::from_millis(detection.into())).await else { return };
            let Ok(checks) = me.checks_against(&facts, &salt, role).await else { return };
            // Kept only if the role it was run for is still the one (a role change drops it).
            let before = {
                let mut st = me.st();
                if st.settings.role != role {
                    return;
                }
                match st.live.seen_mut() {
                    Some(seen) => std::mem::replace(&mut seen.checks, checks.clone()),
                    None => return,
                }
            };
            me.alarm_checks(&checks, &before);
        });
    }

    /// Raises the alarm of a check that fails (once, until it passes again) and clears
    /// those of the checks that pass: G2 (users) and G10 (ports) have their own; G1 and
    /// G8 are configuration conflicts (8201), cleared when changes flow again.
    pub(crate) fn alarm_checks(&self, checks: &[Check], before: &[Check]) {
        for c in checks {
            let code = match c.guideline.as_str() {
                "G2" => AlarmCode::UsersDiffer,
                "G10" => AlarmCode::PortsDiffer,
                "G1" | "G8" => AlarmCode::ConfigurationConflict,
                _ => continue,
            };
            let failed_before = before.iter().any(|o| o.guideline == c.guideline && !o.passed);
            if !c.passed && (!failed_before || !self.alarms().is_active(code)) {
                self.alarms().raise(code, &format!("{}: {}", c.guideline, c.reason));
            } else if c.passed && code != AlarmCode::ConfigurationConflict {
                self.alarms().clear(&[code]);
            }
        }
    }
}
