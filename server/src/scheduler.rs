//! The reservation scheduler: a task that, on the MCU that takes changes (standalone or
//! Master), starts reservations at their start time, dials their defined participants,
//! moves series on, and ends conferences whose end time has passed. What is due is decided
//! by `domain::schedule::due` from the database alone, so it carries on after a restart or
//! a failover (the new Master's scheduler picks up where the old one stopped).

use domain::hotbackup::LiveRole;
use domain::schedule::Step;
use domain::store::{new_id, now_ms, Store};
use domain::{Change, Conference, DomainError, McuModel, Participant, ParticipantState, Record, Reservation};
use hotbackup::HotBackup;
use std::time::Duration;

/// How often the scheduler looks (start times are met within this).
pub const TICK: Duration = Duration::from_millis(100);

/// Runs until the process ends.
pub fn spawn(store: Store, hb: HotBackup, model: McuModel) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if hb.role() == LiveRole::Slave {
                continue; // the Master schedules; its conferences arrive by replication
            }
            if let Err(e) = run_due(&store, &hb, model).await {
                tracing::warn!(error = %e, "scheduler step failed; retrying");
            }
        }
    });
}

async fn blocking<T: Send + 'static>(store: &Store, f: impl FnOnce(&Store) -> Result<T, DomainError> + Send + 'static) -> Result<T, DomainError> {
    let s = store.clone();
    tokio::task::spawn_blocking(move || f(&s)).await.map_err(|e| DomainError::Storage(format!("scheduler task: {e}")))?
}

/// Does everything due now.
pub async fn run_due(store: &Store, hb: &HotBackup, model: McuModel) -> Result<(), DomainError> {
    let now = now_ms();
    let (reservations, conferences) =
        blocking(store, |s| Ok((s.list::<Reservation>()?, s.list::<Conference>()?))).await?;
    if domain::schedule::next_due(&reservations, &conferences).is_none_or(|t| t > now) {
        return Ok(());
    }
    for step in domain::schedule::due(now, &reservations, &conferences, new_id) {
        match step {
            Step::Start { conference, dial } => {
                let name = conference.name.clone();
                let cid = conference.id.clone();
                hb.commit(Change::Put { record: Record::Conference(conference) }).await?;
                tracing::info!(conference = %name, "reservation started");
                for d in dial {
                    // Calls are simulated: a dial-out connects when a port is free.
                    let (connected, capacity) = blocking(store, move |s| {
                        let ports: domain::PortConfiguration = s.local(domain::store::keys::PORT_CONFIGURATION)?;
                        Ok((s.connected_participants()?, domain::conference::capacity(model, &ports)))
                    })
                    .await?;
                    let state = if connected < capacity { ParticipantState::Connected } else { ParticipantState::Disconnected };
                    let p = Participant {
                        id: new_id(),
                        conference_id: cid.clone(),
                        name: d.name,
                        address: d.address,
                        protocol: d.protocol,
                        direction: domain::Direction::DialOut,
                        state,
                        audio_muted: false,
                        video_muted: false,
                        chairperson: false,
                    };
                    hb.commit(Change::Put { record: Record::Participant(p) }).await?;
                }
            }
            Step::Advance(next) => {
                hb.commit(Change::Put { record: Record::Reservation(next) }).await?;
            }
            Step::Remove { id, name } => {
                hb.commit(Change::Delete { kind: domain::EntityKind::Reservation, id }).await?;
                tracing::info!(reservation = %name, "last occurrence started; reservation done");
            }
            Step::End { id, name } => {
                hb.commit(Change::Delete { kind: domain::EntityKind::Conference, id }).await?;
                tracing::info!(conference = %name, "end time reached; conference ended");
            }
        }
    }
    Ok(())
}
