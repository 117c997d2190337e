//! Small shared pieces of the pages.

use crate::error::AppError;
use leptos::prelude::*;

/// Controls that change the mirrored (synced) state: disabled on a Slave, where the
/// server refuses them too (G5); the banner above the page says where to make changes.
#[component]
pub fn Mirrored(children: Children) -> impl IntoView {
    let read_only = crate::live::use_read_only();
    view! { <fieldset class="mirrored" disabled=read_only>{children()}</fieldset> }
}

/// An error above a form or in place of a list, announced to screen readers.
#[component]
pub fn ErrorMsg(error: AppError) -> impl IntoView {
    view! { <p class="error" role="alert">{error.to_string()}</p> }
}

/// The result of a form's last submission that is not about one field: an error, or the
/// server's confirmation text.
#[component]
pub fn FormStatus(#[prop(into)] result: Signal<Option<Result<String, AppError>>>) -> impl IntoView {
    move || status_line(result.get())
}

/// A create form's answer: the confirmation with a link to what was made (`open` names
/// the link), or what `FormStatus` shows for an error.
#[component]
pub fn CreatedStatus(#[prop(into)] result: Signal<Option<Result<crate::api::Started, AppError>>>, open: &'static str) -> impl IntoView {
    move || match result.get() {
        Some(Ok(s)) => Some(view! { <p class="ok" role="status">{s.message}" "<a href=s.href>{open}</a></p> }.into_any()),
        other => status_line(other.map(|r| r.map(|s| s.message))),
    }
}

/// An answer as a status line: the confirmation, or an error that is not about one field
/// (those stand under their field).
fn status_line(answer: Option<Result<String, AppError>>) -> Option<AnyView> {
    match answer {
        Some(Err(e)) if !e.is_field_error() || e.for_field("").is_some() => {
            Some(view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any())
        }
        Some(Ok(msg)) => Some(view! { <p class="ok" role="status">{msg}</p> }.into_any()),
        _ => None,
    }
}

/// The message for one field from the last submission, shown under the input and tied to
/// it with `aria-describedby` (the input uses the id `{id}-error`).
#[component]
pub fn FieldError<T: Clone + Send + Sync + 'static>(
    #[prop(into)] id: String,
    field: &'static str,
    #[prop(into)] result: Signal<Option<Result<T, AppError>>>,
) -> impl IntoView {
    let msg = move || result.get().and_then(|r| r.err()).and_then(|e| e.for_field(field));
    view! {
        <span class="field-error" id=format!("{id}-error") role="alert">{msg}</span>
    }
}

/// Whether the last submission failed on `field` (for `aria-invalid`).
pub fn invalid<T: Clone + Send + Sync + 'static>(
    result: Signal<Option<Result<T, AppError>>>,
    field: &'static str,
) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    move || {
        if result.get().and_then(|r| r.err()).and_then(|e| e.for_field(field)).is_some() {
            "true"
        } else {
            "false"
        }
    }
}

/// Counts the successful answers of a form's action. Pages key their data on this rather
/// than on the action's version, so a refused submission does not rebuild the form and
/// the user keeps what they typed.
pub fn count_ok(result: Signal<Option<Result<String, AppError>>>) -> ReadSignal<u32> {
    let (n, set_n) = signal(0u32);
    Effect::new(move |_| {
        if matches!(result.get(), Some(Ok(_))) {
            set_n.update(|n| *n = n.wrapping_add(1));
        }
    });
    n
}

/// A destructive action inside its `ActionForm`: a red button that opens a dialog saying
/// what will happen (`consequence`); with `typed` (this MCU's name: failover, disable,
/// reset) the action runs only once that name is typed — the server checks it too
/// (`confirm`). Works before the page's code has loaded (the browser's own dialog commands
/// and pattern check); the dialog closes once the action is sent (`pending`).
pub fn danger_confirm(id: &'static str, label: &'static str, consequence: String, typed: Option<String>, pending: Signal<bool>) -> impl IntoView {
    let opener = Opener { class: "danger", name: None, content: label.into_any() };
    danger_dialog(id.to_string(), opener, format!("{label}?"), label, consequence, typed, pending)
}

/// The button that opens a [`danger_dialog`]: its class, its accessible name when its
/// content does not say it (an icon, "Delete" in a row), and its content.
pub struct Opener {
    pub class: &'static str,
    pub name: Option<String>,
    pub content: AnyView,
}

/// A Delete in a row: the red "Delete" button, named after the row (`Delete HD`), and its
/// dialog titled `title` ("Delete the profile 'HD'?") that says what goes.
pub fn delete_confirm(id: String, name: &str, title: String, consequence: String, pending: Signal<bool>) -> impl IntoView {
    let opener = Opener { class: "danger", name: Some(format!("Delete {name}")), content: "Delete".into_any() };
    danger_dialog(id, opener, title, "Delete", consequence, None, pending)
}

/// The dialog behind every destructive action (see [`danger_confirm`]): `title` asks,
/// `consequence` says what happens, the red `confirm` button submits the form it is in.
pub fn danger_dialog(
    id: String,
    opener: Opener,
    title: String,
    confirm: &'static str,
    consequence: String,
    typed: Option<String>,
    pending: Signal<bool>,
) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    Effect::new(move |_| {
        if pending.get() {
            if let Some(d) = dialog.get_untracked() {
                d.close();
            }
        }
    });
    let (title_id, labelled_by) = (format!("{id}-title"), format!("{id}-title"));
    let name_field = typed.map(|mcu| {
        let input = format!("{id}-confirm");
        let pattern = domain::validate::exact_pattern(&mcu);
        let hint = format!("The MCU's name: {mcu}");
        let ask = format!("Type this MCU's name, {mcu}, to confirm");
        view! {
            <label for=input.clone()>{ask}</label>
            <input id=input name="confirm" required pattern=pattern autocomplete="off" autocapitalize="none" spellcheck="false" title=hint/>
        }
    });
    let (open_for, cancel_for, dialog_id) = (id.clone(), id.clone(), id);
    let Opener { class, name, content } = opener;
    view! {
        <button type="button" class=class aria-label=name.clone() title=name commandfor=open_for command="show-modal">{content}</button>
        <dialog id=dialog_id node_ref=dialog class="danger-dialog" aria-labelledby=labelled_by>
            <h2 id=title_id>{title}</h2>
            <p class="consequence">{consequence}</p>
            {name_field}
            <div class="dialog-actions">
                <button type="button" class="secondary" commandfor=cancel_for command="close">"Cancel"</button>
                <button type="submit" class="danger">{confirm}</button>
            </div>
        </dialog>
    }
}

/// A create form finishes cleanly: after a success the form is emptied (nothing to submit
/// twice by mistake), and after any answer its password fields (`secrets`) are emptied —
/// a password never stays on screen.
pub fn finish_cleanly<T: Clone + Send + Sync + 'static>(
    form: NodeRef<leptos::html::Form>,
    secrets: Vec<NodeRef<leptos::html::Input>>,
    answer: Signal<Option<Result<T, AppError>>>,
) {
    Effect::new(move |_| {
        let Some(result) = answer.get() else { return };
        for s in &secrets {
            if let Some(input) = s.get_untracked() {
                input.set_value("");
            }
        }
        if result.is_ok() {
            if let Some(f) = form.get_untracked() {
                f.reset();
            }
        }
    });
}

/// What a form's action answered last.
pub type Answer = Signal<Option<Result<String, AppError>>>;

/// A labelled text input with its field error underneath. `id` must be unique on the page
/// (forms repeated per row prefix it with the row's id).
#[component]
pub fn TextField(
    #[prop(into)] id: String,
    name: &'static str,
    #[prop(into)] label: String,
    #[prop(into, optional)] value: String,
    result: Answer,
    /// "numeric" for digits (phone keypads), otherwise none.
    #[prop(optional)]
    inputmode: Option<&'static str>,
    /// The input's type; "text" when not given.
    #[prop(optional)]
    kind: Option<&'static str>,
    #[prop(optional)] placeholder: Option<&'static str>,
    /// Extra attribute for `datetime-local` (seconds): "1".
    #[prop(optional)]
    step: Option<&'static str>,
) -> impl IntoView {
    let described = format!("{id}-error");
    view! {
        <label for=id.clone()>{label}</label>
        <input id=id.clone() name=name type=kind.unwrap_or("text") value=value inputmode=inputmode placeholder=placeholder step=step
            aria-describedby=described aria-invalid=invalid(result, name)/>
        <FieldError id=id field=name result=result/>
    }
}

/// The Edit and Delete cell of a resource row: Edit opens the row's form in a dialog of its
/// own, Delete a dialog that says what goes, then posts to `delete_resource`.
pub fn edit_delete_cell(
    kind: &'static str,
    what: &'static str,
    id: String,
    name: &str,
    form: AnyView,
    delete: ServerAction<crate::api::DeleteResource>,
) -> impl IntoView {
    let (edit_label, edit_title, edit_id) = (format!("Edit {name}"), format!("Edit the {what} '{name}'"), format!("edit-{kind}-{id}"));
    let (edit_for, close_for, dialog_id, title_id, labelled_by) =
        (edit_id.clone(), edit_id.clone(), edit_id.clone(), format!("{edit_id}-title"), format!("{edit_id}-title"));
    let dialog = delete_confirm(
        format!("delete-{kind}-{id}"),
        name,
        format!("Delete the {what} '{name}'?"),
        domain::danger::delete_record(what, name),
        delete.pending().into(),
    );
    view! {
        // Editing opens as a form of its own, over the list (the row stays as it is).
        <button type="button" class="secondary" aria-label=edit_label.clone() title=edit_label commandfor=edit_for command="show-modal">"Edit"</button>
        <dialog id=dialog_id class="edit-dialog" aria-labelledby=labelled_by>
            <div class="dialog-head">
                <h2 id=title_id>{edit_title}</h2>
                <button type="button" class="secondary" commandfor=close_for command="close">"Close"</button>
            </div>
            {form}
        </dialog>
        <ActionForm action=delete attr:class="mini">
            <input type="hidden" name="kind" value=kind/>
            <input type="hidden" name="id" value=id/>
            {dialog}
        </ActionForm>
    }
}

/// Closes the open Edit dialogs of a list.
fn close_edit_dialogs() {
    use leptos::wasm_bindgen::JsCast;
    // One is open at a time (they are modal); a few at most, each closed drops `[open]`.
    for _ in 0..8 {
        let Ok(Some(open)) = document().query_selector("dialog.edit-dialog[open]") else { return };
        match open.dyn_into::<leptos::web_sys::HtmlDialogElement>() {
            Ok(d) => d.close(),
            Err(_) => return,
        }
    }
}

/// The frame of a resource list page: the "New" form (rebuilt only after a successful
/// save, so nobody else's change empties what the user is typing), the results of the
/// row actions, and the list (reloaded on every change, here or anywhere).
#[allow(clippy::too_many_arguments)]
pub fn resource_page<T, Fut, N, L>(
    title: &'static str,
    new_label: &'static str,
    fetch: fn() -> Fut,
    saved: ReadSignal<u32>,
    changed: Signal<u32>,
    statuses: Vec<Answer>,
    new_form: N,
    list: L,
) -> impl IntoView
where
    T: serde::Serialize + serde::de::DeserializeOwned + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<T, AppError>> + Send + 'static,
    N: Fn(T) -> Option<AnyView> + Copy + Send + Sync + 'static,
    L: Fn(T) -> AnyView + Copy + Send + Sync + 'static,
{
    let live = crate::live::use_live_changes();
    let data = Resource::new(move || (changed.get(), live.get()), move |_| fetch());
    let form_data = Resource::new(move || saved.get(), move |_| fetch());
    // A row's Edit dialog closes once its form is saved (the reloaded list reuses the
    // row's elements, the dialog's open state with them).
    Effect::new(move |was: Option<u32>| {
        let n = saved.get();
        if was.is_some_and(|w| w != n) {
            close_edit_dialogs();
        }
        n
    });
    view! {
        <leptos_meta::Title text=title/>
        <h1>{title}</h1>
        <Flash answers=statuses/>
        <Mirrored>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                form_data.await.ok().and_then(new_form).map(|form| view! {
                    <details class="card">
                        <summary>{new_label}</summary>
                        {form}
                    </details>
                })
            })}
        </Transition>
        </Mirrored>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => list(v),
                    Err(e) => view! { <ErrorMsg error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Sum of counters, for keying a list on several actions' successes.
pub fn any_of(counts: Vec<ReadSignal<u32>>) -> Signal<u32> {
    Signal::derive(move || counts.iter().fold(0u32, |a, c| a.wrapping_add(c.get())))
}

/// A list as an RMX administrator knows it: a caption with the count, the column headers
/// (and "Actions" when the user may act), one row per record; `empty` when there is none.
/// On a phone the rows become cards (each cell carries its `data-label`).
/// Above the rows: a search box that hides the rows without the text, and column
/// headers that sort (again on the same header: the other way round). Both are kept per
/// list while the page is open and applied again whenever the list reloads.
pub fn list_table(title: &str, empty: &'static str, headers: &[&'static str], actions: bool, rows: Vec<AnyView>) -> AnyView {
    if rows.is_empty() {
        return view! { <p class="empty">{empty}</p> }.into_any();
    }
    let total = rows.len();
    let caption = format!("{title} ({total})");
    let key = title.to_string();
    let table = NodeRef::<leptos::html::Table>::new();
    // Reference-counted: it outlives this rendering of the list (kept by the frame).
    let state = list_state(&key);
    let shown = RwSignal::new(total);
    let apply = {
        let state = state.clone();
        move || {
            if let Some(t) = table.get_untracked() {
                let (sort, query) = state.get_untracked();
                shown.set(tools::apply(&t, sort, &query));
            }
        }
    };
    let state = StoredValue::new(state);
    // After every render (a reload of the list re-creates the rows in server order).
    let apply = StoredValue::new(apply);
    Effect::new(move |_| {
        if table.get().is_some() {
            apply.with_value(|a| a());
        }
    });
    let heads = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let aria_sort = move || match state.with_value(|s| s.get().0) {
                Some((c, true)) if c == i => "ascending",
                Some((c, false)) if c == i => "descending",
                _ => "none",
            };
            view! {
                <th scope="col" aria-sort=aria_sort>
                    <button type="button" class="sort" on:click=move |_| {
                        state.with_value(|st| st.update(|(s, _)| *s = Some(match *s { Some((c, asc)) if c == i => (i, !asc), _ => (i, true) })));
                        apply.with_value(|a| a());
                    }>
                        {*h}<span class="sort-mark" aria-hidden="true">{move || match aria_sort() { "ascending" => "▲", "descending" => "▼", _ => "" }}</span>
                    </button>
                </th>
            }
        })
        .collect_view();
    let sort_options = headers
        .iter()
        .enumerate()
        .flat_map(|(i, h)| {
            [(i, true, format!("{i}-asc"), format!("{h} (A–Z, 0–9)")), (i, false, format!("{i}-desc"), format!("{h} (Z–A, 9–0)"))]
        })
        .map(|(i, asc, value, label)| {
            let selected = move || state.with_value(|s| s.get().0) == Some((i, asc));
            view! { <option value=value selected=selected>{label}</option> }
        })
        .collect_view();
    let search_id = format!("search-{}", title.to_lowercase().replace(' ', "-"));
    let sort_id = format!("{search_id}-sort");
    let label = format!("Search {}", title.to_lowercase());
    view! {
        <div class="list-tools">
            <label for=search_id.clone() class="sr-only">{label}</label>
            <input id=search_id type="search" placeholder="Search" prop:value=move || state.with_value(|s| s.get_untracked().1)
                on:input=move |ev| {
                    state.with_value(|s| s.update(|(_, q)| *q = event_target_value(&ev)));
                    apply.with_value(|a| a());
                }/>
            <div class="sort-select">
                <label for=sort_id.clone()>"Sort by"</label>
                <select id=sort_id on:change=move |ev| {
                    let v = event_target_value(&ev);
                    let choice = v.split_once('-').and_then(|(c, d)| c.parse::<usize>().ok().map(|c| (c, d == "asc")));
                    state.with_value(|s| s.update(|(s, _)| *s = choice));
                    apply.with_value(|a| a());
                }>
                    <option value="">"List order"</option>
                    {sort_options}
                </select>
            </div>
            <span class="note" aria-live="polite">{move || {
                let n = shown.get();
                if n == total { format!("{total} shown") } else { format!("{n} of {total} shown") }
            }}</span>
        </div>
        <table class="list" node_ref=table>
            <caption>{caption}</caption>
            <thead><tr>{heads}{actions.then(|| view! { <th scope="col">"Actions"</th> })}</tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

/// A list's sort (column, ascending) and search text, kept while the page is open (the
/// list itself is rebuilt at every reload).
fn list_state(key: &str) -> ArcRwSignal<ListState> {
    let Some(lists) = use_context::<ListStates>() else { return ArcRwSignal::new((None, String::new())) };
    if let Some(s) = lists.0.with_value(|m| m.get(key).cloned()) {
        return s;
    }
    let s = ArcRwSignal::new((None, String::new()));
    lists.0.update_value(|m| {
        m.insert(key.to_string(), s.clone());
    });
    s
}

/// A list's sort (column, ascending) and search text.
type ListState = (Option<(usize, bool)>, String);

/// Every list's sort and search, by list title; the frame provides it, so it outlives
/// the reloads of each list.
#[derive(Clone, Copy, Default)]
pub struct ListStates(StoredValue<std::collections::HashMap<String, ArcRwSignal<ListState>>>);

/// Sorting and filtering the rows in the browser (the rows stay the server's; only their
/// order and visibility change).
mod tools {
    /// Sorts by column `sort` and hides rows without `query`; returns how many show.
    #[cfg(feature = "hydrate")]
    pub fn apply(table: &leptos::web_sys::HtmlTableElement, sort: Option<(usize, bool)>, query: &str) -> usize {
        use leptos::wasm_bindgen::JsCast;
        let Some(body) = table.t_bodies().item(0) else { return 0 };
        let rows: Vec<leptos::web_sys::HtmlElement> = {
            let list = body.children();
            (0..list.length()).filter_map(|i| list.item(i)).filter_map(|e| e.dyn_into().ok()).collect()
        };
        let cell_text = |row: &leptos::web_sys::HtmlElement, col: usize| -> String {
            let cells = row.children();
            cells.item(col as u32).and_then(|c| c.text_content()).unwrap_or_default()
        };
        let searchable = |row: &leptos::web_sys::HtmlElement| -> String {
            let cells = row.children();
            (0..cells.length())
                .filter_map(|i| cells.item(i))
                .filter(|c| c.get_attribute("data-label").as_deref() != Some("Actions"))
                .filter_map(|c| c.text_content())
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        };
        let q = query.trim().to_lowercase();
        let mut shown = 0;
        for r in &rows {
            let hit = q.is_empty() || searchable(r).contains(&q);
            r.set_hidden(!hit);
            shown += usize::from(hit);
        }
        if let Some((col, ascending)) = sort {
            let mut keyed: Vec<(String, leptos::web_sys::HtmlElement)> = rows.into_iter().map(|r| (cell_text(&r, col), r)).collect();
            keyed.sort_by(|a, b| {
                let o = super::compare_cells(&a.0, &b.0);
                if ascending { o } else { o.reverse() }
            });
            for (_, r) in keyed {
                let _ = body.append_child(&r);
            }
        }
        shown
    }

    #[cfg(not(feature = "hydrate"))]
    pub fn apply(_: &leptos::web_sys::HtmlTableElement, _: Option<(usize, bool)>, _: &str) -> usize {
        0
    }
}

/// Two cells compared as a person expects: by their leading numbers when both start with
/// one ("9 kbps" before "10 kbps", "(2/3)" before "(10/12)"), else as text, ignoring case.
pub fn compare_cells(a: &str, b: &str) -> std::cmp::Ordering {
    fn leading_number(s: &str) -> Option<f64> {
        let t = s.trim().trim_start_matches('(');
        let end = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
        t[..end].parse().ok()
    }
    match (leading_number(a), leading_number(b)) {
        (Some(x), Some(y)) if !a.contains('-') && !b.contains('-') => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
        _ => a.to_lowercase().cmp(&b.to_lowercase()),
    }
}

/// The "Actions" cell of a row; its controls change mirrored state, so a Slave disables them.
pub fn actions_cell(inner: impl IntoView + 'static) -> AnyView {
    view! { <td data-label="Actions"><div class="actions"><Mirrored>{inner}</Mirrored></div></td> }.into_any()
}

/// A page's one status line for its row and toolbar actions: the newest answer of any of
/// `answers` (older ones do not pile up), shown over the page at the foot of the window so
/// no row moves under the pointer. A confirmation goes away by itself after a few seconds;
/// an error stays until the next action or Dismiss. Field errors belong under their fields.
#[component]
pub fn Flash(answers: Vec<Answer>) -> impl IntoView {
    let latest = RwSignal::new(None::<Result<String, AppError>>);
    for a in answers {
        Effect::new(move |_| {
            if let Some(v) = a.get() {
                latest.set(Some(v));
            }
        });
    }
    Effect::new(move |_| {
        if matches!(latest.get(), Some(Ok(_))) {
            if let Ok(h) = set_timeout_with_handle(move || latest.set(None), std::time::Duration::from_secs(FLASH_S)) {
                on_cleanup(move || h.clear());
            }
        }
    });
    // At the foot of the window, over the page (style): nothing under the pointer moves.
    let line = move || {
        status_line(latest.get()).map(|l| {
            view! {
                {l}
                <button type="button" class="flash-close" aria-label="Dismiss" on:click=move |_| latest.set(None)>"×"</button>
            }
        })
    };
    view! {
        <div class="flash" aria-live="polite">{line}</div>
    }
}

/// How long a confirmation stays on screen.
pub const FLASH_S: u64 = 5;

/// The small line icons of the participant grid and toolbars (drawn here, 24×24, stroked
/// in the text colour). Decorative: the button around one carries the accessible name.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Icon {
    Mic,
    Video,
    Chair,
    Call,
    HangUp,
    Delete,
    Lock,
    Unlock,
    /// Move to another conference.
    Move,
}

pub fn icon(i: Icon, struck: bool) -> impl IntoView {
    let body = match i {
        Icon::Mic => view! { <rect x="9" y="3" width="6" height="11" rx="3"/><path d="M5 11a7 7 0 0 0 14 0M12 18v3"/> }.into_any(),
        Icon::Video => view! { <rect x="3" y="6" width="12" height="12" rx="2"/><path d="M15 10l6-3v10l-6-3z"/> }.into_any(),
        Icon::Chair => view! { <path d="M12 3l2.7 5.6 6.1.9-4.4 4.3 1 6.1L12 17l-5.4 2.9 1-6.1-4.4-4.3 6.1-.9z"/> }.into_any(),
        Icon::Call => view! { <path d="M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2"/> }.into_any(),
        Icon::HangUp => view! { <path transform="rotate(135 12 12)" d="M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2"/> }.into_any(),
        Icon::Delete => view! { <path d="M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3"/> }.into_any(),
        Icon::Lock => view! { <rect x="5" y="11" width="14" height="10" rx="2"/><path d="M8 11V7a4 4 0 0 1 8 0v4"/> }.into_any(),
        Icon::Unlock => view! { <rect x="5" y="11" width="14" height="10" rx="2"/><path d="M8 11V7a4 4 0 0 1 7.5-2"/> }.into_any(),
        Icon::Move => view! { <path d="M4 8h13M13 4l4 4-4 4M20 16H7M11 12l-4 4 4 4"/> }.into_any(),
    };
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            {body}
            {struck.then(|| view! { <path class="strike" d="M4 4l16 16"/> })}
        </svg>
    }
}

/// The errors of `action` for one form only: the "New" form and every row's Edit form post
/// to the same action, and each shows only what its own submission got back. `mine` is the
/// form's record id (empty for "New"); `key` reads it from a submission.
pub fn answer_for<S>(action: ServerAction<S>, mine: String, key: fn(&S) -> String) -> Answer
where
    S: leptos::server_fn::ServerFn<Output = String, Error = AppError> + Clone + Send + Sync + 'static,
{
    let last = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(k) = action.input().with(|i| i.as_ref().map(key)) {
            last.set(Some(k));
        }
    });
    // Only errors: the confirmation goes to the page's status line (`Flash`), and a form
    // rebuilt after a save starts clean.
    Signal::derive(move || if last.with(|l| l.as_deref() == Some(mine.as_str())) { action.value().get().filter(|r| r.is_err()) } else { None })
}

/// Only the confirmations of an action (its errors are shown in its own form).
pub fn successes(a: Answer) -> Answer {
    Signal::derive(move || a.get().filter(|r| r.is_ok()))
}

/// Percent-encodes a value for a link's query (the export links carry the page's filter).
pub fn query_value(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Who is logged in, for the pages inside the frame.
#[derive(Clone)]
pub struct CurrentUser(pub domain::UserView);

/// Calls are simulated on this MCU (`--simulate`): the pages offer to place one.
#[derive(Clone, Copy)]
pub struct Simulation(pub bool);
