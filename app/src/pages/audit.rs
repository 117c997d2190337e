//! The Audit Trail page (Auditor, Administrator, Administrator Read-only): who did what,
//! when, from where, with what result; filtered by user, kind and dates (the filter is the
//! page's query, so a filtered view can be bookmarked, and works before the WASM loads);
//! exported as CSV with the same filter. New entries appear as changes are made.

use crate::api::get_audit;
use crate::components::{list_table, query_value, ErrorMsg};
use crate::live::use_live_changes;
use crate::localtime::{offset_now, use_in_browser, LocalTime};
use domain::audit::{AuditEntry, AuditKind};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AuditPage() -> impl IntoView {
    let field = |k: &str| crate::nav::query_value(k).unwrap_or_default();
    let filter = move || (field("user"), field("kind"), field("from"), field("to"), field("tz").parse::<i32>().unwrap_or(0));
    // Logins and logouts drown the changes: shown only when asked for.
    let logins = field("logins") == "1";
    let before = field("before");
    let changes = use_live_changes();
    let page_before = before.clone();
    let data = Resource::new(move || (filter(), changes.get()), move |((user, kind, from, to, tz), _)| {
        get_audit(user, kind, from, to, tz, Some(if logins { "1" } else { "0" }.to_string()), Some(page_before.clone()))
    });
    let in_browser = use_in_browser();
    // The reader's zone once the page runs in the browser (the server renders UTC).
    let tz = move || if in_browser.get() { offset_now() } else { 0 };
    let csv = move || {
        let (user, kind, from, to, tz) = filter();
        format!(
            "/api/audit.csv?user={}&kind={}&from={}&to={}&tz={tz}&logins={}",
            query_value(&user),
            query_value(&kind),
            query_value(&from),
            query_value(&to),
            if logins { 1 } else { 0 }
        )
    };
    // Another page: the same filter, older than the cursor (none: the newest).
    let page_link = move |cursor: Option<&str>| {
        let (user, kind, from, to, tz) = filter();
        let mut href = format!(
            "/audit?user={}&kind={}&from={}&to={}&tz={tz}&logins={}",
            query_value(&user),
            query_value(&kind),
            query_value(&from),
            query_value(&to),
            if logins { 1 } else { 0 }
        );
        if let Some(c) = cursor {
            href.push_str(&format!("&before={}", query_value(c)));
        }
        href
    };
    let on_later_page = !before.is_empty();
    let kind_now = field("kind");
    let kinds = AuditKind::ALL
        .into_iter()
        .map(|k| view! { <option value=k.key() selected=kind_now == k.key()>{k.label()}</option> })
        .collect_view();
    view! {
        <Title text="Audit Trail"/>
        <h1>"Audit Trail"</h1>
        <form method="get" action="/audit" class="card form inline audit-filter">
            <div class="field">
                <label for="audit-user">"User"</label>
                <input id="audit-user" name="user" autocomplete="off" value=field("user")/>
            </div>
            <div class="field">
                <label for="audit-kind">"Kind"</label>
                <select id="audit-kind" name="kind">
                    <option value="">"Any"</option>
                    {kinds}
                </select>
            </div>
            <div class="field">
                <label for="audit-from">"From"</label>
                <input id="audit-from" name="from" type="date" value=field("from")/>
            </div>
            <div class="field">
                <label for="audit-to">"To"</label>
                <input id="audit-to" name="to" type="date" value=field("to")/>
            </div>
            <label class="check"><input type="checkbox" name="logins" value="1" checked=logins/>"Show logins and logouts"</label>
            <input type="hidden" name="tz" prop:value=move || tz().to_string()/>
            <button type="submit">"Filter"</button>
            <a class="button-link" href=csv download="">"Export CSV"</a>
        </form>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => Either::Left({
                        let older = v.next.as_deref().map(|c| view! { <a class="button-link" href=page_link(Some(c)) rel="next">"Older entries →"</a> });
                        let newest = on_later_page.then(|| view! { <a class="button-link" href=page_link(None)>"← Newest"</a> });
                        let pager = (older.is_some() || newest.is_some()).then(|| view! {
                            <nav class="pager" aria-label="Pages of the audit trail">{newest}{older}</nav>
                        });
                        view! {
                            {audit_table(v.entries)}
                            {pager}
                        }
                    }),
                    Err(e) => Either::Right(view! { <ErrorMsg error=e/> }),
                }
            })}
        </Transition>
    }
}

fn audit_table(entries: Vec<AuditEntry>) -> AnyView {
    let rows = entries
        .into_iter()
        .map(|e| {
            let result = if e.ok { "OK" } else { "Refused" };
            view! {
                <tr data-kind=e.kind.key() class:refused=!e.ok>
                    <td data-label="Time"><LocalTime ms=e.at_ms seconds=true/></td>
                    <td data-label="User">{e.user}</td>
                    <td data-label="Role">{e.role.map(|r| r.label()).unwrap_or("—")}</td>
                    <td data-label="Client">{e.client}</td>
                    <td data-label="MCU">{e.mcu}</td>
                    <td data-label="Kind">{e.kind.label()}</td>
                    <td data-label="What" class="details">{e.summary}</td>
                    <td data-label="Result">{result}</td>
                </tr>
            }
            .into_any()
        })
        .collect();
    list_table("Audit entries", "Nothing matches this filter.", &["Time", "User", "Role", "Client", "MCU", "Kind", "What", "Result"], false, rows)
}
