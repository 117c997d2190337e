//! The Overview, the page a login opens: the pair's health (roles, sync, lag, last
//! failover), the ports in use, the active alarms, the conferences now and the next
//! reservations, each part linking to its page. The pair, ports and alarm counts follow the
//! shared live state (every other second); the lists reload on every change and every
//! alarm raised or cleared. A role sees only the parts it may open.

use crate::api::{get_overview, OverviewView};
use crate::components::{CurrentUser, ErrorMsg};
use crate::live::{use_hb_live, use_live_changes, HbLive};
use crate::localtime::LocalTime;
use domain::hotbackup::{LiveRole, PeerState};
use domain::Permission;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn OverviewPage() -> impl IntoView {
    let hb = use_hb_live();
    let live = use_live_changes();
    let revision = move || hb.snap.with(|s| s.as_ref().map(|l| l.alarms.revision));
    let data = Resource::new(move || (live.get(), revision()), |_| get_overview());
    let role = use_context::<CurrentUser>().map(|u| u.0.role);
    let sees = move |p: Permission| role.is_some_and(|r| r.can(p));
    let lists = move || {
        Suspend::new(async move {
            match data.await {
                Ok(v) => Either::Left(view! {
                    {conferences_part(&v)}
                    {v.next.clone().map(next_part)}
                    {v.alarms.clone().map(|a| alarms_part(hb, a))}
                    {v.sees_failovers.then(|| last_failover_part(v.last_failover.clone(), sees(Permission::ViewAudit)))}
                }),
                Err(e) => Either::Right(view! { <ErrorMsg error=e/> }),
            }
        })
    };
    view! {
        <Title text="Overview"/>
        <h1>"Overview"</h1>
        <div class="overview">
            {pair_part(hb, sees(Permission::ViewConfiguration))}
            {ports_part(hb)}
            // Its parts are the grid's own items (the wrapper is `display: contents`).
            <div class="ov-lists">
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>{lists}</Transition>
            </div>
        </div>
    }
}

/// One part of the overview: a titled card and the link to its page.
fn part(id: &'static str, title: &'static str, link: Option<(&'static str, &'static str)>, body: impl IntoView + 'static) -> impl IntoView {
    let (heading, labelled) = (format!("ov-{id}"), format!("ov-{id}"));
    view! {
        <section class="card ov-part" aria-labelledby=labelled data-testid=format!("overview-{id}")>
            <h2 id=heading>{title}</h2>
            // In an element of its own: a live body (a closure) beside the optional link
            // hydrates the same as it rendered.
            <div class="ov-body">{body}</div>
            {link.map(|(href, text)| view! { <p class="ov-more"><a href=href>{text}</a></p> })}
        </section>
    }
}

/// The pair: this MCU's role, the paired MCU and whether it answers, Sync Status and lag.
fn pair_part(hb: HbLive, sees_configuration: bool) -> impl IntoView {
    let body = move || {
        hb.snap.with(|l| {
            let Some(l) = l.as_ref() else { return view! { <p class="loading">"Loading…"</p> }.into_any() };
            let s = &l.status;
            if s.role == LiveRole::Standalone {
                return view! {
                    <p data-testid="overview-hb-off">"Hot Backup is off: if this MCU fails, no other MCU takes over its conferences."</p>
                }
                .into_any();
            }
            let role = l.badge().0.unwrap_or_default();
            // The address never breaks across lines on a phone.
            let addr = view! { <span class="nowrap">{s.peer_address.clone()}</span> };
            let peer = match (&s.peer_name, s.peer_address.is_empty()) {
                (Some(n), _) => view! { {format!("{n} (")}{addr}")" }.into_any(),
                (None, false) => addr.into_any(),
                (None, true) => "—".into_any(),
            };
            let (peer_state, peer_class) = match s.peer_state {
                PeerState::Up => ("answers", "ov-ok"),
                PeerState::Down => ("does not answer", "ov-bad"),
                PeerState::Unknown => ("not heard yet", "ov-wait"),
            };
            let sync_class = match s.sync_status {
                domain::hotbackup::SyncStatus::Ok => "ov-ok",
                domain::hotbackup::SyncStatus::Fail => "ov-bad",
                _ => "ov-wait",
            };
            let lag = format!("{:.1} s", s.lag_ms as f64 / 1_000.0);
            view! {
                <dl class="facts">
                    <dt>"This MCU"</dt>
                    <dd><span class=format!("hb-role hb-{}", role.to_lowercase())>{role}</span></dd>
                    <dt>"Paired MCU"</dt>
                    <dd>{peer}" — "<span class=peer_class>{peer_state}</span></dd>
                    <dt>"Synchronization"</dt>
                    <dd class=sync_class data-testid="overview-sync">{s.sync_status.label()}</dd>
                    <dt>"Lag"</dt>
                    <dd class="num">{lag}</dd>
                </dl>
            }
            .into_any()
        })
    };
    part("pair", "Hot Backup", sees_configuration.then_some(("/hot-backup", "Hot Backup page")), body)
}

/// The video and voice ports in use of the MCU's capacity (every role sees conferences,
/// and the live state carries the load for those).
fn ports_part(hb: HbLive) -> impl IntoView {
    let body = move || {
        let Some(l) = hb.snap.with(|l| l.as_ref().and_then(|l| l.load)) else {
            return view! { <p class="loading">"Loading…"</p> }.into_any();
        };
        let rows = l
            .by_type()
            .map(|(kind, used, total)| {
                let label = format!("{kind} ports in use");
                let high = (f64::from(total) * 0.8).to_string();
                view! {
                    <dt>{kind}</dt>
                    <dd>
                        <meter min="0" max=total.to_string() value=used.to_string() high=high optimum="0" aria-label=label></meter>
                        <span class="num">{format!(" {used} of {total} in use")}</span>
                    </dd>
                }
            })
            .collect_view();
        let alerts = (l.participant_alerts > 0).then(|| {
            let n = l.participant_alerts;
            view! { <p><a href="/conferences?alerts=1" class="ov-bad">{format!("{n} participant(s) need an operator")}</a></p> }
        });
        view! { <dl class="facts">{rows}</dl>{alerts} }.into_any()
    };
    part("ports", "Ports", Some(("/resource-report", "Resource Report")), body)
}

fn conferences_part(v: &OverviewView) -> impl IntoView {
    let summary = match v.conference_count {
        0 => "No ongoing conferences.".to_string(),
        n => format!("{n} ongoing, {} participant(s) connected.", v.connected),
    };
    let more = v.conference_count.saturating_sub(v.conferences.len());
    let rows = v
        .conferences
        .iter()
        .map(|r| {
            let href = format!("/conferences/{}", r.conference.id);
            view! {
                <li>
                    <a href=href>{r.conference.name.clone()}</a>
                    <span class="num">{format!("{} of {} connected", r.connected, r.participants)}</span>
                </li>
            }
        })
        .collect_view();
    let body = view! {
        <p data-testid="overview-conference-count">{summary}</p>
        <ul class="ov-list">{rows}</ul>
        {(more > 0).then(|| view! { <p class="note">{format!("and {more} more")}</p> })}
    };
    part("conferences", "Conferences now", Some(("/conferences", "All conferences")), body)
}

fn next_part(next: Vec<crate::api::NextReservation>) -> impl IntoView {
    let body = if next.is_empty() {
        Either::Left(view! { <p class="empty">"No reservation starts in the next 7 days."</p> })
    } else {
        let rows = next
            .into_iter()
            .map(|n| {
                let length = domain::timefmt::format_duration_ms(i64::from(n.duration_min) * 60_000);
                view! {
                    <li>
                        <span>{n.name}</span>
                        <span class="num"><LocalTime ms=n.start_ms/>{format!(" · {length}")}</span>
                    </li>
                }
            })
            .collect_view();
        Either::Right(view! { <ul class="ov-list">{rows}</ul> })
    };
    part("next", "Next reservations", Some(("/reservations", "Reservations")), body)
}

fn alarms_part(hb: HbLive, alarms: Vec<domain::alarms::Alarm>) -> impl IntoView {
    let counts = move || {
        hb.snap.with(|l| {
            let c = l.as_ref().map(|l| l.alarms)?;
            Some(match c.active {
                0 => "No active alarms.".to_string(),
                n => format!("{n} active, {} not acknowledged.", c.unacknowledged),
            })
        })
    };
    let rows = alarms
        .into_iter()
        .map(|a| {
            let class = format!("sev sev-{}", a.severity.label().to_lowercase());
            view! {
                <li>
                    <span><span class=class>{a.severity.label()}</span>" "{a.code.code()}" "{a.code.title()}</span>
                    <span class="num"><LocalTime ms=a.last_ms seconds=true/></span>
                </li>
            }
        })
        .collect_view();
    let body = view! { <p data-testid="overview-alarm-count">{counts}</p><ul class="ov-list">{rows}</ul> };
    part("alarms", "Active alarms", Some(("/alarms", "All alarms")), body)
}

fn last_failover_part(last: Option<crate::api::LastFailover>, sees_audit: bool) -> impl IntoView {
    let body = match last {
        Some(f) => Either::Left(view! { <p><LocalTime ms=f.at_ms seconds=true/>": "{f.summary}</p> }),
        None => Either::Right(view! { <p class="empty">"None recorded on this MCU."</p> }),
    };
    part("failover", "Last failover", sees_audit.then_some(("/audit?kind=failover", "Every failover in the audit trail")), body)
}
