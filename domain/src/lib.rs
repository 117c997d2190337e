//! The MCU's domain, with no web code in it: the entities an MCU manages (spec §1),
//! the roles and what each may do, validation of user input, the typed [`Change`] to
//! the state Hot Backup mirrors, and (feature `store`) the SQLite store that applies
//! those changes in one transaction together with the ordered change log.
//!
//! The types compile for the browser too (the app shows them); everything that touches
//! disk, hashing or randomness is behind the `store` feature, which only the server enables.

#![forbid(unsafe_code)]

pub mod addressbook;
pub mod alarms;
pub mod audit;
pub mod backup;
pub mod cdr;
pub mod change;
pub mod conference;
pub mod danger;
pub mod dialin;
pub mod error;
pub mod hotbackup;
pub mod model;
pub mod recording;
pub mod recurrence;
pub mod network;
pub mod ports;
pub mod resources;
pub mod roles;
pub mod schedule;
pub mod timefmt;
pub mod template;
pub mod timeline;
pub mod users;
pub mod validate;
pub mod zone;

#[cfg(feature = "store")]
pub mod auth;
#[cfg(feature = "store")]
pub mod pairing;
#[cfg(feature = "store")]
pub mod store;
#[cfg(feature = "store")]
pub mod throttle;

pub use change::{Change, EntityKind, Record};
pub use error::{DomainError, FieldErrors};
pub use model::*;
pub use roles::{Permission, Role};
