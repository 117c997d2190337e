//! The IP Network Service in tabs as an RMX administrator knows them: H.323 (gatekeeper),
//! SIP, DNS, Security, Fixed Ports, QoS. All but Security apply at once and are mirrored to
//! a Hot Backup Slave; Security stays on this MCU and its passwords never come back to the page.

use crate::api::*;
use crate::components::{count_ok, any_of, Answer, ErrorMsg, FieldError, FormStatus, TextField, Mirrored};
use domain::{QosType, SipTransport};
use leptos::prelude::*;

const TABS: [(&str, &str); 6] =
    [("h323", "H.323"), ("sip", "SIP"), ("dns", "DNS"), ("security", "Security"), ("ports", "Fixed Ports"), ("qos", "QoS")];

fn or_none(s: String) -> String {
    if s.trim().is_empty() {
        "—".into()
    } else {
        s
    }
}

#[component]
pub fn NetworkServiceSection() -> impl IntoView {
    let gk = ServerAction::<SetGatekeeper>::new();
    let sip = ServerAction::<SetSipServers>::new();
    let dns = ServerAction::<SetDns>::new();
    let sec = ServerAction::<SetSecurity>::new();
    let ports = ServerAction::<SetFixedPorts>::new();
    let qos = ServerAction::<SetQos>::new();
    let r = (
        Signal::derive(move || gk.value().get()),
        Signal::derive(move || sip.value().get()),
        Signal::derive(move || dns.value().get()),
        Signal::derive(move || sec.value().get()),
        Signal::derive(move || ports.value().get()),
        Signal::derive(move || qos.value().get()),
    );
    let saved = any_of(vec![count_ok(r.0), count_ok(r.1), count_ok(r.2), count_ok(r.3), count_ok(r.4), count_ok(r.5)]);
    // Reloaded after one of its own saves only: someone else's change does not empty a tab being typed in.
    let data = Resource::new(move || saved.get(), |_| get_network_service());
    let tab = RwSignal::new("h323");
    view! {
        <section class="card">
            <h2>"IP Network Service"</h2>
            <p class="note">"Applied at once and mirrored to a Hot Backup Slave, except Security (this MCU only)."</p>
            <div class="tabs" role="tablist" aria-label="IP Network Service">
                {TABS.into_iter().map(|(key, label)| view! {
                    <button type="button" role="tab" id=format!("tab-{key}") aria-controls=format!("panel-{key}")
                        aria-selected=move || (tab.get() == key).to_string()
                        on:click=move |_| tab.set(key)>{label}</button>
                }).collect_view()}
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(v) => panels(v, tab, (gk, sip, dns, sec, ports, qos), r).into_any(),
                        Err(e) => view! { <ErrorMsg error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

type Actions = (
    ServerAction<SetGatekeeper>,
    ServerAction<SetSipServers>,
    ServerAction<SetDns>,
    ServerAction<SetSecurity>,
    ServerAction<SetFixedPorts>,
    ServerAction<SetQos>,
);

fn panel(key: &'static str, tab: RwSignal<&'static str>, body: AnyView) -> impl IntoView {
    view! {
        <div role="tabpanel" id=format!("panel-{key}") aria-labelledby=format!("tab-{key}") hidden=move || tab.get() != key>
            {body}
        </div>
    }
}

fn panels(v: NetworkServiceView, tab: RwSignal<&'static str>, a: Actions, r: (Answer, Answer, Answer, Answer, Answer, Answer)) -> impl IntoView {
    let s = v.service.clone();
    let can = v.can_manage;
    let save = move |label: &'static str| can.then(|| view! { <button type="submit">{label}</button> });
    let (gk, sip, fp, q) = (s.gatekeeper.clone(), s.sip.clone(), s.fixed_ports.clone(), s.qos.clone());
    let h323 = view! {
        <ActionForm action=a.0 attr:class="form">
            <fieldset disabled=!can>
                <label class="check"><input type="checkbox" name="enabled" checked=gk.enabled/>"Register with a gatekeeper"</label>
                <TextField id="gk-primary" name="primary" label="Primary gatekeeper (IP or host name)" value=gk.primary result=r.0/>
                <TextField id="gk-alternate" name="alternate" label="Alternate gatekeeper" value=gk.alternate result=r.0/>
                <TextField id="gk-prefix" name="prefix" label="MCU prefix in gatekeeper (digits)" value=gk.prefix result=r.0 inputmode="numeric"/>
                <label for="gk-aliases">"H.323 aliases (up to 5, comma-separated)"</label>
                <input id="gk-aliases" name="aliases" value=gk.aliases.join(", ") aria-describedby="gk-aliases-error"
                    aria-invalid=crate::components::invalid(r.0, "aliases")/>
                <FieldError id="gk-aliases" field="aliases" result=r.0/>
            </fieldset>
            <dl class="facts">
                <dt>"Aliases (registered)"</dt><dd>{or_none(v.registered_aliases.join(", "))}</dd>
                <dt>"Host name (registered)"</dt><dd>{or_none(v.registered_host_name.clone())}</dd>
            </dl>
            <FormStatus result=r.0/>
            {save("Save H.323")}
        </ActionForm>
    };
    let sip_form = view! {
        <ActionForm action=a.1 attr:class="form">
            <fieldset disabled=!can>
                <TextField id="sip-registrar" name="registrar" label="SIP registrar (IP or host name)" value=sip.registrar result=r.1/>
                <TextField id="sip-proxy" name="proxy" label="Outbound proxy" value=sip.proxy result=r.1/>
                <label for="sip-transport">"Transport"</label>
                <select id="sip-transport" name="transport" aria-describedby="sip-transport-error">
                    {[("udp", SipTransport::Udp, "UDP"), ("tcp", SipTransport::Tcp, "TCP"), ("tls", SipTransport::Tls, "TLS")].into_iter()
                        .map(|(k, t, l)| view! { <option value=k selected=t == sip.transport>{l}</option> }).collect_view()}
                </select>
                <FieldError id="sip-transport" field="transport" result=r.1/>
            </fieldset>
            <FormStatus result=r.1/>
            {save("Save SIP")}
        </ActionForm>
    };
    let dns_form = view! {
        <ActionForm action=a.2 attr:class="form">
            <fieldset disabled=!can>
                <TextField id="dns-servers" name="dns_servers" label="DNS servers (up to 3, comma-separated)" value=s.dns_servers.join(", ") result=r.2/>
                <TextField id="dns-domain" name="dns_domain" label="Local domain name" value=s.dns_domain.clone() result=r.2/>
            </fieldset>
            <FormStatus result=r.2/>
            {save("Save DNS")}
        </ActionForm>
    };
    let set = |b: bool| if b { "a password is set; type a new one to change it" } else { "no password set" };
    let security = view! {
        <ActionForm action=a.3 attr:class="form">
            <p class="note">"Not copied to the paired MCU (G7). Stored passwords are never shown."</p>
            <fieldset disabled=!can>
                <TextField id="sec-sip-user" name="sip_user" label="SIP authentication user" value=v.security.sip_user.clone() result=r.3/>
                <TextField id="sec-sip-pw" name="sip_password" label=format!("SIP authentication password ({})", set(v.security.sip_password_set)) result=r.3 kind="password"/>
                <TextField id="sec-h323-user" name="h323_user" label="H.323 authentication user" value=v.security.h323_user.clone() result=r.3/>
                <TextField id="sec-h323-pw" name="h323_password" label=format!("H.323 authentication password ({})", set(v.security.h323_password_set)) result=r.3 kind="password"/>
            </fieldset>
            <FormStatus result=r.3/>
            {save("Save security")}
        </ActionForm>
    };
    let ports = view! {
        <ActionForm action=a.4 attr:class="form">
            <p class="note">{format!("Each call needs 2 TCP and 8 UDP ports; this MCU holds {} calls.", v.calls)}</p>
            <fieldset disabled=!can>
                <label class="check"><input type="checkbox" name="enabled" checked=fp.enabled/>"Fixed ports"</label>
                <TextField id="fp-tcp-first" name="tcp_first" label="First TCP port" value=fp.tcp_first.to_string() result=r.4 inputmode="numeric"/>
                <TextField id="fp-tcp-last" name="tcp_last" label="Last TCP port" value=fp.tcp_last.to_string() result=r.4 inputmode="numeric"/>
                <TextField id="fp-udp-first" name="udp_first" label="First UDP port" value=fp.udp_first.to_string() result=r.4 inputmode="numeric"/>
                <TextField id="fp-udp-last" name="udp_last" label="Last UDP port" value=fp.udp_last.to_string() result=r.4 inputmode="numeric"/>
            </fieldset>
            <FormStatus result=r.4/>
            {save("Save fixed ports")}
        </ActionForm>
    };
    let qos_form = view! {
        <ActionForm action=a.5 attr:class="form">
            <p class="note">"Precedence: priority 0–5 (audio 5, video 4). DiffServ: code point 0–63, decimal or hex (0x2E)."</p>
            <fieldset disabled=!can>
                <label class="check"><input type="checkbox" name="enabled" checked=q.enabled/>"QoS"</label>
                <label for="qos-kind">"Type"</label>
                <select id="qos-kind" name="kind" aria-describedby="qos-kind-error">
                    {[("precedence", QosType::Precedence, "Precedence"), ("diffserv", QosType::DiffServ, "DiffServ")].into_iter()
                        .map(|(k, t, l)| view! { <option value=k selected=t == q.kind>{l}</option> }).collect_view()}
                </select>
                <FieldError id="qos-kind" field="kind" result=r.5/>
                <TextField id="qos-audio" name="audio" label="Audio priority" value=q.audio.to_string() result=r.5/>
                <TextField id="qos-video" name="video" label="Video priority" value=q.video.to_string() result=r.5/>
            </fieldset>
            <FormStatus result=r.5/>
            {save("Save QoS")}
        </ActionForm>
    };
    view! {
        {panel("h323", tab, view! { <Mirrored>{h323}</Mirrored> }.into_any())}
        {panel("sip", tab, view! { <Mirrored>{sip_form}</Mirrored> }.into_any())}
        {panel("dns", tab, view! { <Mirrored>{dns_form}</Mirrored> }.into_any())}
        {panel("security", tab, security.into_any())}
        {panel("ports", tab, view! { <Mirrored>{ports}</Mirrored> }.into_any())}
        {panel("qos", tab, view! { <Mirrored>{qos_form}</Mirrored> }.into_any())}
    }
}
