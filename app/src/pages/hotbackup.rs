//! Setup → Hot Backup: the settings (Administrator only), the guideline checks, and a live
//! panel (role, peer, Sync Status, lag, last sync, event log): the frame's shared live
//! state, refreshed at every Hot Backup event and every second.

use crate::api::{get_hot_backup, DisableHotBackup, EnableHotBackup, HotBackupView, TriggerFailover, UpdateHotBackupSettings};
use crate::components::{count_ok, danger_confirm, invalid, ErrorMsg, FieldError, FormStatus};
use domain::hotbackup::{HbStatus, LiveRole, PeerState, SyncStatus};
use crate::localtime::LocalTime;
use domain::HotBackupSettings;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HotBackupPage() -> impl IntoView {
    let enable = ServerAction::<EnableHotBackup>::new();
    let disable = ServerAction::<DisableHotBackup>::new();
    let failover = ServerAction::<TriggerFailover>::new();
    let update = ServerAction::<UpdateHotBackupSettings>::new();
    // The panel shows the frame's shared Hot Backup state (the header badge shows the same
    // snapshot); on this page it comes with the event log and checks, every second.
    let hb = crate::live::use_hb_live();
    hb.full.set(true);
    on_cleanup(move || hb.full.set(false));
    let ok = [enable.value(), disable.value(), failover.value(), update.value()].map(|v| count_ok(Signal::derive(move || v.get())));
    let versions = move || ok.map(|n| n.get());
    // The settings form is rebuilt after this user's own actions and when the role or
    // pairing changes (a failover elsewhere), not at every refresh.
    let role = move || hb.snap.with(|l| l.as_ref().map(|l| (l.status.role, l.status.enabled)));
    let setup = Resource::new(move || (versions(), role()), |_| get_hot_backup());
    let enable_result = Signal::derive(move || enable.value().get());
    let update_result = Signal::derive(move || update.value().get());
    let other_result = Signal::derive(move || {
        failover.value().get().or_else(|| disable.value().get())
    });
    view! {
        <Title text="Hot Backup"/>
        <h1>"Hot Backup"</h1>
        {move || match hb.snap.get() {
            Some(l) => Either::Left(live_panel(l.status)),
            None => Either::Right(view! { <p class="loading">"Loading…"</p> }),
        }}
        <FormStatus result=other_result/>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match setup.await {
                    Ok(v) => Either::Left(setup_section(v, Actions { enable, disable, failover, update }, enable_result, update_result)),
                    Err(e) => Either::Right(view! { <ErrorMsg error=e/> }),
                }
            })}
        </Transition>
        <LinkTimeline/>
    }
}

/// The link's last 24 hours: a band per minute (up, down, Hot Backup off) and the lag as a
/// line under it, with the same in words. Reloaded every 30 seconds while the page is open.
#[component]
fn LinkTimeline() -> impl IntoView {
    let tick = RwSignal::new(0u32);
    #[cfg(feature = "hydrate")]
    if let Ok(h) = set_interval_with_handle(move || tick.update(|n| *n = n.wrapping_add(1)), std::time::Duration::from_secs(30)) {
        on_cleanup(move || h.clear());
    }
    let data = Resource::new(move || tick.get(), |_| crate::api::get_link_timeline());
    view! {
        <section class="card" aria-labelledby="timeline-h">
            <h2 id="timeline-h">"Link and lag, last 24 hours"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(v) => Either::Left(timeline_figure(v)),
                        Err(e) => Either::Right(view! { <ErrorMsg error=e/> }),
                    }
                })}
            </Transition>
        </section>
    }
}

fn timeline_figure(v: crate::api::LinkTimelineView) -> impl IntoView {
    use domain::timeline::MINUTES;
    const BAND: i64 = 14;
    const HEIGHT: i64 = 64;
    let first = v.now_ms.div_euclid(60_000) - MINUTES as i64 + 1;
    // One rectangle per run of minutes in the same state.
    let mut runs: Vec<(i64, i64, &'static str)> = Vec::new();
    for m in &v.minutes {
        let x = m.minute - first;
        match runs.last_mut() {
            Some((start, len, state)) if *state == m.state() && *start + *len == x => *len += 1,
            _ => runs.push((x, 1, m.state())),
        }
    }
    let bands = runs
        .into_iter()
        .map(|(x, len, state)| view! { <rect x=x.to_string() y="0" width=len.to_string() height=BAND.to_string() class=format!("tl-{state}")/> })
        .collect_view();
    // The lag under the band, scaled to the day's largest (a second at least).
    let scale = v.minutes.iter().map(|m| m.max_lag_ms).max().unwrap_or(0).max(1_000) as f64;
    let room = (HEIGHT - BAND - 4) as f64;
    let points: Vec<String> = v
        .minutes
        .iter()
        .filter(|m| m.state() == "up")
        .map(|m| format!("{},{:.1}", m.minute - first, HEIGHT as f64 - m.max_lag_ms as f64 / scale * room))
        .collect();
    let top = domain::timefmt::format_duration_ms(scale as i64);
    let summary = v.summary.clone();
    view! {
        <figure class="timeline" data-testid="link-timeline">
            <svg viewBox=format!("0 0 {MINUTES} {HEIGHT}") preserveAspectRatio="none" role="img" aria-label=summary.clone()>
                <rect x="0" y="0" width=MINUTES.to_string() height=HEIGHT.to_string() class="tl-none"/>
                {bands}
                <polyline points=points.join(" ") class="tl-lag"/>
            </svg>
            <div class="tl-axis" aria-hidden="true"><span>"24 h ago"</span><span>"18 h"</span><span>"12 h"</span><span>"6 h"</span><span>"now"</span></div>
            <figcaption>
                <span class="tl-key"><span class="tl-swatch tl-up"></span>"Link up"</span>
                <span class="tl-key"><span class="tl-swatch tl-down"></span>"Link down"</span>
                <span class="tl-key"><span class="tl-swatch tl-off"></span>"Hot Backup off"</span>
                <span class="tl-key"><span class="tl-swatch tl-lag-key"></span>{format!("Lag (top: {top})")}</span>
                <p data-testid="link-summary">{summary}</p>
            </figcaption>
        </figure>
    }
}

fn role_label(r: LiveRole) -> &'static str {
    match r {
        LiveRole::Standalone => "Standalone (Hot Backup off)",
        LiveRole::Master => "Master MCU",
        LiveRole::Slave => "Slave MCU",
    }
}

fn live_panel(s: HbStatus) -> impl IntoView {
    // The address never breaks across lines (a phone wraps before it, not inside it).
    let addr = |a: &str| view! { <span class="nowrap">{a.to_string()}</span> };
    let peer = match (&s.peer_name, s.peer_state) {
        (_, _) if s.peer_address.is_empty() => view! { "—" }.into_any(),
        (Some(n), PeerState::Up) => view! { {format!("{n} (")}{addr(&s.peer_address)}") — answering" }.into_any(),
        (_, PeerState::Down) => view! { {addr(&s.peer_address)}" — not answering" }.into_any(),
        (_, _) => view! { {addr(&s.peer_address)}" — not contacted yet" }.into_any(),
    };
    let in_step = match (&s.peer_digest, s.sync_status) {
        (Some(d), SyncStatus::Ok) if *d == s.digest => "identical (digests match)".to_string(),
        (Some(_), _) => "differs (catching up)".to_string(),
        (None, _) => "—".to_string(),
    };
    let sync_class = format!("badge sync-{}", s.sync_status.label().to_lowercase());
    let checks = s.checks.clone();
    let events = s.events.clone();
    view! {
        <section class="card" aria-labelledby="live-h">
            <h2 id="live-h">"Status"</h2>
            <dl class="facts">
                <dt>"This MCU"</dt><dd data-testid="hb-role">{role_label(s.role)}</dd>
                <dt>"Paired MCU"</dt><dd data-testid="hb-peer">{peer}</dd>
                <dt>"Synchronization Status"</dt><dd><span class=sync_class data-testid="hb-sync">{s.sync_status.label()}</span></dd>
                <dt>"Replication lag"</dt><dd>{format!("{} ms", s.lag_ms)}</dd>
                <dt>"Last successful sync"</dt><dd>{match s.last_sync_ms { Some(t) => view! { <LocalTime ms=t/> }.into_any(), None => view! { "—" }.into_any() }}</dd>
                <dt>"Epoch · changes"</dt><dd>{format!("{} · {} (paired MCU: {})", s.epoch, s.seq, s.peer_seq.map(|p| p.to_string()).unwrap_or_else(|| "—".into()))}</dd>
                <dt>"Mirrored state"</dt><dd>{in_step}</dd>
                <dt>"Peer-link certificates"</dt>
                <dd class="fingerprints">
                    "This MCU: "<code data-testid="hb-fingerprint">{s.fingerprint.clone()}</code><br/>
                    "Paired MCU (pinned): "<code data-testid="hb-peer-fingerprint">{if s.peer_fingerprint.is_empty() { "—".to_string() } else { s.peer_fingerprint.clone() }}</code>
                </dd>
                {s.snapshot_progress.map(|(done, total)| view! {
                    <dt>"Snapshot"</dt><dd><progress max=total value=done></progress>{format!(" {done}/{total}")}</dd>
                })}
            </dl>
            {(!checks.is_empty()).then(|| view! {
                <h3>"Guideline checks"</h3>
                <ul class="checks">
                    {checks.into_iter().map(|c| view! {
                        <li class:fail=!c.passed>
                            <strong>{format!("{} {}", c.guideline, match (c.passed, c.guideline.starts_with('G')) {
                                (true, _) => "✓ passed",
                                (false, true) => "✗ failed",
                                // Not a guideline (the Slave's capacity): a warning only.
                                (false, false) => "⚠ warning",
                            })}</strong>
                            " — "{c.reason}
                        </li>
                    }).collect_view()}
                </ul>
            })}
            <h3>"Event log"</h3>
            {if events.is_empty() {
                Either::Left(view! { <p class="empty">"No events yet."</p> })
            } else {
                Either::Right(view! {
                    // It scrolls: a keyboard reaches it too (and a screen reader names it).
                    <ol class="events" data-testid="hb-events" tabindex="0" aria-label="Hot Backup event log, newest first">
                        {events.into_iter().take(30).map(|e| view! {
                            <li class:alarm=e.alarm><LocalTime ms=e.at_ms seconds=true/>" "{e.text}</li>
                        }).collect_view()}
                    </ol>
                })
            }}
        </section>
    }
}

/// The administrator's actions on this page.
#[derive(Clone, Copy)]
struct Actions {
    enable: ServerAction<EnableHotBackup>,
    disable: ServerAction<DisableHotBackup>,
    failover: ServerAction<TriggerFailover>,
    update: ServerAction<UpdateHotBackupSettings>,
}

type Answer = Signal<Option<Result<String, crate::error::AppError>>>;

fn setup_section(v: HotBackupView, a: Actions, result: Answer, update_result: Answer) -> impl IntoView {
    let Actions { enable, disable, failover, update } = a;
    if !v.can_manage {
        return Either::Left(view! { <p class="empty">"Only an Administrator can change the Hot Backup settings."</p> });
    }
    if v.settings.enabled {
        let is_master = v.status.role == LiveRole::Master;
        let peer = v.status.peer_name.clone().unwrap_or_else(|| v.status.peer_address.clone());
        let failover_form = is_master.then(|| {
            let dialog = danger_confirm("failover-dialog", "Trigger Failover", v.ongoing.failover(&v.mcu, &peer), Some(v.mcu.clone()), failover.pending().into());
            view! { <ActionForm action=failover>{dialog}</ActionForm> }
        });
        let disable_dialog =
            danger_confirm("disable-dialog", "Disable Hot Backup", v.ongoing.disable(&v.mcu, &peer, is_master), Some(v.mcu.clone()), disable.pending().into());
        // The original's three fields, always there: unticking "Hot Backup Enabled" makes
        // Save open the disable dialog; "MCU Role" is locked unless G8 allows a reversal.
        let ticked = RwSignal::new(true);
        let lock = v.role_lock.clone();
        let locked = lock.is_some();
        let role_help = lock.map(|why| view! { <small id="hb-role-lock" class="note" data-testid="hb-role-lock">{why}</small> });
        return Either::Right(Either::Left(view! {
            <section class="card" aria-labelledby="setup-h">
                <h2 id="setup-h">"Settings"</h2>
                <p class="note">{format!(
                    "This MCU is the {} of the pair. Each MCU keeps its own settings. MCU Role reverses both MCUs' roles while nothing is scheduled (G8); Trigger Failover does it at any time.",
                    role_label(v.status.role)
                )}</p>
                <ActionForm action=update attr:class="form">
                    <input type="hidden" name="hb_form" value="1"/>
                    <label class="check"><input type="checkbox" name="enabled" checked prop:checked=move || ticked.get()
                        on:change=move |ev| ticked.set(event_target_checked(&ev))/>"Hot Backup Enabled"</label>
                    <label for="hb-role">"MCU Role"</label>
                    <select id="hb-role" name="role" disabled=locked aria-describedby="hb-role-lock hb-role-error">
                        <option value="master" selected=is_master>"Master MCU"</option>
                        <option value="slave" selected=!is_master>"Slave MCU"</option>
                    </select>
                    {role_help}
                    <FieldError id="hb-role" field="role" result=update_result/>
                    {settings_fields(&v.settings, update_result)}
                    <FormStatus result=update_result/>
                    {move || if ticked.get() {
                        Either::Left(view! { <button type="submit" disabled=move || update.pending().get()>"Save settings"</button> })
                    } else {
                        Either::Right(view! {
                            <button type="button" class="danger" commandfor="disable-dialog" command="show-modal">"Save (turns Hot Backup off)…"</button>
                        })
                    }}
                </ActionForm>
                <div class="danger-zone" role="group" aria-labelledby="danger-h">
                    <h3 id="danger-h">"Failover and disable"</h3>
                    {failover_form}
                    <ActionForm action=disable>
                        {disable_dialog}
                    </ActionForm>
                </div>
            </section>
        }));
    }
    Either::Right(Either::Right(enable_form(v.settings, enable, result)))
}

fn enable_form(
    s: HotBackupSettings,
    enable: ServerAction<EnableHotBackup>,
    result: Signal<Option<Result<String, crate::error::AppError>>>,
) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="setup-h">
            <h2 id="setup-h">"Enable Hot Backup"</h2>
            <ActionForm action=enable attr:class="form">
                <label for="hb-role">"MCU Role"</label>
                <select id="hb-role" name="role" aria-describedby="hb-role-error">
                    <option value="master" selected=s.role == domain::HotBackupRole::Master>"Master MCU"</option>
                    <option value="slave" selected=s.role == domain::HotBackupRole::Slave>"Slave MCU"</option>
                </select>
                <FieldError id="hb-role" field="role" result=result/>
                {settings_fields(&s, result)}
                <label for="hb-password">"Your password"</label>
                <input id="hb-password" name="password" type="password" autocomplete="current-password"
                    aria-describedby="hb-password-help hb-password-error" aria-invalid=invalid(result, "password")/>
                <small id="hb-password-help">"The paired MCU is logged in to as you: the users and passwords are the same on both (G2)."</small>
                <FieldError id="hb-password" field="password" result=result/>
                <FormStatus result=result/>
                <button type="submit" disabled=move || enable.pending().get()>
                    {move || if enable.pending().get() { "Checking the paired MCU…" } else { "Enable Hot Backup" }}
                </button>
            </ActionForm>
        </section>
    }
}

/// The settings an administrator sets when enabling and may change while paired.
fn settings_fields(s: &HotBackupSettings, result: Answer) -> impl IntoView {
    view! {
                <label for="hb-peer">"Paired MCU IP Address"</label>
                <input id="hb-peer" name="peer_address" value=s.peer_address.clone() placeholder="10.0.0.2 or [fd00::2]:3001"
                    aria-describedby="hb-peer-error" aria-invalid=invalid(result, "peer_address")/>
                <FieldError id="hb-peer" field="peer_address" result=result/>
                <label for="hb-heartbeat">"Heartbeat interval (ms)"</label>
                <input id="hb-heartbeat" name="heartbeat_ms" inputmode="numeric" value=s.heartbeat_ms.to_string()
                    aria-describedby="hb-heartbeat-error" aria-invalid=invalid(result, "heartbeat_ms")/>
                <FieldError id="hb-heartbeat" field="heartbeat_ms" result=result/>
                <label for="hb-detection">"Failure detection time (ms)"</label>
                <input id="hb-detection" name="detection_ms" inputmode="numeric" value=s.detection_ms.to_string()
                    aria-describedby="hb-detection-error" aria-invalid=invalid(result, "detection_ms")/>
                <FieldError id="hb-detection" field="detection_ms" result=result/>
                <fieldset>
                    <legend>"Failover triggers"</legend>
                    <label class="check"><input type="checkbox" checked disabled/>"Loss of the management link (always on)"</label>
                    <label class="check"><input type="checkbox" name="signalling_trigger" checked=s.signalling_trigger/>"Signalling link inactive"</label>
                    <label class="check"><input type="checkbox" name="media_trigger" checked=s.media_trigger/>"Media link inactive"</label>
                    <label for="hb-inactivity">"Inactivity time (20–120 s)"</label>
                    <input id="hb-inactivity" name="inactivity_s" inputmode="numeric" value=s.inactivity_s.to_string()
                        aria-describedby="hb-inactivity-error" aria-invalid=invalid(result, "inactivity_s")/>
                    <FieldError id="hb-inactivity" field="inactivity_s" result=result/>
                </fieldset>
                <label for="hb-isolation">"Isolation check address (optional)"</label>
                <input id="hb-isolation" name="isolation_address" value=s.isolation_address.clone() placeholder="the default gateway, e.g. 10.0.0.1:80"
                    aria-describedby="hb-isolation-help hb-isolation-error" aria-invalid=invalid(result, "isolation_address")/>
                <small id="hb-isolation-help">"A Slave that hears neither the Master nor this address is cut off itself and does not take over. Any answer counts, even a refused connection."</small>
                <FieldError id="hb-isolation" field="isolation_address" result=result/>
                <fieldset>
                    <legend>"After a takeover, call the participants again"</legend>
                    <label for="hb-redial-interval">"Redial interval (1–600 s)"</label>
                    <input id="hb-redial-interval" name="redial_interval_s" inputmode="numeric" value=s.redial_interval_s.to_string()
                        aria-describedby="hb-redial-interval-error" aria-invalid=invalid(result, "redial_interval_s")/>
                    <FieldError id="hb-redial-interval" field="redial_interval_s" result=result/>
                    <label for="hb-redial-attempts">"Redial attempts (1–100)"</label>
                    <input id="hb-redial-attempts" name="redial_attempts" inputmode="numeric" value=s.redial_attempts.to_string()
                        aria-describedby="hb-redial-attempts-error" aria-invalid=invalid(result, "redial_attempts")/>
                    <FieldError id="hb-redial-attempts" field="redial_attempts" result=result/>
                </fieldset>
    }
}
