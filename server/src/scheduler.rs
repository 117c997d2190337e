//! The reservation scheduler: a task that, on the MCU that takes changes (standalone or
//! Master), starts reservations at their start time, dials their defined participants,
//! moves series on, ends conferences whose end time has passed, and applies the profiles'
//! Auto Terminate. What is due is decided
//! by `domain::schedule::due` from the database alone, so it carries on after a restart or
//! a failover (the new Master's scheduler picks up where the old one stopped).

use hotbackup::store_task::blocking;
use domain::hotbackup::LiveRole;
use domain::schedule::{Occupancy, Step};
use std::collections::{HashMap, HashSet};
use tokio::sync::broadcast;
use domain::store::{new_id, now_ms, Store};
use domain::{Change, Conference, DomainError, McuModel, Millis, Participant, ParticipantState, Profile, Record, Reservation};
use hotbackup::{Alarms, CallRecords, HotBackup, Services};
use std::time::Duration;

/// How often the scheduler looks (start times are met within this).
pub const TICK: Duration = Duration::from_millis(100);

/// How often Auto Terminate looks at who is connected.
pub const OCCUPANCY_EVERY: u32 = 10;

/// Runs until the process ends.
/// How often the call history is pruned to its retention (in ticks: a minute).
pub const PRUNE_EVERY: u32 = 600;

pub fn spawn(store: Store, hb: HotBackup, calls: CallRecords, services: &Services, model: McuModel, history: domain::cdr::Retention) {
    let (updates, alarms) = (services.updates.clone(), services.alarms.clone());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut occupancy: HashMap<String, Occupancy> = HashMap::new();
        let mut n = 0u32;
        // The records are read again only when something changed (here or by replication,
        // or the role) or when the earliest start or end time has come.
        let mut changes = updates.subscribe_changes();
        let mut next_due: Option<Millis> = None;
        let mut dirty = true;
        loop {
            tick.tick().await;
            while let Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) = changes.try_recv() {
                dirty = true;
            }
            if hb.role() == LiveRole::Slave {
                occupancy.clear(); // the Master schedules; its conferences arrive by replication
                dirty = true;
                continue;
            }
            if dirty || next_due.is_some_and(|t| t <= now_ms()) {
                dirty = false;
                match run_due(&store, &hb, &calls, &alarms, model).await {
                    Ok(next) => next_due = next,
                    Err(e) => {
                        dirty = true;
                        tracing::warn!(error = %e, "scheduler step failed; retrying");
                    }
                }
            }
            n = n.wrapping_add(1);
            if n % PRUNE_EVERY == 1 {
                match calls.prune(history).await {
                    Ok(0) => {}
                    Ok(gone) => tracing::info!(gone, "call history pruned to its retention"),
                    Err(e) => tracing::warn!(error = %e, "call history pruning failed"),
                }
            }
            if n.is_multiple_of(OCCUPANCY_EVERY) {
                if let Err(e) = auto_terminate(&hb, &store, &calls, &mut occupancy).await {
                    tracing::warn!(error = %e, "auto terminate step failed; retrying");
                }
            }
        }
    });
}

/// Ends the conferences whose profile has Auto Terminate on: nobody joined within 10
/// minutes of the start, or the last participant left a minute ago. An entry queue's
/// holding place closes as soon as no caller waits there (it is no meeting: no call record;
/// its disconnected callers go with it).
async fn auto_terminate(hb: &HotBackup, store: &Store, calls: &CallRecords, occupancy: &mut HashMap<String, Occupancy>) -> Result<(), DomainError> {
    let now = now_ms();
    let (profiles, lobbies) = blocking(store, |s| Ok((s.list::<Profile>()?, s.count_entry_queue_lobbies()?))).await?;
    if !profiles.iter().any(|p| p.auto_terminate) && lobbies == 0 {
        // Nothing to watch: no need to read every conference each second.
        occupancy.clear();
        return Ok(());
    }
    let (conferences, counts) = blocking(store, |s| Ok((s.list::<Conference>()?, s.participant_counts()?))).await?;
    for lobby in conferences.iter().filter(|c| c.entry_queue) {
        // Closed once every caller there is gone or disconnected (one being called back
        // after a takeover still counts).
        let id = lobby.id.clone();
        let waiting = blocking(store, move |s| s.participants_of(&id)).await?;
        if waiting.iter().all(|p| p.state == ParticipantState::Disconnected) {
            hb.commit(Change::Delete { kind: domain::EntityKind::Conference, id: lobby.id.clone() }).await?;
            tracing::info!(entry_queue = %lobby.name, "no caller waits in the entry queue any more: its holding place closed");
        }
    }
    // Sets, not scans: an MCU may hold tens of thousands of conferences.
    let live: HashSet<&str> = conferences.iter().map(|c| c.id.as_str()).collect();
    occupancy.retain(|id, _| live.contains(id.as_str()));
    let auto_profiles: HashSet<&str> = profiles.iter().filter(|p| p.auto_terminate).map(|p| p.id.as_str()).collect();
    for c in conferences.iter().filter(|c| !c.entry_queue) {
        let auto = auto_profiles.contains(c.profile_id.as_str());
        let connected = counts.get(&c.id).map(|(connected, _)| *connected).unwrap_or(0);
        let o = occupancy.entry(c.id.clone()).or_default();
        *o = o.seen(connected, now);
        if auto && o.auto_ends(c.start_ms, now) {
            calls.end_conference(c, domain::cdr::Ended::AutoTerminate, None).await?;
            tracing::info!(conference = %c.name, "Auto Terminate: conference ended");
        }
    }
    Ok(())
}

/// Does everything due now; returns when something is next due (as far as the records
/// read show).
pub async fn run_due(store: &Store, hb: &HotBackup, calls: &CallRecords, alarms: &Alarms, model: McuModel) -> Result<Option<Millis>, DomainError> {
    let now = now_ms();
    let (reservations, conferences) =
        blocking(store, |s| Ok((s.list::<Reservation>()?, s.scheduled_conferences()?))).await?;
    let next = domain::schedule::next_due(&reservations, &conferences);
    if next.is_none_or(|t| t > now) {
        return Ok(next);
    }
    // Who is connected matters only to conferences at their end time (auto-extension).
    let ending = conferences.iter().any(|c| c.end_ms.is_some_and(|e| e <= now));
    let counts = if ending { blocking(store, |s| s.participant_counts()).await? } else { Default::default() };
    let in_use = |id: &str| counts.get(id).is_some_and(|(connected, _)| *connected > 0);
    for step in domain::schedule::due(now, &reservations, &conferences, in_use, new_id) {
        match step {
            Step::Start { conference, dial } => {
                let name = conference.name.clone();
                let cid = conference.id.clone();
                hb.commit(Change::Put { record: Record::Conference(conference) }).await?;
                tracing::info!(conference = %name, "reservation started");
                for d in dial {
                    // Calls are simulated: a dial-out connects when a port is free (video
                    // first, then audio only).
                    let load = blocking(store, |s| s.load()).await?;
                    let (used, totals) = domain::ports::of_load(model, &load);
                    let (state, disconnect_cause) = match domain::ports::connect(1, used, totals) {
                        Ok(states) => (states.first().copied().unwrap_or(ParticipantState::Connected), None),
                        Err(_) => {
                            alarms.raise(
                                domain::alarms::AlarmCode::PortsExhausted,
                                &format!("all {} ports are in use: a participant of reservation '{name}' was not connected.", totals.total()),
                            );
                            (ParticipantState::Disconnected, Some(domain::DisconnectCause::NoFreePort))
                        }
                    };
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
                        disconnect_cause,
                        ivr_path: Vec::new(),
                        home_conference_id: None,
                        stamps: Default::default(),
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
                if let Some(c) = conferences.iter().find(|c| c.id == id) {
                    calls.end_conference(c, domain::cdr::Ended::EndTime, None).await?;
                    tracing::info!(conference = %name, "end time reached; conference ended");
                }
            }
            Step::Extend(conference) => {
                let (name, end) = (conference.name.clone(), conference.end_ms);
                hb.commit(Change::Put { record: Record::Conference(conference) }).await?;
                tracing::info!(conference = %name, ?end, "end time reached with participants connected; extended");
            }
        }
    }
    Ok(Some(now)) // look again at once: what was done may make more due
}
