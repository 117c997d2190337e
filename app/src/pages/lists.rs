//! Read-only pages over the store: conferences, reservations, meeting rooms, profiles,
//! network and Hot Backup settings. Tables turn into cards on a phone (see `data-label`).

use crate::api::*;
use crate::components::{count_ok, invalid, ErrorMsg, FieldError, FormStatus};
use crate::error::AppError;
use domain::timefmt::format_utc;
use domain::Recurrence;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{de::DeserializeOwned, Serialize};
use std::future::Future;

/// Loads `fetch()` once (on the server for the first render) and shows it with `render`,
/// or the error in its place.
fn loaded<T, Fut>(fetch: fn() -> Fut, render: fn(T) -> AnyView) -> impl IntoView
where
    T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<T, AppError>> + Send + 'static,
{
    let res = Resource::new(|| (), move |_| fetch());
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match res.await {
                    Ok(v) => render(v),
                    Err(e) => view! { <ErrorMsg error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn empty(text: &'static str) -> AnyView {
    view! { <p class="empty">{text}</p> }.into_any()
}

#[component]
pub fn ConferencesPage() -> impl IntoView {
    let add = ServerAction::<AddConference>::new();
    let result = Signal::derive(move || add.value().get());
    let live = crate::live::use_live_changes();
    let added = count_ok(result);
    let rows = Resource::new(move || (added.get(), live.get()), |_| list_conferences());
    view! {
        <Title text="Conferences"/>
        <h1>"Conferences"</h1>
        <details class="card">
            <summary>"New conference"</summary>
            <ActionForm action=add attr:class="form inline">
                <div class="field">
                    <label for="conf-name">"Conference name"</label>
                    <input id="conf-name" name="name" aria-describedby="conf-name-error" aria-invalid=invalid(result, "name")/>
                    <FieldError id="conf-name" field="name" result=result/>
                </div>
                <div class="field">
                    <label for="conf-id">"ID"</label>
                    <input id="conf-id" name="numeric_id" inputmode="numeric" aria-describedby="conf-id-error" aria-invalid=invalid(result, "numeric_id")/>
                    <FieldError id="conf-id" field="numeric_id" result=result/>
                </div>
                <button type="submit" disabled=move || add.pending().get()>"Start conference"</button>
            </ActionForm>
            <FormStatus result=result/>
        </details>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match rows.await {
                    Ok(rows) => conference_table(rows),
                    Err(e) => view! { <ErrorMsg error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn conference_table(rows: Vec<ConferenceRow>) -> AnyView {
    if rows.is_empty() {
        return empty("No ongoing conferences.");
    }
    view! {
        <table class="list">
            <caption>{format!("Conferences ({})", rows.len())}</caption>
            <thead><tr><th scope="col">"Name"</th><th scope="col">"ID"</th><th scope="col">"Start Time"</th>
                <th scope="col">"End Time"</th><th scope="col">"Participants"</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|r| {
                    let key = r.conference.name.clone();
                    let href = format!("/conferences/{}", r.conference.id);
                    view! {
                    <tr data-conference=key>
                        <td data-label="Name"><a href=href>{r.conference.name}</a></td>
                        <td data-label="ID">{r.conference.numeric_id}</td>
                        <td data-label="Start Time">{format_utc(r.conference.start_ms)}</td>
                        <td data-label="End Time">{r.conference.end_ms.map(format_utc).unwrap_or_else(|| "—".into())}</td>
                        <td data-label="Participants">{format!("({}/{})", r.connected, r.participants)}</td>
                    </tr>
                }}).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
pub fn ReservationsPage() -> impl IntoView {
    view! {
        <Title text="Reservations"/>
        <h1>"Reservations"</h1>
        {loaded(list_reservations, |rows: Vec<domain::Reservation>| {
            if rows.is_empty() {
                return empty("No reservations.");
            }
            view! {
                <table class="list">
                    <caption>{format!("Reservations ({})", rows.len())}</caption>
                    <thead><tr><th scope="col">"Name"</th><th scope="col">"ID"</th><th scope="col">"Start Time"</th>
                        <th scope="col">"Duration"</th><th scope="col">"Recurrence"</th><th scope="col">"Participants"</th></tr></thead>
                    <tbody>
                        {rows.into_iter().map(|r| view! {
                            <tr>
                                <td data-label="Name">{r.name}</td>
                                <td data-label="ID">{r.numeric_id}</td>
                                <td data-label="Start Time">{format_utc(r.start_ms)}</td>
                                <td data-label="Duration">{format!("{:02}:{:02}", r.duration_min / 60, r.duration_min % 60)}</td>
                                <td data-label="Recurrence">{match r.recurrence {
                                    Recurrence::None => "None".to_string(),
                                    Recurrence::Daily { count } => format!("Daily × {count}"),
                                    Recurrence::Weekly { count } => format!("Weekly × {count}"),
                                }}</td>
                                <td data-label="Participants">{r.participants.len()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        })}
    }
}
