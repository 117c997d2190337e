//! One module per page.

mod conference;
mod hotbackup;
mod lists;
mod login;
mod network;
mod resources;
mod system;
mod users;

pub use conference::ConferencePage;
pub use hotbackup::HotBackupPage;
pub use lists::{ConferencesPage, ReservationsPage};
pub use resources::{MeetingRoomsPage, ProfilesPage};
pub use network::NetworkPage;
pub use login::LoginPage;
pub use system::SystemPage;
pub use users::UsersPage;
