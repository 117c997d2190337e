//! The Conferences list: ongoing conferences with live participant counts, and the form
//! that starts one. Tables turn into cards on a phone (see `data-label`).

use crate::api::*;
use crate::components::{count_ok, invalid, list_table, CreatedStatus, ErrorMsg, FieldError, FormStatus, Mirrored, Simulation, TextField};
use crate::localtime::LocalTime;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ConferencesPage() -> impl IntoView {
    let add = ServerAction::<AddConference>::new();
    let unlock = ServerAction::<EnterChairpersonPassword>::new();
    let dial = ServerAction::<SimulateDialIn>::new();
    let started = Signal::derive(move || add.value().get());
    let result = Signal::derive(move || started.get().map(|r| r.map(|s| s.message)));
    let unlock_r = Signal::derive(move || unlock.value().get());
    let dial_r = Signal::derive(move || dial.value().get());
    // A new conference's form empties after a success; a chairperson password never stays.
    let (new_form, unlock_form, chair_pw) = (NodeRef::new(), NodeRef::new(), NodeRef::new());
    crate::components::finish_cleanly(new_form, Vec::new(), result);
    crate::components::finish_cleanly(unlock_form, vec![chair_pw], unlock_r);
    let live = crate::live::use_live_changes();
    let (added, opened, dialled) = (count_ok(result), count_ok(unlock_r), count_ok(dial_r));
    let rows = Resource::new(move || (added.get(), opened.get(), dialled.get(), live.get()), |_| list_conferences());
    let user = use_context::<crate::components::CurrentUser>();
    let chairperson = user.as_ref().is_some_and(|u| u.0.role == domain::Role::Chairperson);
    let can_run = user.is_some_and(|u| u.0.role.can(domain::Permission::RunConferences));
    let simulate = use_context::<Simulation>().is_some_and(|s| s.0) && can_run;
    let profiles = Resource::new(|| (), |_| get_profile_choices());
    // After Terminate the conference page comes back here with the ended conference's ID
    // (digits only: nothing else from the address is shown).
    let ended = crate::nav::query_value("ended").filter(|v| !v.is_empty() && v.len() <= 8 && v.bytes().all(|b| b.is_ascii_digit()));
    let alerts = crate::nav::query_value("alerts").is_some().then(|| {
        let list = Resource::new(move || live.get(), |_| list_participant_alerts());
        view! {
            <section class="card" aria-labelledby="alerts-h" id="participant-alerts">
                <h2 id="alerts-h">"Participant alerts"</h2>
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match list.await {
                            Ok(rows) => alert_table(rows),
                            Err(e) => view! { <ErrorMsg error=e/> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        }
    });
    view! {
        <Title text="Conferences"/>
        <h1>"Conferences"</h1>
        {alerts}
        {ended.map(|id| view! { <p class="ok" role="status">{format!("Conference {id} was terminated.")}</p> })}
        {chairperson.then(|| view! {
            <section class="card" aria-labelledby="chair-h">
                <h2 id="chair-h">"Chairperson access"</h2>
                <p class="note">"As a Chairperson you see the conferences you started. To run another, enter its chairperson password."</p>
                <ActionForm action=unlock node_ref=unlock_form attr:class="form inline">
                    <div class="field">
                        <label for="chair-pw">"Chairperson password"</label>
                        <input id="chair-pw" node_ref=chair_pw name="password" type="password" inputmode="numeric" autocomplete="off"
                            aria-describedby="chair-pw-error" aria-invalid=invalid(unlock_r, "password")/>
                        <FieldError id="chair-pw" field="password" result=unlock_r/>
                    </div>
                    <button type="submit">"Open"</button>
                </ActionForm>
                <FormStatus result=unlock_r/>
            </section>
        })}
        <Mirrored>
        // Only for a role that may start one (an Auditor sees the list, not the form).
        {can_run.then(|| view! {
        <details class="card">
            <summary>"New conference"</summary>
            <ActionForm action=add node_ref=new_form attr:class="form inline">
                <div class="field">
                    <label for="conf-name">"Conference name"</label>
                    <input id="conf-name" name="name" aria-describedby="conf-name-error" aria-invalid=invalid(result, "name")/>
                    <FieldError id="conf-name" field="name" result=result/>
                </div>
                <div class="field">
                    <label for="conf-id">"ID"</label>
                    <input id="conf-id" name="numeric_id" inputmode="numeric" placeholder="next free" aria-describedby="conf-id-error" aria-invalid=invalid(result, "numeric_id")/>
                    <FieldError id="conf-id" field="numeric_id" result=result/>
                </div>
                <div class="field">
                    <label for="conf-profile">"Profile"</label>
                    <select id="conf-profile" name="profile_id" aria-describedby="conf-profile-error">
                        <option value="">"Default"</option>
                        <Transition fallback=|| ()>
                            {move || Suspend::new(async move {
                                profiles.await.unwrap_or_default().into_iter()
                                    .map(|p| view! { <option value=p.id>{p.name}</option> }).collect_view()
                            })}
                        </Transition>
                    </select>
                    <FieldError id="conf-profile" field="profile_id" result=result/>
                </div>
                <div class="field">
                    <label for="conf-duration">"Duration (H:MM; empty = until terminated)"</label>
                    <input id="conf-duration" name="duration" aria-describedby="conf-duration-error" aria-invalid=invalid(result, "duration")/>
                    <FieldError id="conf-duration" field="duration" result=result/>
                </div>
                <button type="submit" disabled=move || add.pending().get()>"Start conference"</button>
            </ActionForm>
            <CreatedStatus result=started open="Open the conference"/>
        </details>
        })}
        {simulate.then(|| simulate_form(dial, dial_r))}
        </Mirrored>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match rows.await {
                    Ok(rows) => conference_table(rows),
                    Err(e) => view! { <ErrorMsg error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// "Simulate a call" (only on an MCU started with `--simulate`): a caller dials a number
/// and keys in what the IVR asks for, as a demo or a test would have it.
fn simulate_form(dial: ServerAction<SimulateDialIn>, res: crate::components::Answer) -> impl IntoView {
    // Made when opened (in the browser): a form on every load of the list costs a quarter
    // of its rendering, for a demo tool most loads never open.
    let open = RwSignal::new(false);
    let toggled = move |ev: leptos::ev::Event| {
        use leptos::wasm_bindgen::JsCast;
        if let Some(d) = ev.target().and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok()) {
            open.set(d.has_attribute("open"));
        }
    };
    view! {
        <details class="card" id="simulate-call" on:toggle=toggled>
            <summary>"Simulate a call (dial-in)"</summary>
            {move || open.get().then(|| simulate_fields(dial, res))}
        </details>
    }
}

fn simulate_fields(dial: ServerAction<SimulateDialIn>, res: crate::components::Answer) -> impl IntoView {
    view! {
            <p class="note">"Calls are simulated on this MCU. A caller dials a conference, meeting room or entry queue number; \
                an entry queue's IVR then asks for the conference ID and password: key the answers in below, separated by #."</p>
            <ActionForm action=dial attr:class="form inline">
                <div class="field"><TextField id="sim-number" name="numeric_id" label="Number dialled" inputmode="numeric" result=res/></div>
                <div class="field"><TextField id="sim-name" name="name" label="Caller name" result=res/></div>
                <div class="field"><TextField id="sim-address" name="address" label="Caller address (IP, alias or SIP URI)" result=res/></div>
                <div class="field">
                    <label for="sim-proto">"Network"</label>
                    <select id="sim-proto" name="protocol">
                        <option value="h323">"H.323"</option>
                        <option value="sip">"SIP"</option>
                    </select>
                </div>
                <div class="field"><TextField id="sim-digits" name="digits" label="Keyed in (e.g. 4300#1234#)" placeholder="optional" result=res/></div>
                <button type="submit" disabled=move || dial.pending().get()>"Place the call"</button>
            </ActionForm>
            <FormStatus result=res/>
    }
}

/// The participants an operator should look at, each linking to its conference.
fn alert_table(rows: Vec<ParticipantAlert>) -> AnyView {
    let rows = rows
        .into_iter()
        .map(|a| {
            let href = format!("/conferences/{}", a.conference_id);
            let key = a.name.clone();
            view! {
                <tr data-alert=key>
                    <td data-label="Name">{a.name}</td>
                    <td data-label="Status" class="status" data-state=a.state.css()>{a.state.label()}</td>
                    <td data-label="Address">{a.address}</td>
                    <td data-label="Conference"><a href=href>{a.conference}</a></td>
                </tr>
            }
            .into_any()
        })
        .collect();
    list_table("Participant alerts", "No participant needs an operator now.", &["Name", "Status", "Address", "Conference"], false, rows)
}

fn conference_table(rows: Vec<ConferenceRow>) -> AnyView {
    let rows = rows
        .into_iter()
        .map(|r| {
            let (href, key) = (format!("/conferences/{}", r.conference.id), r.conference.name.clone());
            view! {
                <tr data-conference=key>
                    <td data-label="Name"><a href=href>{r.conference.name}</a>
                        {r.conference.entry_queue.then(|| view! { " "<span class="tag">"Entry queue · awaiting operator"</span> })}
                        {r.conference.recording.map(|b| view! { " "<span class="tag tag-rec" data-testid="rec">{b}</span> })}</td>
                    <td data-label="ID">{r.conference.numeric_id}</td>
                    <td data-label="Start Time"><LocalTime ms=r.conference.start_ms/></td>
                    <td data-label="End Time">{match r.conference.end_ms { Some(e) => view! { <LocalTime ms=e/> }.into_any(), None => view! { "—" }.into_any() }}</td>
                    <td data-label="Participants">{format!("({}/{})", r.connected, r.participants)}</td>
                </tr>
            }
            .into_any()
        })
        .collect();
    list_table("Conferences", "No ongoing conferences. Start one with the form above, or from a meeting room.", &["Name", "ID", "Start Time", "End Time", "Participants"], false, rows)
}

/// The Resource Report (as on the original): video and voice ports occupied, free and in
/// all, and the conferences holding them; live.
#[component]
pub fn ResourceReportPage() -> impl IntoView {
    let live = crate::live::use_live_changes();
    let report = Resource::new(move || live.get(), |_| get_resource_report());
    view! {
        <Title text="Resource Report"/>
        <h1>"Resource Report"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(r) => {
                        let types = r.types.into_iter().map(|t| {
                            let key = t.kind.clone();
                            view! {
                            <tr data-type=key>
                                <td data-label="Type">{t.kind}</td>
                                <td data-label="Occupied">{t.occupied}</td>
                                <td data-label="Free">{t.free}</td>
                                <td data-label="Total">{t.total}</td>
                            </tr>
                        }.into_any()}).collect();
                        let confs = r.conferences.into_iter().map(|c| {
                            let (href, key) = (format!("/conferences/{}", c.id), c.name.clone());
                            view! {
                                <tr data-conference=key>
                                    <td data-label="Conference"><a href=href>{c.name}</a></td>
                                    <td data-label="ID">{c.numeric_id}</td>
                                    <td data-label="Video">{c.video}</td>
                                    <td data-label="Audio only">{c.audio_only}</td>
                                </tr>
                            }.into_any()
                        }).collect();
                        view! {
                            {list_table("Ports by type", "", &["Type", "Occupied", "Free", "Total"], false, types)}
                            <h2>"Conferences using ports"</h2>
                            {list_table("Conferences using ports", "No conference holds a port now.", &["Conference", "ID", "Video", "Audio only"], false, confs)}
                        }.into_any()
                    }
                    Err(e) => view! { <ErrorMsg error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}
