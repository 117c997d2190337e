//! One module per page.

mod hotbackup;
mod lists;
mod login;
mod system;
mod users;

pub use hotbackup::HotBackupPage;
pub use lists::{ConferencesPage, MeetingRoomsPage, NetworkPage, ProfilesPage, ReservationsPage};
pub use login::LoginPage;
pub use system::SystemPage;
pub use users::UsersPage;
