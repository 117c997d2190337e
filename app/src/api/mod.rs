//! Server functions: the browser's API. Each one checks the caller's role first
//! ([`crate::state::require`]), then calls the domain; nothing here decides a rule.

use crate::error::AppError;
use domain::{
    Conference, HotBackupSettings, ManagementNetwork, MeetingRoom, Profile, SystemInfo,
    SystemStatus, UserView,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

// One module per feature; their server functions (and the types the browser gets) are
// all reachable as `crate::api::*`.
mod addressbook;
mod alarms;
mod audit;
mod conferences;
mod history;
mod hotbackup;
mod netsvc;
mod overview;
mod resources;
mod schedule;
mod services;
mod session;
mod system;
mod templates;
mod users;
pub use addressbook::*;
pub use alarms::*;
pub use audit::*;
pub use conferences::*;
pub use history::*;
pub use hotbackup::*;
pub use netsvc::*;
pub use overview::*;
pub use resources::*;
pub use schedule::*;
pub use services::*;
pub use session::*;
pub use system::*;
pub use templates::*;
pub use users::*;

#[cfg(feature = "ssr")]
use crate::state::{answer, require, state};
#[cfg(feature = "ssr")]
use domain::Permission;
