//! Conference Profiles and Meeting Rooms: list, create, edit, delete; start a meeting room.
//! Forms post to server functions that validate (domain::resources) and commit through
//! Hot Backup, so a Slave gets every change (and refuses them by hand, G5).

use crate::api::*;
use crate::components::{confirm_click, count_ok, invalid, ErrorMsg, FieldError, FormStatus};
use crate::error::AppError;
use domain::{MeetingRoom, Profile, Resolution, LINE_RATES_KBPS};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

type Answer = Signal<Option<Result<String, AppError>>>;

// ---------------------------------------------------------------- profiles

#[component]
pub fn ProfilesPage() -> impl IntoView {
    let save = ServerAction::<SaveProfile>::new();
    let delete = ServerAction::<DeleteProfile>::new();
    let live = crate::live::use_live_changes();
    let save_r: Answer = Signal::derive(move || save.value().get());
    let delete_r: Answer = Signal::derive(move || delete.value().get());
    let (saved, deleted) = (count_ok(save_r), count_ok(delete_r));
    let data = Resource::new(move || (saved.get(), deleted.get(), live.get()), |_| get_profiles());
    // The "New" form is rebuilt (emptied) only after a successful save, never by others' changes.
    let form_data = Resource::new(move || saved.get(), |_| get_profiles());
    view! {
        <Title text="Profiles"/>
        <h1>"Conference Profiles"</h1>
        <FormStatus result=delete_r/>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                form_data.await.ok().filter(|v| v.can_manage).map(|_| view! {
                    <details class="card">
                        <summary>"New profile"</summary>
                        {profile_form(None, save, save_r)}
                    </details>
                })
            })}
        </Transition>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => Either::Left(profiles_table(v, save, delete, save_r)),
                    Err(e) => Either::Right(view! { <ErrorMsg error=e/> }),
                }
            })}
        </Transition>
    }
}

fn profiles_table(v: ProfilesView, save: ServerAction<SaveProfile>, delete: ServerAction<DeleteProfile>, save_r: Answer) -> AnyView {
    if v.profiles.is_empty() {
        return view! { <p class="empty">"No conference profiles."</p> }.into_any();
    }
    let can = v.can_manage;
    view! {
        <table class="list">
            <caption>{format!("Profiles ({})", v.profiles.len())}</caption>
            <thead><tr><th scope="col">"Name"</th><th scope="col">"Line Rate"</th><th scope="col">"Resolution"</th>
                <th scope="col">"Layout"</th><th scope="col">"Encryption"</th><th scope="col">"Auto Terminate"</th>
                {can.then(|| view! { <th scope="col">"Actions"</th> })}</tr></thead>
            <tbody>
                {v.profiles.into_iter().map(|p| {
                    let (id, name) = (p.id.clone(), p.name.clone());
                    let row_key = name.clone();
                    let edit = p.clone();
                    view! {
                        <tr data-profile=row_key>
                            <td data-label="Name">{p.name.clone()}</td>
                            <td data-label="Line Rate">{format!("{} kbps", p.line_rate_kbps)}</td>
                            <td data-label="Resolution">{p.resolution.label()}</td>
                            <td data-label="Layout">{p.layout.clone()}</td>
                            <td data-label="Encryption">{if p.encryption { "Yes" } else { "No" }}</td>
                            <td data-label="Auto Terminate">{if p.auto_terminate { "Yes" } else { "No" }}</td>
                            {can.then(move || {
                                let (edit_label, del_label, confirm) =
                                    (format!("Edit {name}"), format!("Delete {name}"), format!("Delete the profile '{name}'?"));
                                view! {
                                <td data-label="Actions"><div class="actions">
                                    <details>
                                        <summary>{edit_label}</summary>
                                        {profile_form(Some(edit), save, save_r)}
                                    </details>
                                    <ActionForm action=delete attr:class="mini">
                                        <input type="hidden" name="id" value=id/>
                                        <button type="submit" class="danger" aria-label=del_label
                                            on:click=confirm_click(confirm)>"Delete"</button>
                                    </ActionForm>
                                </div></td>
                            }})}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

fn profile_form(p: Option<Profile>, save: ServerAction<SaveProfile>, r: Answer) -> impl IntoView {
    let key = p.as_ref().map(|p| p.id.clone()).unwrap_or_else(|| "new".into());
    let id = |f: &str| format!("pf-{key}-{f}");
    let p = p.unwrap_or(Profile {
        id: String::new(),
        name: String::new(),
        line_rate_kbps: 1920,
        resolution: Resolution::Hd720,
        encryption: false,
        layout: "auto".into(),
        auto_terminate: true,
    });
    let (name_id, rate_id, res_id, layout_id) = (id("name"), id("rate"), id("res"), id("layout"));
    view! {
        <ActionForm action=save attr:class="form">
            <input type="hidden" name="id" value=p.id.clone()/>
            <label for=name_id.clone()>"Profile name"</label>
            <input id=name_id.clone() name="name" value=p.name.clone() aria-describedby=format!("{name_id}-error") aria-invalid=invalid(r, "name")/>
            <FieldError id=name_id field="name" result=r/>
            <label for=rate_id.clone()>"Line rate (kbps)"</label>
            <select id=rate_id name="line_rate_kbps">
                {LINE_RATES_KBPS.iter().map(|&k| view! { <option value=k.to_string() selected=k == p.line_rate_kbps>{k.to_string()}</option> }).collect_view()}
            </select>
            <label for=res_id.clone()>"Resolution"</label>
            <select id=res_id name="resolution">
                {[("cif", Resolution::Cif), ("sd", Resolution::Sd), ("hd720", Resolution::Hd720), ("hd1080", Resolution::Hd1080)]
                    .into_iter().map(|(k, res)| view! { <option value=k selected=res == p.resolution>{res.label()}</option> }).collect_view()}
            </select>
            <label for=layout_id.clone()>"Layout"</label>
            <select id=layout_id name="layout">
                {["auto", "1x1", "1+5", "2x2", "3x3"].into_iter().map(|l| view! { <option value=l selected=l == p.layout>{l}</option> }).collect_view()}
            </select>
            <label class="check"><input type="checkbox" name="encryption" checked=p.encryption/>"Encryption"</label>
            <label class="check"><input type="checkbox" name="auto_terminate" checked=p.auto_terminate/>"Auto terminate"</label>
            <FormStatus result=r/>
            <button type="submit">"Save profile"</button>
        </ActionForm>
    }
}

// ---------------------------------------------------------------- meeting rooms

#[component]
pub fn MeetingRoomsPage() -> impl IntoView {
    let save = ServerAction::<SaveMeetingRoom>::new();
    let delete = ServerAction::<DeleteMeetingRoom>::new();
    let start = ServerAction::<StartMeetingRoom>::new();
    let live = crate::live::use_live_changes();
    let save_r: Answer = Signal::derive(move || save.value().get());
    let start_r: Answer = Signal::derive(move || start.value().get());
    let delete_r: Answer = Signal::derive(move || delete.value().get());
    let (saved, started, deleted) = (count_ok(save_r), count_ok(start_r), count_ok(delete_r));
    let data = Resource::new(move || (saved.get(), started.get(), deleted.get(), live.get()), |_| get_meeting_rooms());
    // The "New" form is rebuilt (emptied) only after a successful save, never by others' changes.
    let form_data = Resource::new(move || saved.get(), |_| get_meeting_rooms());
    view! {
        <Title text="Meeting Rooms"/>
        <h1>"Meeting Rooms"</h1>
        <FormStatus result=start_r/>
        <FormStatus result=delete_r/>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                form_data.await.ok().filter(|v| v.can_manage).map(|v| view! {
                    <details class="card">
                        <summary>"New meeting room"</summary>
                        {room_form(None, &v.profiles, save, save_r)}
                    </details>
                })
            })}
        </Transition>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => Either::Left(rooms_table(v, save, delete, start, save_r)),
                    Err(e) => Either::Right(view! { <ErrorMsg error=e/> }),
                }
            })}
        </Transition>
    }
}

fn rooms_table(
    v: MeetingRoomsView,
    save: ServerAction<SaveMeetingRoom>,
    delete: ServerAction<DeleteMeetingRoom>,
    start: ServerAction<StartMeetingRoom>,
    save_r: Answer,
) -> AnyView {
    if v.rooms.is_empty() {
        return view! { <p class="empty">"No meeting rooms."</p> }.into_any();
    }
    let (can, run) = (v.can_manage, v.can_run);
    let profiles = v.profiles.clone();
    view! {
        <table class="list">
            <caption>{format!("Meeting Rooms ({})", v.rooms.len())}</caption>
            <thead><tr><th scope="col">"Display Name"</th><th scope="col">"ID"</th><th scope="col">"Profile"</th>
                <th scope="col">"Status"</th><th scope="col">"Conference Password"</th><th scope="col">"Chairperson Password"</th>
                {(can || run).then(|| view! { <th scope="col">"Actions"</th> })}</tr></thead>
            <tbody>
                {v.rooms.into_iter().map(|r| {
                    let running = v.running.contains(&r.numeric_id);
                    let profile = profiles.iter().find(|p| p.id == r.profile_id).map(|p| p.name.clone()).unwrap_or_else(|| "—".into());
                    let (id, name) = (r.id.clone(), r.name.clone());
                    let profiles = profiles.clone();
                    let row_key = name.clone();
                    let (start_id, start_label) = (id.clone(), format!("Start {name}"));
                    let (edit_label, del_label, confirm) =
                        (format!("Edit {name}"), format!("Delete {name}"), format!("Delete the meeting room '{name}'?"));
                    let edit = r.clone();
                    view! {
                        <tr data-room=row_key>
                            <td data-label="Display Name">{r.name.clone()}</td>
                            <td data-label="ID">{r.numeric_id.clone()}</td>
                            <td data-label="Profile">{profile}</td>
                            <td data-label="Status">{if running { "Active" } else { "Passive" }}</td>
                            <td data-label="Conference Password">{if r.conference_password.is_empty() { "None" } else { "Set" }}</td>
                            <td data-label="Chairperson Password">{if r.chairperson_password.is_empty() { "None" } else { "Set" }}</td>
                            {(can || run).then(move || view! {
                                <td data-label="Actions"><div class="actions">
                                    {(run && !running).then(move || view! {
                                        <ActionForm action=start attr:class="mini">
                                            <input type="hidden" name="id" value=start_id/>
                                            <button type="submit" aria-label=start_label>"Start"</button>
                                        </ActionForm>
                                    })}
                                    {can.then(move || view! {
                                        <details>
                                            <summary>{edit_label}</summary>
                                            {room_form(Some(edit), &profiles, save, save_r)}
                                        </details>
                                        <ActionForm action=delete attr:class="mini">
                                            <input type="hidden" name="id" value=id/>
                                            <button type="submit" class="danger" aria-label=del_label
                                                on:click=confirm_click(confirm)>"Delete"</button>
                                        </ActionForm>
                                    })}
                                </div></td>
                            })}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

fn room_form(r: Option<MeetingRoom>, profiles: &[Profile], save: ServerAction<SaveMeetingRoom>, res: Answer) -> impl IntoView {
    let key = r.as_ref().map(|r| r.id.clone()).unwrap_or_else(|| "new".into());
    let id = |f: &str| format!("mr-{key}-{f}");
    let r = r.unwrap_or(MeetingRoom {
        id: String::new(),
        name: String::new(),
        numeric_id: String::new(),
        profile_id: profiles.first().map(|p| p.id.clone()).unwrap_or_default(),
        conference_password: String::new(),
        chairperson_password: String::new(),
    });
    let (name_id, num_id, prof_id, cpw_id, chpw_id) = (id("name"), id("num"), id("profile"), id("cpw"), id("chpw"));
    let options = profiles
        .iter()
        .map(|p| view! { <option value=p.id.clone() selected=p.id == r.profile_id>{p.name.clone()}</option> })
        .collect_view();
    view! {
        <ActionForm action=save attr:class="form">
            <input type="hidden" name="id" value=r.id.clone()/>
            <label for=name_id.clone()>"Display name"</label>
            <input id=name_id.clone() name="name" value=r.name.clone() aria-describedby=format!("{name_id}-error") aria-invalid=invalid(res, "name")/>
            <FieldError id=name_id field="name" result=res/>
            <label for=num_id.clone()>"Meeting room ID"</label>
            <input id=num_id.clone() name="numeric_id" inputmode="numeric" value=r.numeric_id.clone() aria-describedby=format!("{num_id}-error") aria-invalid=invalid(res, "numeric_id")/>
            <FieldError id=num_id field="numeric_id" result=res/>
            <label for=prof_id.clone()>"Profile"</label>
            <select id=prof_id.clone() name="profile_id" aria-describedby=format!("{prof_id}-error")>{options}</select>
            <FieldError id=prof_id field="profile_id" result=res/>
            <label for=cpw_id.clone()>"Conference password (digits)"</label>
            <input id=cpw_id.clone() name="conference_password" inputmode="numeric" value=r.conference_password.clone() aria-describedby=format!("{cpw_id}-error") aria-invalid=invalid(res, "conference_password")/>
            <FieldError id=cpw_id field="conference_password" result=res/>
            <label for=chpw_id.clone()>"Chairperson password (digits)"</label>
            <input id=chpw_id.clone() name="chairperson_password" inputmode="numeric" value=r.chairperson_password.clone() aria-describedby=format!("{chpw_id}-error") aria-invalid=invalid(res, "chairperson_password")/>
            <FieldError id=chpw_id field="chairperson_password" result=res/>
            <FormStatus result=res/>
            <button type="submit">"Save meeting room"</button>
        </ActionForm>
    }
}
