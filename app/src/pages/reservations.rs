//! Reservations: the week ahead, the upcoming list, create, edit, delete, with the
//! original's recurrence (daily on weekdays, every N weeks, monthly by day or nth weekday,
//! ending after N occurrences or by a date). Times are the reader's (UTC on hover). The
//! server's scheduler turns each occurrence into an ongoing conference at its start.

use crate::api::*;
use crate::components::{actions_cell, any_of, count_ok, edit_delete_cell, list_table, resource_page, successes, Answer, FieldError, FormStatus, TextField};
use crate::localtime::{date_and_time, offset_at, offset_for_local, use_in_browser, zone_label, LocalTime};
use domain::timefmt::{parse_date, parse_time_of_day};
use domain::{Millis, Recurrence, Reservation};
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
        Recurrence::Series(s) => s.describe(),
    }
}

fn reservations_table(v: ReservationsView, save: ServerAction<SaveReservation>, delete: ServerAction<DeleteResource>) -> AnyView {
    let can = v.can_manage;
    let rows = v
        .reservations
        .iter()
        .map(|r| {
            let profile = v.profiles.iter().find(|p| p.id == r.profile_id).map(|p| p.name.clone()).unwrap_or_else(|| if r.profile_id.is_empty() { "Default".into() } else { "—".into() });
            let actions = can.then(|| {
                let form = reservation_form(Some(r.clone()), &v, save);
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
    let table = list_table("Reservations", "No upcoming reservations: create one with the form above.", &headers, can, rows);
    view! {
        {week_view(&v)}
        {table}
    }
    .into_any()
}

const WEEKDAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/// Weeks ahead the calendar goes.
const WEEKS_AHEAD: i64 = 52;

/// Seven days at a glance, from today (`?week=N`: N weeks on, up to a year): each day's
/// occurrences with the series expanded. Seven columns on a desk, a list of days on a phone.
fn week_view(v: &ReservationsView) -> impl IntoView {
    use domain::recurrence::DAY_MS;
    let week = crate::nav::query_value("week").and_then(|w| w.trim().parse::<i64>().ok()).unwrap_or(0).clamp(0, WEEKS_AHEAD);
    let first_day = v.now_ms.div_euclid(DAY_MS) + 7 * week;
    let from = v.now_ms.max(first_day * DAY_MS);
    let items = domain::schedule::occurrences_between(&v.reservations, from, (first_day + 7) * DAY_MS);
    let days = (0..7)
        .map(|i| {
            let day = first_day + i;
            let (y, m, d) = domain::timefmt::civil_from_days(day);
            let today: Vec<_> = items.iter().filter(|o| o.start_ms.div_euclid(DAY_MS) == day).cloned().collect();
            view! {
                <li class="week-day">
                    <h3>{format!("{} {y:04}-{m:02}-{d:02}", &WEEKDAYS[domain::recurrence::weekday(day) as usize][..3])}</h3>
                    {if today.is_empty() {
                        view! { <p class="empty">"—"</p> }.into_any()
                    } else {
                        view! {
                            <ul>{today.into_iter().map(|o| view! {
                                <li><LocalTime ms=o.start_ms/>" "<strong>{o.name}</strong>{format!(" ({:02}:{:02})", o.duration_min / 60, o.duration_min % 60)}</li>
                            }).collect_view()}</ul>
                        }.into_any()
                    }}
                </li>
            }
        })
        .collect_view();
    let (y, m, d) = domain::timefmt::civil_from_days(first_day);
    let title = if week == 0 { "The next seven days".to_string() } else { format!("Seven days from {y:04}-{m:02}-{d:02}") };
    let previous = (week > 0).then(|| view! { <a class="button-link" href=format!("/reservations?week={}", week - 1)>"← Previous week"</a> });
    let next = (week < WEEKS_AHEAD).then(|| view! { <a class="button-link" href=format!("/reservations?week={}", week + 1) rel="next">"Next week →"</a> });
    view! {
        <section class="week" aria-labelledby="week-h">
            <div class="week-head">
                <h2 id="week-h">{title}<small>" (UTC days)"</small></h2>
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
    end_by: Option<Millis>,
}

fn choices(r: &Reservation) -> Choices {
    use domain::recurrence::{local_day, Pattern, SeriesEnd};
    let (start_day, _) = local_day(r.start_ms, 0);
    let (_, _, dom) = domain::timefmt::civil_from_days(start_day);
    let wd = domain::recurrence::weekday(start_day);
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
        end_by: None,
    };
    match r.recurrence {
        Recurrence::None => {}
        Recurrence::Daily { count } => (c.kind, c.days, c.occurrences) = ("daily", 0x7f, count),
        Recurrence::Weekly { count } => (c.kind, c.days, c.occurrences) = ("weekly", 1 << wd, count),
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
                SeriesEnd::By(limit) => (c.by, c.end_by) = (true, Some(limit)),
            }
        }
    }
    c
}

fn reservation_form(r: Option<Reservation>, v: &ReservationsView, save: ServerAction<SaveReservation>) -> AnyView {
    let prefix = format!("rs-{}", r.as_ref().map(|r| r.id.as_str()).unwrap_or("new"));
    let id = move |f: &str| format!("{prefix}-{f}");
    // A new reservation is offered for the next full hour.
    let next_hour = (v.now_ms / 3_600_000 + 1) * 3_600_000;
    let r = r.unwrap_or(Reservation {
        id: String::new(),
        name: String::new(),
        numeric_id: String::new(),
        // The default profile, as "New conference" offers it.
        profile_id: String::new(),
        start_ms: next_hour,
        duration_min: 60,
        recurrence: Recurrence::None,
        participants: Vec::new(),
    });
    let res = crate::components::answer_for(save, r.id.clone(), |a| a.id.clone());
    let c = choices(&r);
    let in_browser = use_in_browser();
    // The start as typed; until then, the reservation's own start in the reader's zone
    // (UTC before the app has loaded, with no offset sent: the server reads it as UTC).
    let (typed_date, typed_time) = (RwSignal::new(None::<String>), RwSignal::new(None::<String>));
    let start_ms = r.start_ms;
    let shown = move || {
        let offset = if in_browser.get() { offset_at(start_ms) } else { 0 };
        date_and_time(start_ms, offset)
    };
    let date = move || typed_date.get().unwrap_or_else(|| shown().0);
    let time = move || typed_time.get().unwrap_or_else(|| shown().1);
    let offset = move || {
        if !in_browser.get() {
            return String::new();
        }
        match (parse_date(&date()), parse_time_of_day(&time())) {
            (Some(d), Some(t)) => offset_for_local(d, t).to_string(),
            _ => offset_at(start_ms).to_string(),
        }
    };
    let zone = move || if in_browser.get() { format!("your time, {}", zone_label(offset_at(start_ms))) } else { "UTC".into() };
    let start_now = RwSignal::new(false);
    let kind = RwSignal::new(c.kind);
    let monthly = RwSignal::new(c.monthly);
    let by = RwSignal::new(c.by);
    let end_by_default = c.end_by.map(|l| date_and_time(l, 0).0).unwrap_or_else(|| date_and_time(r.start_ms, 0).0);
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
                <span class="group-title">"Start "<small>{move || format!("({})", zone())}</small></span>
                <label class="check"><input type="checkbox" name="start_now" prop:checked=move || start_now.get()
                    on:change=move |ev| start_now.set(event_target_checked(&ev))/>"Start now"</label>
                <div class="row">
                    <div class="field">
                        <label for=date_id.clone()>"Date"</label>
                        <input id=date_id.clone() type="date" name="start_date" prop:value=date disabled=move || start_now.get()
                            on:input=move |ev| typed_date.set(Some(event_target_value(&ev)))
                            aria-describedby=format!("{date_id}-error") aria-invalid=crate::components::invalid(res, "start_date")/>
                        <FieldError id=date_id.clone() field="start_date" result=res/>
                    </div>
                    <div class="field">
                        <label for=time_id.clone()>"Time (24-hour, HH:MM)"</label>
                        <input id=time_id.clone() name="start_time" inputmode="numeric" placeholder="17:30" maxlength="5" prop:value=time
                            disabled=move || start_now.get() on:input=move |ev| typed_time.set(Some(event_target_value(&ev)))
                            aria-describedby=format!("{time_id}-error") aria-invalid=crate::components::invalid(res, "start_time")/>
                        <FieldError id=time_id.clone() field="start_time" result=res/>
                    </div>
                </div>
                <FieldError id=format!("{date_id}-api") field="start" result=res/>
                <input type="hidden" name="tz_offset_min" prop:value=offset/>
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
