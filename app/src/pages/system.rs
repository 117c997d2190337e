//! The System page: identity, uptime and where the data lives; the port alarm threshold.

use crate::api::{get_system_status, BackupConfiguration, ResetMcu, SetPortThreshold};
use crate::components::{danger_confirm, ErrorMsg, FormStatus};
use domain::timefmt::format_duration_s;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SystemPage() -> impl IntoView {
    let status = Resource::new(|| (), |_| get_system_status());
    let backup = ServerAction::<BackupConfiguration>::new();
    let threshold = ServerAction::<SetPortThreshold>::new();
    let threshold_r: crate::components::Answer = Signal::derive(move || threshold.value().get());
    let reset = ServerAction::<ResetMcu>::new();
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
