//! The System page: identity, uptime and where the data lives; the port alarm threshold;
//! backups (into the data folder, or downloaded) and restoring an uploaded one at the next
//! System Reset; the reset.

use crate::api::{get_system_status, BackupConfiguration, DiscardRestore, ResetMcu, SetPasswordPolicy, SetPortThreshold};
use crate::components::{danger_confirm, ErrorMsg, FormStatus};
use domain::timefmt::format_duration_s;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SystemPage() -> impl IntoView {
    let backup = ServerAction::<BackupConfiguration>::new();
    let threshold = ServerAction::<SetPortThreshold>::new();
    let threshold_r: crate::components::Answer = Signal::derive(move || threshold.value().get());
    let reset = ServerAction::<ResetMcu>::new();
    let discard = ServerAction::<DiscardRestore>::new();
    let policy = ServerAction::<SetPasswordPolicy>::new();
    // An upload's answer, and a count of those kept (the status is read again after each).
    let uploaded = RwSignal::new(None::<Result<String, String>>);
    let status = Resource::new(move || (discard.version().get(), uploaded.with(|u| matches!(u, Some(Ok(_))))), |_| get_system_status());
    // After a reset, load the page again once the MCU is back.
    Effect::new(move |_| {
        if matches!(reset.value().get(), Some(Ok(_))) {
            set_timeout(move || { let _ = window().location().reload(); }, std::time::Duration::from_secs(4));
        }
    });
    view! {
        <Title text="System"/>
        <h1>"System"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(s) => Either::Left({
                        let restore = restore_card(&s, discard, uploaded);
                        let passwords = policy_card(&s, policy);
                        let reset_dialog = s.can_manage.then(|| {
                            danger_confirm("reset-dialog", "Reset MCU", s.ongoing.reset(&s.info.name), Some(s.info.name.clone()), reset.pending().into())
                        });
                        view! {
                        <dl class="card facts">
                            <dt>"MCU name"</dt><dd data-testid="system-name">{s.info.name}</dd>
                            <dt>"Model"</dt><dd>{s.info.model.label()}</dd>
                            <dt>"Software version"</dt><dd>{s.info.version}</dd>
                            <dt>"Uptime"</dt><dd>{format_duration_s(s.uptime_s)}</dd>
                            <dt>"Data folder"</dt><dd class="path">{s.data_dir}</dd>
                            <dt>"Users"</dt><dd>{s.users}</dd>
                            <dt>"Changes logged"</dt><dd>{s.change_log_seq}</dd>
                        </dl>
                        <section class="card" aria-labelledby="ports-h">
                            <h2 id="ports-h">"Port alarm"</h2>
                            <p class="note">"Alarm 8217 is raised while this share of the MCU's ports is in use (the header's gauge turns amber)."</p>
                            {if s.can_manage {
                                Either::Left(view! {
                                    <ActionForm action=threshold attr:class="form inline">
                                        <div class="field">
                                            <crate::components::TextField id="port-threshold" name="port_threshold" label="Threshold (%)"
                                                inputmode="numeric" value=s.port_threshold.to_string() result=threshold_r/>
                                        </div>
                                        <button type="submit">"Save threshold"</button>
                                    </ActionForm>
                                    <FormStatus result=threshold_r/>
                                })
                            } else {
                                Either::Right(view! { <p data-testid="port-threshold">{format!("Threshold: {} %", s.port_threshold)}</p> })
                            }}
                        </section>
                        {passwords}
                        {restore}
                        {s.can_manage.then(|| view! {
                            <section class="card actions-card" aria-label="Maintenance">
                                <h2>"Maintenance"</h2>
                                <p class="note">"A backup is a consistent copy of this MCU's database, taken while it runs, kept in its data folder (it holds password hashes: it never leaves the MCU)."</p>
                                <ActionForm action=backup attr:class="inline">
                                    <button type="submit" data-testid="backup">"Backup configuration"</button>
                                </ActionForm>
                                <FormStatus result=Signal::derive(move || backup.value().get())/>
                                <div class="danger-zone">
                                    <ActionForm action=reset attr:class="inline">
                                        {reset_dialog}
                                    </ActionForm>
                                </div>
                                <FormStatus result=Signal::derive(move || reset.value().get())/>
                            </section>
                        })}
                    }}),
                    Err(e) => Either::Right(view! { <ErrorMsg error=e/> }),
                }
            })}
        </Transition>
    }
}

/// Download a backup (Administrator, Administrator Read-only); upload one to restore at the
/// next System Reset (Administrator; not while Hot Backup is on).
fn restore_card(s: &domain::SystemStatus, discard: ServerAction<DiscardRestore>, uploaded: RwSignal<Option<Result<String, String>>>) -> Option<impl IntoView> {
    (s.can_download || s.can_manage).then(|| {
        let download = s.can_download.then(|| view! {
            <p>
                <a class="button-link" href="/api/backup.sqlite3" download="" rel="external" data-testid="download-backup">"Download backup"</a>
            </p>
            <p class="note">"The configuration only: profiles, meeting rooms, entry queues, IVR services, recording links, reservations and the IP Network Service. No user, password, session, pairing or certificate is in it."</p>
        });
        let pending = s.pending_restore.clone().map(|p| view! {
            <p class="ok" data-testid="pending-restore">{format!("Restored at the next System Reset: the backup of {p}.")}</p>
            {
                let can = s.can_manage;
                can.then(|| view! {
                    <ActionForm action=discard attr:class="inline">
                        <button type="submit" class="secondary">"Discard this backup"</button>
                    </ActionForm>
                })
            }
        });
        let hb_on = s.hot_backup_on;
        let upload = s.can_manage.then(|| {
            let busy = RwSignal::new(false);
            let send = move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                send_backup(busy, uploaded);
            };
            view! {
                <form class="form" on:submit=send>
                    <label for="restore-file">"Backup file to restore"</label>
                    <input id="restore-file" type="file" accept=".sqlite3,application/vnd.sqlite3" disabled=hb_on
                        aria-describedby="restore-file-note restore-file-error"/>
                    <p class="note" id="restore-file-note">{if hb_on {
                        "Hot Backup is on: disable it on both MCUs first (G9); then restore on the one that will be Master."
                    } else {
                        "Checked at once (integrity, version, model); the configuration is replaced at the next System Reset. Users, pairing and this MCU's own settings stay."
                    }}</p>
                    <button type="submit" disabled=move || hb_on || busy.get()>"Upload backup"</button>
                    <p id="restore-file-error" role="status" class=move || match uploaded.get() { Some(Err(_)) => "error", Some(Ok(_)) => "ok", None => "" }>
                        {move || match uploaded.get() { Some(Ok(m)) | Some(Err(m)) => m, None => String::new() }}
                    </p>
                </form>
            }
        });
        view! {
            <section class="card" aria-labelledby="restore-h">
                <h2 id="restore-h">"Backup and restore"</h2>
                {download}
                {pending}
                <FormStatus result=Signal::derive(move || discard.value().get())/>
                {upload}
            </section>
        }
    })
}

/// Sends the chosen file to the MCU and says what it answered.
fn send_backup(busy: RwSignal<bool>, answer: RwSignal<Option<Result<String, String>>>) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsValue;
        use leptos::web_sys::js_sys::Reflect;
        let file = document()
            .get_element_by_id("restore-file")
            .and_then(|input| Reflect::get(&input, &JsValue::from_str("files")).ok())
            .and_then(|files| Reflect::get(&files, &JsValue::from_f64(0.0)).ok())
            .filter(|f| !f.is_undefined() && !f.is_null());
        let Some(file) = file else {
            answer.set(Some(Err("Choose a backup file first.".into())));
            return;
        };
        busy.set(true);
        answer.set(None);
        leptos::task::spawn_local(async move {
            let sent = match gloo_net::http::Request::post("/api/restore_backup").header("Content-Type", "application/vnd.sqlite3").body(file) {
                Ok(request) => request.send().await,
                Err(e) => Err(e),
            };
            let said = match sent {
                Ok(res) => {
                    let ok = res.ok();
                    let text = res.text().await.unwrap_or_default();
                    if ok { Ok(text) } else { Err(if text.is_empty() { format!("Refused ({}).", res.status()) } else { text }) }
                }
                Err(e) => Err(format!("Could not reach the MCU ({e}). Check the connection and try again.")),
            };
            answer.set(Some(said));
            busy.set(false);
        });
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (busy, answer);
    }
}

/// The password policy: every password set from now on is checked against it.
fn policy_card(s: &domain::SystemStatus, save: ServerAction<SetPasswordPolicy>) -> impl IntoView {
    let p = s.password_policy;
    let r: crate::components::Answer = Signal::derive(move || save.value().get());
    let form = s.can_manage.then(|| {
        view! {
            <ActionForm action=save attr:class="form inline">
                <div class="field">
                    <crate::components::TextField id="pp-min" name="min_length" label="Minimum length (8–64)" inputmode="numeric" value=p.min_length.to_string() result=r/>
                </div>
                <div class="field">
                    <crate::components::TextField id="pp-days" name="expiry_days" label="Days a password lasts (0 = never expires)" inputmode="numeric" value=p.expiry_days.to_string() result=r/>
                </div>
                <label class="check"><input type="checkbox" name="reject_common" checked=p.reject_common/>"Refuse common passwords"</label>
                <button type="submit" disabled=move || save.pending().get()>"Save password policy"</button>
            </ActionForm>
            <FormStatus result=r/>
        }
    });
    view! {
        <section class="card" aria-labelledby="pp-h">
            <h2 id="pp-h">"Password policy"</h2>
            <p data-testid="password-policy">{p.describe()}</p>
            <p class="note">"Checked on every new password (added users, changes, each user's own). An expired password is changed at the next login. G2: set the same policy on the paired MCU."</p>
            {form}
        </section>
    }
}
