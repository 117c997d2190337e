//! One ongoing conference as an operator runs it: its facts and the conference actions
//! (mute all, lock, extend, terminate), then the participant grid: one line per
//! participant with a status dot, icon toggles, search, sort and row selection with
//! actions on the selection. Reloaded on every change the server announces, so dial-ins
//! and changes made elsewhere show up at once; the search, sort and selection stay.

use crate::api::{
    get_conference, AddParticipant, DialEntry, DialGroup, SaveTemplate, ConferenceAction, ConferenceDetail, ConferenceSummary, ParticipantAction, ParticipantsAction,
    PlaceParticipant, SimulateMedia, TerminateConference,
};
use crate::components::{count_ok, danger_confirm, icon, invalid, ErrorMsg, FieldError, Flash, FormStatus, Icon, Mirrored, TextField};
use crate::localtime::LocalTime;
use domain::{DisconnectCause, Participant, ParticipantState};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use std::collections::BTreeSet;

/// The grid's columns that sort.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum SortKey {
    Name,
    Status,
    Address,
    Network,
    Direction,
}

/// What the operator set up on the grid; kept across reloads of the data.
#[derive(Clone, Copy)]
struct GridState {
    search: RwSignal<String>,
    sort: RwSignal<(SortKey, bool)>,
    selected: RwSignal<BTreeSet<String>>,
}

/// The page's actions, handed to the parts that post them.
#[derive(Clone, Copy)]
struct Actions {
    act: ServerAction<ParticipantAction>,
    bulk: ServerAction<ParticipantsAction>,
    conf: ServerAction<ConferenceAction>,
    terminate: ServerAction<TerminateConference>,
    /// Move, Back to Home, Attend.
    place: ServerAction<PlaceParticipant>,
    /// A call's media (only with `--simulate`).
    media: ServerAction<SimulateMedia>,
    /// What a Delete asks about, and the page's one dialog that asks: outside the grid, so
    /// a live reload of the rows leaves it open.
    deleting: RwSignal<Option<DeleteAsk>>,
    delete_dialog: NodeRef<leptos::html::Dialog>,
}

/// The conference `id` (the address's last segment).
#[component]
pub fn ConferencePage(id: String) -> impl IntoView {
    let id = StoredValue::new(id);
    let id = move || id.get_value();
    let add = ServerAction::<AddParticipant>::new();
    let save_template = ServerAction::<SaveTemplate>::new();
    let dial_entry = ServerAction::<DialEntry>::new();
    let dial_group = ServerAction::<DialGroup>::new();
    let a = Actions {
        act: ServerAction::new(),
        bulk: ServerAction::new(),
        conf: ServerAction::new(),
        terminate: ServerAction::new(),
        place: ServerAction::new(),
        media: ServerAction::new(),
        deleting: RwSignal::new(None),
        delete_dialog: NodeRef::new(),
    };
    let add_r = Signal::derive(move || add.value().get());
    let act_r = Signal::derive(move || a.act.value().get());
    let bulk_r = Signal::derive(move || a.bulk.value().get());
    let conf_r = Signal::derive(move || a.conf.value().get());
    let term_r = Signal::derive(move || a.terminate.value().get());
    let place_r = Signal::derive(move || a.place.value().get());
    let media_r = Signal::derive(move || a.media.value().get());
    let (added, acted, bulked, conf_done, placed) = (count_ok(add_r), count_ok(act_r), count_ok(bulk_r), count_ok(conf_r), count_ok(place_r));
    let media_set = count_ok(media_r);
    let grid = GridState {
        search: RwSignal::new(String::new()),
        sort: RwSignal::new((SortKey::Name, true)),
        selected: RwSignal::new(BTreeSet::new()),
    };
    // A selection that was acted on is done with.
    Effect::new(move |_| {
        if bulked.get() > 0 {
            grid.selected.set(BTreeSet::new());
        }
    });
    let live = crate::live::use_live_changes();
    let detail = Resource::new(
        move || (id(), live.get(), added.get(), acted.get(), bulked.get(), conf_done.get(), (placed.get(), media_set.get())),
        |(id, ..)| get_conference(id),
    );
    // The add form is rebuilt only by this user's own successful adds (not while typing).
    let controls = Resource::new(move || (id(), added.get()), |(id, _)| get_conference(id));
    view! {
        <Title text="Conference"/>
        <p class="crumbs"><a href="/conferences">"← Conferences"</a></p>
        <Flash answers=vec![act_r, bulk_r, conf_r, term_r, place_r, media_r]/>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => Either::Left(conference_view(d, a, grid)),
                    Err(e) => Either::Right(view! { <ErrorMsg error=e/> }),
                }
            })}
        </Transition>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                controls.await.ok().map(|d| {
                    let template = d.can_save_template.then(|| template_form(&d.conference, save_template));
                    let book = d.can_run.then(|| address_book_form(d.conference.id.clone(), dial_entry, dial_group));
                    view! { {d.can_run.then(|| add_form(d.clone(), add, add_r))}{book}{template} }
                })
            })}
        </Transition>
        {delete_participant_dialog(a)}
    }
}

/// "Add from Address Book": one entry, or a whole group, dialled out.
fn address_book_form(conference_id: String, one: ServerAction<DialEntry>, group: ServerAction<DialGroup>) -> impl IntoView {
    let book = OnceResource::new(crate::api::get_address_book());
    let (one_r, group_r): (crate::components::Answer, crate::components::Answer) =
        (Signal::derive(move || one.value().get()), Signal::derive(move || group.value().get()));
    let cid = StoredValue::new(conference_id);
    view! {
        <Mirrored>
        <details class="card">
            <summary>"Add from Address Book"</summary>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let b = book.await.ok()?;
                    let entries = b.entries.into_iter().map(|e| view! { <option value=e.id.clone()>{format!("{} — {}", e.name, e.address)}</option> }).collect_view();
                    let groups = b.groups.into_iter().map(|g| view! { <option value=g.clone()>{g.clone()}</option> }).collect_view();
                    Some(view! {
                        <ActionForm action=one attr:class="form inline">
                            <input type="hidden" name="conference_id" value=cid.get_value()/>
                            <div class="field">
                                <label for="ab-entry">"Entry"</label>
                                <select id="ab-entry" name="entry_id" aria-describedby="ab-entry-error">{entries}</select>
                                <FieldError id="ab-entry" field="entry_id" result=one_r/>
                            </div>
                            <button type="submit" disabled=move || one.pending().get()>"Dial entry"</button>
                        </ActionForm>
                        <FormStatus result=one_r/>
                        <ActionForm action=group attr:class="form inline">
                            <input type="hidden" name="conference_id" value=cid.get_value()/>
                            <div class="field">
                                <label for="ab-group">"Group"</label>
                                <select id="ab-group" name="group" aria-describedby="ab-group-error">{groups}</select>
                                <FieldError id="ab-group" field="group" result=group_r/>
                            </div>
                            <button type="submit" disabled=move || group.pending().get()>"Dial group"</button>
                        </ActionForm>
                        <FormStatus result=group_r/>
                    })
                })}
            </Suspense>
        </details>
        </Mirrored>
    }
}

/// "Save as template": the conference's profile, duration, lock and participants, under a
/// name (its own by default), to start again from Templates.
fn template_form(c: &domain::Conference, save: ServerAction<SaveTemplate>) -> impl IntoView {
    let r: crate::components::Answer = Signal::derive(move || save.value().get());
    let (id, name) = (c.id.clone(), c.name.clone());
    view! {
        <Mirrored>
        <details class="card">
            <summary>"Save as template"</summary>
            <ActionForm action=save attr:class="form inline">
                <input type="hidden" name="conference_id" value=id/>
                <div class="field">
                    <TextField id="tpl-name" name="name" label="Template name" value=name result=r/>
                </div>
                <button type="submit" disabled=move || save.pending().get()>"Save as template"</button>
            </ActionForm>
            <FormStatus result=r/>
        </details>
        </Mirrored>
    }
}

/// A Delete to confirm: one participant (a row's Delete) or the selected ones.
#[derive(Clone, Debug, PartialEq)]
struct DeleteAsk {
    title: String,
    consequence: String,
    run: DeleteRun,
}

#[derive(Clone, Debug, PartialEq)]
enum DeleteRun {
    One { participant_id: String },
    Selected { conference_id: String, ids: String },
}

impl Actions {
    /// Opens the Delete dialog for `ask`.
    fn ask_delete(self, ask: DeleteAsk) {
        self.deleting.set(Some(ask));
        if let Some(d) = self.delete_dialog.get_untracked() {
            let _ = d.show_modal();
        }
    }
}

/// Delete participant(s): the red dialog a row's Delete or the selection's Delete opens,
/// naming who goes and from where.
fn delete_participant_dialog(a: Actions) -> impl IntoView {
    let text = move |f: fn(&DeleteAsk) -> &String| move || a.deleting.with(|d| d.as_ref().map(|d| f(d).clone()).unwrap_or_default());
    let confirm = move |_| {
        let Some(ask) = a.deleting.get_untracked() else { return };
        match ask.run {
            DeleteRun::One { participant_id } => {
                a.act.dispatch(ParticipantAction { participant_id, action: "delete".into() });
            }
            DeleteRun::Selected { conference_id, ids } => {
                a.bulk.dispatch(ParticipantsAction { conference_id, ids, action: "delete".into() });
            }
        }
        if let Some(d) = a.delete_dialog.get_untracked() {
            d.close();
        }
    };
    view! {
        <dialog id="delete-participant" node_ref=a.delete_dialog class="danger-dialog" aria-labelledby="delete-participant-title">
            <h2 id="delete-participant-title">{text(|d| &d.title)}</h2>
            <p class="consequence">{text(|d| &d.consequence)}</p>
            <div class="dialog-actions">
                <button type="button" class="secondary" commandfor="delete-participant" command="close">"Cancel"</button>
                <button type="button" class="danger" on:click=confirm>"Delete"</button>
            </div>
        </dialog>
    }
}

fn add_form(d: ConferenceDetail, add: ServerAction<AddParticipant>, add_r: Signal<Option<Result<String, crate::error::AppError>>>) -> impl IntoView {
    let cid = d.conference.id;
    // Empty after a success: the same participant is not one click from being added twice.
    let form = NodeRef::new();
    crate::components::finish_cleanly(form, Vec::new(), add_r);
    view! {
        <Mirrored>
        <details class="card">
            <summary>"Add participant (dial out)"</summary>
            <ActionForm action=add node_ref=form attr:class="form inline">
                <input type="hidden" name="conference_id" value=cid/>
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
                    <select id="p-proto" name="protocol" aria-describedby="p-proto-error">
                        <option value="h323">"H.323"</option>
                        <option value="sip">"SIP"</option>
                    </select>
                    <FieldError id="p-proto" field="protocol" result=add_r/>
                </div>
                <button type="submit" disabled=move || add.pending().get()>"Add and dial"</button>
            </ActionForm>
            <FormStatus result=add_r/>
        </details>
        </Mirrored>
    }
}

fn conference_view(d: ConferenceDetail, a: Actions, grid: GridState) -> impl IntoView {
    let c = d.conference.clone();
    let connected = d.participants.iter().filter(|p| p.state.holds_port()).count();
    let total = d.participants.len();
    let end = match (c.end_ms, c.auto_extended) {
        (None, _) => view! { "— (until terminated)" }.into_any(),
        (Some(e), 0) => view! { <LocalTime ms=e/> }.into_any(),
        (Some(e), n) => view! { <LocalTime ms=e/>{format!(" (extended automatically {n}×: participants were connected)")} }.into_any(),
    };
    view! {
        <div class="conf-head">
            <h1>{c.name.clone()}</h1>
            // Always one tag, locked or not: locking never adds a line above the grid.
            {if c.locked {
                view! { <span class="tag tag-locked" data-testid="locked">{icon(Icon::Lock, false)}"Locked: no new dial-ins"</span> }.into_any()
            } else {
                view! { <span class="tag tag-open" data-testid="unlocked">{icon(Icon::Unlock, false)}"Open to dial-ins"</span> }.into_any()
            }}
            {c.entry_queue.then(|| view! { <span class="tag" data-testid="entry-queue">"Entry queue: callers awaiting an operator"</span> })}
            {recording_tag(&c.recording)}
        </div>
        <dl class="facts facts-row">
            <div><dt>"ID"</dt><dd>{c.numeric_id.clone()}</dd></div>
            <div><dt>"Start Time"</dt><dd><LocalTime ms=c.start_ms/></dd></div>
            <div><dt>"End Time"</dt><dd data-testid="end-time">{end}</dd></div>
            <div><dt>"Participants"</dt><dd data-testid="participant-count">{format!("({connected}/{total})")}</dd></div>
            <div><dt>"MCU ports in use"</dt><dd>{format!("{} of {}", d.connected_on_mcu, d.capacity)}</dd></div>
        </dl>
        {d.can_run.then(|| toolbar(&c, connected, d.can_record.then_some(d.recording_link.clone()), a))}
        {participant_grid(d, a, grid)}
    }
}

/// The conference actions, as the original and its peers offer them.
/// The recording's state, always one tag (recording or not: nothing moves when it starts).
fn recording_tag(r: &domain::recording::Recording) -> impl IntoView {
    use domain::recording::RecordingState as S;
    let to = r.target.as_ref().map(|t| format!(" to {}", t.name)).unwrap_or_default();
    let after = r.continued_after_takeover_ms.map(|at| view! { " (went on after the takeover at "<LocalTime ms=at/>")" });
    match r.state {
        S::Off => view! { <span class="tag" data-testid="recording">"Not recording"</span> }.into_any(),
        S::Recording => view! { <span class="tag tag-rec" data-testid="recording">"● Recording"{to}{after}</span> }.into_any(),
        S::Paused => view! { <span class="tag tag-rec-paused" data-testid="recording">"Recording paused"{to}{after}</span> }.into_any(),
    }
}

/// `recording`: the caller may record (`Some`), with the profile's recording link if it has one.
fn toolbar(c: &domain::Conference, connected: usize, recording: Option<Option<String>>, a: Actions) -> impl IntoView {
    let conference_id = c.id.clone();
    let form = move |action: &'static str, label: String, class: &'static str, content: AnyView| {
        let id = conference_id.clone();
        view! {
            <ActionForm action=a.conf>
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="action" value=action/>
                <button type="submit" class=class aria-label=label.clone() title=label>{content}</button>
            </ActionForm>
        }
    };
    let lock = if c.locked {
        form("unlock", "Unlock (allow dial-ins)".into(), "secondary lock-toggle", view! { {icon(Icon::Unlock, false)}" Unlock" }.into_any())
    } else {
        form("lock", "Lock (no new dial-ins)".into(), "secondary lock-toggle", view! { {icon(Icon::Lock, false)}" Lock" }.into_any())
    };
    let extend = c.end_ms.is_some().then(|| {
        view! {
            <div class="btn-group" role="group" aria-label="Extend the end time">
                <span class="group-label">"Extend"</span>
                {domain::conference::EXTEND_CHOICES.into_iter().map(|m| {
                    let action: &'static str = match m { 15 => "extend_15", 30 => "extend_30", _ => "extend_60" };
                    form(action, format!("Extend by {m} minutes"), "secondary", view! { {format!("+{m} min")} }.into_any())
                }).collect_view()}
            </div>
        }
    });
    let record = recording.map(|link| {
        use domain::recording::RecordingState as S;
        let buttons = match c.recording.state {
            S::Off => {
                let (label, disabled) = match &link {
                    Some(l) => (format!("Start recording to {l}"), false),
                    None => ("Start recording: the conference's profile names no recording link".to_string(), true),
                };
                let id = c.id.clone();
                view! {
                    <ActionForm action=a.conf>
                        <input type="hidden" name="id" value=id/>
                        <input type="hidden" name="action" value="record_start"/>
                        <button type="submit" class="secondary" aria-label=label.clone() title=label disabled=disabled>"● Record"</button>
                    </ActionForm>
                }
                .into_any()
            }
            S::Recording => view! {
                {form("record_pause", "Pause recording".into(), "secondary", view! { "Pause" }.into_any())}
                {form("record_stop", "Stop recording".into(), "secondary", view! { "Stop" }.into_any())}
            }
            .into_any(),
            S::Paused => view! {
                {form("record_resume", "Resume recording".into(), "secondary", view! { "Resume" }.into_any())}
                {form("record_stop", "Stop recording".into(), "secondary", view! { "Stop" }.into_any())}
            }
            .into_any(),
        };
        view! {
            <div class="btn-group" role="group" aria-label="Recording">
                <span class="group-label">"Recording"</span>
                {buttons}
            </div>
        }
    });
    let cid = c.id.clone();
    let terminate = danger_confirm("terminate-dialog", "Terminate conference", domain::danger::terminate(&c.name, connected), None, a.terminate.pending().into());
    view! {
        <Mirrored>
        <div class="toolbar" role="toolbar" aria-label="Conference actions">
            {form("mute_all", "Mute all but the chairperson".into(), "secondary", view! { {icon(Icon::Mic, true)}" Mute all" }.into_any())}
            {form("unmute_all", "Unmute all".into(), "secondary", view! { {icon(Icon::Mic, false)}" Unmute all" }.into_any())}
            {lock}
            {extend}
            {record}
            <ActionForm action=a.terminate attr:class="push-right">
                <input type="hidden" name="id" value=cid/>
                {terminate}
            </ActionForm>
        </div>
        </Mirrored>
    }
}

fn status_text(p: &Participant) -> String {
    p.state.label()
}

/// The status dot's class (the original's colours: `ParticipantState::css`); a call that
/// failed is red, one an operator disconnected grey.
fn dot_class(p: &Participant) -> String {
    match (p.state, p.disconnect_cause) {
        (ParticipantState::Disconnected, Some(DisconnectCause::NoAnswer | DisconnectCause::NoFreePort)) => "dot dot-faulty".into(),
        (state, _) => format!("dot dot-{}", state.css()),
    }
}

fn network(p: &Participant) -> &'static str {
    p.protocol.label()
}

fn direction(p: &Participant) -> &'static str {
    p.direction.label()
}

/// The sort choices of the phone's "Sort by" list (a desk sorts by the column headers).
const SORTS: [(&str, &str, SortKey, bool); 10] = [
    ("name-asc", "Name (A–Z)", SortKey::Name, true),
    ("name-desc", "Name (Z–A)", SortKey::Name, false),
    ("status-asc", "Status (A–Z)", SortKey::Status, true),
    ("status-desc", "Status (Z–A)", SortKey::Status, false),
    ("address-asc", "Address (A–Z)", SortKey::Address, true),
    ("address-desc", "Address (Z–A)", SortKey::Address, false),
    ("network-asc", "Network (A–Z)", SortKey::Network, true),
    ("network-desc", "Network (Z–A)", SortKey::Network, false),
    ("direction-asc", "Dialing Direction (A–Z)", SortKey::Direction, true),
    ("direction-desc", "Dialing Direction (Z–A)", SortKey::Direction, false),
];

fn sorted(mut list: Vec<Participant>, search: &str, (key, ascending): (SortKey, bool)) -> Vec<Participant> {
    let q = search.trim().to_lowercase();
    if !q.is_empty() {
        list.retain(|p| p.name.to_lowercase().contains(&q) || p.address.to_lowercase().contains(&q));
    }
    let text = |p: &Participant| -> String {
        match key {
            SortKey::Name => p.name.to_lowercase(),
            SortKey::Status => status_text(p),
            SortKey::Address => p.address.to_lowercase(),
            SortKey::Network => network(p).into(),
            SortKey::Direction => direction(p).into(),
        }
    };
    list.sort_by(|a, b| text(a).cmp(&text(b)).then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase())));
    if !ascending {
        list.reverse();
    }
    list
}

fn participant_grid(d: ConferenceDetail, a: Actions, grid: GridState) -> impl IntoView {
    let can = d.can_run;
    let cid = d.conference.id.clone();
    let simulate = can && use_context::<crate::components::Simulation>().is_some_and(|s| s.0);
    let here = Place { in_entry_queue: d.conference.entry_queue, simulate, targets: StoredValue::new(d.others), conference: StoredValue::new(d.conference.name.clone()) };
    let all = d.participants;
    if all.is_empty() {
        return Either::Left(view! { <p class="empty">"No participants yet: add one below (dial out), or wait for someone to dial in."</p> });
    }
    let present: BTreeSet<String> = all.iter().map(|p| p.id.clone()).collect();
    // Forget selected participants that have left.
    if grid.selected.with_untracked(|s| s.iter().any(|id| !present.contains(id))) {
        grid.selected.update(|s| s.retain(|id| present.contains(id)));
    }
    let all = StoredValue::new(all);
    let shown = Memo::new(move |_| all.with_value(|l| sorted(l.clone(), &grid.search.get(), grid.sort.get())));
    let header = move |key: SortKey, label: &'static str| {
        let aria_sort = move || match grid.sort.get() {
            (k, true) if k == key => "ascending",
            (k, false) if k == key => "descending",
            _ => "none",
        };
        view! {
            <th scope="col" aria-sort=aria_sort>
                <button type="button" class="sort" on:click=move |_| grid.sort.update(|s| *s = if s.0 == key { (key, !s.1) } else { (key, true) })>
                    {label}<span class="sort-mark" aria-hidden="true">{move || match aria_sort() { "ascending" => "▲", "descending" => "▼", _ => "" }}</span>
                </button>
            </th>
        }
    };
    let all_shown_selected = move || {
        let ids: Vec<String> = shown.with(|l| l.iter().map(|p| p.id.clone()).collect());
        !ids.is_empty() && grid.selected.with(|s| ids.iter().all(|id| s.contains(id)))
    };
    let toggle_all = move |_| {
        let ids: Vec<String> = shown.with_untracked(|l| l.iter().map(|p| p.id.clone()).collect());
        let on = !all_shown_selected();
        grid.selected.update(|s| {
            for id in ids {
                if on {
                    s.insert(id);
                } else {
                    s.remove(&id);
                }
            }
        });
    };
    Either::Right(view! {
        <div class="list-tools">
            <label for="p-search" class="sr-only">"Search participants"</label>
            <input id="p-search" type="search" placeholder="Search name or address" prop:value=move || grid.search.get()
                on:input=move |ev| grid.search.set(event_target_value(&ev))/>
            <div class="sort-select">
                <label for="p-sort">"Sort by"</label>
                <select id="p-sort" on:change=move |ev| {
                    if let Some(k) = SORTS.iter().find(|(v, ..)| *v == event_target_value(&ev)) {
                        grid.sort.set((k.2, k.3));
                    }
                }>
                    {SORTS.iter().map(|(value, label, key, asc)| view! {
                        <option value=*value selected=move || grid.sort.get() == (*key, *asc)>{*label}</option>
                    }).collect_view()}
                </select>
            </div>
            <span class="note" aria-live="polite">{move || {
                let n = shown.with(|l| l.len());
                let total = all.with_value(|l| l.len());
                if n == total { format!("{total} participant(s)") } else { format!("{n} of {total} shown") }
            }}</span>
        </div>
        {can.then(|| bulk_bar(cid.clone(), here.conference, a, grid))}
        <div class="table-wrap">
        <table class="list grid">
            <caption class="sr-only">"Participants"</caption>
            <thead><tr>
                {can.then(|| view! {
                    <th scope="col" class="sel">
                        <input type="checkbox" aria-label="Select all shown participants" prop:checked=all_shown_selected on:change=toggle_all/>
                    </th>
                })}
                {header(SortKey::Name, "Name")}
                {header(SortKey::Status, "Status")}
                {header(SortKey::Address, "Address")}
                {header(SortKey::Network, "Network")}
                {header(SortKey::Direction, "Dialing Direction")}
                <th scope="col">"Audio"</th>
                <th scope="col">"Video"</th>
                <th scope="col">"Role"</th>
                {can.then(|| view! { <th scope="col">"Actions"</th> })}
            </tr></thead>
            <tbody>
                {move || shown.get().into_iter().map(|p| participant_row(p, can, a, grid, here)).collect_view()}
            </tbody>
        </table>
        </div>
    })
}

/// Actions on the selected rows (browser only: the selection lives in the page).
fn bulk_bar(conference_id: String, conference: StoredValue<String>, a: Actions, grid: GridState) -> impl IntoView {
    let count = move || grid.selected.with(|s| s.len());
    let run = move |action: &'static str| {
        let ids = grid.selected.with_untracked(|s| s.iter().cloned().collect::<Vec<_>>().join(","));
        if ids.is_empty() {
            return;
        }
        if action == "delete" {
            let n = grid.selected.with_untracked(|s| s.len());
            let consequence = conference.with_value(|c| domain::danger::delete_selected(n, c));
            let run = DeleteRun::Selected { conference_id: conference_id.clone(), ids };
            a.ask_delete(DeleteAsk { title: format!("Delete {n} selected participant(s)?"), consequence, run });
            return;
        }
        a.bulk.dispatch(ParticipantsAction { conference_id: conference_id.clone(), ids, action: action.to_string() });
    };
    let run = StoredValue::new(run);
    let button = move |action: &'static str, label: &'static str, danger: bool| {
        view! {
            <button type="button" class=if danger { "danger" } else { "secondary" }
                disabled=move || count() == 0 || a.bulk.pending().get()
                on:click=move |_| run.with_value(|r| r(action))>{label}</button>
        }
    };
    view! {
        <Mirrored>
        <div class="bulk-bar" role="group" aria-label="Actions on the selected participants">
            <span class="bulk-count" data-testid="selected-count">{move || format!("{} selected", count())}</span>
            {button("mute_audio", "Mute", false)}
            {button("unmute_audio", "Unmute", false)}
            {button("connect", "Connect", false)}
            {button("disconnect", "Disconnect", false)}
            {button("delete", "Delete", true)}
        </div>
        </Mirrored>
    }
}

/// One icon button that posts a participant action (works before the page's code has
/// loaded too). `pressed`: for the toggles (audio muted, video suspended, chairperson).
fn row_action(a: Actions, pid: &str, action: &'static str, label: String, pressed: Option<bool>, class: &'static str, content: AnyView) -> impl IntoView {
    let pid = pid.to_string();
    // The grid stays usable on a Slave (search, sort); its actions do not (G5).
    let read_only = crate::live::use_read_only();
    view! {
        <ActionForm action=a.act attr:class="mini">
            <input type="hidden" name="participant_id" value=pid/>
            <input type="hidden" name="action" value=action/>
            <button type="submit" class=class aria-label=label.clone() title=label aria-pressed=pressed.map(|p| p.to_string())
                disabled=read_only>{content}</button>
        </ActionForm>
    }
}

/// Where a participant of this conference can go.
#[derive(Clone, Copy)]
struct Place {
    /// This is an entry queue's holding place (a caller is admitted elsewhere).
    in_entry_queue: bool,
    /// Calls are simulated on this MCU (`--simulate`) and this user runs conferences.
    simulate: bool,
    targets: StoredValue<Vec<ConferenceSummary>>,
    /// This conference's name (the Delete dialog says where from).
    conference: StoredValue<String>,
}

/// Move (or, for a caller awaiting assistance, Attend: admit here or where the operator
/// picks) and Back to Home, as the original's participant menu offers them.
fn place_controls(p: &Participant, a: Actions, here: Place) -> impl IntoView {
    let awaiting = p.state == ParticipantState::AwaitingAssistance;
    let name = p.name.clone();
    let select_id = format!("place-{}", p.id);
    let options = here.targets.with_value(|t| {
        t.iter().map(|c| view! { <option value=c.id.clone()>{format!("{} ({})", c.name, c.numeric_id)}</option> }).collect_view()
    });
    let first = match (awaiting, here.in_entry_queue) {
        (true, false) => view! { <option value="" selected=true>"This conference"</option> }.into_any(),
        _ => view! { <option value="" selected=true disabled=true>"Choose a conference"</option> }.into_any(),
    };
    let (action, button, label) = if awaiting {
        ("attend", "Attend", format!("Admit {name} to"))
    } else {
        ("move", "Move", format!("Move {name} to"))
    };
    let pid = p.id.clone();
    let home_pid = pid.clone();
    let home = p.home_conference_id.is_some().then(move || {
        view! {
            <ActionForm action=a.place attr:class="mini">
                <input type="hidden" name="participant_id" value=home_pid/>
                <input type="hidden" name="action" value="home"/>
                <button type="submit" class="secondary small" disabled=crate::live::use_read_only()>"Back to Home"</button>
            </ActionForm>
        }
    });
    let form = view! {
        <ActionForm action=a.place attr:class="mini place">
            <input type="hidden" name="participant_id" value=pid.clone()/>
            <input type="hidden" name="action" value=action/>
            <label for=select_id.clone() class="sr-only">{label}</label>
            <select id=select_id name="conference_id">{first}{options}</select>
            <button type="submit" class=if awaiting { "small" } else { "secondary small" } disabled=crate::live::use_read_only()>{button}</button>
        </ActionForm>
        {home}
    };
    if awaiting {
        Either::Left(view! { <div class="attend">{form}</div> })
    } else {
        let summary = format!("Move {name}…");
        Either::Right(view! {
            <details class="row-more">
                <summary class="icon-btn" aria-label=summary.clone() title=summary>{icon(Icon::Move, false)}</summary>
                <div class="popover">{form}</div>
            </details>
        })
    }
}

/// The original's Participant Properties: the address and how the call is made, when it
/// came up and went down (and why), who muted it, its home conference once moved, and what
/// the IVR asked and heard on the way in. A panel over the page (the browser's own popover:
/// it opens before the page's code has loaded, closes with Escape or a tap outside, and
/// nothing under it moves).
fn properties(p: &Participant, a: Actions, here: Place) -> impl IntoView {
    use crate::localtime::LocalTime;
    let s = &p.stamps;
    let time = |ms: Option<domain::Millis>| match ms {
        Some(ms) => view! { <LocalTime ms=ms/> }.into_any(),
        None => "—".into_any(),
    };
    let down = s.disconnected_ms.map(|ms| {
        let cause = p.disconnect_cause.map(|c| format!(" ({})", c.label()));
        view! { <dt>"Disconnected"</dt><dd><LocalTime ms=ms/>{cause}</dd> }
    });
    let muted = |what: &'static str, by: &Option<String>| by.clone().map(|by| view! { <dt>{what}</dt><dd>{by}</dd> });
    let home = p.home_conference_id.as_ref().map(|id| {
        let name = here.targets.with_value(|t| t.iter().find(|c| &c.id == id).map(|c| c.name.clone()));
        view! { <dt>"Home conference"</dt><dd>{name.unwrap_or_else(|| "(ended)".into())}</dd> }
    });
    let ivr = (!p.ivr_path.is_empty()).then(|| {
        let steps = p.ivr_path.iter().map(|s| view! { <li>{s.clone()}</li> }).collect_view();
        view! { <dt>"IVR path"</dt><dd><ol>{steps}</ol></dd> }
    });
    let media = (here.simulate && p.state.holds_port() && p.state != ParticipantState::AwaitingAssistance).then(|| simulate_media(p, a));
    let panel = format!("props-{}", p.id);
    let (open, id, close) = (panel.clone(), panel.clone(), panel);
    let title = format!("Properties of {}", p.name);
    let (label, tip) = (title.clone(), title.clone());
    view! {
        <button type="button" class="link props-open" popovertarget=open aria-label=label title=tip>"Properties"</button>
        <div popover="auto" id=id class="props" role="dialog" aria-label=title>
            <h3>{p.name.clone()}</h3>
            <dl>
                <dt>"Status"</dt><dd>{p.state.label()}</dd>
                <dt>"Address"</dt><dd>{p.address.clone()}</dd>
                <dt>"Network"</dt><dd>{network(p)}" · "{direction(p)}</dd>
                <dt>"Connected"</dt><dd>{time(s.connected_ms)}</dd>
                {down}
                {muted("Audio muted by", &s.audio_muted_by)}
                {muted("Video suspended by", &s.video_muted_by)}
                {home}
                {ivr}
            </dl>
            {media}
            <button type="button" class="secondary small" popovertarget=close popovertargetaction="hide">"Close"</button>
        </div>
    }
}

/// Under `--simulate`: what the call's media does (all streams up, audio only, a stream
/// down), so a demo shows Partially Connected and Faulty Connection as the original would.
fn simulate_media(p: &Participant, a: Actions) -> impl IntoView {
    let read_only = crate::live::use_read_only();
    let button = |media: &'static str, label: &'static str, now: bool| {
        let pid = p.id.clone();
        view! {
            <ActionForm action=a.media attr:class="mini">
                <input type="hidden" name="participant_id" value=pid/>
                <input type="hidden" name="media" value=media/>
                <button type="submit" class="secondary small" aria-pressed=now.to_string() disabled=read_only>{label}</button>
            </ActionForm>
        }
    };
    use ParticipantState::*;
    view! {
        <fieldset class="simulate-media">
            <legend>"Simulate the media"</legend>
            <div>
                {button("up", "All streams up", p.state == Connected)}
                {button("audio_only", "Audio only", p.state == PartiallyConnected)}
                {button("stream_down", "A stream down", p.state == FaultyConnection)}
            </div>
        </fieldset>
    }
}

fn participant_row(p: Participant, can: bool, a: Actions, grid: GridState, here: Place) -> impl IntoView {
    let name = p.name.clone();
    let pid = p.id.clone();
    let cause_text = match p.state {
        ParticipantState::Disconnected => p.disconnect_cause.map(|c| format!(" · {}", c.label())),
        _ => None,
    };
    let status_title = format!("{}{}", status_text(&p), cause_text.clone().unwrap_or_default());
    let cause = cause_text.map(|c| view! { <span class="cause">{c}</span> });
    let (audio_text, video_text) = (if p.audio_muted { "Muted" } else { "On" }, if p.video_muted { "Suspended" } else { "On" });
    // The controls exist only for who may run the conference.
    let audio = can.then(|| {
        row_action(a, &pid, if p.audio_muted { "unmute_audio" } else { "mute_audio" }, format!("Mute audio {name}"),
            Some(p.audio_muted), "icon-btn toggle", icon(Icon::Mic, p.audio_muted).into_any())
    });
    let video = can.then(|| {
        row_action(a, &pid, if p.video_muted { "unmute_video" } else { "mute_video" }, format!("Suspend video {name}"),
            Some(p.video_muted), "icon-btn toggle", icon(Icon::Video, p.video_muted).into_any())
    });
    let chair = can.then(|| {
        row_action(a, &pid, if p.chairperson { "make_regular" } else { "make_chairperson" }, format!("Chairperson {name}"),
            Some(p.chairperson), "icon-btn toggle chair", icon(Icon::Chair, false).into_any())
    });
    let call = can.then(|| {
        if p.state.holds_port() {
            row_action(a, &pid, "disconnect", format!("Disconnect {name}"), None, "icon-btn hang-up", icon(Icon::HangUp, false).into_any())
        } else {
            row_action(a, &pid, "connect", format!("Connect {name}"), None, "icon-btn call", icon(Icon::Call, false).into_any())
        }
    });
    let place = can.then(|| place_controls(&p, a, here));
    let (sel_id, sel_id2) = (pid.clone(), pid.clone());
    let checked = move || grid.selected.with(|s| s.contains(&sel_id));
    let selected_class = checked.clone();
    let ask = DeleteAsk {
        title: format!("Delete {name}?"),
        consequence: here.conference.with_value(|c| domain::danger::delete_participant(&name, &p.address, c)),
        run: DeleteRun::One { participant_id: pid.clone() },
    };
    view! {
        <tr data-participant=p.name.clone() class:selected=selected_class>
            {can.then(|| view! {
                <td class="sel">
                    <input type="checkbox" aria-label=format!("Select {name}") prop:checked=checked
                        on:change=move |_| grid.selected.update(|s| if !s.remove(&sel_id2) { s.insert(sel_id2.clone()); })/>
                </td>
            })}
            <td data-label="Name" class="name"><span class=dot_class(&p) aria-hidden="true"></span>{p.name.clone()}</td>
            // A fixed width (style): a status that changes never moves the other columns.
            <td data-label="Status" class="status" data-state=p.state.css()><div class="status-in">
                <span class="status-text" title=status_title>{status_text(&p)}{cause}</span>{properties(&p, a, here)}
            </div></td>
            <td data-label="Address" class="addr" title=p.address.clone()>{p.address.clone()}</td>
            <td data-label="Network" class="net">{network(&p)}</td>
            <td data-label="Dialing Direction" class="dir">{direction(&p)}</td>
            <td data-label="Audio" class="ctl"><div class="cell-toggle">{audio}<span class="state-text" class:off=p.audio_muted>{audio_text}</span></div></td>
            <td data-label="Video" class="ctl"><div class="cell-toggle">{video}<span class="state-text" class:off=p.video_muted>{video_text}</span></div></td>
            <td data-label="Role" class="ctl"><div class="cell-toggle">{chair}<span class="state-text">{if p.chairperson { "Chairperson" } else { "—" }}</span></div></td>
            {can.then(|| view! {
                <td data-label="Actions" class="ctl-last"><div class="actions">
                    {place}
                    {call}
                    <button type="button" class="icon-btn danger" aria-label=format!("Delete {name}") title=format!("Delete {name}")
                        disabled=crate::live::use_read_only() on:click=move |_| a.ask_delete(ask.clone())>{icon(Icon::Delete, false)}</button>
                </div></td>
            })}
        </tr>
    }
}
