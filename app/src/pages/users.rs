//! The Users page: list, add, change role, change password, delete. The server refuses
//! every change from anyone but an Administrator; the page only hides the forms.

use crate::api::{list_users, AddUser, ChangeOwnPassword, DeleteUser, SetUserDisabled, SetUserPassword, SetUserRole, UnlockUser};
use crate::components::{count_ok, invalid, ErrorMsg, FieldError, FormStatus};
use domain::{Role, UserView};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn UsersPage() -> impl IntoView {
    let add = ServerAction::<AddUser>::new();
    let set_role = ServerAction::<SetUserRole>::new();
    let set_password = ServerAction::<SetUserPassword>::new();
    let delete = ServerAction::<DeleteUser>::new();
    let disable = ServerAction::<SetUserDisabled>::new();
    let unlock = ServerAction::<UnlockUser>::new();
    let acts = UserActions { set_role, set_password, delete, disable, unlock };
    let ok = [add.value(), set_role.value(), set_password.value(), delete.value(), disable.value(), unlock.value()].map(|v| count_ok(Signal::derive(move || v.get())));
    let users = Resource::new(move || ok.map(|n| n.get()), |_| list_users());
    // The newest answer of any row action, for one status line above the table.
    let (row_result, set_row_result) = signal(None);
    for a in [set_role.value(), set_password.value(), delete.value(), disable.value(), unlock.value()] {
        Effect::new(move |_| {
            if let Some(v) = a.get() {
                set_row_result.set(Some(v));
            }
        });
    }
    view! {
        <Title text="Users"/>
        <h1>"Users"</h1>
        <SlaveUsersNote/>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(list) => Either::Left(view! {
                        {list.can_manage.then(|| view! { <AddUserForm add=add/> })}
                        <FormStatus result=row_result/>
                        {crate::components::list_table(
                            "Users",
                            "No users.",
                            &["User Name", "Authorization Level", "Disabled", "Locked"],
                            list.can_manage,
                            list.users.iter().map(|u| {
                                let disabled = list.disabled.iter().any(|d| d.eq_ignore_ascii_case(&u.name));
                                let locked = list.locked.iter().find(|(n, _)| n.eq_ignore_ascii_case(&u.name)).map(|(_, s)| *s);
                                view! {
                                    <UserRow user=u.clone() disabled=disabled locked=locked can_manage=list.can_manage acts=acts/>
                                }.into_any()
                            }).collect(),
                        )}
                    }),
                    Err(e) => Either::Right(view! { <ErrorMsg error=e/> }),
                }
            })}
        </Transition>
    }
}

fn role_options(selected: Option<Role>) -> impl IntoView {
    Role::ALL
        .into_iter()
        .map(|r| view! { <option value=r.key() selected=Some(r) == selected>{r.label()}</option> })
        .collect_view()
}

#[component]
fn AddUserForm(add: ServerAction<AddUser>) -> impl IntoView {
    let result = Signal::derive(move || add.value().get());
    let (form, password) = (NodeRef::new(), NodeRef::new());
    crate::components::finish_cleanly(form, vec![password], result);
    view! {
        <details class="card" open>
            <summary>"Add user"</summary>
            <ActionForm action=add node_ref=form attr:class="form inline">
                <div class="field">
                    <label for="new-user-name">"User name"</label>
                    <input id="new-user-name" name="name" autocomplete="off" autocapitalize="none"
                        aria-describedby="new-user-name-error" aria-invalid=invalid(result, "name")/>
                    <FieldError id="new-user-name" field="name" result=result/>
                </div>
                <div class="field">
                    <label for="new-user-password">"Password"</label>
                    <input id="new-user-password" node_ref=password name="password" type="password" autocomplete="new-password"
                        aria-describedby="new-user-password-error" aria-invalid=invalid(result, "password")/>
                    <FieldError id="new-user-password" field="password" result=result/>
                </div>
                <div class="field">
                    <label for="new-user-role">"Authorization level"</label>
                    <select id="new-user-role" name="role" aria-describedby="new-user-role-error">
                        {role_options(Some(Role::Operator))}
                    </select>
                    <FieldError id="new-user-role" field="role" result=result/>
                </div>
                <button type="submit" disabled=move || add.pending().get()>"Add user"</button>
            </ActionForm>
            <FormStatus result=result/>
        </details>
    }
}

/// The row actions of the Users page.
#[derive(Clone, Copy)]
struct UserActions {
    set_role: ServerAction<SetUserRole>,
    set_password: ServerAction<SetUserPassword>,
    delete: ServerAction<DeleteUser>,
    disable: ServerAction<SetUserDisabled>,
    unlock: ServerAction<UnlockUser>,
}

#[component]
fn UserRow(user: UserView, disabled: bool, locked: Option<u64>, can_manage: bool, acts: UserActions) -> impl IntoView {
    let UserActions { set_role, set_password, delete, disable, unlock } = acts;
    let name = user.name.clone();
    let slug: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let role_id = format!("role-{slug}");
    let pw_id = format!("pw-{slug}");
    let (n1, n2, n3, n4, n5) = (name.clone(), name.clone(), name.clone(), name.clone(), name.clone());
    let (disable_label, unlock_label) = (format!("{} {name}", if disabled { "Enable" } else { "Disable" }), format!("Unlock {name}"));
    let role_label = format!("Authorization level of {name}");
    let pw_label = format!("New password for {name}");
    let delete_id = format!("delete-user-{slug}");
    view! {
        <tr data-user=name.clone()>
            <td data-label="User Name">{name.clone()}</td>
            <td data-label="Authorization Level">{user.role.label()}</td>
            <td data-label="Disabled">{if disabled { "Yes" } else { "No" }}</td>
            <td data-label="Locked">{match locked { Some(s) => format!("Yes ({s} s left)"), None => "No".into() }}</td>
            {can_manage.then(|| view! {
            <td data-label="Actions"><div class="actions">
                <ActionForm action=disable attr:class="mini">
                    <input type="hidden" name="name" value=n4.clone()/>
                    <input type="hidden" name="disabled" value=if disabled { "0" } else { "1" }/>
                    <button type="submit" class="secondary" aria-label=disable_label.clone()>
                        {if disabled { "Enable" } else { "Disable" }}
                    </button>
                </ActionForm>
                {locked.map(|_| view! {
                    <ActionForm action=unlock attr:class="mini">
                        <input type="hidden" name="name" value=n5.clone()/>
                        <button type="submit" class="secondary" aria-label=unlock_label.clone()>"Unlock"</button>
                    </ActionForm>
                })}
                <ActionForm action=set_role attr:class="mini">
                    <input type="hidden" name="name" value=n1.clone()/>
                    <label for=role_id.clone() class="sr-only">{role_label.clone()}</label>
                    <select id=role_id.clone() name="role">{role_options(Some(user.role))}</select>
                    <button type="submit">"Set role"</button>
                </ActionForm>
                <ActionForm action=set_password attr:class="mini">
                    <input type="hidden" name="name" value=n2.clone()/>
                    <label for=pw_id.clone() class="sr-only">{pw_label.clone()}</label>
                    <input id=pw_id.clone() name="password" type="password" autocomplete="new-password" placeholder="New password"/>
                    <button type="submit">"Set password"</button>
                </ActionForm>
                <ActionForm action=delete attr:class="mini">
                    <input type="hidden" name="name" value=n3.clone()/>
                    {crate::components::delete_confirm(delete_id.clone(), &n3, format!("Delete the user '{n3}'?"), domain::danger::delete_user(&n3), delete.pending().into())}
                </ActionForm>
            </div></td>
            })}
        </tr>
    }
}

/// On a Slave the users stay editable (they are this MCU's own), but G2 wants the same
/// users and passwords on both MCUs: the same change belongs on the Master.
#[component]
fn SlaveUsersNote() -> impl IntoView {
    let hb = crate::live::use_hb_live();
    move || {
        let l = hb.snap.get().filter(|l| l.read_only())?;
        let link = l.master_url.clone().map(|u| view! { " "<a href=format!("{u}/users")>"Users on the Master"</a> });
        Some(view! {
            <p class="note-box" data-testid="g2-note">
                <strong>"G2: "</strong>
                {format!("the users and their passwords must be the same on both MCUs. Make any change here on the Master ({}) too, or Hot Backup reports that the users differ.", l.master_name())}
                {link}
            </p>
        })
    }
}

/// Every user's own page: their name and role, and their password changed (the current one
/// first). Both password fields are emptied after every answer.
#[component]
pub fn AccountPage() -> impl IntoView {
    let change = ServerAction::<ChangeOwnPassword>::new();
    let result = Signal::derive(move || change.value().get());
    let (form, current, new) = (NodeRef::new(), NodeRef::new(), NodeRef::new());
    crate::components::finish_cleanly(form, vec![current, new], result);
    let me = use_context::<crate::components::CurrentUser>().map(|u| u.0);
    let who = me.map(|u| format!("You are logged in as {} ({}).", u.name, u.role.label())).unwrap_or_default();
    view! {
        <leptos_meta::Title text="My password"/>
        <h1>"My password"</h1>
        <p>{who}</p>
        <section class="card" aria-labelledby="pw-h">
            <h2 id="pw-h">"Change my password"</h2>
            <ActionForm action=change node_ref=form attr:class="form">
                <label for="own-current">"Current password"</label>
                <input id="own-current" node_ref=current name="current_password" type="password" autocomplete="current-password" required
                    aria-describedby="own-current-error" aria-invalid=invalid(result, "current_password")/>
                <FieldError id="own-current" field="current_password" result=result/>
                <label for="own-new">"New password"</label>
                <input id="own-new" node_ref=new name="new_password" type="password" autocomplete="new-password" required
                    aria-describedby="own-new-error" aria-invalid=invalid(result, "new_password")/>
                <FieldError id="own-new" field="new_password" result=result/>
                <FormStatus result=result/>
                <button type="submit" disabled=move || change.pending().get()>"Change my password"</button>
            </ActionForm>
        </section>
    }
}
