//! The conditions the server watches for the Active Alarms that no single request ends:
//! the ports in use against the threshold set in System, the port capacity (raised when a
//! call is refused, cleared here once a port is free) and
//! the data folder's free space. Every few seconds, on its own task. It also keeps the
//! audit trail within its retention (at start, then every minute). Another task samples
//! the pair's link every second for the Hot Backup page's 24-hour timeline.

use hotbackup::store_task::blocking;
use domain::alarms::{disk_low, AlarmCode};
use domain::audit::Retention;
use domain::store::{now_ms, Store};
use domain::McuModel;
use hotbackup::Alarms;
use std::path::PathBuf;
use std::time::Duration;

const EVERY: Duration = Duration::from_secs(5);

/// Ticks between two prunings of the audit trail.
const PRUNE_EVERY: u32 = 12;

/// Samples the link about once a second into `history` (in memory, a day bounded).
pub fn sample_link(hb: hotbackup::HotBackup, history: hotbackup::LinkHistory) {
    use domain::hotbackup::{LiveRole, PeerState};
    use domain::timeline::LinkSample;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let s = hb.status_brief().await;
            let sample = match (s.role, s.peer_state) {
                (LiveRole::Standalone, _) => LinkSample::Off,
                (_, PeerState::Down) => LinkSample::Down,
                _ => LinkSample::Up { lag_ms: s.lag_ms },
            };
            history.record(now_ms(), sample);
        }
    });
}

pub fn spawn(store: Store, alarms: Alarms, model: McuModel, data_dir: PathBuf, retention: Retention) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut n = 0u32;
        loop {
            tick.tick().await;
            if n.is_multiple_of(PRUNE_EVERY) {
                match blocking(&store, move |s| s.audit_prune(retention, now_ms())).await {
                    Ok(p) if p.by_count > 0 => {
                        tracing::warn!(by_age = p.by_age, by_count = p.by_count, "audit trail full: oldest entries removed");
                        alarms.raise(
                            AlarmCode::AuditTrailFull,
                            &format!(
                                "{} entries over --audit-max-entries ({}) were removed, oldest first (security events are kept for --audit-max-days).",
                                p.by_count, retention.max_entries
                            ),
                        );
                    }
                    Ok(p) if p.by_age > 0 => tracing::info!(gone = p.by_age, "audit trail pruned to its retention time"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "audit trail pruning failed"),
                }
            }
            n = n.wrapping_add(1);
            // Both port alarms follow the ports in use: one read of the load (kept by the
            // store until the next write, so this mostly reads nothing).
            if let Ok((load, threshold)) = blocking(&store, |s| Ok((s.load()?, s.port_threshold()?))).await {
                let capacity = domain::conference::capacity(model, &load.ports);
                if domain::alarms::ports_high(load.ports_in_use, capacity, threshold) {
                    if !alarms.is_active(AlarmCode::PortsHigh) {
                        alarms.raise(
                            AlarmCode::PortsHigh,
                            &format!("{} of {capacity} ports are in use (the threshold is {threshold} %).", load.ports_in_use),
                        );
                    }
                } else {
                    alarms.clear(&[AlarmCode::PortsHigh]);
                }
                if load.ports_in_use < capacity {
                    alarms.clear(&[AlarmCode::PortsExhausted]);
                }
            }
            let dir = data_dir.clone();
            if let Ok(Ok(fs)) = tokio::task::spawn_blocking(move || rustix::fs::statvfs(&dir)).await {
                let (available, total) = (fs.f_bavail.saturating_mul(fs.f_frsize), fs.f_blocks.saturating_mul(fs.f_frsize));
                if disk_low(available, total) {
                    if !alarms.is_active(AlarmCode::DiskLow) {
                        alarms.raise(
                            AlarmCode::DiskLow,
                            &format!("{} MiB free of {} MiB in {}.", available >> 20, total >> 20, data_dir.display()),
                        );
                    }
                } else {
                    alarms.clear(&[AlarmCode::DiskLow]);
                }
            }
        }
    });
}
