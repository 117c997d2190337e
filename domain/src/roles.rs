//! The five user roles of spec §1 and what each may do. Server functions ask
//! [`Role::can`] before they touch anything; pages use the same answer to hide what a
//! role cannot use, but hiding is never the check.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    Administrator,
    AdministratorReadOnly,
    Operator,
    Chairperson,
    Auditor,
}

/// Something a user may want to do. Each server function names the one it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See ongoing conferences and their participants.
    ViewConferences,
    /// Start, change and end conferences; act on participants.
    RunConferences,
    /// See reservations, meeting rooms, profiles and the other conference resources.
    ViewResources,
    /// Create, change and delete reservations, meeting rooms, profiles, entry queues...
    ManageResources,
    /// See network, port and Hot Backup settings, and the system page.
    ViewConfiguration,
    /// Change network settings, port configuration, Hot Backup; reset the MCU.
    ManageConfiguration,
    /// See the list of users.
    ViewUsers,
    /// Add, change and delete users.
    ManageUsers,
    /// Read and export the audit trail.
    ViewAudit,
    /// Download a backup of the configuration (restoring it is `ManageConfiguration`).
    DownloadBackup,
    /// Start, pause, resume and stop a conference's recording.
    ControlRecording,
}

impl Permission {
    /// What it allows, in a sentence's words.
    pub fn describe(self) -> &'static str {
        match self {
            Permission::ViewConferences => "viewing conferences",
            Permission::RunConferences => "running conferences",
            Permission::ViewResources => "viewing reservations, meeting rooms and profiles",
            Permission::ManageResources => "changing reservations, meeting rooms and profiles",
            Permission::ViewConfiguration => "viewing the MCU configuration",
            Permission::ManageConfiguration => "changing the MCU configuration (Administrator only)",
            Permission::ViewUsers => "viewing users",
            Permission::ViewAudit => "reading the audit trail",
            Permission::ManageUsers => "managing users (Administrator only)",
            Permission::DownloadBackup => "downloading a backup (Administrator and Administrator Read-only)",
            Permission::ControlRecording => "recording conferences (Operator and Administrator)",
        }
    }
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Administrator,
        Role::AdministratorReadOnly,
        Role::Operator,
        Role::Chairperson,
        Role::Auditor,
    ];

    /// Whether this role may do `p`. Administrator does everything; Administrator
    /// Read-only and Auditor see everything and change nothing; Operator runs conferences
    /// and reservations and sees configuration; Chairperson acts on conferences only.
    pub fn can(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Administrator => true,
            Role::AdministratorReadOnly => {
                matches!(p, ViewConferences | ViewResources | ViewConfiguration | ViewUsers | ViewAudit | DownloadBackup)
            }
            Role::Auditor => matches!(p, ViewConferences | ViewResources | ViewConfiguration | ViewUsers | ViewAudit),
            Role::Operator => matches!(
                p,
                ViewConferences | RunConferences | ViewResources | ManageResources | ViewConfiguration | ControlRecording
            ),
            Role::Chairperson => matches!(p, ViewConferences | RunConferences),
        }
    }

    /// Why this role may not do `p`, as the pages and the API say it.
    pub fn refusal(self, p: Permission) -> String {
        format!("Your role ({}) does not allow this: {}.", self.label(), p.describe())
    }

    /// The label an RMX administrator knows.
    pub fn label(self) -> &'static str {
        match self {
            Role::Administrator => "Administrator",
            Role::AdministratorReadOnly => "Administrator Read-only",
            Role::Operator => "Operator",
            Role::Chairperson => "Chairperson",
            Role::Auditor => "Auditor",
        }
    }

    /// Stable key used in forms and in the database.
    pub fn key(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::AdministratorReadOnly => "administrator_read_only",
            Role::Operator => "operator",
            Role::Chairperson => "chairperson",
            Role::Auditor => "auditor",
        }
    }

    pub fn from_key(key: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.key() == key)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;

    #[test]
    fn administrator_may_do_everything() {
        for p in [ViewConferences, RunConferences, ViewResources, ManageResources,
                  ViewConfiguration, ManageConfiguration, ViewUsers, ManageUsers, ViewAudit] {
            assert!(Role::Administrator.can(p), "{p:?}");
        }
    }

    #[test]
    fn read_only_roles_change_nothing() {
        for r in [Role::AdministratorReadOnly, Role::Auditor] {
            assert!(r.can(ViewConferences) && r.can(ViewResources) && r.can(ViewConfiguration) && r.can(ViewUsers));
            assert!(r.can(ViewAudit), "{r:?} reads the audit trail");
            for p in [RunConferences, ManageResources, ManageConfiguration, ManageUsers] {
                assert!(!r.can(p), "{r:?} must not {p:?}");
            }
        }
    }

    #[test]
    fn operator_runs_conferences_but_not_users_or_network() {
        let r = Role::Operator;
        assert!(r.can(RunConferences) && r.can(ManageResources) && r.can(ViewConfiguration));
        assert!(!r.can(ViewUsers) && !r.can(ManageUsers) && !r.can(ManageConfiguration) && !r.can(ViewAudit));
    }

    #[test]
    fn chairperson_acts_on_conferences_only() {
        let r = Role::Chairperson;
        assert!(r.can(ViewConferences) && r.can(RunConferences));
        for p in [ViewResources, ManageResources, ViewConfiguration, ManageConfiguration, ViewUsers, ManageUsers, ViewAudit] {
            assert!(!r.can(p), "chairperson must not {p:?}");
        }
    }

    #[test]
    fn role_keys_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::from_key(r.key()), Some(r));
        }
        assert_eq!(Role::from_key("root"), None);
    }
}
