//! The call history (CDR) page: ended conferences, newest first, with how each ended, what
//! happened to it (a takeover) and its participants; filtered by name or ID and the dates
//! they ended (the page's query, so it works before the WASM loads); exported as CSV (one
//! line per participant) or JSON with the same filter.

use crate::api::get_history;
use crate::components::{list_table, query_value, ErrorMsg};
use crate::live::use_live_changes;
use crate::localtime::{offset_now, use_in_browser, LocalTime};
use domain::cdr::CallRecord;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HistoryPage() -> impl IntoView {
    let field = |k: &str| crate::nav::query_value(k).unwrap_or_default();
    let filter = move || (field("text"), field("from"), field("to"), field("tz").parse::<i32>().unwrap_or(0));
    let changes = use_live_changes();
    let data = Resource::new(move || (filter(), changes.get()), |((text, from, to, tz), _)| get_history(text, from, to, tz));
    let in_browser = use_in_browser();
    let tz = move || if in_browser.get() { offset_now() } else { 0 };
    let export = move |ext: &'static str| {
        move || {
            let (text, from, to, tz) = filter();
            format!("/api/history.{ext}?text={}&from={}&to={}&tz={tz}", query_value(&text), query_value(&from), query_value(&to))
        }
    };
    view! {
        <Title text="Call History"/>
        <h1>"Call History"</h1>
        <form method="get" action="/history" class="card form inline audit-filter">
            <div class="field">
                <label for="history-text">"Conference name or ID"</label>
                <input id="history-text" name="text" autocomplete="off" value=field("text")/>
            </div>
            <div class="field">
                <label for="history-from">"Ended from"</label>
                <input id="history-from" name="from" type="date" value=field("from")/>
            </div>
            <div class="field">
                <label for="history-to">"Ended to"</label>
                <input id="history-to" name="to" type="date" value=field("to")/>
            </div>
            <input type="hidden" name="tz" prop:value=move || tz().to_string()/>
            <button type="submit">"Filter"</button>
            <a class="button-link" href=export("csv") download="">"Export CSV"</a>
            <a class="button-link" href=export("json") download="">"Export JSON"</a>
        </form>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => Either::Left(view! {
                        {v.more.then(|| view! { <p class="note">{format!("Showing the newest {}; narrow the filter or export.", crate::api::PAGE_RECORDS)}</p> })}
                        {history_table(v.records)}
                    }),
                    Err(e) => Either::Right(view! { <ErrorMsg error=e/> }),
                }
            })}
        </Transition>
    }
}

fn history_table(records: Vec<CallRecord>) -> AnyView {
    let rows = records
        .into_iter()
        .map(|r| {
            let duration = domain::timefmt::format_duration_s(u64::try_from((r.end_ms - r.start_ms) / 1000).unwrap_or(0));
            let attendance = domain::cdr::attendance(&r);
            let events = r.events.clone();
            let was_recorded = !r.recordings.is_empty();
            let recorded = was_recorded.then(|| {
                let total: i64 = r.recordings.iter().map(|s| (s.to_ms - s.from_ms).max(0)).sum();
                let to = r.recorded_to.clone().map(|l| format!(" to {l}")).unwrap_or_default();
                let spans = r.recordings.clone();
                view! {
                    <p class="cdr-recording" data-testid="recorded">
                        {format!("Recorded{to}: {} in {} span(s)", domain::timefmt::format_duration_s(u64::try_from(total / 1000).unwrap_or(0)), spans.len())}
                    </p>
                    <ul class="cdr-events">
                        {spans.into_iter().map(|s| view! { <li>"Recording "<LocalTime ms=s.from_ms/>" – "<LocalTime ms=s.to_ms/></li> }).collect_view()}
                    </ul>
                }
            });
            let participants = r
                .participants
                .into_iter()
                .map(|p| {
                    let cause = p.cause.map(|c| format!(" · {}", c.label())).unwrap_or_default();
                    view! {
                        <li>
                            <strong>{p.name}</strong>" "{p.address}" · "{format!("{} {}", p.protocol.label(), p.direction.label())}" · "
                            {match p.connected_ms { Some(t) => view! { <LocalTime ms=t/> }.into_any(), None => view! { "never connected" }.into_any() }}
                            {p.disconnected_ms.map(|t| view! { " – "<LocalTime ms=t/> })}
                            {cause}
                        </li>
                    }
                })
                .collect_view();
            let key = r.name.clone();
            view! {
                <tr data-record=key>
                    <td data-label="Conference">{r.name}</td>
                    <td data-label="ID">{r.numeric_id}</td>
                    <td data-label="Profile">{if r.profile.is_empty() { "Default".to_string() } else { r.profile }}</td>
                    <td data-label="Start"><LocalTime ms=r.start_ms/></td>
                    <td data-label="End"><LocalTime ms=r.end_ms/></td>
                    <td data-label="Duration">{duration}</td>
                    <td data-label="Ended">{r.ended.label()}{(!events.is_empty()).then(|| view! { " "<span class="tag">"failover"</span> })}
                        {was_recorded.then(|| view! { " "<span class="tag tag-rec">"recorded"</span> })}</td>
                    <td data-label="Participants">
                        <details class="cdr">
                            <summary>{attendance}</summary>
                            {recorded}
                            {(!events.is_empty()).then(|| view! {
                                <ul class="cdr-events">
                                    {events.into_iter().map(|e| view! { <li><LocalTime ms=e.at_ms/>" "{e.text}</li> }).collect_view()}
                                </ul>
                            })}
                            <ul class="cdr-participants">{participants}</ul>
                        </details>
                    </td>
                </tr>
            }
            .into_any()
        })
        .collect();
    list_table(
        "Ended conferences",
        "No ended conferences match.",
        &["Conference", "ID", "Profile", "Start", "End", "Duration", "Ended", "Participants"],
        false,
        rows,
    )
}
