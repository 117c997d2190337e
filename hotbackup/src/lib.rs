//! The Hot Backup engine of one MCU (spec §2–§5).
//!
//! [`HotBackup`] owns this MCU's live role and runs one background task:
//! - as **Slave** it pulls the Master's change log (`/peer/v1/log`, long-poll; the `after`
//!   of each poll is its acknowledgement), applies it in order, catches up by snapshot when it
//!   cannot resume, and takes over when the Master has been silent for the detection time
//!   (and its own network is up);
//! - as **Master** it answers those polls, makes every change wait for the Slave's
//!   acknowledgement while the Slave is in sync ([`HotBackup::commit`]), and watches its peer
//!   so that two Masters after a partition resolve to one (the lower epoch steps down).
//!
//! The rules themselves (catch-up plan, who stays Master, guideline checks, failure verdict)
//! are plain functions in `domain::hotbackup`; this crate does the I/O around them.
//!
//! Where things are (`lib.rs` only names them):
//! - [`engine`]: the handle, start-up, the supervised background task (`run` dispatches by role);
//! - [`mcu`]: the MCU's own services the engine uses and the pages reach directly — the
//!   pages' updates, the event log, the Active Alarms; [`calls`]: call records, written
//!   through the engine;
//! - [`state`]: the live role's state (data only); [`status`]: what the pages see of it;
//! - [`transitions`]: `enter(role)`, the one place a role is entered; becoming Master or Slave;
//! - [`commit`]: the one write path (group commit, waiting for the Slave's acknowledgement);
//! - [`master`]: the Master's side (watching the peer, serving the Slave's calls); [`peer`]: one file
//!   per peer-link call (path, request and answer, client call, handler) and their table;
//! - [`slave`]: the Slave's side (following, catching up, taking over);
//! - [`checks`]: the guideline checks against the peer;
//! - [`admin`]: enable, disable, trigger failover, the link triggers;
//! - [`pairing`]: pairing without sending the password; [`link`]: the pairing credential
//!   and pin it leaves, a pairing between its two steps;
//!   [`identity`]: this MCU's peer-link certificate and the pinning check;
//! - [`transport`]: the peer link as a trait; [`client`]: its TLS implementation;
//!   [`error`]: what the endpoints refuse with. The engine's own tests run two engines on an
//!   in-memory wire (`wire_tests`).

#![forbid(unsafe_code)]

pub mod client;
mod admin;
mod calls;
mod checks;
mod commit;
mod engine;
mod error;
mod link;
mod master;
pub mod mcu;
mod pairing;
pub mod peer;
pub mod identity;
mod slave;
mod state;
mod status;
pub mod store_task;
mod transitions;
pub mod transport;
#[cfg(test)]
mod wire_tests;

pub use commit::{Committed, CommittedAll};
pub use engine::{HotBackup, Identity};
pub use error::PeerError;
pub use calls::CallRecords;
pub use mcu::{Alarms, EventLog, LinkHistory, Services, Updates};
pub use link::Guess;

