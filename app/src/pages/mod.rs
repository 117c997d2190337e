//! One module per page.

mod lists;
mod login;
mod system;
mod users;

pub use lists::{ConferencesPage, HotBackupPage, MeetingRoomsPage, NetworkPage, ProfilesPage, ReservationsPage};
pub use login::LoginPage;
pub use system::SystemPage;
pub use users::UsersPage;
