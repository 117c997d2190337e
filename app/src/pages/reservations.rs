//! Reservations: the week ahead, the upcoming list, create, edit, delete, with the
//! original's recurrence (daily on weekdays, every N weeks, monthly by day or nth weekday,
//! ending after N occurrences or by a date). A series keeps its wall-clock time in the
//! zone it was made in (chosen in the form, the browser's by default); the calendar counts
//! the reader's days. Times in the list are the reader's (UTC on hover). The server's
//! scheduler turns each occurrence into an ongoing conference at its start.

use crate::api::*;
use crate::components::{actions_cell, any_of, count_ok, edit_delete_cell, list_table, resource_page, successes, Answer, FieldError, FormStatus, TextField};
use crate::localtime::LocalTime;
use domain::schedule::WallStart;
use domain::{Recurrence, Reservation};
use leptos::prelude::*;

#[component]
pub fn ReservationsPage() -> impl IntoView {
    let save = ServerAction::<SaveReservation>::new();
    let delete = ServerAction::<DeleteResource>::new();
    let save_r: Answer = Signal::derive(move || save.value().get());
    let delete_r: Answer = Signal::derive(move || delete.value().get());
    let saved = count_ok(save_r);
    let page = resource_page(
        "Reservations",
        "New reservation",
        || get_reservations(Some(shown_week())),
        saved,
        any_of(vec![saved, count_ok(delete_r)]),
        vec![successes(save_r), delete_r],
        move |v: ReservationsView| v.can_manage.then(|| reservation_form(None, &v, save).into_any()),
        move |v: ReservationsView| reservations_table(v, save, delete),
    );
    view! { {page}{zones_list()} }
}

/// The calendar's week asked for (`?week=N`, weeks from this one).
fn shown_week() -> u32 {
    crate::nav::query_value("week").and_then(|w| w.trim().parse::<u32>().ok()).unwrap_or(0)
}

/// The id of the page's one list of time zone names (each form's zone field uses it).
const ZONES_LIST: &str = "time-zones";

/// The list of zone names, asked for once by the page.
fn zones_list() -> impl IntoView {
    let names = OnceResource::new(get_time_zones());
    view! {
        <datalist id=ZONES_LIST>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    names.await.unwrap_or_default().into_iter().map(|n| view! { <option value=n/> }).collect_view()
                })}
            </Suspense>
        </datalist>
    }
}

/// Once the page runs in the browser: when the server was not told the browser's zone
/// (the first visit, or after travelling), the page tells it and loads again — once: the
/// next answer says it was told, known zone or not.
fn follow_browser_zone(told: Option<String>) {
    Effect::new(move |_| {
        crate::localtime::remember_zone();
        let zone = crate::localtime::browser_zone();
        if zone.is_some() && zone != told && crate::localtime::told_zone() == zone {
            let _ = window().location().reload();
        }
    });
}

fn reservations_table(v: ReservationsView, save: ServerAction<SaveReservation>, delete: ServerAction<DeleteResource>) -> AnyView {
    follow_browser_zone(v.zone_told.clone());
    let can = v.can_manage;
    let rows = v
        .reservations
        .iter()
        .zip(&v.walls)
        .map(|(r, wall)| {
            let profile = v.profiles.iter().find(|p| p.id == r.profile_id).map(|p| p.name.clone()).unwrap_or_else(|| if r.profile_id.is_empty() { "Default".into() } else { "—".into() });
            let actions = can.then(|| {
                let form = reservation_form(Some((r.clone(), wall.clone())), &v, save);
                actions_cell(edit_delete_cell("reservation", "reservation", r.id.clone(), &r.name, form, delete))
            });
            let end = r.start_ms + i64::from(r.duration_min) * 60_000;
            view! {
                <tr data-reservation=r.name.clone()>
                    <td data-label="Name">{r.name.clone()}<div class="cause">{format!("Next: {}", domain::schedule::conference_name(r))}</div></td>
                    <td data-label="ID">{r.numeric_id.clone()}</td>
                    <td data-label="Start Time"><LocalTime ms=r.start_ms/></td>
                    <td data-label="End Time"><LocalTime ms=end/></td>
                    <td data-label="Duration">{format!("{:02}:{:02}", r.duration_min / 60, r.duration_min % 60)}</td>
                    <td data-label="Recurrence">{wall.recurrence.clone()}</td>
                    <td data-label="Profile">{profile}</td>
                    <td data-label="Participants">{r.participants.len()}</td>
                    {actions}
                </tr>
            }
            .into_any()
        })
        .collect();
    let headers = ["Name", "ID", "Start Time", "End Time", "Duration", "Recurrence", "Profile", "Participants"];
    let table = list_table("Reservations", "No upcoming reservations: create one with the form above.", &headers, can, rows);
    view! {
        {week_view(&v)}
        {table}
    }
    .into_any()
}

const WEEKDAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/// Seven days at a glance, from today (`?week=N`: N weeks on, up to a year), in the
/// reader's zone: each day's occurrences with the series expanded. Seven columns on a
/// desk, a list of days on a phone. Another week is another page (the server counts it).
fn week_view(v: &ReservationsView) -> impl IntoView {
    let week = v.week;
    let days = v
        .calendar
        .iter()
        .map(|day| {
            view! {
                <li class="week-day">
                    <h3>{day.label.clone()}</h3>
                    {if day.occurrences.is_empty() {
                        view! { <p class="empty">"—"</p> }.into_any()
                    } else {
                        view! {
                            <ul>{day.occurrences.iter().map(|o| view! {
                                <li><LocalTime ms=o.start_ms/>" "<strong>{o.name.clone()}</strong>{format!(" ({:02}:{:02})", o.duration_min / 60, o.duration_min % 60)}</li>
                            }).collect_view()}</ul>
                        }.into_any()
                    }}
                </li>
            }
        })
        .collect_view();
    let first = v.calendar.first().map(|d| d.date.clone()).unwrap_or_default();
    let title = if week == 0 { "The next seven days".to_string() } else { format!("Seven days from {first}") };
    // A whole page each: the server counts the week in the reader's zone.
    let previous = (week > 0).then(|| view! { <a class="button-link" rel="external" href=format!("/reservations?week={}", week - 1)>"← Previous week"</a> });
    let next = (week < domain::schedule::WEEKS_AHEAD)
        .then(|| view! { <a class="button-link" rel="external next" href=format!("/reservations?week={}", week + 1)>"Next week →"</a> });
    view! {
        <section class="week" aria-labelledby="week-h">
            <div class="week-head">
                <h2 id="week-h">{title}<small>{format!(" (days in {})", v.zone)}</small></h2>
                <nav class="week-nav" aria-label="Weeks">{previous}{next}</nav>
            </div>
            <ol class="week-grid">{days}</ol>
        </section>
    }
}

/// The form's choices of a series (the defaults for a new reservation).
struct Choices {
    kind: &'static str,
    every: u32,
    days: u8,
    monthly: &'static str,
    month_day: u32,
    nth: u32,
    nth_weekday: u32,
    by: bool,
    occurrences: u32,
}

fn choices(r: &Reservation, wall: &WallStart) -> Choices {
    use domain::recurrence::{Pattern, SeriesEnd};
    let (dom, wd) = (wall.month_day, wall.weekday);
    let mut c = Choices {
        kind: "none",
        every: 1,
        // None ticked: every day (Daily), the start's weekday (Weekly).
        days: 0,
        monthly: "day",
        month_day: dom,
        nth: ((dom - 1) / 7 + 1).min(5),
        nth_weekday: wd,
        by: false,
        occurrences: 1,
    };
    match &r.recurrence {
        Recurrence::None => {}
        Recurrence::Daily { count } => (c.kind, c.days, c.occurrences) = ("daily", 0x7f, *count),
        Recurrence::Weekly { count } => (c.kind, c.days, c.occurrences) = ("weekly", 1 << wd, *count),
        Recurrence::Series(s) => {
            match s.pattern {
                Pattern::Daily { days } => (c.kind, c.days) = ("daily", days),
                Pattern::Weekly { every, days } => (c.kind, c.every, c.days) = ("weekly", every, days),
                Pattern::MonthlyDay { every, day } => (c.kind, c.every, c.month_day) = ("monthly", every, day),
                Pattern::MonthlyNth { every, nth, weekday } => {
                    (c.kind, c.every, c.monthly, c.nth, c.nth_weekday) = ("monthly", every, "nth", nth, weekday)
                }
            }
            match s.end {
                // What is left of the series, counted from this occurrence.
                SeriesEnd::After(total) => c.occurrences = total.saturating_sub(s.index) + 1,
                SeriesEnd::By(_) => c.by = true,
            }
        }
    }
    c
}

/// The form of a reservation (`None`: a new one) with its start as shown there.
fn reservation_form(r: Option<(Reservation, WallStart)>, v: &ReservationsView, save: ServerAction<SaveReservation>) -> AnyView {
    let prefix = format!("rs-{}", r.as_ref().map(|(r, _)| r.id.as_str()).unwrap_or("new"));
    let id = move |f: &str| format!("{prefix}-{f}");
    // A new reservation is offered for the reader's next full hour, in their zone.
    let (r, wall) = r.unwrap_or_else(|| {
        let r = Reservation {
            id: String::new(),
            name: String::new(),
            numeric_id: String::new(),
            // The default profile, as "New conference" offers it.
            profile_id: String::new(),
            start_ms: 0,
            duration_min: 60,
            recurrence: Recurrence::None,
            participants: Vec::new(),
        };
        (r, v.new_start.clone())
    });
    let res = crate::components::answer_for(save, r.id.clone(), |a| a.id.clone());
    let c = choices(&r, &wall);
    let start_now = RwSignal::new(false);
    let zone_id = id("zone");
    let kind = RwSignal::new(c.kind);
    let monthly = RwSignal::new(c.monthly);
    let by = RwSignal::new(c.by);
    let end_by_default = wall.end_by.clone().unwrap_or_else(|| wall.date.clone());
    let (prof_id, rec_id, parts_id) = (id("profile"), id("recurrence"), id("participants"));
    let (name_id, num_id, date_id, time_id, dur_id, count_id) = (id("name"), id("num"), id("date"), id("time"), id("duration"), id("count"));
    let (every_id, mday_id, nth_id, nthwd_id, endby_id) = (id("every"), id("mday"), id("nth"), id("nthwd"), id("endby"));
    let default_profile = view! { <option value="" selected=r.profile_id.is_empty()>"Default"</option> };
    let options = v
        .profiles
        .iter()
        .map(|p| view! { <option value=p.id.clone() selected=p.id == r.profile_id>{p.name.clone()}</option> })
        .collect_view();
    let day_boxes = (0..7)
        .map(|d| {
            let name = format!("day_{d}");
            view! { <label class="check day"><input type="checkbox" name=name checked=c.days & (1 << d) != 0/>{&WEEKDAYS[d][..3]}</label> }
        })
        .collect_view();
    view! {
        <ActionForm action=save attr:class="form">
            <input type="hidden" name="id" value=r.id.clone()/>
            <TextField id=name_id name="name" label="Reservation name" value=r.name.clone() result=res/>
            <TextField id=num_id name="numeric_id" label="ID (digits; empty = next free)" value=r.numeric_id.clone() result=res inputmode="numeric"/>
            <label for=prof_id.clone()>"Profile"</label>
            <select id=prof_id.clone() name="profile_id" aria-describedby=format!("{prof_id}-error")>{default_profile}{options}</select>
            <FieldError id=prof_id field="profile_id" result=res/>
            <div class="group-box" role="group" aria-label="Start">
                <span class="group-title">"Start"</span>
                <label class="check"><input type="checkbox" name="start_now" prop:checked=move || start_now.get()
                    on:change=move |ev| start_now.set(event_target_checked(&ev))/>"Start now"</label>
                <div class="row">
                    <div class="field">
                        <label for=date_id.clone()>"Date"</label>
                        <input id=date_id.clone() type="date" name="start_date" value=wall.date.clone() disabled=move || start_now.get()
                            aria-describedby=format!("{date_id}-error") aria-invalid=crate::components::invalid(res, "start_date")/>
                        <FieldError id=date_id.clone() field="start_date" result=res/>
                    </div>
                    <div class="field">
                        <label for=time_id.clone()>"Time (24-hour, HH:MM)"</label>
                        <input id=time_id.clone() name="start_time" inputmode="numeric" placeholder="17:30" maxlength="5" value=wall.time.clone()
                            disabled=move || start_now.get()
                            aria-describedby=format!("{time_id}-error") aria-invalid=crate::components::invalid(res, "start_time")/>
                        <FieldError id=time_id.clone() field="start_time" result=res/>
                    </div>
                </div>
                <FieldError id=format!("{date_id}-api") field="start" result=res/>
                <label for=zone_id.clone()>"Time zone (a series keeps its time there, summer and winter)"</label>
                <input id=zone_id.clone() name="time_zone" list=ZONES_LIST value=wall.zone.clone() autocomplete="off" spellcheck="false"
                    maxlength="64" aria-describedby=format!("{zone_id}-error") aria-invalid=crate::components::invalid(res, "time_zone")/>
                <FieldError id=zone_id field="time_zone" result=res/>
            </div>
            <TextField id=dur_id name="duration" label="Duration (H:MM)"
                value=format!("{}:{:02}", r.duration_min / 60, r.duration_min % 60) result=res/>
            <label for=rec_id.clone()>"Recurrence"</label>
            <select id=rec_id.clone() name="recurrence" aria-describedby=format!("{rec_id}-error")
                on:change=move |ev| {
                    let v = event_target_value(&ev);
                    kind.set(match v.as_str() { "daily" => "daily", "weekly" => "weekly", "monthly" => "monthly", _ => "none" });
                }>
                {[("none", "None"), ("daily", "Daily"), ("weekly", "Weekly"), ("monthly", "Monthly")].into_iter()
                    .map(|(k, l)| view! { <option value=k selected=k == c.kind>{l}</option> }).collect_view()}
            </select>
            <FieldError id=rec_id field="recurrence" result=res/>
            <div class="group-box" role="group" aria-label="Repeat" hidden=move || kind.get() == "none">
                <div class="inline-row" hidden=move || !matches!(kind.get(), "weekly" | "monthly")>
                    <label for=every_id.clone()>{move || if kind.get() == "monthly" { "Every N months (1–12)" } else { "Every N weeks (1–52)" }}</label>
                    <input id=every_id.clone() name="every" inputmode="numeric" value=c.every.to_string() aria-describedby=format!("{every_id}-error")/>
                    <FieldError id=every_id field="every" result=res/>
                </div>
                <div class="days" role="group" aria-label="On these days" hidden=move || !matches!(kind.get(), "daily" | "weekly")>
                    {day_boxes}
                    <span class="note">"None ticked: every day (Daily), or the start's weekday (Weekly)."</span>
                    <FieldError id=id("weekdays") field="weekdays" result=res/>
                </div>
                <div hidden=move || kind.get() != "monthly">
                    <div class="inline-row">
                    <label class="check"><input type="radio" name="monthly" value="day" checked=c.monthly == "day" on:change=move |_| monthly.set("day")/>"On day"</label>
                    <label for=mday_id.clone() class="sr-only">"Day of the month (1–31)"</label>
                    <input id=mday_id.clone() name="month_day" inputmode="numeric" value=c.month_day.to_string() disabled=move || monthly.get() != "day"
                        aria-describedby=format!("{mday_id}-error")/>
                    <FieldError id=mday_id field="month_day" result=res/>
                    </div>
                    <div class="inline-row">
                    <label class="check"><input type="radio" name="monthly" value="nth" checked=c.monthly == "nth" on:change=move |_| monthly.set("nth")/>"On the"</label>
                    <label for=nth_id.clone() class="sr-only">"Which week"</label>
                    <select id=nth_id.clone() name="nth" disabled=move || monthly.get() != "nth" aria-describedby=format!("{nth_id}-error")>
                        {[(1, "first"), (2, "second"), (3, "third"), (4, "fourth"), (5, "last")].into_iter()
                            .map(|(n, l)| view! { <option value=n.to_string() selected=n == c.nth>{l}</option> }).collect_view()}
                    </select>
                    <FieldError id=nth_id field="nth" result=res/>
                    <label for=nthwd_id.clone() class="sr-only">"Weekday"</label>
                    <select id=nthwd_id.clone() name="nth_weekday" disabled=move || monthly.get() != "nth" aria-describedby=format!("{nthwd_id}-error")>
                        {(0..7u32).map(|d| view! { <option value=d.to_string() selected=d == c.nth_weekday>{WEEKDAYS[d as usize]}</option> }).collect_view()}
                    </select>
                    <FieldError id=nthwd_id field="nth_weekday" result=res/>
                    </div>
                </div>
                <div>
                    <div class="inline-row">
                    <label class="check"><input type="radio" name="end" value="after" checked=!c.by on:change=move |_| by.set(false)/>"End after"</label>
                    <label for=count_id.clone() class="sr-only">"Occurrences"</label>
                    <input id=count_id.clone() name="occurrences" inputmode="numeric" value=c.occurrences.to_string() disabled=move || by.get()
                        aria-describedby=format!("{count_id}-error")/>" occurrences"
                    <FieldError id=count_id field="occurrences" result=res/>
                    </div>
                    <div class="inline-row">
                    <label class="check"><input type="radio" name="end" value="by" checked=c.by on:change=move |_| by.set(true)/>"End by"</label>
                    <label for=endby_id.clone() class="sr-only">"End date"</label>
                    <input id=endby_id.clone() type="date" name="end_by" value=end_by_default disabled=move || !by.get() aria-describedby=format!("{endby_id}-error")/>
                    <FieldError id=endby_id field="end_by" result=res/>
                    </div>
                </div>
            </div>
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
