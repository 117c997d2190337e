//! After a takeover the conferences run on this MCU, but their calls went with the old
//! Master: the participants that were connected are called again, like the original does
//! (every `redial_interval_s`, at most `redial_attempts` times; defaults 10 s and 11). An
//! operator's disconnected participant stays disconnected, and this MCU's own ports are
//! respected: those that do not fit are listed in an alarm and left disconnected.
//! `domain::conference::redial_plan` decides; this task does the calls (commits).
//! A conference that was recording goes on recording here, and says so (its recording
//! notes the takeover; the event log names it).

use domain::change::{Change, Record};
use domain::conference::{capacity, redial_plan};
use domain::alarms::AlarmCode;
use domain::store::{keys, Store};
use hotbackup::store_task::blocking;
use domain::{DisconnectCause, EntityKind, McuModel, Participant, ParticipantState, PortConfiguration};
use hotbackup::{HotBackup, Services};
use std::time::Duration;

/// How long a simulated call rings before the endpoint answers (calls are simulated: every
/// endpoint answers, after about as long as a real call takes to set up).
pub const RINGING: Duration = Duration::from_secs(2);

/// Conferences recording (or paused) when the other MCU failed go on recording here: each
/// notes when, and the event log says which.
async fn recording_goes_on(store: &Store, hb: &HotBackup, services: &Services) {
    let Ok(all) = blocking(store, |s| s.list::<domain::Conference>()).await else { return };
    let now = domain::store::now_ms();
    let went_on: Vec<domain::Conference> = all
        .into_iter()
        .filter_map(|c| domain::recording::continued_after_takeover(&c.recording, now).map(|recording| domain::Conference { recording, ..c }))
        .collect();
    if went_on.is_empty() {
        return;
    }
    let names: Vec<String> = went_on.iter().map(|c| format!("'{}'", c.name)).collect();
    let changes = went_on.into_iter().map(|c| Change::Put { record: Record::Conference(c) }).collect();
    if hb.commit_all_as(changes, None).await.is_ok() {
        services.events.note(format!("Recording goes on after the takeover: {}.", names.join(", ")));
    }
}

/// Waits for this MCU's takeovers and redials after each.
pub fn spawn(store: Store, hb: HotBackup, services: Services, model: McuModel) {
    tokio::spawn(async move {
        let mut takeovers = hb.subscribe_takeovers();
        while takeovers.changed().await.is_ok() {
            run(&store, &hb, &services, model).await;
        }
    });
}

async fn run(store: &Store, hb: &HotBackup, services: &Services, model: McuModel) {
    recording_goes_on(store, hb, services).await;
    let read = blocking(store, |s| {
        Ok((s.count(EntityKind::Conference)?, s.list::<Participant>()?, s.local::<PortConfiguration>(keys::PORT_CONFIGURATION)?))
    })
    .await;
    let (conferences, participants, ports) = match read {
        Ok(r) => r,
        Err(e) => {
            services.alarms.raise(AlarmCode::RedialFailed, &format!("the redial after the takeover could not start: {e}"));
            return;
        }
    };
    let plan = redial_plan(participants, capacity(model, &ports));
    let settings = hb.settings();
    let interval = Duration::from_secs(settings.redial_interval_s.into());
    let of = settings.redial_attempts.max(1);
    let mut pending: Vec<Participant> = plan.dial;
    let total = pending.len();
    // Taken over by an operator while they rang: neither connected nor counted as redialled.
    let mut handled = 0;
    let mut attempts = 0;
    while !pending.is_empty() && attempts < of {
        if attempts > 0 {
            tokio::time::sleep(interval).await;
        }
        attempts += 1;
        // The operators see each attempt (Redialing k of n) while the calls ring.
        let ringing = pending
            .iter()
            .map(|p| Change::Put { record: Record::Participant(Participant { state: ParticipantState::Redialing { attempt: attempts, of }, ..p.clone() }) })
            .collect();
        if hb.commit_all_as(ringing, None).await.is_ok() {
            tokio::time::sleep(RINGING).await;
        }
        // While they rang an operator may have disconnected, moved or deleted some: only
        // those still being redialled are connected.
        let ids: Vec<String> = pending.iter().map(|p| p.id.clone()).collect();
        let now = blocking(store, move |s| ids.iter().map(|id| s.get::<Participant>(id)).collect::<Result<Vec<_>, _>>()).await;
        if let Ok(now) = now {
            let before = pending.len();
            pending.retain(|p| {
                now.iter().flatten().any(|q| q.id == p.id && matches!(q.state, ParticipantState::Redialing { .. }) && q.conference_id == p.conference_id)
            });
            handled += before - pending.len();
        }
        let mut still = Vec::new();
        for p in pending {
            if hb.commit(Change::Put { record: Record::Participant(p.clone()) }).await.is_err() {
                still.push(p);
            }
        }
        pending = still;
        if hb.role() != domain::hotbackup::LiveRole::Master {
            return; // no longer this MCU's conferences
        }
    }
    // Those without a port, and those that never answered: disconnected, and named.
    let redialled = total - pending.len() - handled;
    let causes = plan.no_port.iter().map(|p| (p, DisconnectCause::NoFreePort)).chain(pending.iter().map(|p| (p, DisconnectCause::NoAnswer)));
    for (p, cause) in causes {
        let p = Participant { state: ParticipantState::Disconnected, disconnect_cause: Some(cause), ..p.clone() };
        let _ = hb.commit(Change::Put { record: Record::Participant(p) }).await;
    }
    let no_port = plan.no_port.len();
    let mut left: Vec<Participant> = plan.no_port;
    left.extend(pending);
    if conferences > 0 {
        services.events.note(format!("Restarted {conferences} conference(s) and redialled {redialled} participant(s)."));
    }
    if !left.is_empty() {
        let names: Vec<String> = left.iter().take(20).map(|p| p.name.clone()).collect();
        let more = if left.len() > names.len() { format!(" and {} more", left.len() - names.len()) } else { String::new() };
        services.alarms.raise(
            AlarmCode::RedialFailed,
            &format!(
                "not redialled after the takeover ({} participant(s): all {} ports of this MCU in use, or no answer after {attempts} attempt(s)): {}{more}.",
                left.len(),
                capacity(model, &ports),
                names.join(", ")
            ),
        );
        if no_port > 0 {
            services.alarms.raise(
                AlarmCode::PortsExhausted,
                &format!("all {} ports are in use: {} participant(s) were not redialled after the takeover.", capacity(model, &ports), no_port),
            );
        }
    }
}
