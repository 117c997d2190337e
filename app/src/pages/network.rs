//! The Network page: the IP Network Service (tabs, `netsvc`), and
//! the settings that need a System Reset — management network, the service's own addresses,
//! the Video/Voice Port Configuration — saved as pending and applied by "Reset MCU".

use crate::api::*;
use crate::components::{confirm_click, count_ok, invalid, Answer, ErrorMsg, FieldError, FormStatus};
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
                        <button type="submit" on:click=confirm_click(
                            "Reset the MCU now? It restarts; ongoing calls are dropped for a few seconds.",
                        )>"Reset MCU"</button>
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
                <label for="mg-addr">"Control unit IP address"</label>
                <input id="mg-addr" name="control_unit_address" value=m.control_unit_address disabled=!can
                    aria-describedby="mg-addr-error" aria-invalid=invalid(mgmt_r, "control_unit_address")/>
                <FieldError id="mg-addr" field="control_unit_address" result=mgmt_r/>
                <label for="mg-host">"Host name"</label>
                <input id="mg-host" name="host_name" value=m.host_name disabled=!can
                    aria-describedby="mg-host-error" aria-invalid=invalid(mgmt_r, "host_name")/>
                <FieldError id="mg-host" field="host_name" result=mgmt_r/>
                <label for="mg-dns">"DNS server (optional)"</label>
                <input id="mg-dns" name="dns" value=m.dns disabled=!can aria-describedby="mg-dns-error" aria-invalid=invalid(mgmt_r, "dns")/>
                <FieldError id="mg-dns" field="dns" result=mgmt_r/>
                <FormStatus result=mgmt_r/>
                {can.then(|| view! { <button type="submit">"Save management network"</button> })}
            </ActionForm>
        </section>
        <section class="card">
            <h2>"IP Network Service addresses " <span class="tag">"needs a System Reset"</span></h2>
            <ActionForm action=addrs attr:class="form">
                <label for="ad-sig">"Signalling IP address"</label>
                <input id="ad-sig" name="signalling" value=a.signalling disabled=!can
                    aria-describedby="ad-sig-error" aria-invalid=invalid(addrs_r, "signalling")/>
                <FieldError id="ad-sig" field="signalling" result=addrs_r/>
                <label for="ad-media">"Media IP address"</label>
                <input id="ad-media" name="media" value=a.media disabled=!can
                    aria-describedby="ad-media-error" aria-invalid=invalid(addrs_r, "media")/>
                <FieldError id="ad-media" field="media" result=addrs_r/>
                <FormStatus result=addrs_r/>
                {can.then(|| view! { <button type="submit">"Save addresses"</button> })}
            </ActionForm>
        </section>
        {s.has_port_configuration.then(|| view! {
            <section class="card">
                <h2>"Video/Voice Port Configuration " <span class="tag">"needs a System Reset"</span></h2>
                <p class="note">"Not copied to the paired MCU: set the same level on both by hand (G10)."</p>
                <ActionForm action=ports attr:class="form">
                    <label for="pc-video">"Video ports"</label>
                    <input id="pc-video" name="video_ports" inputmode="numeric" value=p.video_ports.to_string() disabled=!can
                        aria-describedby="pc-video-error" aria-invalid=invalid(ports_r, "video_ports")/>
                    <FieldError id="pc-video" field="video_ports" result=ports_r/>
                    <label for="pc-res">"Video resolution"</label>
                    <select id="pc-res" name="video_resolution" disabled=!can>
                        {[("cif", domain::Resolution::Cif), ("sd", domain::Resolution::Sd), ("hd720", domain::Resolution::Hd720), ("hd1080", domain::Resolution::Hd1080)]
                            .into_iter()
                            .map(|(k, r)| view! { <option value=k selected=r == p.video_resolution>{r.label()}</option> })
                            .collect_view()}
                    </select>
                    <label for="pc-voice">"Voice ports"</label>
                    <input id="pc-voice" name="voice_ports" inputmode="numeric" value=p.voice_ports.to_string() disabled=!can
                        aria-describedby="pc-voice-error" aria-invalid=invalid(ports_r, "voice_ports")/>
                    <FieldError id="pc-voice" field="voice_ports" result=ports_r/>
                    <FormStatus result=ports_r/>
                    {can.then(|| view! { <button type="submit">"Save port configuration"</button> })}
                </ActionForm>
            </section>
        })}
    }
}
