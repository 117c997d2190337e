//! Ending a conference: its call record (`domain::cdr`) and the conference's delete are
//! committed as one unit (both or neither) through the engine's one write path, so the
//! Slave has the record too. The one way a conference ends (an operator, its end time, Auto
//! Terminate); and the records' retention.

use crate::engine::HotBackup;
use domain::audit::Actor;
use domain::cdr::Ended;
use domain::change::{Change, EntityKind, Record};
use domain::store::now_ms;
use domain::{Conference, DomainError, Profile};

#[derive(Clone)]
pub struct CallRecords {
    hb: HotBackup,
}

impl CallRecords {
    /// Call records written through `hb` (refused on a Slave, mirrored while paired).
    pub fn new(hb: HotBackup) -> CallRecords {
        CallRecords { hb }
    }

    /// Keeps the call record of `conference` and ends it; `actor`: who ended it, when a user did.
    pub async fn end_conference(&self, conference: &Conference, ended: Ended, actor: Option<Actor>) -> Result<(), DomainError> {
        let (id, profile_id) = (conference.id.clone(), conference.profile_id.clone());
        let now = now_ms();
        let (history, profile) = self
            .hb
            .read(move |s| {
                let profile = s.get::<Profile>(&profile_id)?.map(|p| p.name).unwrap_or_default();
                Ok((s.conference_history(&id, now)?, profile))
            })
            .await?;
        let record = domain::cdr::build(conference, &profile, &history, ended, now);
        let end = vec![Change::Put { record: Record::CallRecord(record) }, Change::Delete { kind: EntityKind::Conference, id: conference.id.clone() }];
        self.hb.commit_all_as(end, actor).await?;
        Ok(())
    }

    /// Deletes the call records the retention no longer keeps (on the MCU that takes
    /// changes; the Slave follows). Returns how many went.
    pub async fn prune(&self, r: domain::cdr::Retention) -> Result<usize, DomainError> {
        let ends = self.hb.read(|s| s.call_record_ends()).await?;
        let gone = domain::cdr::expired(&ends, r, now_ms());
        let n = gone.len();
        for id in gone {
            self.hb.commit(Change::Delete { kind: EntityKind::CallRecord, id }).await?;
        }
        Ok(n)
    }
}
