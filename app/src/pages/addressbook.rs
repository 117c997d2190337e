//! The Address Book: entries (name, network, address, alias, group, notes), searched and
//! sorted like every list, edited in a dialog, imported from CSV (pasted) and exported as
//! a CSV file. Conferences dial an entry or a whole group from their page.

use crate::api::{get_address_book, AddressBookView, DeleteResource, ExportAddressBook, ImportAddressBook, SaveAddressEntry};
use crate::components::{actions_cell, any_of, count_ok, edit_delete_cell, list_table, resource_page, successes, Answer, FieldError, FormStatus, Mirrored, TextField};
use domain::{AddressEntry, Protocol};
use leptos::prelude::*;

#[component]
pub fn AddressBookPage() -> impl IntoView {
    let save = ServerAction::<SaveAddressEntry>::new();
    let delete = ServerAction::<DeleteResource>::new();
    let import = ServerAction::<ImportAddressBook>::new();
    let export = ServerAction::<ExportAddressBook>::new();
    let save_r: Answer = Signal::derive(move || save.value().get());
    let delete_r: Answer = Signal::derive(move || delete.value().get());
    let import_r: Answer = Signal::derive(move || import.value().get());
    let saved = count_ok(save_r);
    let page = resource_page(
        "Address Book",
        "New entry",
        get_address_book,
        saved,
        any_of(vec![saved, count_ok(delete_r), count_ok(import_r)]),
        vec![successes(save_r), delete_r],
        move |v: AddressBookView| v.can_manage.then(|| entry_form(None, save).into_any()),
        move |v: AddressBookView| entries_table(v, save, delete),
    );
    // The export, once fetched, as a file to save.
    let file = move || {
        export.value().get().and_then(|r| r.ok()).map(|csv| {
            let href = format!("data:text/csv;charset=utf-8,{}", form_urlencoded::byte_serialize(csv.as_bytes()).collect::<String>().replace('+', "%20"));
            view! { <a class="button-link" href=href download="address-book.csv" data-testid="address-book-file">"Save address-book.csv"</a> }
        })
    };
    view! {
        {page}
        <section class="card" aria-labelledby="ab-io-h">
            <h2 id="ab-io-h">"Import and export (CSV)"</h2>
            <p class="note">{format!("One entry a line after the header {}; an entry of the same name is replaced. At most {} entries.", domain::addressbook::CSV_HEADER, domain::addressbook::MAX_ENTRIES)}</p>
            <ActionForm action=export attr:class="inline">
                <button type="submit" class="secondary">"Export CSV"</button>
            </ActionForm>
            {file}
            <Mirrored>
            <ActionForm action=import attr:class="form">
                <label for="ab-csv">"CSV to import"</label>
                <textarea id="ab-csv" name="csv" rows="4" aria-describedby="ab-csv-error" placeholder=domain::addressbook::CSV_HEADER></textarea>
                <FieldError id="ab-csv" field="csv" result=import_r/>
                <button type="submit" disabled=move || import.pending().get()>"Import"</button>
            </ActionForm>
            </Mirrored>
            <FormStatus result=import_r/>
        </section>
    }
}

fn entries_table(v: AddressBookView, save: ServerAction<SaveAddressEntry>, delete: ServerAction<DeleteResource>) -> AnyView {
    let can = v.can_manage;
    let rows = v
        .entries
        .into_iter()
        .map(|e| {
            let actions = can.then(|| {
                let form = entry_form(Some(e.clone()), save).into_any();
                actions_cell(edit_delete_cell("address_entry", "address book entry", e.id.clone(), &e.name, form, delete))
            });
            view! {
                <tr data-entry=e.name.clone()>
                    <td data-label="Name">{e.name.clone()}</td>
                    <td data-label="Network">{e.protocol.label()}</td>
                    <td data-label="Address" class="nowrap">{e.address.clone()}</td>
                    <td data-label="Alias">{e.alias.clone()}</td>
                    <td data-label="Group">{e.group.clone()}</td>
                    <td data-label="Notes">{e.notes.clone()}</td>
                    {actions}
                </tr>
            }
            .into_any()
        })
        .collect();
    list_table("Entries", "The address book is empty. Add an entry with the form above, or import a CSV file.", &["Name", "Network", "Address", "Alias", "Group", "Notes"], can, rows)
}

fn entry_form(e: Option<AddressEntry>, save: ServerAction<SaveAddressEntry>) -> impl IntoView {
    let prefix = format!("ab-{}", e.as_ref().map(|e| e.id.as_str()).unwrap_or("new"));
    let e = e.unwrap_or(AddressEntry { id: String::new(), name: String::new(), protocol: Protocol::H323, address: String::new(), alias: String::new(), group: String::new(), notes: String::new() });
    let res = crate::components::answer_for(save, e.id.clone(), |a| a.id.clone());
    let proto_id = format!("{prefix}-proto");
    view! {
        <ActionForm action=save attr:class="form">
            <input type="hidden" name="id" value=e.id.clone()/>
            <TextField id=format!("{prefix}-name") name="name" label="Name" value=e.name.clone() result=res/>
            <label for=proto_id.clone()>"Network"</label>
            <select id=proto_id.clone() name="protocol" aria-describedby=format!("{proto_id}-error")>
                <option value="h323" selected=e.protocol == Protocol::H323>"H.323"</option>
                <option value="sip" selected=e.protocol == Protocol::Sip>"SIP"</option>
            </select>
            <FieldError id=proto_id field="protocol" result=res/>
            <TextField id=format!("{prefix}-address") name="address" label="Address (IP, H.323 alias or SIP URI)" value=e.address.clone() result=res/>
            <TextField id=format!("{prefix}-alias") name="alias" label="Numeric alias (optional)" value=e.alias.clone() result=res inputmode="numeric"/>
            <TextField id=format!("{prefix}-group") name="group" label="Group (optional)" value=e.group.clone() result=res/>
            <TextField id=format!("{prefix}-notes") name="notes" label="Notes (optional)" value=e.notes.clone() result=res/>
            <FormStatus result=res/>
            <button type="submit">"Save entry"</button>
        </ActionForm>
    }
}
