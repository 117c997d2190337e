//! The Active Alarms page, as the original's list: level, code, description, what happened
//! here, first and last seen, how often, who acknowledged. Reloaded whenever the book
//! changes (the shared live state carries its revision). Each MCU lists its own alarms, a
//! Slave too, and an Operator or above acknowledges them there.

use crate::api::{get_alarms, AcknowledgeAlarm};
use crate::components::{count_ok, list_table, ErrorMsg, Flash};
use crate::live::use_hb_live;
use crate::localtime::LocalTime;
use domain::alarms::{Alarm, Severity};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AlarmsPage() -> impl IntoView {
    let ack = ServerAction::<AcknowledgeAlarm>::new();
    let acked = count_ok(Signal::derive(move || ack.value().get()));
    let hb = use_hb_live();
    let revision = move || hb.snap.with(|s| s.as_ref().map(|l| l.alarms.revision));
    let data = Resource::new(move || (revision(), acked.get()), |_| get_alarms());
    view! {
        <Title text="Alarms"/>
        <h1>"Active Alarms"</h1>
        <Flash answers=vec![Signal::derive(move || ack.value().get())]/>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => {
                        let history = v.history.len();
                        Either::Left(view! {
                            {alarm_table("Active alarms", "No active alarms.", v.active, Some((v.can_acknowledge, ack)))}
                            <details class="card history">
                                <summary>{format!("Cleared alarms ({history})")}</summary>
                                {alarm_table("Cleared alarms", "No cleared alarms yet.", v.history, None)}
                            </details>
                        })
                    }
                    Err(e) => Either::Right(view! { <ErrorMsg error=e/> }),
                }
            })}
        </Transition>
    }
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "sev sev-critical",
        Severity::Major => "sev sev-major",
        Severity::Minor => "sev sev-minor",
        Severity::Warning => "sev sev-warning",
    }
}

/// The active list (`ack`: whether the reader may acknowledge, and the action) or the
/// history (`None`: when each was cleared instead).
fn alarm_table(title: &str, empty: &'static str, alarms: Vec<Alarm>, ack: Option<(bool, ServerAction<AcknowledgeAlarm>)>) -> AnyView {
    let active = ack.is_some();
    let rows = alarms
        .into_iter()
        .map(|a| {
            let acked = match a.acked.clone() {
                Some((who, at)) => view! { <span>{who}" "<LocalTime ms=at/></span> }.into_any(),
                None => view! { <span class="unacked">"No"</span> }.into_any(),
            };
            let cleared = (!active).then(|| {
                let at = a.cleared_ms.map(|t| view! { <LocalTime ms=t seconds=true/> });
                let lasted = domain::timefmt::format_duration_ms(a.lasted_ms(a.last_ms));
                view! { <td data-label="Cleared">{at}</td><td data-label="Lasted" class="lasted">{lasted}</td> }
            });
            let action = ack.filter(|(can, _)| *can && a.acked.is_none()).map(|(_, action)| {
                let label = format!("Acknowledge alarm {}", a.code.code());
                view! {
                    <td data-label="Actions">
                        <ActionForm action=action>
                            <input type="hidden" name="id" value=a.id.to_string()/>
                            <button type="submit" aria-label=label>"Acknowledge"</button>
                        </ActionForm>
                    </td>
                }
            });
            let spacer = (ack.is_some_and(|(can, _)| can) && a.acked.is_some()).then(|| view! { <td data-label="Actions"></td> });
            view! {
                <tr data-alarm=a.code.code().to_string() class:unacked=active && a.acked.is_none()>
                    <td data-label="Level"><span class=severity_class(a.severity)>{a.severity.label()}</span></td>
                    <td data-label="Code">{a.code.code()}</td>
                    <td data-label="Description">{a.code.title()}</td>
                    <td data-label="Details" class="details">{a.text}</td>
                    <td data-label="First seen"><LocalTime ms=a.first_ms seconds=true/></td>
                    <td data-label="Last seen"><LocalTime ms=a.last_ms seconds=true/></td>
                    <td data-label="Count">{a.count}</td>
                    <td data-label="Acknowledged">{acked}</td>
                    {cleared}
                    {action}
                    {spacer}
                </tr>
            }
            .into_any()
        })
        .collect();
    let headers: &[&'static str] = if active {
        &["Level", "Code", "Description", "Details", "First seen", "Last seen", "Count", "Acknowledged"]
    } else {
        &["Level", "Code", "Description", "Details", "First seen", "Last seen", "Count", "Acknowledged", "Cleared", "Lasted"]
    };
    list_table(title, empty, headers, ack.is_some_and(|(can, _)| can), rows)
}
