//! One ongoing conference: its participants and what an operator does to them. Reloaded on
//! every change the server announces, so dial-ins and changes made elsewhere show up at once.

use crate::api::{get_conference, AddParticipant, ConferenceDetail, ParticipantAction, TerminateConference};
use crate::components::{confirm_click, count_ok, invalid, ErrorMsg, FieldError, FormStatus, Mirrored};
use domain::timefmt::format_utc;
use domain::{Direction, Participant, ParticipantState, Protocol};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ConferencePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let add = ServerAction::<AddParticipant>::new();
    let act = ServerAction::<ParticipantAction>::new();
    let terminate = ServerAction::<TerminateConference>::new();
    let add_r = Signal::derive(move || add.value().get());
    let act_r = Signal::derive(move || act.value().get());
    let term_r = Signal::derive(move || terminate.value().get());
    let (added, acted) = (count_ok(add_r), count_ok(act_r));
    let live = crate::live::use_live_changes();
    let detail = Resource::new(move || (id(), live.get(), added.get(), acted.get()), |(id, ..)| get_conference(id));
    // The controls (add form, terminate) are rebuilt only by this user's own successful adds.
    let controls = Resource::new(move || (id(), added.get()), |(id, _)| get_conference(id));
    view! {
        <Title text="Conference"/>
        <p><a href="/conferences">"← Conferences"</a></p>
        <FormStatus result=act_r/>
        <FormStatus result=term_r/>
        <Mirrored>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => Either::Left(conference_view(d, act)),
                    Err(e) => Either::Right(view! { <ErrorMsg error=e/> }),
                }
            })}
        </Transition>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                controls.await.ok().filter(|d| d.can_run).map(|d| conference_controls(d, add, terminate, add_r))
            })}
        </Transition>
        </Mirrored>
    }
}

fn conference_controls(
    d: ConferenceDetail,
    add: ServerAction<AddParticipant>,
    terminate: ServerAction<TerminateConference>,
    add_r: Signal<Option<Result<String, crate::error::AppError>>>,
) -> impl IntoView {
    let c = d.conference;
    let (cid_add, cid_term) = (c.id.clone(), c.id.clone());
    let confirm = format!("Terminate '{}'? All its participants are disconnected.", c.name);
    view! {
        <details class="card">
            <summary>"Add participant (dial out)"</summary>
            <ActionForm action=add attr:class="form inline">
                <input type="hidden" name="conference_id" value=cid_add/>
                <div class="field">
                    <label for="p-name">"Participant name"</label>
                    <input id="p-name" name="name" aria-describedby="p-name-error" aria-invalid=invalid(add_r, "name")/>
                    <FieldError id="p-name" field="name" result=add_r/>
                </div>
                <div class="field">
                    <label for="p-addr">"Address (IP, H.323 alias or SIP URI)"</label>
                    <input id="p-addr" name="address" aria-describedby="p-addr-error" aria-invalid=invalid(add_r, "address")/>
                    <FieldError id="p-addr" field="address" result=add_r/>
                </div>
                <div class="field">
                    <label for="p-proto">"Network"</label>
                    <select id="p-proto" name="protocol">
                        <option value="h323">"H.323"</option>
                        <option value="sip">"SIP"</option>
                    </select>
                </div>
                <button type="submit" disabled=move || add.pending().get()>"Add and dial"</button>
            </ActionForm>
            <FormStatus result=add_r/>
        </details>
        <ActionForm action=terminate attr:class="terminate">
            <input type="hidden" name="id" value=cid_term/>
            <button type="submit" class="danger" on:click=confirm_click(confirm)>"Terminate conference"</button>
        </ActionForm>
    }
}

fn conference_view(d: ConferenceDetail, act: ServerAction<ParticipantAction>) -> impl IntoView {
    let c = d.conference.clone();
    let connected = d.participants.iter().filter(|p| p.state == ParticipantState::Connected).count();
    let total = d.participants.len();
    let can = d.can_run;
    view! {
        <h1>{c.name.clone()}</h1>
        <dl class="card facts">
            <dt>"ID"</dt><dd>{c.numeric_id.clone()}</dd>
            <dt>"Start Time"</dt><dd>{format_utc(c.start_ms)}</dd>
            <dt>"Participants"</dt><dd data-testid="participant-count">{format!("({connected}/{total})")}</dd>
            <dt>"MCU ports in use"</dt><dd>{format!("{} of {}", d.connected_on_mcu, d.capacity)}</dd>
        </dl>
        {if d.participants.is_empty() {
            Either::Left(view! { <p class="empty">"No participants yet."</p> })
        } else {
            Either::Right(view! {
                <table class="list">
                    <caption>{format!("Participants ({connected}/{total})")}</caption>
                    <thead><tr>
                        <th scope="col">"Name"</th><th scope="col">"Status"</th><th scope="col">"Address"</th>
                        <th scope="col">"Network"</th><th scope="col">"Dialing Direction"</th><th scope="col">"Audio"</th>
                        <th scope="col">"Video"</th><th scope="col">"Role"</th>
                        {can.then(|| view! { <th scope="col">"Actions"</th> })}
                    </tr></thead>
                    <tbody>
                        {d.participants.into_iter().map(|p| participant_row(p, can, act)).collect_view()}
                    </tbody>
                </table>
            })
        }}
    }
}

fn participant_row(p: Participant, can: bool, act: ServerAction<ParticipantAction>) -> impl IntoView {
    let status = match p.state {
        ParticipantState::Connecting => "Connecting",
        ParticipantState::Connected => "Connected",
        ParticipantState::Disconnected => "Disconnected",
    };
    let buttons: Vec<(&'static str, String)> = vec![
        if p.state == ParticipantState::Connected { ("disconnect", "Disconnect".into()) } else { ("connect", "Connect".into()) },
        if p.audio_muted { ("unmute_audio", "Unmute audio".into()) } else { ("mute_audio", "Mute audio".into()) },
        if p.video_muted { ("unmute_video", "Resume video".into()) } else { ("mute_video", "Suspend video".into()) },
        if p.chairperson { ("make_regular", "Make regular".into()) } else { ("make_chairperson", "Make chairperson".into()) },
        ("delete", "Delete".into()),
    ];
    let name = p.name.clone();
    let pid = p.id.clone();
    view! {
        <tr data-participant=p.name.clone()>
            <td data-label="Name">{p.name.clone()}</td>
            <td data-label="Status">{status}</td>
            <td data-label="Address">{p.address.clone()}</td>
            <td data-label="Network">{match p.protocol { Protocol::H323 => "H.323", Protocol::Sip => "SIP" }}</td>
            <td data-label="Dialing Direction">{match p.direction { Direction::DialIn => "Dial-in", Direction::DialOut => "Dial-out" }}</td>
            <td data-label="Audio">{if p.audio_muted { "Muted" } else { "On" }}</td>
            <td data-label="Video">{if p.video_muted { "Suspended" } else { "On" }}</td>
            <td data-label="Role">{if p.chairperson { "Chairperson" } else { "—" }}</td>
            {can.then(|| view! {
                <td data-label="Actions"><div class="actions">
                    {buttons.into_iter().map(|(action, label)| {
                        let aria = format!("{label} {name}");
                        let pid = pid.clone();
                        view! {
                            <ActionForm action=act attr:class="mini">
                                <input type="hidden" name="participant_id" value=pid/>
                                <input type="hidden" name="action" value=action/>
                                <button type="submit" class:danger=action == "delete" aria-label=aria>{label}</button>
                            </ActionForm>
                        }
                    }).collect_view()}
                </div></td>
            })}
        </tr>
    }
}
