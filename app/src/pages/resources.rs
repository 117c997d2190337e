//! Conference resources: Profiles, Meeting Rooms, Entry Queues, IVR Services and Recording
//! Links: list, create, edit, delete (one `delete_resource` for all, with its in-use
//! check); start a meeting room. Forms post to server functions that validate
//! (domain::resources) and commit through Hot Backup, so a Slave gets every change (and
//! refuses them by hand, G5).

use crate::api::*;
use crate::components::{actions_cell, any_of, count_ok, edit_delete_cell, list_table, resource_page, successes, Answer, FieldError, FormStatus, TextField};
use domain::{EntryQueue, IvrService, MeetingRoom, Profile, RecordingLink, Resolution, LINE_RATES_KBPS};
use leptos::prelude::*;

fn yes_no(b: bool) -> &'static str {
    if b {
        "Yes"
    } else {
        "No"
    }
}

fn set_or_none(s: &str) -> &'static str {
    if s.is_empty() {
        "None"
    } else {
        "Set"
    }
}

/// A `<select>` of profiles with `selected` chosen.
fn profile_select(id: String, profiles: &[Profile], selected: &str, res: Answer) -> AnyView {
    let options = profiles
        .iter()
        .map(|p| view! { <option value=p.id.clone() selected=p.id == selected>{p.name.clone()}</option> })
        .collect_view();
    let none = profiles.is_empty();
    view! {
        <label for=id.clone()>"Profile"</label>
        <select id=id.clone() name="profile_id" aria-describedby=format!("{id}-error")>{options}</select>
        {none.then(|| view! { <p class="note-box">"There is no conference profile yet: create one first under Resources ▸ "<a href="/profiles">"Profiles"</a>"."</p> })}
        <FieldError id=id field="profile_id" result=res/>
    }
    .into_any()
}

fn profile_name(profiles: &[Profile], id: &str) -> String {
    profiles.iter().find(|p| p.id == id).map(|p| p.name.clone()).unwrap_or_else(|| "—".into())
}

// ---------------------------------------------------------------- profiles

#[component]
pub fn ProfilesPage() -> impl IntoView {
    let save = ServerAction::<SaveProfile>::new();
    let delete = ServerAction::<DeleteResource>::new();
    let save_r: Answer = Signal::derive(move || save.value().get());
    let delete_r: Answer = Signal::derive(move || delete.value().get());
    let saved = count_ok(save_r);
    resource_page(
        "Conference Profiles",
        "New profile",
        get_profiles,
        saved,
        any_of(vec![saved, count_ok(delete_r)]),
        vec![successes(save_r), delete_r],
        move |v: ProfilesView| v.can_manage.then(|| profile_form(None, &v.recording_links, save).into_any()),
        move |v: ProfilesView| profiles_table(v, save, delete),
    )
}

fn profiles_table(v: ProfilesView, save: ServerAction<SaveProfile>, delete: ServerAction<DeleteResource>) -> AnyView {
    let can = v.can_manage;
    let links = v.recording_links;
    let rows = v
        .profiles
        .into_iter()
        .map(|p| {
            let form = profile_form(Some(p.clone()), &links, save).into_any();
            let recording = links.iter().find(|l| l.id == p.recording_link_id).map(|l| l.name.clone()).unwrap_or_else(|| "—".into());
            let actions = can.then(|| actions_cell(edit_delete_cell("profile", "profile", p.id.clone(), &p.name, form, delete)));
            view! {
                <tr data-profile=p.name.clone()>
                    <td data-label="Name">{p.name.clone()}</td>
                    <td data-label="Line Rate">{format!("{} kbps", p.line_rate_kbps)}</td>
                    <td data-label="Resolution">{p.resolution.label()}</td>
                    <td data-label="Layout">{p.layout.clone()}</td>
                    <td data-label="Encryption">{yes_no(p.encryption)}</td>
                    <td data-label="Auto Terminate">{yes_no(p.auto_terminate)}</td>
                    <td data-label="Recording Link">{recording}</td>
                    {actions}
                </tr>
            }
            .into_any()
        })
        .collect();
    list_table("Profiles", "No conference profiles yet. Create one with the form above: meeting rooms, entry queues and reservations need one.", &["Name", "Line Rate", "Resolution", "Layout", "Encryption", "Auto Terminate", "Recording Link"], can, rows)
}

fn profile_form(p: Option<Profile>, links: &[domain::RecordingLink], save: ServerAction<SaveProfile>) -> impl IntoView {
    let key = p.as_ref().map(|p| p.id.clone()).unwrap_or_else(|| "new".into());
    let id = move |f: &str| format!("pf-{key}-{f}");
    let p = p.unwrap_or(Profile {
        id: String::new(),
        name: String::new(),
        line_rate_kbps: 1920,
        resolution: Resolution::Hd720,
        encryption: false,
        layout: "auto".into(),
        auto_terminate: true,
        recording_link_id: String::new(),
    });
    let (name_id, rate_id, res_id, layout_id, rec_id) = (id("name"), id("rate"), id("res"), id("layout"), id("rec"));
    let link_options = links
        .iter()
        .map(|l| view! { <option value=l.id.clone() selected=l.id == p.recording_link_id>{format!("{} ({})", l.name, l.address)}</option> })
        .collect_view();
    let r = crate::components::answer_for(save, p.id.clone(), |a| a.id.clone());
    view! {
        <ActionForm action=save attr:class="form">
            <input type="hidden" name="id" value=p.id.clone()/>
            <TextField id=name_id name="name" label="Profile name" value=p.name.clone() result=r/>
            <label for=rate_id.clone()>"Line rate (kbps)"</label>
            <select id=rate_id.clone() name="line_rate_kbps" aria-describedby=format!("{rate_id}-error")>
                {LINE_RATES_KBPS.iter().map(|&k| view! { <option value=k.to_string() selected=k == p.line_rate_kbps>{k.to_string()}</option> }).collect_view()}
            </select>
            <FieldError id=rate_id.clone() field="line_rate_kbps" result=r/>
            <label for=res_id.clone()>"Resolution"</label>
            <select id=res_id.clone() name="resolution" aria-describedby=format!("{res_id}-error")>
                {Resolution::ALL.into_iter().map(|rs| view! { <option value=rs.key() selected=rs == p.resolution>{rs.label()}</option> }).collect_view()}
            </select>
            <FieldError id=res_id.clone() field="resolution" result=r/>
            <label for=layout_id.clone()>"Layout"</label>
            <select id=layout_id.clone() name="layout" aria-describedby=format!("{layout_id}-error")>
                {["auto", "1x1", "1+5", "2x2", "3x3"].into_iter().map(|l| view! { <option value=l selected=l == p.layout>{l}</option> }).collect_view()}
            </select>
            <FieldError id=layout_id.clone() field="layout" result=r/>
            <label class="check"><input type="checkbox" name="encryption" checked=p.encryption/>"Encryption"</label>
            <label class="check"><input type="checkbox" name="auto_terminate" checked=p.auto_terminate/>"Auto terminate"</label>
            <label for=rec_id.clone()>"Recording link"</label>
            <select id=rec_id.clone() name="recording_link_id" aria-describedby=format!("{rec_id}-error")>
                <option value="" selected=p.recording_link_id.is_empty()>"None (no recording)"</option>
                {link_options}
            </select>
            <FieldError id=rec_id.clone() field="recording_link_id" result=r/>
            <FormStatus result=r/>
            <button type="submit">"Save profile"</button>
        </ActionForm>
    }
}

// ---------------------------------------------------------------- meeting rooms

#[component]
pub fn MeetingRoomsPage() -> impl IntoView {
    let save = ServerAction::<SaveMeetingRoom>::new();
    let delete = ServerAction::<DeleteResource>::new();
    let start = ServerAction::<StartMeetingRoom>::new();
    let save_r: Answer = Signal::derive(move || save.value().get());
    let start_r: Answer = Signal::derive(move || start.value().get());
    let delete_r: Answer = Signal::derive(move || delete.value().get());
    let saved = count_ok(save_r);
    resource_page(
        "Meeting Rooms",
        "New meeting room",
        get_meeting_rooms,
        saved,
        any_of(vec![saved, count_ok(start_r), count_ok(delete_r)]),
        vec![successes(save_r), start_r, delete_r],
        move |v: MeetingRoomsView| v.can_manage.then(|| room_form(None, &v.profiles, save).into_any()),
        move |v: MeetingRoomsView| rooms_table(v, save, delete, start),
    )
}

fn rooms_table(
    v: MeetingRoomsView,
    save: ServerAction<SaveMeetingRoom>,
    delete: ServerAction<DeleteResource>,
    start: ServerAction<StartMeetingRoom>,
) -> AnyView {
    let (can, run) = (v.can_manage, v.can_run);
    let rows = v
        .rooms
        .iter()
        .map(|r| {
            let running = v.running.contains(&r.numeric_id);
            let (id, name) = (r.id.clone(), r.name.clone());
            let (start_id, start_label) = (id.clone(), format!("Start {name}"));
            let start_button = (run && !running).then(|| view! {
                <ActionForm action=start attr:class="mini">
                    <input type="hidden" name="id" value=start_id/>
                    <button type="submit" aria-label=start_label>"Start"</button>
                </ActionForm>
            });
            let edit = can.then(|| {
                let form = room_form(Some(r.clone()), &v.profiles, save);
                edit_delete_cell("meeting_room", "meeting room", id, &name, form, delete)
            });
            view! {
                <tr data-room=r.name.clone()>
                    <td data-label="Display Name">{r.name.clone()}</td>
                    <td data-label="ID">{r.numeric_id.clone()}</td>
                    <td data-label="Profile">{profile_name(&v.profiles, &r.profile_id)}</td>
                    <td data-label="Status">{if running { "Active" } else { "Passive" }}</td>
                    <td data-label="Conference Password">{set_or_none(&r.conference_password)}</td>
                    <td data-label="Chairperson Password">{set_or_none(&r.chairperson_password)}</td>
                    {(can || run).then(|| actions_cell((start_button, edit)))}
                </tr>
            }
            .into_any()
        })
        .collect();
    let headers = ["Display Name", "ID", "Profile", "Status", "Conference Password", "Chairperson Password"];
    list_table("Meeting Rooms", "No meeting rooms yet. Create one with the form above (it needs a conference profile).", &headers, can || run, rows)
}

/// The fields shared by meeting rooms and entry queues.
#[allow(clippy::too_many_arguments)]
fn room_fields(prefix: &str, id_label: &'static str, name: &str, numeric: &str, profile_id: &str, cpw: &str, chpw: &str, profiles: &[Profile], res: Answer) -> AnyView {
    let id = |f: &str| format!("{prefix}-{f}");
    let (name_id, num_id, cpw_id, chpw_id) = (id("name"), id("num"), id("cpw"), id("chpw"));
    let select = profile_select(id("profile"), profiles, profile_id, res);
    let (name, numeric, cpw, chpw) = (name.to_string(), numeric.to_string(), cpw.to_string(), chpw.to_string());
    view! {
        <TextField id=name_id name="name" label="Display name" value=name result=res/>
        <TextField id=num_id name="numeric_id" label=id_label value=numeric result=res inputmode="numeric"/>
        {select}
        <TextField id=cpw_id name="conference_password" label="Conference password (digits)" value=cpw result=res inputmode="numeric"/>
        <TextField id=chpw_id name="chairperson_password" label="Chairperson password (digits)" value=chpw result=res inputmode="numeric"/>
    }
    .into_any()
}

fn room_form(r: Option<MeetingRoom>, profiles: &[Profile], save: ServerAction<SaveMeetingRoom>) -> AnyView {
    let prefix = format!("mr-{}", r.as_ref().map(|r| r.id.as_str()).unwrap_or("new"));
    let r = r.unwrap_or(MeetingRoom {
        id: String::new(),
        name: String::new(),
        numeric_id: String::new(),
        profile_id: profiles.first().map(|p| p.id.clone()).unwrap_or_default(),
        conference_password: String::new(),
        chairperson_password: String::new(),
    });
    let res = crate::components::answer_for(save, r.id.clone(), |a| a.id.clone());
    let fields = room_fields(&prefix, "Meeting room ID", &r.name, &r.numeric_id, &r.profile_id, &r.conference_password, &r.chairperson_password, profiles, res);
    view! {
        <ActionForm action=save attr:class="form">
            <input type="hidden" name="id" value=r.id.clone()/>
            {fields}
            <FormStatus result=res/>
            <button type="submit">"Save meeting room"</button>
        </ActionForm>
    }
    .into_any()
}

// ---------------------------------------------------------------- entry queues

#[component]
pub fn EntryQueuesPage() -> impl IntoView {
    let save = ServerAction::<SaveEntryQueue>::new();
    let delete = ServerAction::<DeleteResource>::new();
    let save_r: Answer = Signal::derive(move || save.value().get());
    let delete_r: Answer = Signal::derive(move || delete.value().get());
    let saved = count_ok(save_r);
    resource_page(
        "Entry Queues",
        "New entry queue",
        get_entry_queues,
        saved,
        any_of(vec![saved, count_ok(delete_r)]),
        vec![successes(save_r), delete_r],
        move |v: EntryQueuesView| v.can_manage.then(|| queue_form(None, &v, save).into_any()),
        move |v: EntryQueuesView| {
            let can = v.can_manage;
            let rows = v
                .queues
                .iter()
                .map(|q| {
                    let ivr = q.ivr_service_id.as_ref().and_then(|i| v.ivrs.iter().find(|s| &s.id == i)).map(|s| s.name.clone()).unwrap_or_else(|| "None".into());
                    let actions = can.then(|| {
                        let form = queue_form(Some(q.clone()), &v, save);
                        actions_cell(edit_delete_cell("entry_queue", "entry queue", q.id.clone(), &q.name, form, delete))
                    });
                    view! {
                        <tr data-queue=q.name.clone()>
                            <td data-label="Display Name">{q.name.clone()}</td>
                            <td data-label="ID">{q.numeric_id.clone()}</td>
                            <td data-label="Profile">{profile_name(&v.profiles, &q.profile_id)}</td>
                            <td data-label="IVR Service">{ivr}</td>
                            <td data-label="Transit EQ">{yes_no(q.transit)}</td>
                            <td data-label="Conference Password">{set_or_none(&q.conference_password)}</td>
                            {actions}
                        </tr>
                    }
                    .into_any()
                })
                .collect();
            list_table("Entry Queues", "No entry queues yet. Create one with the form above (it needs a conference profile).", &["Display Name", "ID", "Profile", "IVR Service", "Transit EQ", "Conference Password"], can, rows)
        },
    )
}

fn queue_form(q: Option<EntryQueue>, v: &EntryQueuesView, save: ServerAction<SaveEntryQueue>) -> AnyView {
    let prefix = format!("eq-{}", q.as_ref().map(|q| q.id.as_str()).unwrap_or("new"));
    let q = q.unwrap_or(EntryQueue {
        id: String::new(),
        name: String::new(),
        numeric_id: String::new(),
        profile_id: v.profiles.first().map(|p| p.id.clone()).unwrap_or_default(),
        ivr_service_id: None,
        conference_password: String::new(),
        chairperson_password: String::new(),
        transit: false,
    });
    let res = crate::components::answer_for(save, q.id.clone(), |a| a.id.clone());
    let ivr_id = format!("{prefix}-ivr");
    let current = q.ivr_service_id.clone().unwrap_or_default();
    let options = v
        .ivrs
        .iter()
        .map(|i| view! { <option value=i.id.clone() selected=i.id == current>{i.name.clone()}</option> })
        .collect_view();
    let fields = room_fields(&prefix, "Entry queue ID", &q.name, &q.numeric_id, &q.profile_id, &q.conference_password, &q.chairperson_password, &v.profiles, res);
    view! {
        <ActionForm action=save attr:class="form">
            <input type="hidden" name="id" value=q.id.clone()/>
            {fields}
            <label for=ivr_id.clone()>"IVR service"</label>
            <select id=ivr_id.clone() name="ivr_service_id" aria-describedby=format!("{ivr_id}-error")>
                <option value="" selected=current.is_empty()>"None"</option>
                {options}
            </select>
            <FieldError id=ivr_id field="ivr_service_id" result=res/>
            <label class="check">
                <input type="checkbox" name="transit" checked=q.transit/>
                "Transit EQ (calls to numbers nothing else holds land here; one per MCU)"
            </label>
            <FormStatus result=res/>
            <button type="submit">"Save entry queue"</button>
        </ActionForm>
    }
    .into_any()
}

// ---------------------------------------------------------------- IVR services

#[component]
pub fn IvrServicesPage() -> impl IntoView {
    let save = ServerAction::<SaveIvrService>::new();
    let delete = ServerAction::<DeleteResource>::new();
    let save_r: Answer = Signal::derive(move || save.value().get());
    let delete_r: Answer = Signal::derive(move || delete.value().get());
    let saved = count_ok(save_r);
    resource_page(
        "IVR Services",
        "New IVR service",
        get_ivr_services,
        saved,
        any_of(vec![saved, count_ok(delete_r)]),
        vec![successes(save_r), delete_r],
        move |v: IvrServicesView| v.can_manage.then(|| ivr_form(None, save).into_any()),
        move |v: IvrServicesView| {
            let can = v.can_manage;
            let rows = v
                .services
                .into_iter()
                .map(|i| {
                    let actions = can.then(|| {
                        let form = ivr_form(Some(i.clone()), save).into_any();
                        actions_cell(edit_delete_cell("ivr_service", "IVR service", i.id.clone(), &i.name, form, delete))
                    });
                    view! {
                        <tr data-ivr=i.name.clone()>
                            <td data-label="Name">{i.name.clone()}</td>
                            <td data-label="Welcome Message">{i.welcome_message.clone()}</td>
                            <td data-label="Asks Conference Password">{yes_no(i.ask_conference_password)}</td>
                            <td data-label="Asks Chairperson Password">{yes_no(i.ask_chairperson_password)}</td>
                            <td data-label="Attempts">{i.attempts}</td>
                            {actions}
                        </tr>
                    }
                    .into_any()
                })
                .collect();
            list_table("IVR Services", "No IVR services yet. Create one with the form above; entry queues can then use it.", &["Name", "Welcome Message", "Asks Conference Password", "Asks Chairperson Password", "Attempts"], can, rows)
        },
    )
}

fn ivr_form(i: Option<IvrService>, save: ServerAction<SaveIvrService>) -> impl IntoView {
    let prefix = format!("ivr-{}", i.as_ref().map(|i| i.id.as_str()).unwrap_or("new"));
    let i = i.unwrap_or(IvrService {
        id: String::new(),
        name: String::new(),
        welcome_message: String::new(),
        ask_conference_password: true,
        ask_chairperson_password: true,
        attempts: domain::DEFAULT_IVR_ATTEMPTS,
    });
    let res = crate::components::answer_for(save, i.id.clone(), |a| a.id.clone());
    let msg_id = format!("{prefix}-welcome");
    view! {
        <ActionForm action=save attr:class="form">
            <input type="hidden" name="id" value=i.id.clone()/>
            <TextField id=format!("{prefix}-name") name="name" label="Service name" value=i.name.clone() result=res/>
            <label for=msg_id.clone()>"Welcome message"</label>
            <textarea id=msg_id.clone() name="welcome_message" rows="3" aria-describedby=format!("{msg_id}-error")>{i.welcome_message.clone()}</textarea>
            <FieldError id=msg_id field="welcome_message" result=res/>
            <label class="check"><input type="checkbox" name="ask_conference_password" checked=i.ask_conference_password/>"Ask for the conference password"</label>
            <label class="check"><input type="checkbox" name="ask_chairperson_password" checked=i.ask_chairperson_password/>"Ask for the chairperson password"</label>
            <TextField id=format!("{prefix}-attempts") name="attempts" label="Attempts per question (1–5; then the caller waits for an operator)" value=i.attempts.to_string() result=res/>
            <FormStatus result=res/>
            <button type="submit">"Save IVR service"</button>
        </ActionForm>
    }
}

// ---------------------------------------------------------------- recording links

#[component]
pub fn RecordingLinksPage() -> impl IntoView {
    let save = ServerAction::<SaveRecordingLink>::new();
    let delete = ServerAction::<DeleteResource>::new();
    let save_r: Answer = Signal::derive(move || save.value().get());
    let delete_r: Answer = Signal::derive(move || delete.value().get());
    let saved = count_ok(save_r);
    resource_page(
        "Recording Links",
        "New recording link",
        get_recording_links,
        saved,
        any_of(vec![saved, count_ok(delete_r)]),
        vec![successes(save_r), delete_r],
        move |v: RecordingLinksView| v.can_manage.then(|| link_form(None, save).into_any()),
        move |v: RecordingLinksView| {
            let can = v.can_manage;
            let rows = v
                .links
                .into_iter()
                .map(|l| {
                    let actions = can.then(|| {
                        let form = link_form(Some(l.clone()), save).into_any();
                        actions_cell(edit_delete_cell("recording_link", "recording link", l.id.clone(), &l.name, form, delete))
                    });
                    view! {
                        <tr data-link=l.name.clone()>
                            <td data-label="Name">{l.name.clone()}</td>
                            <td data-label="Recorder Address">{l.address.clone()}</td>
                            {actions}
                        </tr>
                    }
                    .into_any()
                })
                .collect();
            list_table("Recording Links", "No recording links yet. Create one with the form above.", &["Name", "Recorder Address"], can, rows)
        },
    )
}

fn link_form(l: Option<RecordingLink>, save: ServerAction<SaveRecordingLink>) -> impl IntoView {
    let prefix = format!("rl-{}", l.as_ref().map(|l| l.id.as_str()).unwrap_or("new"));
    let l = l.unwrap_or(RecordingLink { id: String::new(), name: String::new(), address: String::new() });
    let res = crate::components::answer_for(save, l.id.clone(), |a| a.id.clone());
    view! {
        <ActionForm action=save attr:class="form">
            <input type="hidden" name="id" value=l.id.clone()/>
            <TextField id=format!("{prefix}-name") name="name" label="Link name" value=l.name.clone() result=res/>
            <TextField id=format!("{prefix}-address") name="address" label="Recorder address (IP, H.323 alias or SIP URI)" value=l.address.clone() result=res/>
            <FormStatus result=res/>
            <button type="submit">"Save recording link"</button>
        </ActionForm>
    }
}
