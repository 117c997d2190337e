//! `GET /peer/v1/facts?salt=…`: what the guideline checks compare, at enable and every few
//! seconds after (the users' G2 verifiers keyed by the caller's fresh salt).

use super::{call, Auth, Caller, PeerCall, Verb};
use crate::transport::{CallError, LinkAuth};
use crate::engine::HotBackup;
use crate::store_task::blocking;
use crate::error::PeerError;
use domain::change::EntityKind;
use domain::hotbackup::PeerFacts;
use domain::store::keys;
use serde::{Deserialize, Serialize};
use std::time::Duration;

pub struct Facts;

#[derive(Debug, Serialize, Deserialize)]
pub struct FactsRequest {
    pub salt: String,
}

impl PeerCall for Facts {
    const PATH: &'static str = "facts";
    const VERB: Verb = Verb::Get;
    type Request = FactsRequest;
    type Response = PeerFacts;

    async fn serve(hb: &HotBackup, req: FactsRequest, _: Caller) -> Result<PeerFacts, PeerError> {
        hb.facts(&req.salt).await
    }
}

impl HotBackup {
    /// This MCU's facts, its users' verifiers keyed by `salt`.
    pub async fn facts(&self, salt: &str) -> Result<PeerFacts, PeerError> {
        if !domain::pairing::is_random_hex(salt) {
            return Err(PeerError::BadRequest("malformed salt".into()));
        }
        let salt = salt.to_string();
        let heartbeat = self.heartbeat().await?;
        let settings = self.settings();
        let model = self.inner.me.model;
        Ok(blocking(&self.inner.store, move |s| {
            let (in_use, capacity) = domain::ports::of_load(model, &s.load()?);
            Ok(PeerFacts {
                heartbeat,
                users: domain::pairing::salted_fingerprints(&salt, s.user_fingerprints()?),
                ports: s.local(keys::PORT_CONFIGURATION)?,
                has_port_configuration: model.has_port_configuration(),
                conferences: s.count(EntityKind::Conference)?,
                reservations: s.count(EntityKind::Reservation)?,
                enabled: settings.enabled,
                configured_role: settings.role,
                capacity: Some(capacity),
                in_use: Some(in_use),
            })
        })
        .await?)
    }

    /// The peer's facts, its users' verifiers keyed by `salt` (fresh for each call).
    pub(crate) async fn facts_of(&self, peer: &str, auth: &LinkAuth, salt: &str, timeout: Duration) -> Result<PeerFacts, CallError> {
        let req = FactsRequest { salt: salt.to_string() };
        Ok(call::<Facts>(&*self.inner.client, peer, Auth::Paired(auth), &req, timeout).await?.0)
    }
}
