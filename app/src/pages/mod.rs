//! One module per page.

mod addressbook;
mod alarms;
mod audit;
mod conference;
mod history;
mod hotbackup;
mod lists;
mod login;
mod netsvc;
mod network;
mod overview;
mod reservations;
mod resources;
mod system;
mod templates;
mod users;

pub use addressbook::AddressBookPage;
pub use alarms::AlarmsPage;
pub use audit::AuditPage;
pub use conference::ConferencePage;
pub use history::HistoryPage;
pub use hotbackup::HotBackupPage;
pub use lists::{ConferencesPage, ResourceReportPage};
pub use reservations::ReservationsPage;
pub use resources::{EntryQueuesPage, IvrServicesPage, MeetingRoomsPage, ProfilesPage, RecordingLinksPage};
pub use network::NetworkPage;
pub use overview::OverviewPage;
pub use login::LoginPage;
pub use system::SystemPage;
pub use templates::TemplatesPage;
pub use users::{AccountPage, UsersPage};
