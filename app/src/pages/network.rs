//! The Network page: the IP Network Service (tabs, `netsvc`), and
//! the settings that need a System Reset — management network, the service's own addresses,
//! the Video/Voice Port Configuration — saved as pending and applied by "Reset MCU".

use crate::api::*;
use crate::components::{count_ok, danger_confirm, Answer, ErrorMsg, FieldError, FormStatus, TextField};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;


#[component]
pub fn NetworkPage() -> impl IntoView {
    let mgmt = ServerAction::<SetManagementNetwork>::new();
    let addrs = ServerAction::<SetNetworkAddresses>::new();
    let ports = ServerAction::<SetPortConfiguration>::new();
    let reset = ServerAction::<ResetMcu>::new();
    let ok = [mgmt.value(), addrs.value(), ports.value()].map(|v| count_ok(Signal::derive(move || v.get())));
    let settings = Resource::new(move || ok.map(|n| n.get()), |_| get_reset_settings());
    // After a reset, load the page again once the MCU is back.
    Effect::new(move |_| {
        if matches!(reset.value().get(), Some(Ok(_))) {
            set_timeout(move || { let _ = window().location().reload(); }, std::time::Duration::from_secs(4));
        }
    });
    let answers = (
        Signal::derive(move || mgmt.value().get()),
        Signal::derive(move || addrs.value().get()),
        Signal::derive(move || ports.value().get()),
    );
    view! {
        <Title text="Network"/>
        <h1>"Network"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(s) => Either::Left(reset_section(s, mgmt, addrs, ports, reset, answers)),
                    Err(e) => Either::Right(view! { <ErrorMsg error=e/> }),
                }
            })}
        </Transition>
        <super::netsvc::NetworkServiceSection/>
    }
}

fn reset_section(
    s: ResetSettings,
    mgmt: ServerAction<SetManagementNetwork>,
    addrs: ServerAction<SetNetworkAddresses>,
    ports: ServerAction<SetPortConfiguration>,
    reset: ServerAction<ResetMcu>,
    (mgmt_r, addrs_r, ports_r): (Answer, Answer, Answer),
) -> impl IntoView {
    let pending = s.pending.clone();
    let can = s.can_manage;
    let reset_r: Answer = Signal::derive(move || reset.value().get());
    let banner = (!pending.is_empty()).then(|| {
        let mut what = Vec::new();
        if pending.management.is_some() { what.push("management network"); }
        if pending.addresses.is_some() { what.push("IP Network Service addresses"); }
        if pending.ports.is_some() { what.push("Video/Voice Port Configuration"); }
        view! {
            <div class="banner" role="status">
                <p>{format!("Waiting for a System Reset: {}.", what.join(", "))}</p>
                {can.then(|| view! {
                    <ActionForm action=reset>
                        {danger_confirm("reset-dialog", "Reset MCU", s.ongoing.reset(&s.mcu), Some(s.mcu.clone()), reset.pending().into())}
                    </ActionForm>
                })}
                <FormStatus result=reset_r/>
            </div>
        }
    });
    let hb_note = s.hot_backup_enabled.then(|| view! {
        <p class="note">"Hot Backup is enabled: settings that need a System Reset cannot be changed until it is disabled on both MCUs (G9)."</p>
    });
    let m = s.management.clone();
    let a = s.addresses.clone();
    let p = s.ports.clone();
    view! {
        {banner}
        {hb_note}
        <section class="card">
            <h2>"Management Network " <span class="tag">"needs a System Reset"</span></h2>
            <ActionForm action=mgmt attr:class="form">
                <fieldset disabled=!can>
                    <TextField id="mg-addr" name="control_unit_address" label="Control unit IP address" value=m.control_unit_address result=mgmt_r/>
                    <TextField id="mg-host" name="host_name" label="Host name" value=m.host_name result=mgmt_r/>
                    <TextField id="mg-dns" name="dns" label="DNS server (optional)" value=m.dns result=mgmt_r/>
                </fieldset>
                <FormStatus result=mgmt_r/>
                {can.then(|| view! { <button type="submit">"Save management network"</button> })}
            </ActionForm>
        </section>
        <section class="card">
            <h2>"IP Network Service addresses " <span class="tag">"needs a System Reset"</span></h2>
            <ActionForm action=addrs attr:class="form">
                <fieldset disabled=!can>
                    <TextField id="ad-sig" name="signalling" label="Signalling IP address" value=a.signalling result=addrs_r/>
                    <TextField id="ad-media" name="media" label="Media IP address" value=a.media result=addrs_r/>
                </fieldset>
                <FormStatus result=addrs_r/>
                {can.then(|| view! { <button type="submit">"Save addresses"</button> })}
            </ActionForm>
        </section>
        {s.has_port_configuration.then(|| view! {
            <section class="card">
                <h2>"Video/Voice Port Configuration " <span class="tag">"needs a System Reset"</span></h2>
                <p class="note">"Not copied to the paired MCU: set the same level on both by hand (G10)."</p>
                <ActionForm action=ports attr:class="form">
                    <fieldset disabled=!can>
                        <TextField id="pc-video" name="video_ports" label="Video ports" value=p.video_ports.to_string() result=ports_r inputmode="numeric"/>
                        <label for="pc-res">"Video resolution"</label>
                        <select id="pc-res" name="video_resolution" aria-describedby="pc-res-error">
                            {domain::Resolution::ALL.into_iter()
                                .map(|r| view! { <option value=r.key() selected=r == p.video_resolution>{r.label()}</option> })
                                .collect_view()}
                        </select>
                        <FieldError id="pc-res" field="video_resolution" result=ports_r/>
                        <TextField id="pc-voice" name="voice_ports" label="Voice ports" value=p.voice_ports.to_string() result=ports_r inputmode="numeric"/>
                    </fieldset>
                    <FormStatus result=ports_r/>
                    {can.then(|| view! { <button type="submit">"Save port configuration"</button> })}
                </ActionForm>
            </section>
        })}
    }
}
