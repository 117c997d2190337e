//! The address book: list, save, delete (through `delete_resource`), import and export CSV,
//! and dial a group into a conference (the rules are `domain::addressbook`).

use super::*;
use domain::AddressEntry;
#[cfg(feature = "ssr")]
use domain::{Change, Record};

/// The Address Book page's data (and the pickers').
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddressBookView {
    pub entries: Vec<AddressEntry>,
    /// The groups there are, sorted.
    pub groups: Vec<String>,
    pub can_manage: bool,
}

#[server(endpoint = "get_address_book", output = crate::error::Json)]
pub async fn get_address_book() -> Result<AddressBookView, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewConferences).await?;
        let entries = st.db(|s| s.list::<AddressEntry>()).await?;
        let mut groups: Vec<String> = entries.iter().map(|e| e.group.clone()).filter(|g| !g.is_empty()).collect();
        groups.sort_by_key(|g| g.to_lowercase());
        groups.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        Ok(AddressBookView { entries, groups, can_manage: me.role.can(Permission::ManageResources) })
    })
    .await
}

/// Creates (empty `id`) or changes an entry.
#[server(endpoint = "save_address_entry", output = crate::error::Json)]
pub async fn save_address_entry(id: String, name: String, protocol: String, address: String, alias: String, group: String, notes: String) -> Result<String, AppError> {
    answer(async move {
        let (st, _) = require(Permission::ManageResources).await?;
        let new = id.is_empty();
        let id = if new { domain::store::new_id() } else { id };
        let e = domain::addressbook::entry(id, &name, &protocol, &address, &alias, &group, &notes)?;
        if new {
            let count = st.db(|s| s.count(domain::EntityKind::AddressEntry)).await?;
            domain::addressbook::room_for(usize::try_from(count).unwrap_or(usize::MAX) + 1)?;
        }
        let said = format!("'{}' saved in the address book.", e.name);
        st.commit(Change::Put { record: Record::AddressEntry(e) }).await?;
        Ok(said)
    })
    .await
}

/// Imports CSV (header `name,protocol,address,alias,group,notes`): entries of the same
/// name are replaced; all or nothing.
#[server(endpoint = "import_address_book", output = crate::error::Json)]
pub async fn import_address_book(csv: String) -> Result<String, AppError> {
    answer(async move {
        let (st, _) = require(Permission::ManageResources).await?;
        let existing = st.db(|s| s.list::<AddressEntry>()).await?;
        let entries = domain::addressbook::import_csv(&csv, &existing, domain::store::new_id)?;
        let n = entries.len();
        st.commit_all(entries.into_iter().map(|e| Change::Put { record: Record::AddressEntry(e) }).collect()).await?;
        st.audit(domain::audit::AuditKind::Change, &format!("Address book: {n} entries imported."), true).await;
        Ok(format!("{n} entries imported (those of the same name replaced)."))
    })
    .await
}

/// The address book as CSV (the page offers it as a download).
#[server(endpoint = "export_address_book", output = crate::error::Json)]
pub async fn export_address_book() -> Result<String, AppError> {
    answer(async {
        let (st, _) = require(Permission::ViewResources).await?;
        let entries = st.db(|s| s.list::<AddressEntry>()).await?;
        Ok(domain::addressbook::to_csv(&entries))
    })
    .await
}

/// Dials `entries` into the conference `c` ([`super::conferences::dial_out`]); how many connected.
#[cfg(feature = "ssr")]
async fn dial_entries(st: &crate::state::AppState, c: &Conference, entries: &[AddressEntry]) -> Result<usize, AppError> {
    let whom: Vec<domain::DefinedParticipant> =
        entries.iter().map(|e| domain::DefinedParticipant { name: e.name.clone(), address: e.address.clone(), protocol: e.protocol }).collect();
    super::conferences::dial_out(st, &c.id, &whom).await
}

/// Dials one address book entry into the conference ("Add from Address Book").
#[server(endpoint = "dial_entry", output = crate::error::Json)]
pub async fn dial_entry(conference_id: String, entry_id: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::RunConferences).await?;
        let c = super::conferences::conference_for(&st, &me, conference_id).await?;
        let e = st.db(move |s| s.get::<AddressEntry>(&entry_id)).await?;
        let e = e.ok_or_else(|| AppError::Invalid { field: "entry_id".into(), message: "Choose an entry of the address book.".into() })?;
        let connected = dial_entries(&st, &c, std::slice::from_ref(&e)).await?;
        Ok(if connected == 1 { format!("'{}' dialled into {}.", e.name, c.name) } else { format!("'{}' could not be connected: no free port.", e.name) })
    })
    .await
}

/// Dials every entry of `group` into the conference.
#[server(endpoint = "dial_group", output = crate::error::Json)]
pub async fn dial_group(conference_id: String, group: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::RunConferences).await?;
        let c = super::conferences::conference_for(&st, &me, conference_id).await?;
        let entries = st.db(|s| s.list::<AddressEntry>()).await?;
        let members: Vec<AddressEntry> = entries.into_iter().filter(|e| !e.group.is_empty() && e.group.eq_ignore_ascii_case(group.trim())).collect();
        if members.is_empty() {
            return Err(AppError::Invalid { field: "group".into(), message: "That group has no entries in the address book.".into() });
        }
        let connected = dial_entries(&st, &c, &members).await?;
        Ok(format!("Group '{}' dialled into {}: {connected} of {} connected.", group.trim(), c.name, members.len()))
    })
    .await
}
