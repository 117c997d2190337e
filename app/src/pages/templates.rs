//! Conference Templates: conferences saved from their page ("Save as template"), each
//! started again here in one action (its profile, duration, lock and participants dialled).

use crate::api::{get_templates, DeleteResource, StartTemplate, TemplatesView};
use crate::components::{actions_cell, delete_confirm, list_table, Answer, CreatedStatus, ErrorMsg, Flash, Mirrored};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TemplatesPage() -> impl IntoView {
    let start = ServerAction::<StartTemplate>::new();
    let delete = ServerAction::<DeleteResource>::new();
    let delete_r: Answer = Signal::derive(move || delete.value().get());
    let live = crate::live::use_live_changes();
    let data = Resource::new(move || (live.get(), delete.version().get()), |_| get_templates());
    view! {
        <Title text="Conference Templates"/>
        <h1>"Conference Templates"</h1>
        <p class="note">"A running conference is saved as a template from its page (Save as template): its profile, duration, lock and participants. Start starts it again and dials them."</p>
        <CreatedStatus result=Signal::derive(move || start.value().get()) open="Open the conference"/>
        <Flash answers=vec![delete_r]/>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => Either::Left(templates_table(v, start, delete)),
                    Err(e) => Either::Right(view! { <ErrorMsg error=e/> }),
                }
            })}
        </Transition>
    }
}

fn templates_table(v: TemplatesView, start: ServerAction<StartTemplate>, delete: ServerAction<DeleteResource>) -> AnyView {
    let actions = v.can_manage || v.can_start;
    let (can_manage, can_start, profiles) = (v.can_manage, v.can_start, v.profiles);
    let rows = v
        .templates
        .into_iter()
        .map(|t| {
            let profile = if t.profile_id.is_empty() {
                "Default".to_string()
            } else {
                profiles.iter().find(|p| p.id == t.profile_id).map(|p| p.name.clone()).unwrap_or_else(|| "— (deleted)".into())
            };
            let duration = if t.duration_min == 0 { "Until terminated".to_string() } else { format!("{}:{:02}", t.duration_min / 60, t.duration_min % 60) };
            let people = t.participants.iter().map(|p| p.name.clone()).collect::<Vec<_>>().join(", ");
            let start_button = can_start.then(|| {
                let (id, label) = (t.id.clone(), format!("Start {}", t.name));
                view! {
                    <ActionForm action=start attr:class="mini">
                        <input type="hidden" name="id" value=id/>
                        <button type="submit" aria-label=label.clone() title=label disabled=move || start.pending().get()>"Start"</button>
                    </ActionForm>
                }
            });
            let delete_button = can_manage.then(|| {
                let dialog = delete_confirm(
                    format!("delete-template-{}", t.id),
                    &t.name,
                    format!("Delete the template '{}'?", t.name),
                    domain::danger::delete_record("template", &t.name),
                    delete.pending().into(),
                );
                view! {
                    <ActionForm action=delete attr:class="mini">
                        <input type="hidden" name="kind" value="template"/>
                        <input type="hidden" name="id" value=t.id.clone()/>
                        {dialog}
                    </ActionForm>
                }
            });
            let cell = actions.then(|| actions_cell(view! { <Mirrored>{start_button}{delete_button}</Mirrored> }));
            view! {
                <tr data-template=t.name.clone()>
                    <td data-label="Name">{t.name.clone()}</td>
                    <td data-label="Profile">{profile}</td>
                    <td data-label="Duration">{duration}</td>
                    <td data-label="Locked">{if t.locked { "Yes" } else { "No" }}</td>
                    <td data-label="Participants">{format!("{}: {people}", t.participants.len())}</td>
                    {cell}
                </tr>
            }
            .into_any()
        })
        .collect();
    list_table(
        "Templates",
        "No templates yet. Open a running conference and choose Save as template.",
        &["Name", "Profile", "Duration", "Locked", "Participants"],
        actions,
        rows,
    )
}
