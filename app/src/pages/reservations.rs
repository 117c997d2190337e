//! Reservations: upcoming list, create, edit, delete. The server's scheduler turns each
//! into an ongoing conference at its start time (times are UTC, as the lists show them).

use crate::api::*;
use crate::components::{actions_cell, any_of, count_ok, edit_delete_cell, list_table, resource_page, successes, Answer, FieldError, FormStatus, TextField};
use domain::timefmt::{format_utc, input_value};
use domain::{Recurrence, Reservation};
use leptos::prelude::*;

#[component]
pub fn ReservationsPage() -> impl IntoView {
    let save = ServerAction::<SaveReservation>::new();
    let delete = ServerAction::<DeleteResource>::new();
    let save_r: Answer = Signal::derive(move || save.value().get());
    let delete_r: Answer = Signal::derive(move || delete.value().get());
    let saved = count_ok(save_r);
    resource_page(
        "Reservations",
        "New reservation",
        get_reservations,
        saved,
        any_of(vec![saved, count_ok(delete_r)]),
        vec![successes(save_r), delete_r],
        move |v: ReservationsView| v.can_manage.then(|| reservation_form(None, &v, save).into_any()),
        move |v: ReservationsView| reservations_table(v, save, delete),
    )
}

fn recurrence_text(r: Recurrence) -> String {
    match r {
        Recurrence::None => "None".into(),
        Recurrence::Daily { count } => format!("Daily, {count} left"),
        Recurrence::Weekly { count } => format!("Weekly, {count} left"),
    }
}

fn reservations_table(v: ReservationsView, save: ServerAction<SaveReservation>, delete: ServerAction<DeleteResource>) -> AnyView {
    let can = v.can_manage;
    let rows = v
        .reservations
        .iter()
        .map(|r| {
            let profile = v.profiles.iter().find(|p| p.id == r.profile_id).map(|p| p.name.clone()).unwrap_or_else(|| "—".into());
            let actions = can.then(|| {
                let form = reservation_form(Some(r.clone()), &v, save);
                actions_cell(edit_delete_cell("reservation", "reservation", r.id.clone(), &r.name, form, delete))
            });
            let end = r.start_ms + i64::from(r.duration_min) * 60_000;
            view! {
                <tr data-reservation=r.name.clone()>
                    <td data-label="Name">{r.name.clone()}</td>
                    <td data-label="ID">{r.numeric_id.clone()}</td>
                    <td data-label="Start Time">{format_utc(r.start_ms)}</td>
                    <td data-label="End Time">{format_utc(end)}</td>
                    <td data-label="Duration">{format!("{:02}:{:02}", r.duration_min / 60, r.duration_min % 60)}</td>
                    <td data-label="Recurrence">{recurrence_text(r.recurrence)}</td>
                    <td data-label="Profile">{profile}</td>
                    <td data-label="Participants">{r.participants.len()}</td>
                    {actions}
                </tr>
            }
            .into_any()
        })
        .collect();
    let headers = ["Name", "ID", "Start Time", "End Time", "Duration", "Recurrence", "Profile", "Participants"];
    list_table("Reservations", "No upcoming reservations.", &headers, can, rows)
}

fn reservation_form(r: Option<Reservation>, v: &ReservationsView, save: ServerAction<SaveReservation>) -> AnyView {
    let prefix = format!("rs-{}", r.as_ref().map(|r| r.id.as_str()).unwrap_or("new"));
    let id = move |f: &str| format!("{prefix}-{f}");
    // A new reservation is offered for the next full hour (server time, UTC).
    let next_hour = (v.now_ms / 3_600_000 + 1) * 3_600_000;
    let r = r.unwrap_or(Reservation {
        id: String::new(),
        name: String::new(),
        numeric_id: String::new(),
        profile_id: v.profiles.first().map(|p| p.id.clone()).unwrap_or_default(),
        start_ms: next_hour,
        duration_min: 60,
        recurrence: Recurrence::None,
        participants: Vec::new(),
    });
    let res = crate::components::answer_for(save, r.id.clone(), |a| a.id.clone());
    let (kind, count) = match r.recurrence {
        Recurrence::None => ("none", 1),
        Recurrence::Daily { count } => ("daily", count),
        Recurrence::Weekly { count } => ("weekly", count),
    };
    let (prof_id, rec_id, parts_id) = (id("profile"), id("recurrence"), id("participants"));
    let (name_id, num_id, start_id, dur_id, count_id) = (id("name"), id("num"), id("start"), id("duration"), id("count"));
    let options = v
        .profiles
        .iter()
        .map(|p| view! { <option value=p.id.clone() selected=p.id == r.profile_id>{p.name.clone()}</option> })
        .collect_view();
    view! {
        <ActionForm action=save attr:class="form">
            <input type="hidden" name="id" value=r.id.clone()/>
            <TextField id=name_id name="name" label="Reservation name" value=r.name.clone() result=res/>
            <TextField id=num_id name="numeric_id" label="ID (digits; empty = next free)" value=r.numeric_id.clone() result=res inputmode="numeric"/>
            <label for=prof_id.clone()>"Profile"</label>
            <select id=prof_id.clone() name="profile_id" aria-describedby=format!("{prof_id}-error")>{options}</select>
            <FieldError id=prof_id field="profile_id" result=res/>
            <TextField id=start_id name="start" label="Start (UTC)" value=input_value(r.start_ms) result=res kind="datetime-local" step="1"/>
            <TextField id=dur_id name="duration" label="Duration (H:MM)"
                value=format!("{}:{:02}", r.duration_min / 60, r.duration_min % 60) result=res/>
            <label for=rec_id.clone()>"Recurrence"</label>
            <select id=rec_id.clone() name="recurrence" aria-describedby=format!("{rec_id}-error")>
                {[("none", "None"), ("daily", "Daily"), ("weekly", "Weekly")].into_iter()
                    .map(|(k, l)| view! { <option value=k selected=k == kind>{l}</option> }).collect_view()}
            </select>
            <FieldError id=rec_id field="recurrence" result=res/>
            <TextField id=count_id name="occurrences" label="Occurrences" value=count.to_string() result=res inputmode="numeric"/>
            <label for=parts_id.clone()>"Defined participants (one per line: Name, address[, sip|h323])"</label>
            <textarea id=parts_id.clone() name="participants" rows="3" aria-describedby=format!("{parts_id}-error")
                aria-invalid=crate::components::invalid(res, "participants")>
                {domain::schedule::participants_text(&r.participants)}
            </textarea>
            <FieldError id=parts_id field="participants" result=res/>
            <FormStatus result=res/>
            <button type="submit">"Save reservation"</button>
        </ActionForm>
    }
    .into_any()
}
